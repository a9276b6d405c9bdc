//===- LayoutUtils.h - SRAM placement of tensors, MEM builders -*- C++ -*-===//
//
// Shared by lpu-to-lpuhw (which places tensors and emits instructions) and by
// the scheduler, schedule verifier and emitter (which need the layout of a
// `lpuhw.tensor` declaration). The layout itself is runtime/isa/Layout.h:
// this header only converts between it and the IR.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_PASSES_LAYOUT_LAYOUTUTILS_H
#define LPUC_PASSES_LAYOUT_LAYOUTUTILS_H

#include "dialects/lpuhw/LpuhwDialect.h"
#include "dialects/lpuhw/LpuhwOps.h"
#include "runtime/isa/Layout.h"
#include "runtime/isa/Machine.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

namespace lpuc::layout {

/// The layout (Layout.h) of a `lpuhw.tensor` declaration: dtype, shape,
/// slices, bank and base_row from the op, lanes from the machine.
isa::TensorLayout layoutOf(lpuhw::TensorOp tensor, const isa::Machine &machine);

/// Whether the loader writes `tensor` before the first instruction (a
/// weight or an input): its rows hold it for the whole program, and no
/// instruction may write them (lpuhw-verify-schedule).
bool isLoaded(lpuhw::TensorOp tensor);

/// The SRAM rows of `tensor`: rows [lo, hi) of `bank` in each of `slices`,
/// on `chip`.
struct TensorRows {
  uint32_t chip = 0, bank = 0, lo = 0, hi = 0;
  std::vector<uint32_t> slices;
};
TensorRows rowsOf(lpuhw::TensorOp tensor, const isa::Machine &machine);

/// The loaded tensors of a module declared since the previous scan:
/// lpu-to-lpuhw declares tensors as it lowers (before the instructions that
/// use them), so a consumer of a program window by window (the window
/// scheduler, the schedule checker) calls scan() before each window.
class LoadedTensorScan {
public:
  /// Calls `f` on each loaded tensor (isLoaded) declared in `module`'s body
  /// after the last tensor the previous call saw, in order, with its rows.
  void scan(mlir::ModuleOp module, const isa::Machine &machine,
            llvm::function_ref<void(lpuhw::TensorOp, const TensorRows &)> f);

private:
  mlir::Operation *last_ = nullptr; // the last declaration seen
};

/// Where a tensor lives: its slice group, bank and first row.
struct Placement {
  std::vector<uint32_t> slices;
  uint32_t bank = 0;
  uint32_t baseRow = 0;
  /// Rows used in each slice, and the allocator's (group, bank) slot
  /// (-1: not from an SramAllocator); what SramAllocator::release needs.
  uint32_t rows = 0;
  int32_t slot = -1;
};

/// The layout of a tensor of `dtype` and `shape` at `placement`.
isa::TensorLayout makeLayout(isa::DType dtype, llvm::ArrayRef<int64_t> shape,
                             const Placement &placement,
                             const isa::Machine &machine);

/// The slice groups tensors are striped over, in allocation order: groups of
/// S = layout_stripe_slices consecutive slices, first those of the west
/// hemisphere ([0,S), [S,2S), ...), then those of the east ([n,n+S), ...),
/// then one group of S slices taken from both hemispheres' leftovers if there
/// are enough. If a target has fewer than S slices, one group of all slices.
std::vector<std::vector<uint32_t>> sliceGroups(const isa::Machine &machine);

/// How long a placement lives and when its data arrives:
/// - Loaded: the whole program, with data in SRAM before the first
///   instruction (weights, compile-time constants, inputs: the loader writes
///   them);
/// - Program: the whole program, written by it (outputs);
/// - Transient: until released (activations, scratch).
enum class Lifetime { Loaded, Program, Transient };

/// SRAM rows per (slice group, bank), with reuse: free row ranges are kept
/// per slot; program-lifetime tensors are placed from row 0 up (first fit),
/// transient ones from the top of a bank down, so that released
/// activations leave holes that later activations fill, not islands between
/// weights. Allocation k prefers group k % G and bank (k / G) % banks, so
/// that consecutive tensors (an op's operands and its result) sit in
/// different slices or banks; if that slot has no free range large enough,
/// the next ones in the same rotation are tried.
///
/// Reusing rows is safe because lpuhw-schedule orders every access to an
/// SRAM address by program order (read after write, write after read,
/// write after write), so a later tensor's writes wait for the earlier
/// tensor's last reads. Loaded tensors are the exception: their data is
/// there before any instruction runs, so they never take a row a transient
/// tensor has held (its writes, earlier in the program, would overwrite
/// them); the rows transient placements have held are kept per slot.
///
/// To hold every Loaded tensor from the start without guessing which ones a
/// lowering will declare, lpu-to-lpuhw lowers twice: the first lowering, on
/// an allocator with unbounded rows, records its Loaded requests
/// (recordLoaded); the second places them all before anything else
/// (reserveLoaded), at the turns they had, and its Loaded allocations take
/// them in order. A request that differs from the next reserved one is
/// placed on its own in rows no transient tensor has held.
class SramAllocator {
public:
  /// `rowsPerBank` overrides the target's rows per bank (0: the target's).
  explicit SramAllocator(const isa::Machine &machine, uint32_t rowsPerBank = 0);

  /// A Loaded allocation: rows per slice, its turn (which slot it prefers)
  /// and where it was requested.
  struct LoadedRequest {
    int64_t rows = 0;
    uint64_t turn = 0;
    mlir::Location loc;
  };
  /// Appends every later Loaded allocation to `out`.
  void recordLoaded(std::vector<LoadedRequest> *out) { record_ = out; }
  /// Places `requests` now (each at its turn) and keeps them for the Loaded
  /// allocations to come. Fails with the "does not fit" error of the first
  /// that does not fit.
  mlir::LogicalResult reserveLoaded(llvm::ArrayRef<LoadedRequest> requests);

  /// Places a tensor of `dtype` and `shape`. On failure emits at `loc`
  /// "does not fit in SRAM: needs N rows in slice group G bank B, target has
  /// M rows per bank (F free)" and fails.
  mlir::FailureOr<Placement> allocate(isa::DType dtype,
                                      llvm::ArrayRef<int64_t> shape,
                                      mlir::Location loc,
                                      Lifetime life = Lifetime::Transient);
  /// Same, for a tensor needing `rowsPerSlice` rows in each slice.
  mlir::FailureOr<Placement> allocateRows(int64_t rowsPerSlice,
                                          mlir::Location loc,
                                          Lifetime life = Lifetime::Transient);
  /// Returns a placement's rows to its slot (no-op for slot -1 or 0 rows).
  void release(const Placement &p);

  unsigned numGroups() const { return unsigned(groups_.size()); }
  const std::vector<uint32_t> &group(unsigned g) const { return groups_[g]; }
  /// Rows in use now in every slice of group `g`, bank `bank`.
  uint32_t usedRows(unsigned g, uint32_t bank) const {
    return slots_[g * banks_ + bank].used;
  }
  /// The most rows in use at once in group `g`, bank `bank`.
  uint32_t peakRows(unsigned g, uint32_t bank) const {
    return slots_[g * banks_ + bank].peak;
  }

private:
  struct Slot {
    /// Free row ranges: first row -> one past the last.
    std::map<uint32_t, uint32_t> free;
    /// Row ranges transient placements have held (merged), which Loaded
    /// placements avoid.
    std::map<uint32_t, uint32_t> held;
    uint32_t used = 0, peak = 0;
  };
  const isa::Machine &machine_;
  std::vector<std::vector<uint32_t>> groups_;
  std::vector<Slot> slots_; // per group * banks + bank
  uint32_t banks_, rowsPerBank_;
  uint64_t next_ = 0;
  std::vector<LoadedRequest> *record_ = nullptr;
  /// Placements reserved for the Loaded allocations to come, in order.
  std::deque<Placement> reserved_;
};

/// `n` results of type !lpuhw.stream.
llvm::SmallVector<mlir::Type> streamTypes(mlir::MLIRContext *ctx, unsigned n);

/// One `lpuhw.mem_read` of plane-row `q` of a tensor.
mlir::Value readPlaneRow(mlir::OpBuilder &b, mlir::Location loc,
                         const isa::TensorLayout &l, int64_t q);
/// `width` mem_reads: the planes of vector `vec` of row `row`, plane 0 first.
llvm::SmallVector<mlir::Value> readVector(mlir::OpBuilder &b,
                                          mlir::Location loc,
                                          const isa::TensorLayout &l,
                                          int64_t row, int64_t vec);
/// One `lpuhw.mem_write` of `value` to plane-row `q` of a tensor.
void writePlaneRow(mlir::OpBuilder &b, mlir::Location loc,
                   const isa::TensorLayout &l, int64_t q, mlir::Value value);
/// `width` mem_writes of `planes` (plane 0 first) to vector (row, vec).
void writeVector(mlir::OpBuilder &b, mlir::Location loc,
                 const isa::TensorLayout &l, int64_t row, int64_t vec,
                 mlir::ValueRange planes);

/// Creates `lpuhw.tensor @symName` at the builder's insertion point.
/// `onnxName` may be null; `value` only for weights.
lpuhw::TensorOp declareTensor(mlir::OpBuilder &b, mlir::Location loc,
                              llvm::StringRef symName, llvm::StringRef kind,
                              mlir::StringAttr onnxName, mlir::Type dtype,
                              llvm::ArrayRef<int64_t> shape,
                              const Placement &placement,
                              mlir::ElementsAttr value = {});

} // namespace lpuc::layout

#endif
