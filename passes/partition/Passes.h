//===- Passes.h - partitioning across chips ---------------------*- C++ -*-===//
#ifndef LPUC_PASSES_PARTITION_PASSES_H
#define LPUC_PASSES_PARTITION_PASSES_H

#include "dialects/lpuhw/LpuhwDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lpuc {

#define GEN_PASS_DECL
#include "passes/partition/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/partition/Passes.h.inc"

namespace partition {

/// What the ops of @main cost a chip, in program order.
struct OpCosts {
  std::vector<uint64_t> cost; // bytes an op adds (weights, instructions)
  std::vector<uint64_t> live; // activation bytes in use after it (one chip)
  /// The activations each op reads (value ids) and produces.
  std::vector<std::vector<uint32_t>> reads, defines;
  /// Per value: bytes in SRAM, the op that defines it (a graph input: its
  /// first reader) and its last reader.
  std::vector<uint64_t> bytes;
  std::vector<size_t> producer, lastUse;
  /// Instruction bytes per activation byte sent or received (a read and a
  /// send, or a receive and a write, per plane-row).
  double xfer = 0;
};

/// The load of stage [begin, end) on its chip: its ops' costs, its
/// activations (the values it receives and defines, at most the one-chip
/// live set), and the instructions of its transfers: every value it reads
/// that an earlier stage holds is received, every value it holds that a
/// later stage reads is sent on (once: later readers pass it along).
uint64_t stageLoad(const OpCosts &c, size_t begin, size_t end);
/// Cuts the ops into consecutive stages of load <= `budget` (greedy, each
/// stage as long as it fits). Returns the first op of each stage; empty if
/// one op alone exceeds the budget.
std::vector<size_t> cutStages(const OpCosts &c, uint64_t budget);
std::vector<uint64_t> stageLoads(const OpCosts &c,
                                 const std::vector<size_t> &starts);
/// Exactly `n` stages if there are that many ops: the smallest budget for
/// which cutStages gives at most n stages, then the heaviest stages split
/// until there are n. Empty if even `budget` needs more than n stages.
std::vector<size_t> balanceStages(const OpCosts &c, uint64_t budget, size_t n);
/// Bytes of the activations that cross a cut before op `at`: defined (or,
/// for graph inputs, first read) before it and read at or after it.
uint64_t cutBytes(const OpCosts &c, size_t at);
/// Moves each cut between stages by up to `window` ops to where fewer
/// activation bytes cross it (the nearest such position), keeping both
/// neighbouring stages within `budget`. Same stage count.
void refineCuts(const OpCosts &c, std::vector<size_t> &starts, uint64_t budget,
                size_t window = 32);

} // namespace partition
} // namespace lpuc

#endif
