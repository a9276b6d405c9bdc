//===- LpuPartition.cpp - lpu-partition pass ------------------------------===//
//
// Pipeline partitioning: measures the SRAM each op of @main costs (a trial
// lowering on a chip with unbounded SRAM) and cuts the ops, in program
// order, into one stage per chip. See docs/passes/lpu-partition.md.
//
//===----------------------------------------------------------------------===//
#include "passes/partition/Passes.h"

#include "passes/layout/Lowering.h"
#include "passes/layout/Passes.h"

#include "dialects/lpu/LpuDialect.h"
#include "dialects/lpu/LpuOps.h"
#include "dialects/lpuhw/LpuhwDialect.h"
#include "runtime/isa/Topology.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <algorithm>

namespace lpuc {
#define GEN_PASS_DEF_LPUPARTITIONPASS
#include "passes/partition/Passes.h.inc"
} // namespace lpuc

using namespace mlir;

namespace lpuc::partition {

uint64_t stageLoad(const OpCosts &c, size_t begin, size_t end) {
  uint64_t sum = 0, peak = 0, defined = 0;
  llvm::SmallDenseSet<uint32_t, 32> in, out;
  for (size_t i = begin; i < end; ++i) {
    sum += c.cost[i];
    peak = std::max(peak, c.live[i]);
    for (uint32_t v : c.reads[i])
      if (c.producer[v] < begin && in.insert(v).second && c.lastUse[v] >= end)
        out.insert(v);
    for (uint32_t v : c.defines[i]) {
      defined += c.bytes[v];
      if (c.lastUse[v] >= end)
        out.insert(v);
    }
  }
  uint64_t inBytes = 0, outBytes = 0;
  for (uint32_t v : in)
    inBytes += c.bytes[v];
  for (uint32_t v : out)
    outBytes += c.bytes[v];
  return sum + std::min(peak, inBytes + defined) +
         uint64_t(c.xfer * double(inBytes + outBytes));
}

std::vector<uint64_t> stageLoads(const OpCosts &c,
                                 const std::vector<size_t> &starts) {
  std::vector<uint64_t> loads;
  for (size_t s = 0; s < starts.size(); ++s)
    loads.push_back(stageLoad(
        c, starts[s], s + 1 < starts.size() ? starts[s + 1] : c.cost.size()));
  return loads;
}

std::vector<size_t> cutStages(const OpCosts &c, uint64_t budget) {
  size_t n = c.cost.size();
  if (n == 0)
    return {0};
  std::vector<size_t> starts{0};
  for (size_t i = 0; i < n; ++i) {
    if (stageLoad(c, i, i + 1) > budget)
      return {};
    if (i > starts.back() && stageLoad(c, starts.back(), i + 1) > budget)
      starts.push_back(i);
  }
  return starts;
}

std::vector<size_t> balanceStages(const OpCosts &c, uint64_t budget, size_t n) {
  std::vector<size_t> best = cutStages(c, budget);
  if (best.empty() || best.size() > n)
    return {};
  uint64_t lo = 0, hi = budget; // hi fits in <= n stages
  while (lo + 1 < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    std::vector<size_t> cut = cutStages(c, mid);
    if (!cut.empty() && cut.size() <= n) {
      hi = mid;
      best = std::move(cut);
    } else {
      lo = mid;
    }
  }
  // Split the heaviest stage (that has two ops or more) at the op that
  // balances its halves until there are n stages.
  size_t ops = c.cost.size();
  while (best.size() < n) {
    std::vector<uint64_t> loads = stageLoads(c, best);
    size_t pick = SIZE_MAX;
    for (size_t s = 0; s < best.size(); ++s) {
      size_t end = s + 1 < best.size() ? best[s + 1] : ops;
      if (end - best[s] >= 2 && (pick == SIZE_MAX || loads[s] > loads[pick]))
        pick = s;
    }
    if (pick == SIZE_MAX)
      break; // fewer ops than chips
    size_t end = pick + 1 < best.size() ? best[pick + 1] : ops;
    uint64_t total = 0;
    for (size_t i = best[pick]; i < end; ++i)
      total += c.cost[i];
    uint64_t acc = 0;
    size_t cut = best[pick] + 1;
    for (size_t i = best[pick]; i + 1 < end; ++i) {
      acc += c.cost[i];
      cut = i + 1;
      if (2 * acc >= total)
        break;
    }
    best.insert(best.begin() + long(pick) + 1, cut);
  }
  return best;
}

uint64_t cutBytes(const OpCosts &c, size_t at) {
  uint64_t sum = 0;
  for (size_t v = 0; v < c.bytes.size(); ++v)
    if (c.producer[v] < at && c.lastUse[v] >= at)
      sum += c.bytes[v];
  return sum;
}

void refineCuts(const OpCosts &c, std::vector<size_t> &starts, uint64_t budget,
                size_t window) {
  size_t ops = c.cost.size();
  for (size_t s = 1; s < starts.size(); ++s) {
    size_t prev = starts[s - 1], at = starts[s];
    size_t next = s + 1 < starts.size() ? starts[s + 1] : ops;
    size_t lo = std::max(prev + 1, at > window ? at - window : 0);
    size_t hi = std::min(next - 1, at + window);
    size_t best = at;
    uint64_t bestBytes = cutBytes(c, at);
    for (size_t p = lo; p <= hi; ++p) {
      if (p == at)
        continue;
      uint64_t bytes = cutBytes(c, p);
      if (bytes < bestBytes ||
          (bytes == bestBytes &&
           (p > at ? p - at : at - p) < (best > at ? best - at : at - best)))
        if (stageLoad(c, prev, p) <= budget &&
            stageLoad(c, p, next) <= budget) {
          best = p;
          bestBytes = bytes;
        }
    }
    starts[s] = best;
  }
}

} // namespace lpuc::partition

namespace {

using namespace lpuc;

/// Set by lpuc's partition retry on the ops of chips that overflowed: their
/// measured cost times this (copied to the parts of split ops).
constexpr llvm::StringLiteral kInstructionScale = "lpu.instruction_scale";

/// Bytes of a value in SRAM: rows of whole lane vectors of its chip type
/// (integers and bools are held as f32).
uint64_t valueBytes(Value v, int64_t lanes) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t)
    return 0;
  int64_t cols = t.getRank() ? t.getShape().back() : 1;
  int64_t rows = cols ? t.getNumElements() / cols : 0;
  Type e = t.getElementType();
  uint64_t width = e.isF16() || e.isBF16() ? 2 : e.isInteger(8) ? 1 : 4;
  return uint64_t(rows) * uint64_t((cols + lanes - 1) / lanes) *
         uint64_t(lanes) * width;
}

/// [begin, end) element ranges of `parts` near-equal groups of whole
/// `lanes`-wide vectors of a dimension of size `n`.
SmallVector<std::pair<int64_t, int64_t>> laneRanges(int64_t n, int64_t lanes,
                                                    int64_t parts) {
  int64_t vecs = (n + lanes - 1) / lanes;
  parts = std::max<int64_t>(1, std::min(parts, vecs));
  SmallVector<std::pair<int64_t, int64_t>> r;
  for (int64_t p = 0; p < parts; ++p) {
    int64_t v0 = p * vecs / parts, v1 = (p + 1) * vecs / parts;
    r.push_back({v0 * lanes, std::min(n, v1 * lanes)});
  }
  return r;
}

/// Whether `v` is a compile-time constant.
bool isConstant(Value v) {
  return v.getDefiningOp() &&
         v.getDefiningOp()->hasTrait<OpTrait::ConstantLike>();
}

/// A static slice of `v` along dimension `dim`: [begin, end) (folded for
/// constants).
Value sliceDim(OpBuilder &b, Location loc, Value v, int64_t dim, int64_t begin,
               int64_t end) {
  auto type = cast<RankedTensorType>(v.getType());
  if (begin == 0 && end == type.getDimSize(dim))
    return v;
  SmallVector<int64_t> starts(type.getRank(), 0), steps(type.getRank(), 1);
  SmallVector<int64_t> shape(type.getShape());
  starts[dim] = begin;
  shape[dim] = end - begin;
  return b.createOrFold<lpu::SliceOp>(loc, type.clone(shape), v,
                                      b.getDenseI64ArrayAttr(starts),
                                      b.getDenseI64ArrayAttr(steps));
}

/// How an op can be split across chips (tensor parallelism): a matmul with
/// a constant 2-D right operand by columns (each part holds a block of
/// columns; the parts are concatenated: an all-gather) and by rows of the
/// weight (each part multiplies a slice of the activations' last dimension;
/// the partial products are added: a reduction); an embedding gather by
/// columns of its table.
struct Split {
  int64_t maxCols = 1, maxRows = 1; // most parts along N and along K
};

/// Row parallelism: an op whose result rows are independent along an
/// output dimension other than the last is split along it (each part
/// computes a slice from slices of its operands; the parts are
/// concatenated): transposes, softmax, log-softmax, layer norms (outside
/// the normalised dimensions), concatenations (outside their axis) and
/// elementwise and fused ops. The largest such
/// dimension; for a transpose one whose input dimension is not the input's
/// last (slicing lanes would cost a relayout). -1 if none.
/// Whether reshape `r` keeps dimensions 0 .. d as they are (so that rows of
/// dimension d of its result are rows of dimension d of its input).
bool reshapeKeeps(lpu::ReshapeOp r, int64_t d) {
  auto in = cast<RankedTensorType>(r.getInput().getType());
  auto out = cast<RankedTensorType>(r.getType());
  if (d + 1 >= in.getRank() || d + 1 >= out.getRank())
    return false;
  for (int64_t i = 0; i <= d; ++i)
    if (in.getDimSize(i) != out.getDimSize(i))
      return false;
  return true;
}

bool rowSplittable(Operation *op, int64_t d) {
  if (op->getNumResults() != 1)
    return false;
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type || d < 0 || d + 1 >= type.getRank() || type.getDimSize(d) < 2)
    return false;
  int64_t rank = type.getRank();
  if (auto t = dyn_cast<lpu::TransposeOp>(op))
    return t.getPermutation()[d] != rank - 1;
  if (auto s = dyn_cast<lpu::SoftmaxOp>(op))
    return d != s.getAxis();
  if (auto s = dyn_cast<lpu::LogSoftmaxOp>(op))
    return d != s.getAxis();
  if (auto n = dyn_cast<lpu::LayerNormOp>(op))
    return d < n.getAxis();
  if (auto c = dyn_cast<lpu::ConcatOp>(op))
    return d != c.getAxis();
  if (llvm::isa<lpu::MatmulOp>(op)) // batch dimensions and rows
    return d <= rank - 2;
  if (auto r = dyn_cast<lpu::ReshapeOp>(op)) // a kept leading dimension
    return reshapeKeeps(r, d);
  if (auto sl = dyn_cast<lpu::SliceOp>(op)) // a dimension it keeps whole
    return sl.getStarts()[d] == 0 && sl.getSteps()[d] == 1 &&
           cast<RankedTensorType>(sl.getInput().getType()).getDimSize(d) ==
               type.getDimSize(d);
  return op->hasTrait<OpTrait::Elementwise>() ||
         llvm::isa<lpu::FusedOp, lpu::CastOp>(op);
}

int64_t rowSplitDim(Operation *op) {
  if (op->getNumResults() != 1)
    return -1;
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type)
    return -1;
  int64_t best = -1;
  for (int64_t d = 0; d + 1 < type.getRank(); ++d)
    if (rowSplittable(op, d) &&
        (best < 0 || type.getDimSize(d) > type.getDimSize(best)))
      best = d;
  return best;
}

void rowSplit(Operation *op, int64_t d, int64_t parts);

/// The result dimension of `user` that follows dimension `axis` of its
/// operand `v` (-1 if none, or if it is ambiguous).
int64_t userDim(Operation *user, Value v, int64_t axis) {
  if (user->getNumResults() != 1)
    return -1;
  auto rt = dyn_cast<RankedTensorType>(user->getResult(0).getType());
  auto vt = cast<RankedTensorType>(v.getType());
  if (!rt)
    return -1;
  int64_t rank = rt.getRank();
  if (auto t = dyn_cast<lpu::TransposeOp>(user)) {
    for (int64_t d = 0; d < rank; ++d)
      if (t.getPermutation()[d] == axis)
        return d;
    return -1;
  }
  if (auto r = dyn_cast<lpu::ReshapeOp>(user))
    return reshapeKeeps(r, axis) ? axis : -1;
  if (llvm::isa<lpu::MatmulOp>(user)) {
    bool lhs = user->getOperand(0) == v, rhs = user->getOperand(1) == v;
    if (lhs && rhs)
      return axis < rank - 2 ? axis : -1;
    return axis < rank - 2 || (lhs && axis == rank - 2) ? axis : -1;
  }
  int64_t d = axis + (rank - vt.getRank());
  return d >= 0 && rt.getDimSize(d) == vt.getDimSize(axis) ? d : -1;
}

/// A join too big for a chip: its readers are split the same way instead
/// (their slices of the join then fold to its parts). False if some reader
/// cannot be.
bool splitReadersOfJoin(lpu::ConcatOp cat,
                        llvm::DenseSet<Operation *> &erased) {
  int64_t parts = int64_t(cat.getInputs().size());
  SmallVector<std::pair<Operation *, int64_t>> readers;
  for (Operation *u : cat->getUsers()) {
    int64_t d = userDim(u, cat.getResult(), cat.getAxis());
    if (!rowSplittable(u, d))
      return false;
    if (!llvm::is_contained(readers, std::make_pair(u, d)))
      readers.push_back({u, d});
  }
  for (auto [u, d] : readers) {
    erased.insert(u);
    rowSplit(u, d, parts);
  }
  return !readers.empty();
}

/// slice(concat(a, b, c)) (steps 1): the parts it overlaps along the
/// concat's axis, each sliced to the overlap there and to the slice's range
/// in the other dimensions, and joined if there are several: b,
/// concat(b, c), slice(b), or concat(slice(a), slice(b)) (the joins of split
/// ops whose readers were split the same way, or that read across the
/// parts, or that take rows of a join of column blocks). The join itself
/// goes when nothing else reads it: on small chips copying a whole join for
/// one slice of it made the heaviest stages (GPT-2's q/k/v rows; a row of
/// the MLP example's first Gemm, split into 16 column blocks).
void foldSlicesOfConcats(func::FuncOp main) {
  SmallVector<lpu::SliceOp> slices;
  main.walk([&](lpu::SliceOp s) { slices.push_back(s); });
  for (lpu::SliceOp s : slices) {
    auto cat = s.getInput().getDefiningOp<lpu::ConcatOp>();
    if (!cat)
      continue;
    int64_t axis = cat.getAxis();
    auto out = cast<RankedTensorType>(s.getType());
    if (!llvm::all_of(s.getSteps(), [](int64_t st) { return st == 1; }))
      continue;
    int64_t lo = s.getStarts()[axis], hi = lo + out.getDimSize(axis);
    int64_t at = 0;
    SmallVector<Value> parts;
    OpBuilder b(s);
    for (Value v : cat.getInputs()) {
      auto type = cast<RankedTensorType>(v.getType());
      int64_t n = type.getDimSize(axis);
      int64_t b0 = std::max(lo, at), b1 = std::min(hi, at + n);
      at += n;
      if (b0 >= b1)
        continue;
      // The part's box: the slice's range in every other dimension.
      SmallVector<int64_t> starts(s.getStarts()), shape(out.getShape());
      starts[axis] = b0 - (at - n);
      shape[axis] = b1 - b0;
      if (llvm::equal(shape, type.getShape())) {
        parts.push_back(v);
        continue;
      }
      SmallVector<int64_t> steps(type.getRank(), 1);
      parts.push_back(b.createOrFold<lpu::SliceOp>(
          s.getLoc(), type.clone(shape), v, b.getDenseI64ArrayAttr(starts),
          b.getDenseI64ArrayAttr(steps)));
    }
    if (parts.empty())
      continue;
    Value r = parts.size() == 1
                  ? parts.front()
                  : lpu::ConcatOp::create(b, s.getLoc(), out, parts,
                                          cat.getAxisAttr())
                        .getResult();
    s.getResult().replaceAllUsesWith(r);
    s.erase();
    if (cat->use_empty())
      cat.erase();
  }
}

/// Splits `op` along result dimension `d` into `parts` (rowSplitDim).
void rowSplit(Operation *op, int64_t d, int64_t parts) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  Value result = op->getResult(0);
  auto rtype = cast<RankedTensorType>(result.getType());
  int64_t n = rtype.getDimSize(d), rank = rtype.getRank();
  parts = std::min(parts, n);
  SmallVector<Value> outs;
  for (int64_t p = 0; p < parts; ++p) {
    int64_t i0 = p * n / parts, i1 = (p + 1) * n / parts;
    SmallVector<Value> operands;
    for (Value v : op->getOperands()) {
      auto t = cast<RankedTensorType>(v.getType());
      int64_t od;
      if (auto tr = dyn_cast<lpu::TransposeOp>(op))
        od = tr.getPermutation()[d];
      else if (llvm::isa<lpu::ReshapeOp>(op))
        od = d; // reshapeKeeps: the same leading dimensions
      else if (llvm::isa<lpu::MatmulOp>(op) && d == rank - 2 &&
               v == op->getOperand(1))
        od = -1; // the rows of a product are the rows of its left operand
      else       // numpy alignment at the trailing dimension
        od = d - (rank - t.getRank());
      // A dimension of size 1 (or none) broadcasts along d: unchanged.
      bool sliced = od >= 0 && t.getDimSize(od) == n;
      operands.push_back(sliced ? sliceDim(b, loc, v, od, i0, i1) : v);
    }
    Operation *c = b.clone(*op);
    c->setOperands(operands);
    // A fused op's body is retyped: every tensor with dimension d (aligned
    // at the trailing dimension) of size n gets the part's size; splat
    // constants are resized.
    auto resize = [&](Type ty) -> Type {
      auto t = dyn_cast<RankedTensorType>(ty);
      if (!t)
        return ty;
      int64_t od = d - (rank - t.getRank());
      if (od < 0 || t.getDimSize(od) != n)
        return ty;
      SmallVector<int64_t> shape(t.getShape());
      shape[od] = i1 - i0;
      return t.clone(shape);
    };
    if (auto f = dyn_cast<lpu::FusedOp>(c)) {
      Block &body = f.getBody().front();
      for (BlockArgument a : body.getArguments())
        a.setType(resize(a.getType()));
      for (Operation &inner : body) {
        for (OpResult r : inner.getResults())
          r.setType(resize(r.getType()));
        if (auto cst = dyn_cast<arith::ConstantOp>(inner))
          if (auto dense = dyn_cast<DenseElementsAttr>(cst.getValue());
              dense && dense.isSplat())
            cst.setValueAttr(
                dense.resizeSplat(cast<ShapedType>(cst.getType())));
      }
    }
    SmallVector<int64_t> shape(rtype.getShape());
    shape[d] = i1 - i0;
    c->getResult(0).setType(rtype.clone(shape));
    c->setAttr("lpu.split", b.getDenseI64ArrayAttr({p, parts}));
    outs.push_back(c->getResult(0));
  }
  Value joined =
      lpu::ConcatOp::create(b, loc, rtype, outs, b.getI64IntegerAttr(d));
  result.replaceAllUsesWith(joined);
  op->erase();
}

std::optional<Split> splittable(Operation *op, int64_t lanes) {
  if (auto mm = dyn_cast<lpu::MatmulOp>(op)) {
    auto rhs = cast<RankedTensorType>(mm.getRhs().getType());
    int64_t r = rhs.getRank();
    if (!isConstant(mm.getRhs()) ||
        llvm::any_of(rhs.getShape().drop_back(2),
                     [](int64_t d) { return d != 1; }))
      return std::nullopt;
    return Split{(rhs.getDimSize(r - 1) + lanes - 1) / lanes,
                 (rhs.getDimSize(r - 2) + lanes - 1) / lanes};
  }
  if (auto g = dyn_cast<lpu::GatherOp>(op)) {
    auto data = cast<RankedTensorType>(g.getData().getType());
    if (data.getRank() != 2 || g.getAxis() != 0 || !isConstant(g.getData()) ||
        !llvm::isa<FloatType>(data.getElementType()))
      return std::nullopt;
    // By table columns (gathers of column blocks) and by vocabulary rows
    // (the gather as a one-hot product whose matmul is split by weight rows;
    // see split()).
    return Split{(data.getDimSize(1) + lanes - 1) / lanes,
                 (data.getDimSize(0) + lanes - 1) / lanes};
  }
  return std::nullopt;
}

bool canSplit(Operation *op, int64_t lanes) {
  std::optional<Split> sp = splittable(op, lanes);
  return sp && sp->maxCols * sp->maxRows >= 2;
}

/// Splits `op` into `cols` x `rows` parts (see Split); each part carries
/// `lpu.split` = [part, of] for the report and the tests.
void split(Operation *op, int64_t cols, int64_t rows, int64_t lanes) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  Value result = op->getResult(0);
  auto rtype = cast<RankedTensorType>(result.getType());
  int64_t last = rtype.getRank() - 1;
  int64_t parts = 0, total = 0;
  SmallVector<Value> colParts;
  auto tag = [&](Operation *part) {
    part->setAttr("lpu.split", b.getDenseI64ArrayAttr({parts++, total}));
    if (Attribute s = op->getAttr(kInstructionScale))
      part->setAttr(kInstructionScale, s);
  };
  if (auto mm = dyn_cast<lpu::MatmulOp>(op)) {
    auto rhs = cast<RankedTensorType>(mm.getRhs().getType());
    int64_t r = rhs.getRank();
    auto cr = laneRanges(rhs.getDimSize(r - 1), lanes, cols);
    auto kr = laneRanges(rhs.getDimSize(r - 2), lanes, rows);
    total = int64_t(cr.size() * kr.size());
    auto ltype = cast<RankedTensorType>(mm.getLhs().getType());
    SmallVector<Value> lhsParts;
    for (auto [k0, k1] : kr)
      lhsParts.push_back(
          sliceDim(b, loc, mm.getLhs(), ltype.getRank() - 1, k0, k1));
    for (auto [c0, c1] : cr) {
      Value sum;
      for (auto [ki, kk] : llvm::enumerate(kr)) {
        Value w = sliceDim(b, loc, mm.getRhs(), r - 1, c0, c1);
        w = sliceDim(b, loc, w, r - 2, kk.first, kk.second);
        SmallVector<int64_t> shape(rtype.getShape());
        shape[last] = c1 - c0;
        auto part =
            lpu::MatmulOp::create(b, loc, rtype.clone(shape), lhsParts[ki], w);
        tag(part);
        sum = sum ? lpu::AddOp::create(b, loc, part.getType(), sum, part)
                        .getResult()
                  : part.getResult();
      }
      colParts.push_back(sum);
    }
  } else if (auto g = cast<lpu::GatherOp>(op); rows > 1) {
    // By table rows (vocabulary blocks): the gather as one-hot products.
    // Block [k0, k1) compares the ids with an iota k0 .. k1-1, casts the
    // bools to the table's type and multiplies by table rows [k0, k1) (and
    // by each column block); the partial products of the blocks are added.
    // Each block builds only its own one-hot, right before its products, so
    // a block's compare, cast and matmuls stay together on one chip.
    auto data = cast<RankedTensorType>(g.getData().getType());
    auto ids = cast<RankedTensorType>(g.getIndices().getType());
    int64_t V = data.getDimSize(0);
    auto kr = laneRanges(V, lanes, rows);
    auto cr = laneRanges(data.getDimSize(1), lanes, cols);
    total = int64_t(cr.size() * kr.size());
    // The ids in i32 (native; any valid id fits), negative ones made
    // positive (idx(v) = v < 0 ? v + V : v): a few vectors, once.
    Type i32 = b.getI32Type();
    Value id = g.getIndices();
    if (!ids.getElementType().isInteger(32))
      id = lpu::CastOp::create(b, loc, ids.clone(i32), id);
    auto idType = ids.clone(i32);
    auto splatI32 = [&](int64_t v) -> Value {
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(idType, b.getI32IntegerAttr(v)));
    };
    Value neg = lpu::CompareOp::create(
        b, loc, RankedTensorType::get(ids.getShape(), b.getI1Type()),
        lpu::ComparePredicateAttr::get(b.getContext(),
                                       lpu::ComparePredicate::lt),
        id, splatI32(0));
    Value wrapped = lpu::AddOp::create(b, loc, idType, id, splatI32(V));
    id = lpu::SelectOp::create(b, loc, idType, neg, wrapped, id);
    SmallVector<int64_t> s1(ids.getShape());
    s1.push_back(1);
    Value idsR = lpu::ReshapeOp::create(b, loc, idType.clone(s1), id);
    SmallVector<Value> sums(cr.size());
    for (auto [k0, k1] : kr) {
      SmallVector<int64_t> sK(ids.getShape());
      sK.push_back(k1 - k0);
      Value idsB = lpu::BroadcastOp::create(b, loc, idType.clone(sK), idsR);
      SmallVector<APInt> iota;
      for (int64_t i = k0; i < k1; ++i)
        iota.push_back(APInt(32, uint64_t(i)));
      Value iotaC = arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(RankedTensorType::get({k1 - k0}, i32), iota));
      // Not folded: a folded broadcast would be a constant of ids x rows.
      Value iotaB = lpu::BroadcastOp::create(b, loc, idType.clone(sK), iotaC);
      Value eq = lpu::CompareOp::create(
          b, loc, RankedTensorType::get(sK, b.getI1Type()),
          lpu::ComparePredicateAttr::get(b.getContext(),
                                         lpu::ComparePredicate::eq),
          idsB, iotaB);
      Value onehot = lpu::CastOp::create(
          b, loc, RankedTensorType::get(sK, data.getElementType()), eq);
      for (auto [ci, cc] : llvm::enumerate(cr)) {
        Value w = sliceDim(b, loc, g.getData(), 0, k0, k1);
        w = sliceDim(b, loc, w, 1, cc.first, cc.second);
        SmallVector<int64_t> wshape(sK.size() - 1, 1);
        wshape.push_back(cc.second - cc.first);
        wshape[wshape.size() - 2] = k1 - k0;
        w = b.createOrFold<lpu::ReshapeOp>(
            loc, cast<RankedTensorType>(w.getType()).clone(wshape), w);
        SmallVector<int64_t> shape(rtype.getShape());
        shape[last] = cc.second - cc.first;
        auto part =
            lpu::MatmulOp::create(b, loc, rtype.clone(shape), onehot, w);
        tag(part);
        sums[ci] = sums[ci] ? lpu::AddOp::create(b, loc, part.getType(),
                                                 sums[ci], part)
                                  .getResult()
                            : part.getResult();
      }
    }
    colParts.append(sums.begin(), sums.end());
  } else {
    auto data = cast<RankedTensorType>(g.getData().getType());
    auto cr = laneRanges(data.getDimSize(1), lanes, cols);
    total = int64_t(cr.size());
    for (auto [c0, c1] : cr) {
      Value t = sliceDim(b, loc, g.getData(), 1, c0, c1);
      SmallVector<int64_t> shape(rtype.getShape());
      shape[last] = c1 - c0;
      auto part = lpu::GatherOp::create(b, loc, rtype.clone(shape), t,
                                        g.getIndices(), g.getAxisAttr());
      tag(part);
      colParts.push_back(part.getResult());
    }
  }
  Value joined = colParts.size() == 1
                     ? colParts.front()
                     : lpu::ConcatOp::create(b, loc, rtype, colParts,
                                             b.getI64IntegerAttr(last))
                           .getResult();
  result.replaceAllUsesWith(joined);
  op->erase();
}

struct LpuPartitionPass : lpuc::impl::LpuPartitionPassBase<LpuPartitionPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = dyn_cast_or_null<func::FuncOp>(
        SymbolTable::lookupSymbolIn(module, "main"));
    if (!main || main.isExternal()) {
      module.emitError() << "lpu-partition: no func.func @main with a body";
      return signalPassFailure();
    }
    FailureOr<std::unique_ptr<isa::Machine>> machine =
        lpuhw::getMachine(module);
    if (failed(machine))
      return signalPassFailure();
    const schema::Target &target = (*machine)->target();
    uint32_t requested = 0; // 0: auto
    if (chips != "auto") {
      char *end = nullptr;
      unsigned long n = std::strtoul(chips.c_str(), &end, 10);
      if (chips.empty() || *end != '\0' || n == 0) {
        module.emitError() << "lpu-partition: chips must be `auto` or a "
                              "positive number, got '"
                           << chips << "'";
        return signalPassFailure();
      }
      requested = uint32_t(n);
      uint64_t most = isa::Topology::maxChips(target);
      if (n > most) {
        module.emitError() << "lpu-partition: " << n << " chips of "
                           << target.name() << ": its topology wires at most "
                           << most;
        return signalPassFailure();
      }
    }

    Builder b(module.getContext());
    if (requested == 1) { // nothing to decide: no trial lowering
      module->setAttr(
          "lpu.partition",
          b.getDictionaryAttr(
              {b.getNamedAttr("strategy", b.getStringAttr("pipeline")),
               b.getNamedAttr("chips", b.getI32IntegerAttr(1)),
               b.getNamedAttr("requested", b.getStringAttr("1"))}));
      return;
    }

    // Measure: lower a copy on a chip with unbounded SRAM.
    const int64_t lanes = target.lanes();
    uint64_t capacity = (*machine)->sramBytes();
    uint64_t budget = uint64_t(double(capacity) * fill);
    schema::Target big = target;
    big.set_rows_per_bank(1u << 30);
    isa::Machine bigMachine(big);
    SmallVector<Operation *> ops;
    partition::OpCosts model;
    model.xfer = 2.0 * target.instruction_bytes() / double(lanes);
    std::vector<uint64_t> &cost = model.cost, &live = model.live;
    std::vector<uint64_t> largest;
    uint64_t total = 0;
    // The largest tensor a chip can hold is one (slice group, bank); half of
    // that leaves room for the other tensors of the bank.
    const uint64_t tensorLimit = uint64_t(target.rows_per_bank()) *
                                 target.layout_stripe_slices() * lanes / 2;
    auto measure = [&]() -> LogicalResult {
      std::vector<layout::OpCost> costs;
      {
        OwningOpRef<ModuleOp> copy = module.clone();
        auto copyMain =
            cast<func::FuncOp>(SymbolTable::lookupSymbolIn(copy.get(), "main"));
        layout::Lowering lowering(copy.get(), copyMain, bigMachine);
        lowering.measure(&costs);
        lowering.streamTo(layout::dropInstructions, layout::kDropChunk);
        if (failed(lowering.run()))
          return failure();
      }
      ops.clear();
      model = partition::OpCosts{{}, {}, {}, {}, {}, {}, {}, model.xfer};
      largest.clear();
      total = 0;
      for (Operation &op : main.getBody().front().without_terminator())
        ops.push_back(&op);
      // The activations each op reads and defines (weights are declared on
      // every chip that reads them, never sent).
      llvm::DenseMap<Value, uint32_t> ids;
      model.reads.resize(ops.size());
      model.defines.resize(ops.size());
      auto idOf = [&](Value v, size_t at) {
        auto [it, inserted] = ids.try_emplace(v, uint32_t(model.bytes.size()));
        if (inserted) {
          model.bytes.push_back(valueBytes(v, lanes));
          model.producer.push_back(at);
          model.lastUse.push_back(at);
        }
        return it->second;
      };
      for (auto [i, op] : llvm::enumerate(ops)) {
        for (Value v : op->getOperands()) {
          Operation *d = v.getDefiningOp();
          if (d && d->hasTrait<OpTrait::ConstantLike>())
            continue;
          bool input = !d;
          uint32_t id = idOf(v, i);
          if (input && model.producer[id] == i &&
              !llvm::is_contained(model.defines[i], id))
            model.defines[i].push_back(id); // lives on its first reader's chip
          if (!llvm::is_contained(model.reads[i], id))
            model.reads[i].push_back(id);
          model.lastUse[id] = std::max(model.lastUse[id], size_t(i));
        }
        for (Value r : op->getResults())
          model.defines[i].push_back(idOf(r, i));
      }
      // Results of @main are read at the end (on their producer's chip).
      for (Value v : main.getBody().front().getTerminator()->getOperands())
        if (auto it = ids.find(v); it != ids.end())
          model.lastUse[it->second] =
              std::max(model.lastUse[it->second], model.producer[it->second]);
      if (costs.size() != ops.size())
        return main.emitError() << "lpu-partition: internal: measured "
                                << costs.size() << " ops of " << ops.size();
      if (const char *d = getenv("LPUC_DEBUG_PARTITION"); d && *d)
        for (size_t i = 0; i < costs.size(); ++i)
          llvm::errs() << i << " " << ops[i]->getName() << " "
                       << ops[i]->getLoc() << " instr " << costs[i].instructions
                       << " w " << costs[i].weightBytes << " live "
                       << costs[i].liveActivations << "\n";
      for (auto [i, c] : llvm::enumerate(costs)) {
        // lpuc's retry scales the ops of chips that overflowed (NOPs,
        // repeats and transfers the trial lowering does not see).
        // Only ops that can be split further: an op that cannot keeps its
        // measured cost (scaled, it could only fail to fit).
        double scale = 1.0;
        if (auto s = ops[i]->getAttrOfType<FloatAttr>(kInstructionScale);
            s && (rowSplitDim(ops[i]) >= 0 || canSplit(ops[i], lanes)))
          scale = std::max(1.0, s.getValueAsDouble());
        cost.push_back(
            uint64_t(double(c.weightBytes +
                            c.instructions * target.instruction_bytes()) *
                     scale));
        live.push_back(c.liveActivations);
        largest.push_back(c.largestTensor);
        total += cost.back();
      }
      return success();
    };
    // Tensor parallelism: an op too big for a chip is split (matmuls by
    // weight columns and rows, gathers by table columns); with N chips
    // asked, ops heavier than a 1/N share are split too, so that there are
    // pieces for N stages. Measured again after each round of splits.
    // Rounds and growth are bounded: splitting joins can cascade.
    size_t initialOps = 0;
    for (Operation &op : main.getBody().front().without_terminator()) {
      (void)op;
      ++initialOps;
    }
    constexpr int kRounds = 16;
    constexpr size_t kGrowth = 16;
    for (int round = 0;; ++round) {
      if (failed(measure()))
        return signalPassFailure();
      if (round >= kRounds || ops.size() > kGrowth * initialOps)
        break;
      // A model that fits one chip as it is stays whole.
      if (round == 0 && !requested &&
          partition::cutStages(model, budget).size() == 1 &&
          llvm::all_of(largest,
                       [&](uint64_t b) { return b <= 2 * tensorLimit; }))
        break;
      uint64_t share =
          requested ? std::max<uint64_t>(1, total / requested) : budget;
      size_t pieces = 0;
      for (uint64_t c : cost)
        pieces += c > 0;
      bool changed = false;
      llvm::DenseSet<Operation *> erased;
      for (size_t i = 0; i < ops.size(); ++i) {
        if (erased.contains(ops[i]))
          continue;
        // Room for the op's own cost: the budget less its activations and
        // what sending and receiving them costs on a chip of its own.
        uint64_t held = partition::stageLoad(model, i, i + 1) - cost[i];
        uint64_t room = budget > held ? budget - held : 1;
        // Splitting the joins of earlier splits to reach a chip count
        // would only add relayouts.
        bool join = llvm::isa<lpu::SliceOp, lpu::ConcatOp>(ops[i]);
        uint64_t limit = cost[i] > room ? room
                         : requested && pieces < requested && !join
                             ? std::min(room, share)
                             : room;
        if (cost[i] <= limit && largest[i] <= tensorLimit)
          continue;
        int64_t want = int64_t((cost[i] + limit - 1) / limit);
        if (largest[i] > tensorLimit) // a tensor too big for any chip
          want = std::max<int64_t>(
              want, int64_t((largest[i] + tensorLimit - 1) / tensorLimit));
        if (auto cat = dyn_cast<lpu::ConcatOp>(ops[i]);
            cat && splitReadersOfJoin(cat, erased)) {
          changed = true;
          continue;
        }
        std::optional<Split> sp = splittable(ops[i], lanes);
        if (!sp || sp->maxCols * sp->maxRows < 2) {
          int64_t d = rowSplitDim(ops[i]);
          if (d < 0)
            continue;
          if (const char *dbg = getenv("LPUC_DEBUG_PARTITION"); dbg && *dbg)
            llvm::errs() << "rowsplit " << ops[i]->getName() << " "
                         << ops[i]->getLoc() << " d" << d << " " << want
                         << "\n";
          rowSplit(ops[i], d, want);
          changed = true;
          continue;
        }
        int64_t cols = std::min(sp->maxCols, want);
        int64_t rows = std::min(sp->maxRows, (want + cols - 1) / cols);
        if (cols * rows < 2)
          continue;
        if (const char *dbg = getenv("LPUC_DEBUG_PARTITION"); dbg && *dbg)
          llvm::errs() << "split " << ops[i]->getName() << " "
                       << ops[i]->getLoc() << " " << cols << "x" << rows
                       << "\n";
        split(ops[i], cols, rows, lanes);
        pieces += size_t(cols * rows) - 1;
        changed = true;
      }
      if (!changed)
        break;
      foldSlicesOfConcats(main);
      // Constants the splits sliced (and sliced again) may be dead now.
      SmallVector<Operation *> dead;
      for (Operation &op : main.getBody().front().without_terminator())
        if (op.use_empty() && op.hasTrait<OpTrait::ConstantLike>())
          dead.push_back(&op);
      for (Operation *op : dead)
        op->erase();
    }
    std::vector<size_t> starts = partition::cutStages(model, budget);
    if (starts.empty()) {
      size_t worst = 0;
      for (size_t i = 0; i < ops.size(); ++i)
        if (partition::stageLoad(model, i, i + 1) >
            partition::stageLoad(model, worst, worst + 1))
          worst = i;
      if (const char *d = getenv("LPUC_DEBUG_PARTITION"); d && *d) {
        llvm::errs() << "worst " << worst << " cost " << cost[worst] << " live "
                     << live[worst] << " reads";
        for (uint32_t v : model.reads[worst])
          llvm::errs() << " " << v << ":" << model.bytes[v] << "@"
                       << model.producer[v] << "-" << model.lastUse[v];
        llvm::errs() << " defines";
        for (uint32_t v : model.defines[worst])
          llvm::errs() << " " << v << ":" << model.bytes[v] << "@"
                       << model.producer[v] << "-" << model.lastUse[v];
        llvm::errs() << "\n";
        ops[worst]->dump();
        for (Operation *u : ops[worst]->getUsers())
          u->dump();
      }
      ops[worst]->emitError()
          << "lpu-partition: this op alone needs about "
          << isa::humanBytes(partition::stageLoad(model, worst, worst + 1))
          << " of SRAM, more than " << isa::humanBytes(budget) << " ("
          << int(fill * 100) << "% of a " << target.name()
          << " chip), and it cannot be split further (tensor parallelism "
             "splits matmuls with constant weights and embedding tables by "
             "whole "
          << lanes
          << "-lane blocks, and transposes, softmax, norms and elementwise ops "
             "along an outer dimension)";
      return signalPassFailure();
    }
    if (requested) {
      if (starts.size() > requested) {
        std::vector<uint64_t> loads = partition::stageLoads(model, starts);
        uint64_t sum = 0;
        for (uint64_t l : loads)
          sum += l;
        module.emitError() << "lpu-partition: the model needs at least "
                           << starts.size() << " chips of " << target.name()
                           << " (about " << isa::humanBytes(sum)
                           << " of weights, instructions and activations at "
                           << int(fill * 100) << "% of "
                           << isa::humanBytes(capacity)
                           << " per chip); --chips " << requested << " is "
                           << starts.size() - requested << " short";
        return signalPassFailure();
      }
      starts = partition::balanceStages(model, budget, requested);
      if (starts.size() < requested) {
        module.emitError() << "lpu-partition: " << requested
                           << " chips asked but the model has only "
                           << starts.size() << " ops to spread";
        return signalPassFailure();
      }
    }
    // With chips=auto, cuts where fewer activation bytes cross (a link
    // moves a 320-B vector every 23 cycles on lpu-v1): e.g. between two
    // vocabulary blocks of a split embedding rather than between a block's
    // one-hot and its product. Stages balanced for chips=N stay as they are.
    if (!requested)
      partition::refineCuts(model, starts, budget);
    uint32_t n = uint32_t(starts.size());
    uint64_t most = isa::Topology::maxChips(target);
    if (n > most) {
      module.emitError() << "lpu-partition: the model needs " << n
                         << " chips of " << target.name()
                         << "; its topology wires at most " << most;
      return signalPassFailure();
    }

    std::vector<uint64_t> loads = partition::stageLoads(model, starts);
    if (n > 1)
      for (uint32_t s = 0; s < n; ++s) {
        size_t end = s + 1 < n ? starts[s + 1] : ops.size();
        for (size_t i = starts[s]; i < end; ++i)
          ops[i]->setAttr("lpu.chip", b.getI32IntegerAttr(int32_t(s)));
      }
    SmallVector<Attribute> est, first;
    for (uint32_t s = 0; s < n; ++s) {
      est.push_back(b.getI64IntegerAttr(int64_t(loads[s])));
      first.push_back(b.getI64IntegerAttr(int64_t(starts[s])));
    }
    module->setAttr(
        "lpu.partition",
        b.getDictionaryAttr(
            {b.getNamedAttr("strategy", b.getStringAttr("pipeline")),
             b.getNamedAttr("chips", b.getI32IntegerAttr(int32_t(n))),
             b.getNamedAttr(
                 "requested",
                 b.getStringAttr(requested ? std::string(chips) : "auto")),
             b.getNamedAttr("capacity", b.getI64IntegerAttr(int64_t(capacity))),
             b.getNamedAttr("budget", b.getI64IntegerAttr(int64_t(budget))),
             b.getNamedAttr("estimated_total",
                            b.getI64IntegerAttr(int64_t(total))),
             b.getNamedAttr("estimated", b.getArrayAttr(est)),
             b.getNamedAttr("first_op", b.getArrayAttr(first))}));
  }
};

} // namespace
