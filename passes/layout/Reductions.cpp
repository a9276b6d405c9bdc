//===- Reductions.cpp - row reductions, softmax, normalisations -----------===//
//
// Reductions along the last dimension run on the MXM (sum: a vector times a
// lanes x lanes tile of ones gives the row sum in every lane) or as a
// log-step tree of SXM rotations and VXM max (max). Padding lanes are masked
// first (zero for sums, -inf for max): their contents are never trusted.
// Reductions over leading dimensions are lanewise VXM chains over rows.
// See docs/passes/lpu-to-lpuhw.md.
//
//===----------------------------------------------------------------------===//
#include "passes/layout/Lowering.h"

#include "mlir/IR/BuiltinAttributes.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace lpuc::layout {

namespace {

Planes toPlanes(ValueRange r) { return Planes(r.begin(), r.end()); }

Planes concat(ValueRange a, ValueRange b) {
  Planes p(a.begin(), a.end());
  p.append(b.begin(), b.end());
  return p;
}

} // namespace

uint32_t Lowering::vxmLatency(StringRef fn) const {
  isa::Instruction inst;
  inst.op = isa::Opcode::Vxm;
  isa::AluOp alu;
  if (isa::parseAluOp(fn.str(), alu))
    inst.fn = uint8_t(alu);
  return machine_.outputLatency(inst);
}

Planes Lowering::delay(Location loc, Type elem, ValueRange planes,
                       int64_t cycles) {
  Planes p = toPlanes(planes);
  uint32_t step = vxmLatency("copy");
  for (int64_t c = 0; c < cycles; c += step)
    p = toPlanes(vxmOp(body_, loc, "copy", elem, p));
  return p;
}

Planes Lowering::maskLanes(Location loc, Type elem, ValueRange planes,
                           int64_t valid, ValueRange base) {
  int64_t lanes = machine_.lanes();
  if (valid >= lanes)
    return toPlanes(planes);
  SmallVector<int32_t> map(size_t(lanes), -1);
  for (int64_t i = 0; i < valid; ++i)
    map[i] = int32_t(i);
  Planes in = concat(planes, base);
  auto perm = lpuhw::SxmPermuteOp::create(
      body_, loc, streamTypes(body_.getContext(), unsigned(planes.size())),
      elem, map, !base.empty(), IntegerAttr(), in, IntegerAttr(), IntegerAttr(),
      IntegerAttr());
  return toPlanes(perm.getResults());
}

Planes Lowering::permute(Location loc, Type elem, ValueRange planes,
                         ArrayRef<int32_t> map) {
  auto perm = lpuhw::SxmPermuteOp::create(
      body_, loc, streamTypes(body_.getContext(), unsigned(planes.size())),
      elem, map, false, IntegerAttr(), planes, IntegerAttr(), IntegerAttr(),
      IntegerAttr());
  return toPlanes(perm.getResults());
}

FailureOr<Planes> Lowering::rowMax(Location loc, const Tensor &t, int64_t row,
                                   bool broadcast) {
  const isa::TensorLayout &l = t.layout;
  int64_t lanes = machine_.lanes(), cols = l.cols();
  Type elem = t.elemType;
  // Lanewise max over the row's vectors; padding lanes of the last vector
  // are zeroed by a permute, then -inf is added to them (0 + -inf; valid
  // lanes get + 0), so that garbage (even inf or NaN) never takes part.
  Chain chain(*this, loc, elem);
  std::optional<Val> accV;
  for (int64_t v = 0, vecs = l.vectors(); v < vecs; ++v) {
    int64_t valid = std::min(lanes, cols - v * lanes);
    Val x = chain.leaf(t, row, v);
    if (valid < lanes) {
      std::string key = "maxmask" + std::to_string(valid);
      FailureOr<Tensor *> mask =
          constant(loc, key, elem, {1, lanes}, 0.0, valid,
                   -std::numeric_limits<double>::infinity());
      if (failed(mask))
        return failure();
      Planes zeroed =
          maskLanes(loc, elem, readVector(body_, loc, l, row, v), valid);
      x = chain.op("add", chain.computed(zeroed), chain.leaf(**mask, 0, 0));
    }
    accV = accV ? chain.op("max", *accV, x) : x;
  }
  Planes acc = chain.result(*accV, elem);
  // Lanes that may hold data: all if the row has several vectors.
  int64_t span = std::min(lanes, cols);
  // Step j: lane i holds the max of lanes [i, i + 2^j) (mod lanes). Both
  // operands of each max go through an SXM permute (identity and rotation),
  // so they reach the VXM in the same cycle.
  int64_t covered = 1;
  SmallVector<int32_t> identity(static_cast<size_t>(lanes));
  for (int64_t i = 0; i < lanes; ++i)
    identity[i] = int32_t(i);
  for (; covered < span; covered *= 2) {
    SmallVector<int32_t> rot(static_cast<size_t>(lanes));
    for (int64_t i = 0; i < lanes; ++i)
      rot[i] = int32_t((i + covered) % lanes);
    Planes a = permute(loc, elem, acc, identity);
    Planes b = permute(loc, elem, acc, rot);
    acc = toPlanes(vxmOp(body_, loc, "max", elem, concat(a, b)));
  }
  // Lane 0 holds the max; lane i too only if the windows wrapped around.
  if (broadcast && covered < lanes && lanes > 1)
    acc = permute(loc, elem, acc, SmallVector<int32_t>(size_t(lanes), 0));
  return acc;
}

FailureOr<uint32_t> Lowering::installOnes(Location loc, Type elem) {
  isa::DType dtype = lpuhw::toIsaType(elem);
  SmallVector<uint32_t> order = mxmPlaneOrder(dtype);
  if (order.empty())
    return emitError(loc) << "target has no MXM plane for " << elem;
  int64_t lanes = machine_.lanes();
  FailureOr<Tensor *> ones = constant(loc, "ones", elem, {lanes, lanes}, 1.0);
  if (failed(ones))
    return failure();
  uint32_t plane = order[mxmGroups_++ % order.size()];
  const isa::TensorLayout &l = (*ones)->layout;
  unsigned w = l.width();
  SmallVector<Value> tile;
  for (int64_t i = 0; i < lanes * w; ++i)
    tile.push_back(readPlaneRow(body_, loc, l,
                                l.planeRowIndex(i / w, 0, unsigned(i % w))));
  lpuhw::MxmLoadOp::create(body_, loc, plane, elem, uint32_t(lanes), tile,
                           IntegerAttr(), IntegerAttr(), IntegerAttr());
  lpuhw::MxmInstallOp::create(body_, loc, plane, IntegerAttr(), IntegerAttr(),
                              IntegerAttr());
  return plane;
}

Planes Lowering::rowSum(Location loc, uint32_t plane, const Tensor &t,
                        int64_t row, int64_t accRow,
                        llvm::function_ref<Planes(Planes)> pre) {
  const isa::TensorLayout &l = t.layout;
  int64_t lanes = machine_.lanes(), cols = l.cols();
  int64_t vecs = l.vectors();
  Planes out;
  for (int64_t v = 0; v < vecs; ++v) {
    Planes x = toPlanes(readVector(body_, loc, l, row, v));
    if (pre)
      x = pre(x);
    x = maskLanes(loc, t.elemType, x, std::min(lanes, cols - v * lanes));
    bool emit = v == vecs - 1;
    SmallVector<Type> types;
    if (emit)
      types = streamTypes(body_.getContext(), 4);
    auto mul = lpuhw::MxmMulOp::create(
        body_, loc, types, plane, t.elemType, uint32_t(accRow), v > 0, emit, x,
        IntegerAttr(), IntegerAttr(), IntegerAttr());
    if (emit)
      out = toPlanes(mul.getResults());
  }
  return out;
}

Planes Lowering::reciprocal(Location loc, ValueRange x) {
  // t = rsqrt(x * x) = 1 / |x|; 1/x = (x * t) * t. x is needed again after
  // the mul and the rsqrt: a copy chain delays it to that cycle.
  Type f32 = Float32Type::get(body_.getContext());
  Planes sq = toPlanes(vxmOp(body_, loc, "mul", f32, concat(x, x)));
  Planes t = toPlanes(vxmOp(body_, loc, "rsqrt", f32, sq));
  Planes xd = delay(loc, f32, x, vxmLatency("mul") + vxmLatency("rsqrt"));
  Planes sign = toPlanes(vxmOp(body_, loc, "mul", f32, concat(xd, t)));
  Planes td = delay(loc, f32, t, vxmLatency("mul"));
  return toPlanes(vxmOp(body_, loc, "mul", f32, concat(sign, td)));
}

Planes Lowering::castF32To(Location loc, ValueRange x, Type elem) {
  if (elem.isF32())
    return toPlanes(x);
  return toPlanes(vxmOp(body_, loc, "cast",
                        Float32Type::get(body_.getContext()), x, 0.0, elem));
}

LogicalResult Lowering::lowerReduce(Operation *op, Value input, Value result,
                                    ArrayRef<int64_t> axesIn, Reduce kind,
                                    bool mean) {
  FailureOr<Tensor *> src = tensorOf(input);
  if (failed(src))
    return failure();
  Location loc = op->getLoc();
  auto inType = cast<RankedTensorType>(input.getType());
  ArrayRef<int64_t> shape = inType.getShape();
  int64_t rank = inType.getRank();
  Type elem = inType.getElementType();
  SmallVector<bool> reduced(size_t(rank), false);
  for (int64_t a : axesIn)
    reduced[a < 0 ? a + rank : a] = true;
  bool last = rank > 0 && reduced[rank - 1];
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (reduced[d])
      count *= shape[d];
  double scale = mean && count ? 1.0 / double(count) : 1.0;

  // Leading dimensions: output row o is a lanewise chain over input rows.
  const Tensor *rowsSrc = *src;
  bool leading =
      llvm::any_of(llvm::seq<int64_t>(0, std::max<int64_t>(rank - 1, 0)),
                   [&](int64_t d) { return reduced[d]; });
  if (leading) {
    SmallVector<int64_t> outShape;
    for (int64_t d = 0; d + 1 < rank; ++d)
      if (!reduced[d])
        outShape.push_back(shape[d]);
    outShape.push_back(shape[rank - 1]);
    Tensor *dst;
    if (!last) {
      // The result has these rows and the last dimension.
      FailureOr<Tensor *> d = defineResult(op, result);
      if (failed(d))
        return failure();
      dst = *d;
    } else {
      FailureOr<Tensor *> d = temp(loc, elem, outShape);
      if (failed(d))
        return failure();
      dst = *d;
    }
    int64_t inRows = (*src)->layout.rows();
    SmallVector<SmallVector<int64_t>> groups(size_t(dst->layout.rows()));
    SmallVector<int64_t> lead(shape.begin(), shape.end() - 1);
    SmallVector<int64_t> strides = stridesOf(lead);
    for (int64_t r = 0; r < inRows; ++r) {
      int64_t o = 0;
      for (int64_t d = 0; d < int64_t(lead.size()); ++d) {
        if (reduced[d])
          continue;
        o = o * lead[d] + (r / strides[d]) % lead[d];
      }
      groups[o].push_back(r);
    }
    StringRef fn = kind == Reduce::Sum ? "add" : "max";
    for (int64_t o = 0; o < int64_t(groups.size()); ++o)
      for (int64_t v = 0, vecs = dst->layout.vectors(); v < vecs; ++v) {
        Chain chain(*this, loc, elem);
        std::optional<Val> acc;
        for (int64_t r : groups[o]) {
          Val x = chain.leaf(**src, r, v);
          acc = acc ? chain.op(fn, *acc, x) : x;
        }
        if (!last && scale != 1.0)
          acc = chain.op("mul_imm", *acc, scale);
        writeVector(body_, loc, dst->layout, o, v, chain.result(*acc, elem));
      }
    if (!last)
      return success();
    rowsSrc = dst;
  }
  if (!last) {
    // Nothing reduced (empty axes with noop): a copy.
    FailureOr<Tensor *> d = defineResult(op, result);
    if (failed(d))
      return failure();
    copy(loc, *rowsSrc, **d);
    return success();
  }

  // The last dimension: one value per row. Written straight into the result
  // when it is [rows, 1]-shaped, else into [rows, 1] and relaid out.
  int64_t rows = rowsSrc->layout.rows();
  auto resType = cast<RankedTensorType>(result.getType());
  int64_t resCols = resType.getRank() ? resType.getShape().back() : 1;
  FailureOr<Tensor *> res = defineResult(op, result);
  if (failed(res))
    return failure();
  Tensor *dst = *res;
  bool direct = resCols == 1 && (*res)->layout.rows() == rows;
  if (!direct) {
    FailureOr<Tensor *> t = temp(loc, elem, {rows, 1});
    if (failed(t))
      return failure();
    dst = *t;
  }
  if (kind == Reduce::Max) {
    for (int64_t r = 0; r < rows; ++r) {
      FailureOr<Planes> m = rowMax(loc, *rowsSrc, r, /*broadcast=*/false);
      if (failed(m))
        return failure();
      writeVector(body_, loc, dst->layout, r, 0, *m);
    }
  } else {
    FailureOr<uint32_t> plane = installOnes(loc, elem);
    if (failed(plane))
      return failure();
    int64_t accRows =
        std::max<int64_t>(1, machine_.target().mxm_accumulator_rows());
    Type f32 = Float32Type::get(op->getContext());
    for (int64_t r = 0; r < rows; ++r) {
      Planes s = rowSum(loc, *plane, *rowsSrc, r, r % accRows);
      if (scale != 1.0)
        s = toPlanes(vxmOp(body_, loc, "mul_imm", f32, s, scale));
      writeVector(body_, loc, dst->layout, r, 0, castF32To(loc, s, elem));
    }
  }
  if (!direct)
    relayout(loc, *dst, **res, [](int64_t lin) { return lin; });
  return success();
}

LogicalResult Lowering::lowerSoftmax(Operation *op, Value input, Value result,
                                     int64_t axis, bool log) {
  FailureOr<Tensor *> in = tensorOf(input);
  if (failed(in))
    return failure();
  FailureOr<Tensor *> out = defineResult(op, result);
  if (failed(out))
    return failure();
  Location loc = op->getLoc();
  Type elem = (*in)->elemType;
  // Another axis than the last: transpose it last, and back afterwards.
  ArrayRef<int64_t> shape = cast<RankedTensorType>(input.getType()).getShape();
  int64_t rank = int64_t(shape.size());
  if (axis < 0)
    axis += rank;
  if (rank > 0 && axis != rank - 1) {
    SmallVector<int64_t> perm; // dimension d of the transposed = perm[d]
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis)
        perm.push_back(d);
    perm.push_back(axis);
    SmallVector<int64_t> tshape;
    for (int64_t d : perm)
      tshape.push_back(shape[d]);
    FailureOr<Tensor *> a = temp(loc, elem, tshape);
    FailureOr<Tensor *> b = temp(loc, elem, tshape);
    if (failed(a) || failed(b))
      return failure();
    SmallVector<int64_t> inStrides = stridesOf(shape),
                         tStrides = stridesOf(tshape);
    // Element lin of the transposed tensor is element toIn(lin) of the input.
    auto toIn = [&](int64_t lin) {
      int64_t src = 0;
      for (int64_t d = 0; d < rank; ++d)
        src += ((lin / tStrides[d]) % tshape[d]) * inStrides[perm[d]];
      return src;
    };
    relayout(loc, **in, **a, toIn);
    if (failed(softmaxRows(loc, **a, **b, log)))
      return failure();
    // Element lin of the result is element fromIn(lin) of the transposed.
    SmallVector<int64_t> inv(static_cast<size_t>(rank));
    for (int64_t d = 0; d < rank; ++d)
      inv[perm[d]] = d;
    auto fromIn = [&](int64_t lin) {
      int64_t src = 0;
      for (int64_t d = 0; d < rank; ++d)
        src += ((lin / inStrides[d]) % shape[d]) * tStrides[inv[d]];
      return src;
    };
    relayout(loc, **b, **out, fromIn);
    return success();
  }
  return softmaxRows(loc, **in, **out, log);
}

LogicalResult Lowering::softmaxRows(Location loc, const Tensor &srcT,
                                    const Tensor &dstT, bool log) {
  const Tensor *src = &srcT, *dst = &dstT;
  Type elem = src->elemType;
  const isa::TensorLayout &lx = src->layout;
  int64_t rows = lx.rows(), vecs = lx.vectors();
  FailureOr<Tensor *> maxT = temp(loc, elem, {rows, 1});
  // Exponentials, sums and reciprocals are kept in f32 whatever the element
  // type (16-bit inputs are cast in the chains, the result cast back).
  Type f32 = Float32Type::get(body_.getContext());
  FailureOr<Tensor *> expT = temp(loc, f32, lx.shape);
  FailureOr<Tensor *> recT = temp(loc, f32, {rows, 1});
  if (failed(maxT) || failed(expT) || failed(recT))
    return failure();
  // 1. m = max of the row, in every lane.
  for (int64_t r = 0; r < rows; ++r) {
    FailureOr<Planes> m = rowMax(loc, *src, r, /*broadcast=*/true);
    if (failed(m))
      return failure();
    writeVector(body_, loc, (*maxT)->layout, r, 0, *m);
  }
  // 2. e = exp(x - m).
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0; v < vecs; ++v) {
      Chain c(*this, loc, f32);
      Val e =
          c.op("exp", c.op("sub", c.leaf(*src, r, v), c.leaf(**maxT, r, 0)));
      writeVector(body_, loc, (*expT)->layout, r, v, c.result(e, f32));
    }
  // 3. 1 / sum(e) (MXM sum in f32, reciprocal in f32).
  FailureOr<uint32_t> plane = installOnes(loc, f32);
  if (failed(plane))
    return failure();
  int64_t accRows =
      std::max<int64_t>(1, machine_.target().mxm_accumulator_rows());
  for (int64_t r = 0; r < rows; ++r) {
    Planes s = rowSum(loc, *plane, **expT, r, r % accRows);
    writeVector(body_, loc, (*recT)->layout, r, 0,
                log ? s : reciprocal(loc, s));
  }
  if (log) {
    // 3'. log-softmax: ln(sum), then 4'. y = (x - m) - ln(sum).
    FailureOr<LogConstants> k = logConstants(loc);
    FailureOr<Tensor *> lnT = temp(loc, f32, {rows, 1});
    if (failed(k) || failed(lnT))
      return failure();
    for (int64_t r = 0; r < rows; ++r) {
      Chain c(*this, loc, f32);
      Val l = c.log(c.leaf(**recT, r, 0), *k);
      writeVector(body_, loc, (*lnT)->layout, r, 0, c.result(l, f32));
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t v = 0; v < vecs; ++v) {
        Chain c(*this, loc, f32);
        Val y =
            c.op("sub", c.op("sub", c.leaf(*src, r, v), c.leaf(**maxT, r, 0)),
                 c.leaf(**lnT, r, 0));
        writeVector(body_, loc, dst->layout, r, v, c.result(y, elem));
      }
    return success();
  }
  // 4. y = e * (1 / sum).
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0; v < vecs; ++v) {
      Chain c(*this, loc, f32);
      Val y = c.op("mul", c.leaf(**expT, r, v), c.leaf(**recT, r, 0));
      writeVector(body_, loc, dst->layout, r, v, c.result(y, elem));
    }
  return success();
}

LogicalResult Lowering::lowerLayerNorm(Operation *op, Value input, Value scale,
                                       Value bias, Value result, int64_t axis,
                                       double epsilon, bool rms) {
  FailureOr<Tensor *> src = tensorOf(input);
  if (failed(src))
    return failure();
  Tensor *sc = nullptr, *bi = nullptr;
  if (scale) {
    FailureOr<Tensor *> t = tensorOf(scale);
    if (failed(t))
      return failure();
    sc = *t;
  }
  if (bias) {
    FailureOr<Tensor *> t = tensorOf(bias);
    if (failed(t))
      return failure();
    bi = *t;
  }
  FailureOr<Tensor *> out = defineResult(op, result);
  if (failed(out))
    return failure();
  Location loc = op->getLoc();
  // Several trailing dimensions: normalise rows of their product (a
  // relayout of x, scale and bias to [rows, N] and of the result back).
  ArrayRef<int64_t> shape = cast<RankedTensorType>(input.getType()).getShape();
  int64_t rank = int64_t(shape.size());
  if (axis < 0)
    axis += rank;
  int64_t n = 1, rows = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d >= axis ? n : rows) *= shape[d];
  if (rank > 0 && n != shape.back()) {
    Type elem = (*src)->elemType;
    auto same = [](int64_t lin) { return lin; };
    auto flat = [&](const Tensor *t, SmallVector<int64_t> s) -> Tensor * {
      FailureOr<Tensor *> f = temp(loc, elem, s);
      if (failed(f))
        return nullptr;
      relayout(loc, *t, **f, same);
      return *f;
    };
    Tensor *x2 = flat(*src, {rows, n});
    Tensor *s2 = sc ? flat(sc, {n}) : nullptr;
    Tensor *b2 = bi ? flat(bi, {n}) : nullptr;
    FailureOr<Tensor *> y2 = temp(loc, elem, {rows, n});
    if (!x2 || (sc && !s2) || (bi && !b2) || failed(y2))
      return failure();
    if (failed(layerNormRows(loc, *x2, s2, b2, **y2, epsilon, rms)))
      return failure();
    relayout(loc, **y2, **out, same);
    return success();
  }
  return layerNormRows(loc, **src, sc, bi, **out, epsilon, rms);
}

LogicalResult Lowering::layerNormRows(Location loc, const Tensor &srcT,
                                      const Tensor *sc, const Tensor *bi,
                                      const Tensor &dstT, double epsilon,
                                      bool rms) {
  const Tensor *src = &srcT, *dst = &dstT;
  Type elem = src->elemType;
  Type f32 = Float32Type::get(body_.getContext());
  const isa::TensorLayout &lx = src->layout;
  int64_t rows = lx.rows(), vecs = lx.vectors(), cols = lx.cols();
  int64_t accRows =
      std::max<int64_t>(1, machine_.target().mxm_accumulator_rows());
  FailureOr<uint32_t> plane = installOnes(loc, elem);
  if (failed(plane))
    return failure();
  const Tensor *centred = src;
  if (!rms) {
    // Mean, centred values and 1/std are kept in f32 whatever the element
    // type (16-bit inputs are cast in the chains, the result cast back).
    FailureOr<Tensor *> meanT = temp(loc, f32, {rows, 1});
    FailureOr<Tensor *> dT = temp(loc, f32, lx.shape);
    if (failed(meanT) || failed(dT))
      return failure();
    for (int64_t r = 0; r < rows; ++r) {
      Planes s = rowSum(loc, *plane, *src, r, r % accRows);
      s = toPlanes(vxmOp(body_, loc, "mul_imm", f32, s, 1.0 / double(cols)));
      writeVector(body_, loc, (*meanT)->layout, r, 0, s);
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t v = 0; v < vecs; ++v) {
        Chain c(*this, loc, f32);
        Val d = c.op("sub", c.leaf(*src, r, v), c.leaf(**meanT, r, 0));
        writeVector(body_, loc, (*dT)->layout, r, v, c.result(d, f32));
      }
    centred = *dT;
    if (elem != f32) {
      plane = installOnes(loc, f32);
      if (failed(plane))
        return failure();
    }
  }
  FailureOr<Tensor *> rstdT = temp(loc, f32, {rows, 1});
  if (failed(rstdT))
    return failure();
  auto square = [&](Planes x) {
    return toPlanes(vxmOp(body_, loc, "mul", centred->elemType, concat(x, x)));
  };
  for (int64_t r = 0; r < rows; ++r) {
    Planes s = rowSum(loc, *plane, *centred, r, r % accRows, square);
    s = toPlanes(vxmOp(body_, loc, "mul_imm", f32, s, 1.0 / double(cols)));
    s = toPlanes(vxmOp(body_, loc, "add_imm", f32, s, epsilon));
    s = toPlanes(vxmOp(body_, loc, "rsqrt", f32, s));
    writeVector(body_, loc, (*rstdT)->layout, r, 0, s);
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0; v < vecs; ++v) {
      Chain c(*this, loc, f32);
      Val y = c.op("mul", c.leaf(*centred, r, v), c.leaf(**rstdT, r, 0));
      if (sc)
        y = c.op("mul", y, c.leaf(*sc, sc->layout.rows() == 1 ? 0 : r, v));
      if (bi)
        y = c.op("add", y, c.leaf(*bi, bi->layout.rows() == 1 ? 0 : r, v));
      writeVector(body_, loc, dst->layout, r, v, c.result(y, elem));
    }
  return success();
}

} // namespace lpuc::layout
