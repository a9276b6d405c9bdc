//===- Fused.cpp - lowering of lpu.fused ----------------------------------===//
//
// An lpu.fused body (made by lpu-fuse) is evaluated per output vector as one
// VXM chain in f32: the inputs are chain leaves (read from SRAM where they
// are used), every intermediate value stays on streams, and only the result
// is written. Row broadcasts of inputs read the input's row that the output
// row maps to (nothing is copied). Lane broadcasts `[..., 1] -> [..., N]`
// are evaluated first, once per row: the per-row ops before them in one
// chain, the value spread over every lane by one sxm_permute, written to an
// f32 [rows, lanes] scratch that the main chains read. See
// docs/passes/lpu-fuse.md.
//
//===----------------------------------------------------------------------===//
#include "passes/layout/Lowering.h"

#include "dialects/lpu/LpuOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <functional>

using namespace mlir;
namespace lpu = lpuc::lpu;

namespace lpuc::layout {

namespace {

std::optional<double> immOf(Value v) {
  auto c = v.getDefiningOp<arith::ConstantOp>();
  if (!c)
    return std::nullopt;
  auto d = dyn_cast<DenseFPElementsAttr>(c.getValue());
  if (!d || !d.isSplat())
    return std::nullopt;
  return d.getSplatValue<APFloat>().convertToDouble();
}

bool isLane(lpu::BroadcastOp b) {
  ArrayRef<int64_t> in = b.getInput().getType().getShape();
  ArrayRef<int64_t> out = b.getType().getShape();
  return in.size() == out.size() && !in.empty() && in.back() == 1 &&
         out.back() > 1;
}

/// Whether a splat constant used by `use` is an immediate of its user (one
/// operand of add/sub/mul/div, or pow's exponent).
bool isImmediateUse(OpOperand &use) {
  Operation *user = use.getOwner();
  if (llvm::isa<lpu::PowOp>(user))
    return use.getOperandNumber() == 1;
  if (!llvm::isa<lpu::AddOp, lpu::SubOp, lpu::MulOp, lpu::DivOp>(user))
    return false;
  return !immOf(user->getOperand(1 - use.getOperandNumber()));
}

} // namespace

bool Lowering::fusedMayBeNonFinite(lpu::FusedOp op) {
  bool divides = false;
  op.getBody().walk([&](Operation *o) {
    divides = divides ||
              llvm::isa<lpu::DivOp, lpu::RecipOp, lpu::RsqrtOp, lpu::PowOp>(o);
  });
  return divides || llvm::any_of(op.getInputs(), [&](Value in) {
           return paddingMayBeNonFinite(in);
         });
}

LogicalResult Lowering::lowerFused(lpu::FusedOp op) {
  Location loc = op.getLoc();
  Block &body = op.getBody().front();
  Type f32 = Float32Type::get(op.getContext());
  int64_t lanes = machine_.lanes();

  llvm::DenseMap<Value, const Tensor *> leafT;
  for (auto [arg, in] : llvm::zip(body.getArguments(), op.getInputs())) {
    FailureOr<Tensor *> t = tensorOf(in);
    if (failed(t))
      return failure();
    leafT[arg] = *t;
  }
  // Splat constants that are not immediates: one-row f32 constants.
  for (Operation &o : body)
    if (auto c = dyn_cast<arith::ConstantOp>(o)) {
      std::optional<double> v = immOf(c.getResult());
      if (!v)
        return c.emitError() << "lpu.fused: constant is not a splat float";
      if (llvm::all_of(c->getUses(),
                       [](OpOperand &u) { return isImmediateUse(u); }))
        continue;
      std::string key = "splat";
      for (char ch : std::to_string(*v)) // a symbol-friendly spelling
        key += ch == '-' ? 'm' : ch == '.' ? 'p' : ch;
      FailureOr<Tensor *> t = constant(loc, key, f32, {1, lanes}, *v);
      if (failed(t))
        return failure();
      leafT[c.getResult()] = *t;
    }
  FailureOr<Tensor *> out = defineResult(op, op.getResult());
  if (failed(out))
    return failure();
  const isa::TensorLayout &lo = (*out)->layout;
  ArrayRef<int64_t> fullShape = op.getType().getShape();
  int64_t rows = lo.rows();

  // Row broadcasts: output row -> input row.
  llvm::DenseMap<Value, std::function<int64_t(int64_t)>> rowMap;
  llvm::DenseMap<Value, const Tensor *> laneT;
  SmallVector<lpu::BroadcastOp> laneBroadcasts;
  for (Operation &o : body) {
    auto b = dyn_cast<lpu::BroadcastOp>(o);
    if (!b)
      continue;
    if (isLane(b)) {
      FailureOr<Tensor *> t = temp(loc, f32, {rows, lanes});
      if (failed(t))
        return failure();
      laneT[b.getResult()] = *t;
      laneBroadcasts.push_back(b);
      continue;
    }
    auto arg = dyn_cast<BlockArgument>(b.getInput());
    if (!arg)
      return b.emitError() << "lpu.fused: a broadcast that keeps the last "
                              "dimension must read an input";
    SmallVector<int64_t> in(b.getInput().getType().getShape());
    SmallVector<int64_t> outLead(fullShape.drop_back());
    SmallVector<int64_t> inLead(ArrayRef<int64_t>(in).drop_back());
    SmallVector<int64_t> inStrides = stridesOf(inLead);
    int64_t offset = int64_t(outLead.size()) - int64_t(inLead.size());
    rowMap[b.getResult()] = [outLead, inLead, inStrides, offset](int64_t r) {
      int64_t src = 0;
      for (int64_t d = int64_t(outLead.size()) - 1; d >= 0; --d) {
        int64_t idx = r % outLead[d];
        r /= outLead[d];
        int64_t j = d - offset;
        if (j >= 0 && inLead[j] != 1)
          src += idx * inStrides[j];
      }
      return src;
    };
    leafT[b.getResult()] = leafT.lookup(arg);
  }

  // Evaluates `v` in chain `c` at (row, vec); per-row values at vector 0.
  struct Eval {
    Lowering &L;
    Chain &c;
    int64_t row, vec;
    const llvm::DenseMap<Value, const Tensor *> &leafT, &laneT;
    const llvm::DenseMap<Value, std::function<int64_t(int64_t)>> &rowMap;
    llvm::DenseMap<Value, Val> memo;

    Val binary(StringRef fn, Value lhs, Value rhs) {
      std::optional<double> ca = immOf(lhs), cb = immOf(rhs);
      if (cb) {
        Val a = get(lhs);
        if (fn == "add")
          return c.op("add_imm", a, *cb);
        if (fn == "sub")
          return c.op("add_imm", a, -*cb);
        if (fn == "mul")
          return c.op("mul_imm", a, *cb);
        return c.op("mul_imm", a, 1.0 / *cb); // div
      }
      if (ca) {
        Val b = get(rhs);
        if (fn == "add")
          return c.op("add_imm", b, *ca);
        if (fn == "sub")
          return c.op("add_imm", c.op("neg", b), *ca);
        if (fn == "mul")
          return c.op("mul_imm", b, *ca);
        Val r = c.recip(b); // div
        return *ca == 1.0 ? r : c.op("mul_imm", r, *ca);
      }
      Val a = get(lhs), b = get(rhs);
      if (fn == "div")
        return c.op("mul", a, c.recip(b));
      return c.op(fn, a, b);
    }

    Val compute(Value v) {
      if (const Tensor *t = leafT.lookup(v)) {
        if (auto it = rowMap.find(v); it != rowMap.end())
          return c.leaf(*t, it->second(row), vec);
        if (v.getDefiningOp<arith::ConstantOp>())
          return c.leaf(*t, 0, 0);
        return c.leaf(*t, row, vec);
      }
      if (const Tensor *t = laneT.lookup(v))
        return c.leaf(*t, row, 0);
      Operation *o = v.getDefiningOp();
      if (auto x = dyn_cast<lpu::AddOp>(o))
        return binary("add", x.getLhs(), x.getRhs());
      if (auto x = dyn_cast<lpu::SubOp>(o))
        return binary("sub", x.getLhs(), x.getRhs());
      if (auto x = dyn_cast<lpu::MulOp>(o))
        return binary("mul", x.getLhs(), x.getRhs());
      if (auto x = dyn_cast<lpu::DivOp>(o))
        return binary("div", x.getLhs(), x.getRhs());
      if (auto x = dyn_cast<lpu::PowOp>(o)) {
        double e = *immOf(x.getRhs());
        Val a = get(x.getLhs());
        if (e == 0.5)
          return c.sqrt(a);
        if (e == -0.5)
          return c.op("rsqrt", a);
        if (e == 1.0)
          return c.op("copy", a);
        if (e == -1.0)
          return c.recip(a);
        Val sq = c.op("mul", a, a);
        if (e == 2.0)
          return sq;
        if (e == -2.0)
          return c.recip(sq);
        return c.op("mul", sq, a); // 3
      }
      if (auto x = dyn_cast<lpu::NegOp>(o))
        return c.op("neg", get(x.getInput()));
      if (auto x = dyn_cast<lpu::ExpOp>(o))
        return c.op("exp", get(x.getInput()));
      if (auto x = dyn_cast<lpu::TanhOp>(o))
        return c.op("tanh", get(x.getInput()));
      if (auto x = dyn_cast<lpu::RsqrtOp>(o))
        return c.op("rsqrt", get(x.getInput()));
      if (auto x = dyn_cast<lpu::ErfOp>(o))
        return c.erf(get(x.getInput()));
      if (auto x = dyn_cast<lpu::SigmoidOp>(o))
        return c.sigmoid(get(x.getInput()));
      if (auto x = dyn_cast<lpu::SqrtOp>(o))
        return c.sqrt(get(x.getInput()));
      if (auto x = dyn_cast<lpu::RecipOp>(o))
        return c.recip(get(x.getInput()));
      if (auto x = dyn_cast<lpu::ReluOp>(o))
        return c.op("max_imm", get(x.getInput()), 0.0);
      if (auto x = dyn_cast<lpu::NotOp>(o))
        return c.op("rsub_imm", get(x.getInput()), 1.0);
      if (auto x = dyn_cast<lpu::CompareOp>(o))
        return c.op(x.getPredicate() == lpu::ComparePredicate::eq ? "eq" : "lt",
                    get(x.getLhs()), get(x.getRhs()));
      auto x = cast<lpu::SelectOp>(o);
      return c.op("select", get(x.getCondition()), get(x.getOnTrue()),
                  get(x.getOnFalse()));
    }
    Val get(Value v) {
      auto it = memo.find(v);
      if (it != memo.end())
        return it->second;
      Val r = compute(v);
      memo[v] = r;
      return r;
    }
  };

  // Validate the body once (the evaluator assumes these forms).
  for (Operation &o : body.without_terminator())
    if (!llvm::isa<arith::ConstantOp, lpu::BroadcastOp, lpu::AddOp, lpu::SubOp,
                   lpu::MulOp, lpu::DivOp, lpu::PowOp, lpu::NegOp, lpu::ExpOp,
                   lpu::TanhOp, lpu::RsqrtOp, lpu::ErfOp, lpu::SigmoidOp,
                   lpu::SqrtOp, lpu::RecipOp, lpu::ReluOp, lpu::NotOp,
                   lpu::CompareOp, lpu::SelectOp>(o) ||
        (llvm::isa<lpu::PowOp>(o) && !immOf(o.getOperand(1))))
      return o.emitError() << "cannot be lowered inside lpu.fused";

  // 1. Per-row values under lane broadcasts, spread over every lane.
  SmallVector<int32_t> spread(size_t(lanes), 0);
  for (lpu::BroadcastOp b : laneBroadcasts) {
    const Tensor *dst = laneT.lookup(b.getResult());
    for (int64_t r = 0; r < rows; ++r) {
      Chain c(*this, loc, f32);
      Eval e{*this, c,     r,      0,
             leafT, laneT, rowMap, llvm::DenseMap<Value, Val>()};
      Planes p = c.result(e.get(b.getInput()), f32);
      writeVector(body_, loc, dst->layout, r, 0, permute(loc, f32, p, spread));
    }
  }
  // 2. The result, one chain per vector.
  Value y = cast<lpu::YieldOp>(body.getTerminator()).getValue();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0, vecs = lo.vectors(); v < vecs; ++v) {
      Chain c(*this, loc, f32);
      Eval e{*this, c,     r,      v,
             leafT, laneT, rowMap, llvm::DenseMap<Value, Val>()};
      writeVector(body_, loc, lo, r, v, c.result(e.get(y), (*out)->elemType));
    }
  return success();
}

} // namespace lpuc::layout
