//===- MathOps.cpp - lowering of lpu math, reduction and data ops ---------===//
//
// Dispatch for the lpu ops beyond matmul/add/sub/mul/relu/cast and the
// relayouts: unary math, div, pow, reductions, softmax, layer_norm, slice,
// concat, trilu and gather with constant indices. The machinery is in
// Elementwise.cpp (VXM chains) and Reductions.cpp (row reductions).
//
//===----------------------------------------------------------------------===//
#include "passes/layout/Lowering.h"

#include "dialects/lpu/LpuOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cmath>
#include <functional>
#include <memory>

using namespace mlir;
namespace lpu = lpuc::lpu;

namespace lpuc::layout {

namespace {

/// Multi-index of row-major linear index `lin`.
SmallVector<int64_t> unflatten(int64_t lin, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> idx(shape.size());
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    idx[d] = shape[d] ? lin % shape[d] : 0;
    lin = shape[d] ? lin / shape[d] : 0;
  }
  return idx;
}

int64_t flatten(ArrayRef<int64_t> idx, ArrayRef<int64_t> shape) {
  int64_t lin = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    lin = lin * shape[d] + idx[d];
  return lin;
}

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// The integer values of a constant (dense, not a resource), if any.
std::optional<SmallVector<int64_t>> constantInts(Value v) {
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  if (!cst)
    return std::nullopt;
  auto dense = dyn_cast<DenseIntElementsAttr>(cst.getValue());
  if (!dense)
    return std::nullopt;
  SmallVector<int64_t> out;
  for (const APInt &a : dense.getValues<APInt>())
    out.push_back(a.getSExtValue());
  return out;
}

/// The float values of a constant (dense or dense_resource), if any.
std::optional<SmallVector<double>> constantFloats(Value v) {
  // A float cast of a constant (lpu-precision): its values, rounded.
  if (auto c = v.getDefiningOp<lpu::CastOp>()) {
    auto to = dyn_cast<FloatType>(c.getType().getElementType());
    std::optional<SmallVector<double>> in = constantFloats(c.getInput());
    if (!to || !in)
      return std::nullopt;
    for (double &d : *in) {
      APFloat f(d);
      bool lost = false;
      f.convert(to.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      d = f.convertToDouble();
    }
    return in;
  }
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  if (!cst)
    return std::nullopt;
  SmallVector<double> out;
  if (auto dense = dyn_cast<DenseFPElementsAttr>(cst.getValue())) {
    for (const APFloat &a : dense.getValues<APFloat>())
      out.push_back(a.convertToDouble());
    return out;
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(cst.getValue())) {
    // Raw little-endian elements of any float type (f32, f16, bf16).
    auto ft = dyn_cast<FloatType>(res.getType().getElementType());
    const AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!ft || !blob)
      return std::nullopt;
    ArrayRef<char> data = blob->getData();
    unsigned bytes = ft.getWidth() / 8;
    int64_t n = res.getType().getNumElements();
    if (!bytes || data.size() != size_t(n) * bytes)
      return std::nullopt;
    for (int64_t i = 0; i < n; ++i) {
      uint64_t bits = 0;
      for (unsigned b = 0; b < bytes; ++b)
        bits |= uint64_t(uint8_t(data[size_t(i) * bytes + b])) << (8 * b);
      out.push_back(APFloat(ft.getFloatSemantics(), APInt(ft.getWidth(), bits))
                        .convertToDouble());
    }
    return out;
  }
  return std::nullopt;
}

} // namespace

std::optional<std::function<bool(int64_t)>>
Lowering::constantCondition(Value v) {
  Operation *def = v.getDefiningOp();
  if (auto cst = dyn_cast_or_null<arith::ConstantOp>(def)) {
    auto dense = dyn_cast<DenseIntElementsAttr>(cst.getValue());
    if (!dense)
      return std::nullopt;
    if (dense.isSplat()) {
      bool b = !dense.getSplatValue<APInt>().isZero();
      return std::function<bool(int64_t)>([b](int64_t) { return b; });
    }
    auto bits = std::make_shared<std::vector<bool>>();
    for (const APInt &a : dense.getValues<APInt>())
      bits->push_back(!a.isZero());
    return std::function<bool(int64_t)>(
        [bits](int64_t lin) { return (*bits)[size_t(lin)]; });
  }
  if (auto r = dyn_cast_or_null<lpu::ReshapeOp>(def))
    return constantCondition(r.getInput());
  if (auto b = dyn_cast_or_null<lpu::BroadcastOp>(def)) {
    std::optional<std::function<bool(int64_t)>> in =
        constantCondition(b.getInput());
    if (!in)
      return std::nullopt;
    SmallVector<int64_t> inShape(shapeOf(b.getInput())),
        outShape(shapeOf(b.getResult()));
    return std::function<bool(int64_t)>(
        [in = *in, inShape, outShape](int64_t lin) {
          SmallVector<int64_t> idx = unflatten(lin, outShape);
          int64_t offset = int64_t(outShape.size()) - int64_t(inShape.size());
          SmallVector<int64_t> src;
          for (int64_t j = 0; j < int64_t(inShape.size()); ++j)
            src.push_back(inShape[j] == 1 ? 0 : idx[j + offset]);
          return in(flatten(src, inShape));
        });
  }
  return std::nullopt;
}

bool Lowering::isConditionOnly(Operation *op) {
  if (!llvm::isa<lpu::BroadcastOp, lpu::ReshapeOp>(op) ||
      op->getNumResults() != 1)
    return false;
  for (OpOperand &use : op->getResult(0).getUses()) {
    auto sel = dyn_cast<lpu::SelectOp>(use.getOwner());
    if (!sel || use.getOperandNumber() != 0)
      return false;
  }
  return constantCondition(op->getResult(0)).has_value();
}

bool Lowering::isIndexInput(Value v) {
  // An integer graph input, or a last-dimension-keeping reshape of one.
  Value root = v;
  while (auto r = root.getDefiningOp<lpu::ReshapeOp>()) {
    if (!isAliasReshape(r))
      return false;
    root = r.getInput();
  }
  auto arg = dyn_cast<BlockArgument>(root);
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!arg || !type || !llvm::isa<IntegerType>(type.getElementType()) ||
      type.getElementType().getIntOrFloatBitWidth() < 8 || v.use_empty())
    return false;
  for (OpOperand &use : v.getUses()) {
    Operation *user = use.getOwner();
    if (llvm::isa<lpu::GatherOp>(user) && use.getOperandNumber() == 1)
      continue;
    if (auto c = dyn_cast<lpu::CastOp>(user))
      if (llvm::isa<FloatType>(c.getType().getElementType()))
        continue;
    if (auto r = dyn_cast<lpu::ReshapeOp>(user))
      if (isIndexInput(r.getResult()))
        continue;
    return false;
  }
  return true;
}

bool Lowering::isMathOp(Operation *op) {
  return llvm::isa<lpu::NegOp, lpu::ExpOp, lpu::ErfOp, lpu::TanhOp,
                   lpu::SigmoidOp, lpu::SqrtOp, lpu::RsqrtOp, lpu::RecipOp,
                   lpu::DivOp, lpu::PowOp, lpu::ReduceOp, lpu::SoftmaxOp,
                   lpu::LogSoftmaxOp, lpu::LayerNormOp, lpu::SliceOp,
                   lpu::ConcatOp, lpu::TriluOp, lpu::GatherOp, lpu::SelectOp,
                   lpu::CosOp, lpu::SinOp>(op);
}

LogicalResult Lowering::validateMathOp(Operation *op) {
  if (llvm::isa<lpu::SelectOp>(op))
    return success(); // a runtime condition is a VXM select

  if (auto g = dyn_cast<lpu::GatherOp>(op)) {
    if (constantInts(g.getIndices()))
      return success();
    if (!isIndexInput(g.getIndices()))
      return op->emitError()
             << "gather with runtime indices is supported for indices that "
                "are a graph input (held as f32 on the chip) only";
    return success();
  }
  return success();
}

LogicalResult Lowering::lowerMathOp(Operation *op) {
  Value res = op->getResult(0);
  auto single = [&](Value in, StringRef fn) {
    return lowerUnary(op, in, fn, 0.0);
  };
  if (auto o = dyn_cast<lpu::NegOp>(op))
    return single(o.getInput(), "neg");
  if (auto o = dyn_cast<lpu::ExpOp>(op))
    return single(o.getInput(), "exp");
  if (auto o = dyn_cast<lpu::TanhOp>(op))
    return single(o.getInput(), "tanh");
  if (auto o = dyn_cast<lpu::RsqrtOp>(op))
    return single(o.getInput(), "rsqrt");
  if (auto o = dyn_cast<lpu::ErfOp>(op))
    return lowerMap(op, o.getInput(), res,
                    [](Chain &c, ArrayRef<Val> x) { return c.erf(x[0]); });
  if (auto o = dyn_cast<lpu::SigmoidOp>(op))
    return lowerMap(op, o.getInput(), res,
                    [](Chain &c, ArrayRef<Val> x) { return c.sigmoid(x[0]); });
  if (auto o = dyn_cast<lpu::SqrtOp>(op))
    return lowerMap(op, o.getInput(), res,
                    [](Chain &c, ArrayRef<Val> x) { return c.sqrt(x[0]); });
  if (auto o = dyn_cast<lpu::RecipOp>(op))
    return lowerMap(op, o.getInput(), res,
                    [](Chain &c, ArrayRef<Val> x) { return c.recip(x[0]); });
  if (auto o = dyn_cast<lpu::DivOp>(op)) {
    if (std::optional<double> c = splatValue(o.getRhs()))
      return lowerUnary(op, o.getLhs(), "mul_imm", 1.0 / *c);
    return lowerMap(op, {o.getLhs(), o.getRhs()}, res,
                    [](Chain &c, ArrayRef<Val> x) {
                      return c.op("mul", x[0], c.recip(x[1]));
                    });
  }
  if (auto o = dyn_cast<lpu::PowOp>(op)) {
    std::optional<double> special = splatValue(o.getRhs());
    if (!special || (*special != 0.5 && *special != 1.0 && *special != 2.0 &&
                     *special != 3.0 && *special != -1.0 && *special != -0.5 &&
                     *special != -2.0)) {
      // x^y = exp(y ln|x|); 1 for y = 0; for x < 0 the sign of an odd
      // integer y, NaN for a non-integer y (as numpy). Integer checks by
      // rounding through 1.5 * 2^23 (|y| < 2^22).
      // Three chains through f32 scratch (one chain would need more VXM
      // ALUs in some cycles than the target has).
      Location loc = op->getLoc();
      FailureOr<LogConstants> k = logConstants(loc);
      FailureOr<Tensor *> x = tensorOf(o.getLhs());
      FailureOr<Tensor *> y = tensorOf(o.getRhs());
      if (failed(k) || failed(x) || failed(y))
        return failure();
      Type f32 = Float32Type::get(op->getContext());
      ArrayRef<int64_t> shape = shapeOf(res);
      FailureOr<Tensor *> lnT = temp(loc, f32, shape);
      FailureOr<Tensor *> powT = temp(loc, f32, shape);
      FailureOr<Tensor *> out = defineResult(op, res);
      if (failed(lnT) || failed(powT) || failed(out))
        return failure();
      auto cst = [&](Chain &c, const Tensor *t) { return c.leaf(*t, 0, 0); };
      auto map = [&](const Tensor &dst,
                     llvm::function_ref<Val(Chain &, int64_t, int64_t)> f) {
        const isa::TensorLayout &l = dst.layout;
        for (int64_t r = 0, rows = l.rows(); r < rows; ++r)
          for (int64_t v = 0, vecs = l.vectors(); v < vecs; ++v) {
            Chain c(*this, loc, f32);
            writeVector(body_, loc, l, r, v,
                        c.result(f(c, r, v), dst.elemType));
          }
      };
      // 1. ln |x|.
      map(**lnT, [&](Chain &c, int64_t r, int64_t v) {
        Val xv = c.leaf(**x, r, v);
        return c.log(c.op("max", xv, c.op("neg", xv)), *k);
      });
      // 2. exp(y ln|x|), 1 for y = 0.
      map(**powT, [&](Chain &c, int64_t r, int64_t v) {
        Val yv = c.leaf(**y, r, v);
        Val p = c.op("exp", c.op("mul", yv, c.leaf(**lnT, r, v)));
        return c.op("select", c.op("eq", yv, cst(c, k->zero)), cst(c, k->one),
                    p);
      });
      // 3. For x < 0: the sign of an odd integer y, NaN for a non-integer y
      // (as numpy); integer checks by rounding through 1.5 * 2^23
      // (|y| < 2^22).
      map(**out, [&](Chain &c, int64_t r, int64_t v) {
        Val yv = c.leaf(**y, r, v);
        auto round = [&](const Val &u) {
          return c.op("add_imm", c.op("add_imm", u, 12582912.0), -12582912.0);
        };
        Val half = c.op("mul_imm", yv, 0.5);
        Val d = c.op("sub", half, round(half));
        Val odd = c.op("mul_imm", c.op("max", d, c.op("neg", d)), 2.0);
        Val sign = c.op("add_imm", c.op("mul_imm", odd, -2.0), 1.0);
        Val p = c.leaf(**powT, r, v);
        Val negative = c.op("select", c.op("ne", yv, round(yv)), cst(c, k->nan),
                            c.op("mul", p, sign));
        return c.op("select", c.op("lt", c.leaf(**x, r, v), cst(c, k->zero)),
                    negative, p);
      });
      return success();
    }
    double e = *special;
    return lowerMap(op, o.getLhs(), res, [e](Chain &c, ArrayRef<Val> x) {
      Val v = x[0];
      if (e == 0.5)
        return c.sqrt(v);
      if (e == -0.5)
        return c.op("rsqrt", v);
      if (e == 1.0)
        return c.op("copy", v);
      if (e == -1.0)
        return c.recip(v);
      Val sq = c.op("mul", v, v);
      if (e == 2.0)
        return sq;
      if (e == -2.0)
        return c.recip(sq);
      return c.op("mul", sq, v); // 3
    });
  }
  if (llvm::isa<lpu::CosOp, lpu::SinOp>(op) &&
      !constantFloats(op->getOperand(0))) {
    // Runtime operand: k = nearest integer to x * 2/pi (rounding through
    // 1.5 * 2^23, |x| < 2^22 pi/2), r = x - k pi/2 with pi/2 split in three
    // parts (k C1 and k C2 exact for |k| < 2^12), q = k mod 4 (floor(k/4) =
    // round(k/4 - 3/8)); then Taylor polynomials of sin and cos on
    // [-pi/4, pi/4] (to r^9 and r^8) and the quadrant's choice. Two chains
    // through f32 scratch (r and q, then the result).
    bool isCos = llvm::isa<lpu::CosOp>(op);
    Location loc = op->getLoc();
    FailureOr<Tensor *> x = tensorOf(op->getOperand(0));
    if (failed(x))
      return failure();
    Type f32 = Float32Type::get(op->getContext());
    ArrayRef<int64_t> shape = shapeOf(res);
    int64_t lanes = machine_.lanes();
    FailureOr<Tensor *> rT = temp(loc, f32, shape);
    FailureOr<Tensor *> qT = temp(loc, f32, shape);
    FailureOr<Tensor *> out = defineResult(op, res);
    FailureOr<Tensor *> one = constant(loc, "one", f32, {1, lanes}, 1.0);
    FailureOr<Tensor *> two = constant(loc, "pow2_1", f32, {1, lanes}, 2.0);
    FailureOr<Tensor *> three = constant(loc, "three", f32, {1, lanes}, 3.0);
    if (failed(rT) || failed(qT) || failed(out) || failed(one) || failed(two) ||
        failed(three))
      return failure();
    const double c1 = 1.5703125, c2 = 4.837512969970703125e-4,
                 c3 = M_PI_2 - 1.5703125 - 4.837512969970703125e-4;
    auto round = [](Chain &c, const Val &v) {
      return c.op("add_imm", c.op("add_imm", v, 12582912.0), -12582912.0);
    };
    for (int64_t r = 0, rows = (*out)->layout.rows(); r < rows; ++r)
      for (int64_t v = 0, vecs = (*out)->layout.vectors(); v < vecs; ++v) {
        Chain c(*this, loc, f32);
        Val xv = c.leaf(**x, r, v);
        Val k = round(c, c.op("mul_imm", xv, M_2_PI));
        Val red = c.op("sub", xv, c.op("mul_imm", k, c1));
        red = c.op("sub", red, c.op("mul_imm", k, c2));
        red = c.op("sub", red, c.op("mul_imm", k, c3));
        writeVector(body_, loc, (*rT)->layout, r, v, c.result(red, f32));
        Chain d(*this, loc, f32);
        Val kk = round(d, d.op("mul_imm", d.leaf(**x, r, v), M_2_PI));
        Val fl = round(d, d.op("add_imm", d.op("mul_imm", kk, 0.25), -0.375));
        Val q = d.op("sub", kk, d.op("mul_imm", fl, 4.0));
        writeVector(body_, loc, (*qT)->layout, r, v, d.result(q, f32));
      }
    for (int64_t r = 0, rows = (*out)->layout.rows(); r < rows; ++r)
      for (int64_t v = 0, vecs = (*out)->layout.vectors(); v < vecs; ++v) {
        Chain c(*this, loc, f32);
        Val red = c.leaf(**rT, r, v);
        Val r2 = c.op("mul", red, red);
        Val ps =
            c.op("add_imm", c.op("mul_imm", r2, 1.0 / 362880), -1.0 / 5040);
        ps = c.op("add_imm", c.op("mul", ps, r2), 1.0 / 120);
        ps = c.op("add_imm", c.op("mul", ps, r2), -1.0 / 6);
        Val sinr = c.op("add", red, c.op("mul", c.op("mul", ps, r2), red));
        Val pc = c.op("add_imm", c.op("mul_imm", r2, 1.0 / 40320), -1.0 / 720);
        pc = c.op("add_imm", c.op("mul", pc, r2), 1.0 / 24);
        pc = c.op("add_imm", c.op("mul", pc, r2), -0.5);
        Val cosr = c.op("add_imm", c.op("mul", pc, r2), 1.0);
        // Quadrant q: sin x = sin r, cos r, -sin r, -cos r for q = 0..3;
        // cos x = cos r, -sin r, -cos r, sin r.
        Val q = c.leaf(**qT, r, v);
        auto at = [&](const Tensor *t) { return c.leaf(*t, 0, 0); };
        Val a = isCos ? cosr : sinr, b = isCos ? c.op("neg", sinr) : cosr;
        Val y = c.op("select", c.op("eq", q, at(*one)), b, a);
        y = c.op("select", c.op("eq", q, at(*two)), c.op("neg", a), y);
        y = c.op("select", c.op("eq", q, at(*three)), c.op("neg", b), y);
        writeVector(body_, loc, (*out)->layout, r, v,
                    c.result(y, (*out)->elemType));
      }
    return success();
  }
  if (llvm::isa<lpu::CosOp, lpu::SinOp>(op)) {
    // Constant operand: evaluated here, the result is a weight.
    SmallVector<double> in = *constantFloats(op->getOperand(0));
    bool isCos = llvm::isa<lpu::CosOp>(op);
    auto type = cast<RankedTensorType>(res.getType());
    const llvm::fltSemantics &sem =
        cast<FloatType>(type.getElementType()).getFloatSemantics();
    SmallVector<APFloat> values;
    for (double x : in) {
      APFloat v(isCos ? std::cos(x) : std::sin(x));
      bool lost = false;
      v.convert(sem, APFloat::rmNearestTiesToEven, &lost);
      values.push_back(v);
    }
    auto attr = cast<ElementsAttr>(DenseElementsAttr::get(type, values));
    // A weight; if it is also a result, the driver copies it to an output.
    directOutputs_.erase(res);
    return success(succeeded(declare(res, op->getLoc(), "weight", StringAttr(),
                                     "w" + std::to_string(weights_++), attr)));
  }
  if (auto o = dyn_cast<lpu::SelectOp>(op)) {
    // Constant condition: a relayout from two sources. A splat on_false or
    // on_true is read from one constant vector (lane i holds the value).
    std::function<bool(int64_t)> cond = *constantCondition(o.getCondition());
    int64_t lanes = machine_.lanes();
    auto type = cast<RankedTensorType>(res.getType());
    int64_t cols = type.getRank() ? type.getShape().back() : 1;
    SmallVector<const Tensor *> from;
    SmallVector<bool> splat;
    for (Value in : {o.getOnTrue(), o.getOnFalse()}) {
      FailureOr<Tensor *> t;
      if (std::optional<double> c = splatValue(in)) {
        std::string key = "splat";
        for (char ch : std::to_string(*c)) // a symbol-friendly spelling
          key += ch == '-' ? 'm' : ch == '.' ? 'p' : ch;
        t = constant(op->getLoc(), key, type.getElementType(), {1, lanes}, *c);
      } else {
        t = tensorOf(in);
      }
      if (failed(t))
        return failure();
      from.push_back(*t);
      splat.push_back(splatValue(in).has_value());
    }
    FailureOr<Tensor *> d = defineResult(op, res);
    if (failed(d))
      return failure();
    relayout(op->getLoc(), from, **d, [&](int64_t lin) {
      unsigned k = cond(lin) ? 0 : 1;
      return std::make_pair(k, splat[k] ? (lin % cols) % lanes : lin);
    });
    return success();
  }
  if (auto o = dyn_cast<lpu::ReduceOp>(op)) {
    Reduce kind =
        o.getKind() == lpu::ReduceKind::max ? Reduce::Max : Reduce::Sum;
    return lowerReduce(op, o.getInput(), res, o.getAxes(), kind,
                       o.getKind() == lpu::ReduceKind::mean);
  }
  if (auto o = dyn_cast<lpu::SoftmaxOp>(op))
    return lowerSoftmax(op, o.getInput(), res, o.getAxis(), /*log=*/false);
  if (auto o = dyn_cast<lpu::LogSoftmaxOp>(op))
    return lowerSoftmax(op, o.getInput(), res, o.getAxis(), /*log=*/true);
  if (auto o = dyn_cast<lpu::LayerNormOp>(op))
    return lowerLayerNorm(op, o.getInput(), o.getScale(), o.getBias(), res,
                          o.getAxis(), o.getEpsilon().convertToDouble(),
                          /*rms=*/false);
  if (auto o = dyn_cast<lpu::SliceOp>(op)) {
    ArrayRef<int64_t> in = shapeOf(o.getInput()), out = shapeOf(res);
    SmallVector<int64_t> starts(o.getStarts()), steps(o.getSteps());
    return lowerRelayout(op, o.getInput(), res, [&](int64_t lin) {
      SmallVector<int64_t> idx = unflatten(lin, out);
      for (size_t d = 0; d < idx.size(); ++d)
        idx[d] = starts[d] + idx[d] * steps[d];
      return flatten(idx, in);
    });
  }
  if (auto o = dyn_cast<lpu::TriluOp>(op)) {
    ArrayRef<int64_t> shape = shapeOf(res);
    int64_t rank = int64_t(shape.size());
    bool upper = o.getUpper();
    int64_t k = o.getK();
    FailureOr<Tensor *> s = tensorOf(o.getInput());
    if (failed(s))
      return failure();
    FailureOr<Tensor *> d = defineResult(op, res);
    if (failed(d))
      return failure();
    const Tensor *from[] = {*s};
    relayout(op->getLoc(), from, **d, [&](int64_t lin) {
      int64_t c = lin % shape[rank - 1];
      int64_t r = (lin / shape[rank - 1]) % shape[rank - 2];
      bool keep = upper ? c - r >= k : c - r <= k;
      return std::make_pair(0u, keep ? lin : int64_t(-1));
    });
    return success();
  }
  if (auto o = dyn_cast<lpu::ConcatOp>(op)) {
    SmallVector<const Tensor *> from;
    SmallVector<int64_t> offsets;
    int64_t axis = o.getAxis(), off = 0;
    for (Value in : o.getInputs()) {
      FailureOr<Tensor *> t = relayoutSource(in);
      if (failed(t))
        return failure();
      from.push_back(*t);
      offsets.push_back(off);
      off += shapeOf(in)[axis];
    }
    FailureOr<Tensor *> d = defineResult(op, res);
    if (failed(d))
      return failure();
    ArrayRef<int64_t> out = shapeOf(res);
    relayout(op->getLoc(), from, **d, [&](int64_t lin) {
      SmallVector<int64_t> idx = unflatten(lin, out);
      unsigned k = 0;
      while (k + 1 < offsets.size() && idx[axis] >= offsets[k + 1])
        ++k;
      idx[axis] -= offsets[k];
      return std::make_pair(k, flatten(idx, shapeOf(o.getInputs()[k])));
    });
    return success();
  }
  if (auto o = dyn_cast<lpu::GatherOp>(op); o && !constantInts(o.getIndices()))
    return lowerEmbedding(o);
  if (auto o = dyn_cast<lpu::GatherOp>(op)) {
    SmallVector<int64_t> indices = *constantInts(o.getIndices());
    ArrayRef<int64_t> data = shapeOf(o.getData()), out = shapeOf(res);
    int64_t axis = o.getAxis();
    int64_t q = cast<RankedTensorType>(o.getIndices().getType()).getRank();
    ArrayRef<int64_t> idxShape = shapeOf(o.getIndices());
    return lowerRelayout(op, o.getData(), res, [&](int64_t lin) {
      SmallVector<int64_t> i = unflatten(lin, out);
      SmallVector<int64_t> j(i.begin() + axis, i.begin() + axis + q);
      int64_t v = indices[flatten(j, idxShape)];
      if (v < 0)
        v += data[axis];
      SmallVector<int64_t> src(i.begin(), i.begin() + axis);
      src.push_back(v);
      src.append(i.begin() + axis + q, i.end());
      return flatten(src, data);
    });
  }
  return op->emitError() << "'" << op->getName()
                         << "' is not supported by lpu-to-lpuhw";
}

} // namespace lpuc::layout

namespace lpuc::layout {

// Runtime indices: one-hot rows times the data on the MXM. With D = data's
// size along `axis`, outer = the product of the dimensions before it and
// inner = the product of those after it, the data is viewed as outer
// [D, inner] tables and the result as outer [T, inner] blocks (T = number of
// indices): block o = onehot x table o. ids (f32 on the chip) are broadcast
// to every lane (a permute) and moved into [0, D) if negative (ONNX counts
// those from the end: id + D * min(max(-id, 0), 1)), then onehot[j, c] =
// max(1 - |c - id_j|, 0) against a constant iota: exactly 1 at c = id_j and
// 0 elsewhere for integer ids below 2^24. An id outside [-D, D) gives a zero
// row. The one-hot rows are repeated per outer block, so that one
// batched matmul does all blocks.
LogicalResult Lowering::lowerEmbedding(lpu::GatherOp op) {
  Location loc = op.getLoc();
  FailureOr<Tensor *> ids = tensorOf(op.getIndices());
  FailureOr<Tensor *> data = tensorOf(op.getData());
  if (failed(ids) || failed(data))
    return failure();
  FailureOr<Tensor *> out = defineResult(op, op.getResult());
  if (failed(out))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(op.getData());
  int64_t axis = op.getAxis();
  int64_t outer = 1, inner = 1, vocab = shape[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (int64_t d = axis + 1; d < int64_t(shape.size()); ++d)
    inner *= shape[d];
  int64_t tokens = (*ids)->layout.numElements();
  int64_t lanes = machine_.lanes(), idCols = (*ids)->layout.cols();
  Type f32 = Float32Type::get(op.getContext());
  Type elem = (*data)->elemType;
  // 2-D views: an alias when the last dimension is already `inner`,
  // otherwise a relayout into (or out of) a scratch tensor.
  auto view2d = [&](Tensor &t, int64_t rows) -> FailureOr<Tensor *> {
    if (t.layout.cols() == inner || (t.layout.shape.empty() && inner == 1)) {
      auto v = std::make_unique<Tensor>(t);
      v->layout.shape = {rows, inner};
      v->decl = {};
      v->transient = Placement();
      temps_.push_back(std::move(v));
      return temps_.back().get();
    }
    return temp(loc, elem, {rows, inner});
  };
  FailureOr<Tensor *> table = view2d(**data, outer * vocab);
  FailureOr<Tensor *> result = view2d(**out, outer * tokens);
  FailureOr<Tensor *> idsB = temp(loc, f32, {tokens, 1});
  FailureOr<Tensor *> iota =
      constant(loc, "iota" + std::to_string(vocab), f32, {1, vocab},
               [](int64_t i) { return double(i); });
  FailureOr<Tensor *> onehot = temp(loc, elem, {outer * tokens, vocab});
  if (failed(table) || failed(result) || failed(idsB) || failed(iota) ||
      failed(onehot))
    return failure();
  if ((*table)->decl && *table != *data)
    relayout(loc, **data, **table, [](int64_t lin) { return lin; });
  for (int64_t j = 0; j < tokens; ++j) {
    int64_t r = j / idCols, c = j % idCols;
    Planes p =
        permute(loc, f32, readVector(body_, loc, (*ids)->layout, r, c / lanes),
                SmallVector<int32_t>(size_t(lanes), int32_t(c % lanes)));
    // id + D * min(max(-id, 0), 1): negative ids count from the end.
    Chain ch(*this, loc, f32);
    Val x = ch.computed(p);
    Val neg = ch.op("min_imm", ch.op("max_imm", ch.op("neg", x), 0.0), 1.0);
    Val y = ch.op("add", x, ch.op("mul_imm", neg, double(vocab)));
    writeVector(body_, loc, (*idsB)->layout, j, 0, ch.result(y, f32));
  }
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < tokens; ++j)
      for (int64_t v = 0, vecs = (*onehot)->layout.vectors(); v < vecs; ++v) {
        Chain ch(*this, loc, f32);
        Val d = ch.op("sub", ch.leaf(**iota, 0, v), ch.leaf(**idsB, j, 0));
        Val a = ch.op("max", d, ch.op("neg", d));
        Val h = ch.op("max_imm", ch.op("add_imm", ch.op("neg", a), 1.0), 0.0);
        writeVector(body_, loc, (*onehot)->layout, o * tokens + j, v,
                    ch.result(h, elem));
      }
  if (failed(matmul(loc, **onehot, **table, **result, outer, tokens, vocab,
                    inner)))
    return failure();
  if (*result != *out && (*result)->decl)
    relayout(loc, **result, **out, [](int64_t lin) { return lin; });
  return success();
}

} // namespace lpuc::layout
