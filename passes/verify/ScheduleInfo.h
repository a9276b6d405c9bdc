//===- ScheduleInfo.h - A scheduled lpuhw module as instructions -*- C++
//-*-===//
//
// Reads the instructions of a scheduled lpuhw module (every op with its
// `cycle`, `stream`, `alu`/`unit` attributes) into isa::Instruction form with
// the queue, position and issue cycle of each, and the producer of every
// operand. Shared by `lpuhw-verify-schedule` and the .lpubin emitter so that
// both see the same instructions; it checks only what it needs to build them
// (attributes present, indices in range), the timing rules are the verifier's.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_PASSES_VERIFY_SCHEDULEINFO_H
#define LPUC_PASSES_VERIFY_SCHEDULEINFO_H

#include "runtime/isa/Isa.h"
#include "runtime/isa/Machine.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lpuc::verify {

/// The module attribute holding the program length (max cycle + busyCycles).
constexpr const char *kCyclesAttrName = "lpuhw.cycles";
/// The module attribute holding the number of chips of a multi-chip program
/// (absent: one chip).
constexpr const char *kChipsAttrName = "lpuhw.chips";
/// The chip count of a module (kChipsAttrName, 1 if absent).
uint32_t chipCount(mlir::ModuleOp module);

/// One input group of an instruction: operands [first, first + count). The
/// operands are read on consecutive streams base .. base + perCycle - 1
/// (base = stream of operand `first`); operand first + i is read on stream
/// base + i % perCycle at cycle issue + i / perCycle. perCycle == count for
/// every group except mxm_load's tile (perCycle = mxm_weight_streams).
struct InputGroup {
  unsigned first = 0;
  unsigned count = 0;
  unsigned perCycle = 0;
};

/// The producer of an operand: index of the instruction in program order and
/// result number, or -1 if the operand is not an instruction's result.
struct OperandSource {
  int producer = -1;
  unsigned result = 0;
};

struct SchedInst {
  mlir::Operation *op = nullptr;
  /// The chip (the op's `chip`, 0 if absent).
  uint32_t chip = 0;
  int64_t cycle = 0;
  uint32_t queue = 0;
  int position = 0;
  /// Opcode, dtype, fn, flags, a, b, imm; `out` from the op's `stream`, in0
  /// and in1 from the producers' streams (a of sxm shift/rotate: the amount).
  /// Tags and the SXM permute's lane-map index (a) are the emitter's business
  /// and are 0 here.
  isa::Instruction inst;
  /// First output stream (-1 if the op has no results).
  int64_t stream = -1;
  llvm::SmallVector<InputGroup, 2> groups;
  llvm::SmallVector<OperandSource, 4> operands;
  /// MEM: slice; MXM: plane; VXM: alu; SXM: unit.
  uint32_t index = 0;
  /// SXM permute only: the lane map.
  llvm::ArrayRef<int32_t> laneMap;
};

/// True for ops that are instructions (every lpuhw op except lpuhw.tensor).
bool isInstruction(mlir::Operation *op);

/// Collects every instruction of `module` in program order (walk order).
/// Emits an error at each op whose schedule attributes are missing or out of
/// range for `machine` and fails if there was any.
mlir::LogicalResult collectInstructions(mlir::ModuleOp module,
                                        const isa::Machine &machine,
                                        std::vector<SchedInst> &out);

/// Program length: max over instructions of cycle + busyCycles (0 if none).
int64_t programCycles(const std::vector<SchedInst> &insts,
                      const isa::Machine &machine);

} // namespace lpuc::verify

#endif
