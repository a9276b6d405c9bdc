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

/// Cuts ops of costs `cost[i]` (bytes an op adds to its chip; `live[i]`
/// the activation bytes in use after it, of which a chip needs the largest)
/// into consecutive stages whose load (sum of cost + max of live) is at most
/// `budget`. Returns the first op of each stage; empty if one op alone
/// exceeds the budget.
std::vector<size_t> cutStages(const std::vector<uint64_t> &cost,
                              const std::vector<uint64_t> &live,
                              uint64_t budget);
/// Stage loads of a cut.
std::vector<uint64_t> stageLoads(const std::vector<uint64_t> &cost,
                                 const std::vector<uint64_t> &live,
                                 const std::vector<size_t> &starts);
/// Exactly `n` stages (n <= number of ops), each at most `budget` if
/// possible: the smallest budget for which cutStages gives at most n
/// stages, then the heaviest stages split until there are n. Empty if even
/// `budget` needs more than n stages.
std::vector<size_t> balanceStages(const std::vector<uint64_t> &cost,
                                  const std::vector<uint64_t> &live,
                                  uint64_t budget, size_t n);

} // namespace partition
} // namespace lpuc

#endif
