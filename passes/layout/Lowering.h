//===- Lowering.h - state of one lpu-to-lpuhw run --------------*- C++ -*-===//
//
// The lowering of one `func.func @main` (see docs/passes/lpu-to-lpuhw.md).
// Split over several files by op family: LpuToLpuhw.cpp (tensors, elementwise,
// matmul, relayouts, the driver) and Reductions.cpp (row reductions, softmax,
// normalisations).
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_PASSES_LAYOUT_LOWERING_H
#define LPUC_PASSES_LAYOUT_LOWERING_H

#include "passes/layout/LayoutUtils.h"
#include "runtime/isa/Topology.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

namespace lpuc::lpu {
class MatmulOp;
class BroadcastOp;
class CompareOp;
class CastOp;
class SelectOp;
class TransposeOp;
class GatherOp;
class FusedOp;
} // namespace lpuc::lpu

namespace lpuc::layout {

/// A tensor of the source function (or a temporary) and where it lives.
struct Tensor {
  isa::TensorLayout layout;
  mlir::Type elemType;
  /// Null for an alias (a reshape that keeps the last dimension).
  lpuhw::TensorOp decl;
  /// Its SRAM rows if they are released after the last use (activations and
  /// scratch); slot -1 for program-lifetime tensors and aliases.
  Placement transient;
  /// Its rows were given back (a later read would see other data).
  bool released = false;
  /// The chip whose SRAM holds it.
  uint32_t chip = 0;
};

/// What lowering one source op costs (measured by a lowering on a chip with
/// unbounded SRAM; see lpu-partition).
struct OpCost {
  uint64_t instructions = 0;    // lpuhw instructions emitted for it
  uint64_t weightBytes = 0;     // weights it declared (first use)
  uint64_t liveActivations = 0; // activation bytes in use after it
  uint64_t largestTensor = 0;   // bytes of its largest new tensor
};

/// Stream planes of one vector (width(dtype) values, plane 0 first).
using Planes = llvm::SmallVector<mlir::Value, 4>;

bool isChipFloat(mlir::Type t);
/// Integers and bools (i1 .. i64): held on the chip as f32.
bool isHeldAsF32(mlir::Type t);
/// The element type the chip holds for a graph element type.
mlir::Type chipType(mlir::Type t);
/// A reshape whose last dimension is unchanged (the result aliases the
/// operand's placement).
bool isAliasReshape(mlir::Operation *op);
/// The scalar of a splat float constant, seen through broadcasts and
/// reshapes.
std::optional<double> splatValue(mlir::Value v);
/// Row-major strides of a shape.
llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape);
/// One `lpuhw.vxm` (`toType` for casts); returns its result planes.
llvm::SmallVector<mlir::Value> vxmOp(mlir::OpBuilder &b, mlir::Location loc,
                                     llvm::StringRef fn, mlir::Type dtype,
                                     mlir::ValueRange inputs, double imm = 0.0,
                                     mlir::Type toType = {});

class Lowering {
public:
  Lowering(mlir::ModuleOp module, mlir::func::FuncOp src,
           const isa::Machine &machine)
      : module_(module), src_(src), machine_(machine),
        decls_(module.getContext()), body_(module.getContext()) {}

  mlir::LogicalResult run();
  /// With a vector, run() records the cost of each op of the source body
  /// (index = position in the body).
  void measure(std::vector<OpCost> *costs) { costs_ = costs; }
  /// Loaded allocations (weights, constants, inputs) per chip, in order.
  using LoadedRequests = std::vector<std::vector<SramAllocator::LoadedRequest>>;
  /// The first of lpu-to-lpuhw's two lowerings: SRAM rows are unbounded and
  /// run() records each chip's Loaded allocations into `out`.
  void recordLoaded(LoadedRequests *out) { recordLoaded_ = out; }
  /// The second: run() places `loaded` before anything else, so that no
  /// activation ever holds rows a weight needs (SramAllocator).
  void reserveLoaded(const LoadedRequests *loaded) { reserveLoaded_ = loaded; }
  /// Receives a chunk of the lowered program: the instructions of whole
  /// source ops in program order (with their `chip`), which no stream value
  /// of a later chunk reads (source ops exchange data through SRAM only).
  /// run() erases them once the sink returns success.
  using ChunkSink =
      std::function<mlir::LogicalResult(llvm::ArrayRef<mlir::Operation *>)>;
  /// Streams the program: after a source op, once at least `minChunk`
  /// instructions are pending (0: only at the end), run() hands them to
  /// `sink`, and the rest before the final return. The new @main then
  /// holds no instruction, so at most one chunk of the lowered program is
  /// in memory (lpuc's back end schedules and collects each chunk; the
  /// cost and first lowerings just drop them).
  void streamTo(ChunkSink sink, size_t minChunk) {
    sink_ = std::move(sink);
    minChunk_ = minChunk;
  }

private:
  mlir::LogicalResult validate();
  mlir::LogicalResult lowerOp(mlir::Operation *op);

  // Tensors.
  std::string uniqueName(llvm::StringRef base);
  mlir::FailureOr<Tensor *> declare(mlir::Value v, mlir::Location loc,
                                    llvm::StringRef kind,
                                    mlir::StringAttr onnxName,
                                    llvm::StringRef symBase,
                                    mlir::ElementsAttr value = {});
  mlir::FailureOr<Tensor *> tensorOf(mlir::Value v);
  mlir::FailureOr<Tensor *> defineResult(mlir::Operation *op,
                                         mlir::Value result);
  /// A scratch activation tensor (not tied to a value).
  mlir::FailureOr<Tensor *> temp(mlir::Location loc, mlir::Type elem,
                                 llvm::ArrayRef<int64_t> shape);
  /// A compile-time constant weight, created once per `key` and type: every
  /// element `value`, or, if `valid` >= 0, `value` in the first `valid`
  /// columns and `fill` in the others.
  mlir::FailureOr<Tensor *> constant(mlir::Location loc, llvm::StringRef key,
                                     mlir::Type elem,
                                     llvm::ArrayRef<int64_t> shape,
                                     double value, int64_t valid = -1,
                                     double fill = 0.0);
  /// Same with element i (row-major) = valueAt(i).
  mlir::FailureOr<Tensor *>
  constant(mlir::Location loc, llvm::StringRef key, mlir::Type elem,
           llvm::ArrayRef<int64_t> shape,
           llvm::function_ref<double(int64_t)> valueAt);

  // Lowerings (LpuToLpuhw.cpp).
  mlir::LogicalResult lowerBinary(mlir::Operation *op, llvm::StringRef fn,
                                  mlir::Value lhs, mlir::Value rhs);
  mlir::LogicalResult lowerUnary(mlir::Operation *op, mlir::Value input,
                                 llvm::StringRef fn, double imm,
                                 mlir::Type toType = {});
  mlir::LogicalResult lowerNegAddImm(mlir::Operation *op, mlir::Value input,
                                     double imm);
  mlir::LogicalResult lowerMatmul(lpu::MatmulOp op);
  /// C = A x B for `batch` products of [m, k] x [k, n] (A's rows b*m+i, B's
  /// rows b*k+j, C's rows b*m+i).
  /// With `maskPadding`, A's lanes beyond k are zeroed before the MXM (they
  /// may hold inf or NaN, and 0 * inf is NaN).
  mlir::LogicalResult matmul(mlir::Location loc, const Tensor &A,
                             const Tensor &B, const Tensor &C, int64_t batch,
                             int64_t m, int64_t k, int64_t n,
                             bool maskPadding = false);
  /// Whether the padding lanes of `v`'s tensor may hold inf or NaN.
  bool paddingMayBeNonFinite(mlir::Value v);
  llvm::DenseMap<mlir::Value, bool> nonFinitePadding_;
  mlir::LogicalResult lowerRelayout(mlir::Operation *op, mlir::Value input,
                                    mlir::Value result,
                                    llvm::function_ref<int64_t(int64_t)> srcOf);
  /// Output element i of `to` is element srcOf(i) of `from` (row copies
  /// and sxm_permute chains).
  void relayout(mlir::Location loc, const Tensor &from, const Tensor &to,
                llvm::function_ref<int64_t(int64_t)> srcOf);
  /// Same with several sources: srcOf(i) = (source, element), element -1
  /// for a zero.
  void
  relayout(mlir::Location loc, llvm::ArrayRef<const Tensor *> from,
           const Tensor &to,
           llvm::function_ref<std::pair<unsigned, int64_t>(int64_t)> srcOf);
  mlir::LogicalResult lowerBroadcast(lpu::BroadcastOp op);
  // Integers and bools held as f32 (LpuToLpuhw.cpp).
  mlir::LogicalResult lowerCompare(lpu::CompareOp op);
  mlir::LogicalResult lowerCast(lpu::CastOp op);
  /// Select with a runtime condition: one VXM select per vector.
  mlir::LogicalResult lowerRuntimeSelect(lpu::SelectOp op);
  /// Where to read vector (r, v) of `v` in chip type `elem`: its tensor, or
  /// for a splat constant a one-row constant (every r reads row 0).
  struct Source {
    const Tensor *tensor = nullptr;
    bool splat = false;
  };
  mlir::FailureOr<Source> sourceOf(mlir::Location loc, mlir::Value v,
                                   mlir::Type elem, int64_t cols);

  mlir::LogicalResult lowerTranspose(lpu::TransposeOp op);
  /// A transpose of the last two dimensions (leading ones kept) on a target
  /// whose lanes are whole 16-lane superlanes (Transpose.cpp).
  bool transposeLast2Applies(lpu::TransposeOp op) const;
  /// Through the SXM transpose (Transpose.cpp).
  mlir::LogicalResult lowerTransposeLast2(lpu::TransposeOp op);
  /// y [.., C, R] = x [.., R, C] with its last two dimensions swapped.
  mlir::LogicalResult transposeLast2(mlir::Location loc, const Tensor &x,
                                     const Tensor &y, int64_t R, int64_t C);
  void copy(mlir::Location loc, const Tensor &from, const Tensor &to);
  /// MXM planes usable for `dtype`, alternating west and east.
  llvm::SmallVector<uint32_t> mxmPlaneOrder(isa::DType dtype) const;

  // Lanewise chains (Elementwise.cpp).
public:
  /// A vector in a VXM chain: a tensor vector (read afresh at every use) or
  /// stream planes computed in the chain, on their streams at cycle `ready`.
  struct Val {
    Planes planes;
    int64_t ready = 0;
    const Tensor *leaf = nullptr;
    int64_t row = 0, vec = 0;
  };
  /// One-row f32 constants a log chain compares against and selects from.
  struct LogConstants {
    const Tensor *big[7] = {};   // 2^64, 2^32, ..., 2^1
    const Tensor *small[8] = {}; // 2^-63 (twice), 2^-31, ..., 2^0
    const Tensor *sqrt2 = nullptr, *zero = nullptr, *inf = nullptr,
                 *ninf = nullptr, *nan = nullptr, *one = nullptr;
  };
  mlir::FailureOr<LogConstants> logConstants(mlir::Location loc);
  /// Builds one chain of VXM operations computing in `type`.
  struct Chain {
    Lowering &L;
    mlir::Location loc;
    mlir::Type type;
    llvm::DenseMap<mlir::Value, llvm::SmallVector<Planes>> delays;
    /// Leaf reads by (slice, arrival cycle at the VXM) and their vector.
    std::map<std::pair<uint32_t, int64_t>,
             std::tuple<const Tensor *, int64_t, int64_t>>
        slots;
    std::map<std::tuple<const Tensor *, int64_t, int64_t, int64_t>, Planes>
        reads;

    Chain(Lowering &L, mlir::Location loc, mlir::Type type)
        : L(L), loc(loc), type(type) {}
    /// A value computed outside the chain, on its streams at cycle 0.
    Val computed(mlir::ValueRange planes);

    Val leaf(const Tensor &t, int64_t row, int64_t vec);
    Val op(llvm::StringRef fn, const Val &a, double imm = 0.0);
    Val op(llvm::StringRef fn, const Val &a, const Val &b);
    /// A three-operand operation (select: a != 0 ? b : c).
    Val op(llvm::StringRef fn, const Val &a, const Val &b, const Val &c);
    /// 1/x = x * rsqrt(x*x)^2 (any sign; |x| in about [1e-19, 1e19] for
    /// f32).
    Val recip(const Val &x);
    /// 1/x = rsqrt(x)^2 for x > 0.
    Val recipPos(const Val &x);
    Val sqrt(const Val &x);
    Val sigmoid(const Val &x);
    Val erf(const Val &x);
    /// Natural log (f32 chains): x > 0 over the whole range, log 0 =
    /// -inf, log of a negative = NaN, log inf = inf, NaN stays NaN.
    /// `k` holds the constant rows it compares against (Lowering::
    /// logConstants).
    Val log(const Val &x, const struct LogConstants &k);
    /// The planes of `v` in `to` (cast at the end if needed).
    Planes result(const Val &v, mlir::Type to);

  private:
    /// The planes of `v` as they must be at `cycle` (fresh read, or delayed).
    Planes at(const Val &v, int64_t cycle);
    int64_t readyOf(const Val &v) const;
  };

private:
  /// Each vector of `result` = f(vectors of `inputs` at the same row and
  /// vector), computed in f32. All inputs have the result's shape.
  mlir::LogicalResult
  lowerMap(mlir::Operation *op, mlir::ValueRange inputs, mlir::Value result,
           llvm::function_ref<Val(Chain &, llvm::ArrayRef<Val>)> f);
  /// Vector (r, v) of a source (sourceOf) as a chain leaf.
  Val leafOf(Chain &ch, const Source &s, int64_t r, int64_t v);

  // Dispatch of math, reduction and data ops (MathOps.cpp).
  static bool isMathOp(mlir::Operation *op);
  /// An integer graph input used only as gather indices or cast to float:
  /// held on the chip as f32.
  static bool isIndexInput(mlir::Value v);
  mlir::LogicalResult lowerEmbedding(lpu::GatherOp op);
  /// Element lin of a compile-time i1 condition (a constant, possibly
  /// broadcast or reshaped), if it is one.
  static std::optional<std::function<bool(int64_t)>>
  constantCondition(mlir::Value v);
  /// A broadcast/reshape of a constant condition used only as a select's
  /// condition: nothing to lower.
  static bool isConditionOnly(mlir::Operation *op);
  /// Op-specific checks before anything is emitted.
  mlir::LogicalResult validateMathOp(mlir::Operation *op);
  mlir::LogicalResult lowerMathOp(mlir::Operation *op);

  // Fused elementwise DAGs (Fused.cpp).
  mlir::LogicalResult lowerFused(lpu::FusedOp op);
  /// Whether a fused body can make padding lanes inf or NaN.
  bool fusedMayBeNonFinite(lpu::FusedOp op);

  // Reductions (Reductions.cpp).
public:
  enum class Reduce { Sum, Max };

private:
  /// Lanes >= `valid` of `planes` replaced by zero, or by `base`'s lanes
  /// when `base` is given (one sxm_permute). Unchanged if valid == lanes.
  Planes maskLanes(mlir::Location loc, mlir::Type elem, mlir::ValueRange planes,
                   int64_t valid, mlir::ValueRange base = {});
  /// One sxm_permute without base.
  Planes permute(mlir::Location loc, mlir::Type elem, mlir::ValueRange planes,
                 llvm::ArrayRef<int32_t> map);
  /// Output latency of VXM operation `fn` (from isa::Machine).
  uint32_t vxmLatency(llvm::StringRef fn) const;
  /// `planes` delayed by at least `cycles` through a chain of VXM copies.
  Planes delay(mlir::Location loc, mlir::Type elem, mlir::ValueRange planes,
               int64_t cycles);
  /// Max over the valid lanes of row `row` of `t` (a lanewise max over the
  /// row's vectors, then a log-step tree of rotations), in lane 0, and in
  /// every lane if `broadcast`.
  mlir::FailureOr<Planes> rowMax(mlir::Location loc, const Tensor &t,
                                 int64_t row, bool broadcast);
  /// Loads and installs a lanes x lanes tile of ones of `elem` on the next
  /// MXM plane; returns the plane.
  mlir::FailureOr<uint32_t> installOnes(mlir::Location loc, mlir::Type elem);
  /// Sum over the valid lanes of row `row` of `t` as 4 f32 planes, in every
  /// lane: each vector (through `pre`, e.g. a square) masked and multiplied
  /// by the ones tile on `plane`, accumulating in accumulator row `accRow`.
  Planes rowSum(mlir::Location loc, uint32_t plane, const Tensor &t,
                int64_t row, int64_t accRow,
                llvm::function_ref<Planes(Planes)> pre = nullptr);
  /// 1/x lanewise on f32 planes (rsqrt(x)^2 with the sign of x restored).
  Planes reciprocal(mlir::Location loc, mlir::ValueRange x);
  /// Planes of f32 `x` cast to `elem` (unchanged for f32).
  Planes castF32To(mlir::Location loc, mlir::ValueRange x, mlir::Type elem);

  /// Reduces `input` over `axes` into `result` (keepdims or not: the
  /// result's element order is the same). Mean = Sum scaled by 1/N.
  mlir::LogicalResult lowerReduce(mlir::Operation *op, mlir::Value input,
                                  mlir::Value result,
                                  llvm::ArrayRef<int64_t> axes, Reduce kind,
                                  bool mean);
  /// Softmax (or log-softmax) over `axis` (another axis than the last is
  /// transposed last and back).
  mlir::LogicalResult lowerSoftmax(mlir::Operation *op, mlir::Value input,
                                   mlir::Value result, int64_t axis, bool log);
  /// Softmax over the last dimension of `src` into `dst` (same layout shape).
  mlir::LogicalResult softmaxRows(mlir::Location loc, const Tensor &src,
                                  const Tensor &dst, bool log = false);
  /// Layer normalisation over dimensions [axis, rank); `scale`/`bias` may
  /// be null.
  mlir::LogicalResult lowerLayerNorm(mlir::Operation *op, mlir::Value input,
                                     mlir::Value scale, mlir::Value bias,
                                     mlir::Value result, int64_t axis,
                                     double epsilon, bool rms);
  /// Layer (or RMS) normalisation of the rows of `src` into `dst`; `sc` and
  /// `bi` have one row (or one per row) of the same columns, or are null.
  mlir::LogicalResult layerNormRows(mlir::Location loc, const Tensor &src,
                                    const Tensor *sc, const Tensor *bi,
                                    const Tensor &dst, double epsilon,
                                    bool rms);

  mlir::ModuleOp module_;
  mlir::func::FuncOp src_;
  const isa::Machine &machine_;
  // Chips: the one being lowered into, the count (lpu.chip attributes of
  // the source ops), one SRAM allocator per chip.
  uint32_t chip_ = 0, chips_ = 1;
  std::optional<isa::Topology> topo_; // with several chips
  std::vector<std::unique_ptr<SramAllocator>> allocs_;
  SramAllocator &alloc() { return *allocs_[chip_]; }
  /// Tensors of values made on another chip than their producer's: weights
  /// declared again, activations received over C2C (by value and chip).
  std::map<std::pair<void *, uint32_t>, Tensor *> replicas_;
  std::vector<std::unique_ptr<Tensor>> replicaStore_;
  /// `t` (of `v`, on another chip) on chip_: a weight is declared again, an
  /// activation is sent plane-row by plane-row over C2C.
  mlir::FailureOr<Tensor *> replicaOf(mlir::Value v, Tensor &t);
  /// The chip nearest below chip_ that holds `v` (its producer's `t` or an
  /// earlier receiver's replica).
  Tensor *holderOf(mlir::Value v, Tensor &t);
  /// Plane-row `q` of `from` (on another chip) read there, sent to chip_
  /// and received: the stream value on chip_ (to be written).
  mlir::Value receivePlaneRow(mlir::Location loc, const Tensor &from, int64_t q,
                              uint32_t via = UINT32_MAX);
  /// Transfers as blocks (directTransfers()): within one replica or
  /// relayout, up to kTransferBlock consecutive direct sends from one chip
  /// to one chip are tied one `c2c_vector_cycles` apart (`lpuhw.after_send`
  /// on each but the first, for lpuhw-schedule), so that their reads, sends,
  /// receives and writes are issued at one interval with constant steps and
  /// the emitter folds each queue's run into one instruction and a repeat.
  static constexpr unsigned kTransferBlock = 16;
  void startTransferBlock() {
    blockPrev_ = nullptr;
    blockLen_ = 0;
  }
  mlir::Operation *blockPrev_ = nullptr;
  unsigned blockLen_ = 0;
  /// Whether relayouts move the vectors they need from other chips straight
  /// into their result (targets with less than 16 MiB of SRAM per chip,
  /// where every instruction counts) instead of replicating the whole
  /// source first.
  bool directTransfers() const;
  /// For a relayout (copy, slice, concat, transpose, broadcast): `v`'s
  /// tensor, left on another chip if it is an activation held there and
  /// directTransfers(); relayout() then receives the whole vectors it copies
  /// unchanged straight into its result, and replicates the source only if
  /// it needs it on chip_ (permutes). Otherwise tensorOf(v).
  mlir::FailureOr<Tensor *> relayoutSource(mlir::Value v);
  /// The values of the remote tensors relayoutSource handed out.
  llvm::DenseMap<const Tensor *, mlir::Value> remoteSources_;
  std::vector<std::unique_ptr<Tensor>> remoteAliases_;
  /// Sets `chip` on the instructions and tensors created since the last
  /// call that have none (multi-chip programs only).
  void tagNewOps();
  /// Hands the pending instructions to sink_ and erases them.
  mlir::LogicalResult flush();
  ChunkSink sink_;
  size_t minChunk_ = 0, pending_ = 0;
  mlir::Operation *lastTagged_ = nullptr;
  std::vector<OpCost> *costs_ = nullptr;
  LoadedRequests *recordLoaded_ = nullptr;
  const LoadedRequests *reserveLoaded_ = nullptr;
  uint64_t weightBytesDeclared_ = 0;
  /// Bytes of the transient tensors in use (activations and scratch).
  uint64_t liveBytes_ = 0, largestTensor_ = 0;
  /// Counts a new placement (transient ones as live activations).
  void track(const Placement &p, bool transient = true);
  mlir::OpBuilder decls_; // before the new @main
  mlir::OpBuilder body_;  // inside the new @main
  llvm::DenseMap<mlir::Value, std::unique_ptr<Tensor>> tensors_;
  std::vector<std::unique_ptr<Tensor>> temps_;
  llvm::StringMap<Tensor *> constants_;
  /// Per storage root (a value not defined by an alias reshape): the index
  /// of the last op of the source body that reads it (directly or through
  /// aliases); roots of returned values are absent from it and live to the
  /// end.
  llvm::DenseMap<mlir::Value, size_t> lastUse_;
  /// Scratch tensors of the op being lowered, released after it.
  std::vector<Tensor *> opTemps_;
  /// Computes lastUse_.
  void computeLastUses();
  /// Releases the SRAM of `t` if it is transient.
  void release(Tensor &t);
  /// Values that are the function's result #index (their own output tensor).
  llvm::DenseMap<mlir::Value, unsigned> directOutputs_;
  llvm::StringSet<> names_;
  unsigned activations_ = 0, weights_ = 0, mxmGroups_ = 0;
};

} // namespace lpuc::layout

#endif
