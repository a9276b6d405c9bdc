//===- LpuOps.cpp - lpu dialect operations --------------------------------===//

#include "dialects/lpu/LpuOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/CommonFolders.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallBitVector.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace lpuc::lpu;

namespace {

/// Prints a shape as `[2, 3, 4]` into a diagnostic.
std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(shape, os);
  os << "]";
  return s;
}

/// The splat value of a constant attribute, or null.
Attribute getSplat(Attribute attr) {
  if (auto splat = dyn_cast_or_null<SplatElementsAttr>(attr))
    return splat.getSplatValue<Attribute>();
  return {};
}

/// The raw little-endian element bytes of a constant (dense, non-splat, or
/// dense_resource with its blob), or an empty ArrayRef.
ArrayRef<char> rawConstantBytes(Attribute attr) {
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(attr))
    return dense.isSplat() ? ArrayRef<char>() : dense.getRawData();
  if (auto res = dyn_cast_or_null<DenseResourceElementsAttr>(attr))
    if (AsmResourceBlob *blob = res.getRawHandle().getBlob())
      return blob->getData();
  return {};
}

/// Transposes a constant at compile time into a new resource blob (the
/// weight is stored the way the MXM consumes it). Null if `attr` is not a
/// constant with byte-sized elements.
using lpuc::lpu::constantWithoutData;
using lpuc::lpu::isWithoutData;

Attribute transposeConstant(Attribute attr, ShapedType resultType,
                            ArrayRef<int64_t> perm) {
  if (isWithoutData(attr))
    return constantWithoutData(resultType);
  auto inType = dyn_cast_or_null<ShapedType>(
      attr ? cast<TypedAttr>(attr).getType() : Type());
  if (!inType || !inType.hasStaticShape() ||
      !inType.getElementType().isIntOrFloat() ||
      inType.getElementTypeBitWidth() % 8 != 0)
    return {};
  ArrayRef<char> in = rawConstantBytes(attr);
  size_t elt = inType.getElementTypeBitWidth() / 8;
  int64_t n = inType.getNumElements();
  if (in.size() != size_t(n) * elt)
    return {};
  ArrayRef<int64_t> inShape = inType.getShape();
  int64_t rank = inType.getRank();
  // Strides of the input; walk the output in order.
  SmallVector<int64_t> inStride(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    inStride[d] = inStride[d + 1] * inShape[d + 1];
  ArrayRef<int64_t> outShape = resultType.getShape();
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(size_t(n) * elt, /*align=*/elt);
  MutableArrayRef<char> out = blob.getMutableData();
  SmallVector<int64_t> idx(rank, 0);
  for (int64_t o = 0; o < n; ++o) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += idx[d] * inStride[perm[d]];
    std::memcpy(out.data() + o * elt, in.data() + src * elt, elt);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < outShape[d])
        break;
      idx[d] = 0;
    }
  }
  std::string name = "transposed";
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr))
    name = (res.getRawHandle().getKey() + "_T").str();
  return DenseResourceElementsAttr::get(resultType, name, std::move(blob));
}

} // namespace

namespace lpuc::lpu {

bool isWithoutData(Attribute attr) {
  auto res = dyn_cast_or_null<DenseResourceElementsAttr>(attr);
  return res && !res.getRawHandle().getBlob();
}

Attribute constantWithoutData(ShapedType type, StringRef name) {
  auto &manager =
      DenseResourceElementsHandle::getManagerInterface(type.getContext());
  return DenseResourceElementsAttr::get(type, manager.insert(name));
}

FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      return failure();
    out[rank - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

bool isBroadcastableTo(ArrayRef<int64_t> from, ArrayRef<int64_t> to) {
  if (from.size() > to.size())
    return false;
  size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[lead + i])
      return false;
  return true;
}

} // namespace lpuc::lpu

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  auto lhs = cast<RankedTensorType>(getLhs().getType());
  auto rhs = cast<RankedTensorType>(getRhs().getType());
  auto res = cast<RankedTensorType>(getResult().getType());
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return emitOpError("operands must have rank >= 2, got ")
           << lhs.getRank() << " and " << rhs.getRank();
  if (lhs.getRank() != rhs.getRank())
    return emitOpError("operands must have the same rank, got ")
           << lhs.getRank() << " and " << rhs.getRank()
           << " (make batch broadcasting explicit with lpu.broadcast)";
  int64_t rank = lhs.getRank();
  ArrayRef<int64_t> ls = lhs.getShape(), rs = rhs.getShape();
  if (ls.drop_back(2) != rs.drop_back(2))
    return emitOpError("batch dimensions differ: ")
           << shapeStr(ls.drop_back(2)) << " vs " << shapeStr(rs.drop_back(2));
  if (ls[rank - 1] != rs[rank - 2])
    return emitOpError("contracting dimensions differ: ")
           << ls[rank - 1] << " vs " << rs[rank - 2];
  SmallVector<int64_t> expected(ls.drop_back(1));
  expected.push_back(rs[rank - 1]);
  if (res.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result shape ")
           << shapeStr(res.getShape()) << " differs from expected "
           << shapeStr(expected);
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise folders
//===----------------------------------------------------------------------===//

namespace {
template <typename FloatFn, typename IntFn>
OpFoldResult foldBinary(ArrayRef<Attribute> operands, Type type, FloatFn f,
                        IntFn i) {
  Type elt = getElementTypeOrSelf(type);
  if (isa<FloatType>(elt))
    return constFoldBinaryOp<FloatAttr, APFloat, void>(operands, type, f);
  if (isa<IntegerType>(elt))
    return constFoldBinaryOp<IntegerAttr, APInt, void>(operands, type, i);
  return {};
}

/// True when `attr` is a splat constant equal to one.
bool isSplatOne(Attribute attr) {
  Attribute splat = getSplat(attr);
  if (auto f = dyn_cast_or_null<FloatAttr>(splat))
    return f.getValue().isExactlyValue(1.0);
  if (auto i = dyn_cast_or_null<IntegerAttr>(splat))
    return i.getValue().isOne();
  return false;
}
} // namespace

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getOperands(), getType(),
      [](const APFloat &a, const APFloat &b) { return a + b; },
      [](const APInt &a, const APInt &b) { return a + b; });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getOperands(), getType(),
      [](const APFloat &a, const APFloat &b) { return a - b; },
      [](const APInt &a, const APInt &b) { return a - b; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  // x * 1 = x exactly, for floats and integers.
  if (isSplatOne(adaptor.getRhs()))
    return getLhs();
  if (isSplatOne(adaptor.getLhs()))
    return getRhs();
  return foldBinary(
      adaptor.getOperands(), getType(),
      [](const APFloat &a, const APFloat &b) { return a * b; },
      [](const APInt &a, const APInt &b) { return a * b; });
}

OpFoldResult ReluOp::fold(FoldAdaptor adaptor) {
  ArrayRef<Attribute> operands = adaptor.getOperands();
  Type type = getType();
  Type elt = getElementTypeOrSelf(type);
  if (isa<FloatType>(elt))
    return constFoldUnaryOp<FloatAttr, APFloat, void>(
        operands, type, [](const APFloat &a) {
          if (!a.isNaN() && (a.isNegative() || a.isZero()))
            return APFloat::getZero(a.getSemantics());
          return a;
        });
  if (isa<IntegerType>(elt))
    return constFoldUnaryOp<IntegerAttr, APInt, void>(
        operands, type, [](const APInt &a) {
          return a.isNegative() ? APInt::getZero(a.getBitWidth()) : a;
        });
  return {};
}

//===----------------------------------------------------------------------===//
// Constant element access shared by the folders
//===----------------------------------------------------------------------===//

namespace {

/// Read access to the elements of a constant by flat index: raw bytes for
/// byte-sized element types (`dense` or `dense_resource`), else the element
/// attributes of a `dense` constant (`i1`).
struct ConstElements {
  bool splat = false;
  ArrayRef<char> raw;
  size_t eltBytes = 0;
  SmallVector<Attribute> attrs;
  bool isRaw() const { return eltBytes != 0; }
};

std::optional<ConstElements> viewConstant(Attribute attr) {
  auto typed = dyn_cast_or_null<TypedAttr>(attr);
  if (!typed)
    return std::nullopt;
  auto type = dyn_cast<ShapedType>(typed.getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  ConstElements c;
  unsigned bits = type.getElementType().getIntOrFloatBitWidth();
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  c.splat = dense && dense.isSplat();
  if (bits % 8 == 0) {
    c.eltBytes = bits / 8;
    c.raw = dense ? dense.getRawData() : rawConstantBytes(attr);
    size_t want = c.splat ? c.eltBytes : c.eltBytes * type.getNumElements();
    if (c.raw.size() == want)
      return c;
    c.eltBytes = 0;
  }
  if (!dense)
    return std::nullopt;
  if (c.splat)
    c.attrs.push_back(dense.getSplatValue<Attribute>());
  else
    c.attrs.assign(dense.value_begin<Attribute>(),
                   dense.value_end<Attribute>());
  return c;
}

/// Source of output element `o` (with multi-index `idx`): (operand, flat
/// index into it).
using IndexMap =
    function_ref<std::pair<unsigned, int64_t>(int64_t o, ArrayRef<int64_t>)>;

/// Builds a constant of `type` by copying elements of constant operands.
/// Small results are `dense`, large ones a `dense_resource` blob. Null when
/// an operand is not a usable constant.
Attribute buildByIndexMap(ArrayRef<Attribute> operands, ShapedType type,
                          IndexMap map) {
  if (llvm::any_of(operands, isWithoutData))
    return constantWithoutData(type);
  SmallVector<ConstElements> ins;
  bool raw = true;
  for (Attribute a : operands) {
    auto v = viewConstant(a);
    if (!v)
      return {};
    raw &= v->isRaw();
    ins.push_back(std::move(*v));
  }
  int64_t n = type.getNumElements();
  ArrayRef<int64_t> shape = type.getShape();
  SmallVector<int64_t> idx(shape.size(), 0);
  auto advance = [&]() {
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        return;
      idx[d] = 0;
    }
  };
  if (raw) {
    size_t elt = ins.empty() ? 0 : ins.front().eltBytes;
    std::vector<char> bytes(size_t(n) * elt);
    for (int64_t o = 0; o < n; ++o, advance()) {
      auto [k, i] = map(o, idx);
      const ConstElements &in = ins[k];
      std::memcpy(bytes.data() + o * elt,
                  in.raw.data() + (in.splat ? 0 : i) * elt, elt);
    }
    if (bytes.size() <= 65536 || n == 1)
      return DenseElementsAttr::getFromRawBuffer(type, bytes);
    AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        ArrayRef<char>(bytes), elt, /*dataIsMutable=*/false);
    return DenseResourceElementsAttr::get(type, "folded", std::move(blob));
  }
  SmallVector<Attribute> out;
  out.reserve(n);
  for (int64_t o = 0; o < n; ++o, advance()) {
    auto [k, i] = map(o, idx);
    const ConstElements &in = ins[k];
    if (in.attrs.empty())
      return {};
    out.push_back(in.attrs[in.splat ? 0 : i]);
  }
  return DenseElementsAttr::get(type, out);
}

/// Row-major strides of a shape.
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> s(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    s[d] = s[d + 1] * shape[d + 1];
  return s;
}

/// Applies `f` (double -> double) to a float constant, rounding the result
/// to the element type.
OpFoldResult foldUnaryFloat(ArrayRef<Attribute> operands, Type type,
                            double (*f)(double)) {
  if (!isa<FloatType>(getElementTypeOrSelf(type)))
    return {};
  return constFoldUnaryOp<FloatAttr, APFloat, void>(
      operands, type, [&](const APFloat &a) {
        APFloat r(f(a.convertToDouble()));
        bool losesInfo = false;
        r.convert(a.getSemantics(), APFloat::rmNearestTiesToEven, &losesInfo);
        return r;
      });
}

/// A non-negative integer attribute of a verified op, as int64.
int64_t toI64(const APInt &v) { return v.getSExtValue(); }

} // namespace

//===----------------------------------------------------------------------===//
// BroadcastOp
//===----------------------------------------------------------------------===//

LogicalResult BroadcastOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  if (in.getRank() > out.getRank())
    return emitOpError("input rank ")
           << in.getRank() << " exceeds result rank " << out.getRank();
  int64_t lead = out.getRank() - in.getRank();
  for (int64_t i = 0; i < in.getRank(); ++i) {
    int64_t d = in.getDimSize(i), r = out.getDimSize(lead + i);
    if (d != 1 && d != r)
      return emitOpError("input dimension #")
             << i << " (size " << d
             << ") is not broadcastable to result dimension #" << lead + i
             << " (size " << r << ")";
  }
  return success();
}

OpFoldResult BroadcastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  auto type = cast<ShapedType>(getType());
  if (Attribute splat = getSplat(adaptor.getInput()))
    return DenseElementsAttr::get(type, splat);
  // Integer and bool constants (shape arithmetic) are expanded when small;
  // float data stays a broadcast, which the chip does on the fly.
  if (!adaptor.getInput() || !isa<IntegerType>(type.getElementType()) ||
      type.getNumElements() > 4096)
    return {};
  auto inType = cast<ShapedType>(getInput().getType());
  ArrayRef<int64_t> inShape = inType.getShape();
  SmallVector<int64_t> inStride = stridesOf(inShape);
  int64_t lead = type.getRank() - inType.getRank();
  return buildByIndexMap({adaptor.getInput()}, type,
                         [&](int64_t, ArrayRef<int64_t> idx) {
                           int64_t src = 0;
                           for (size_t d = 0; d < inShape.size(); ++d)
                             if (inShape[d] != 1)
                               src += idx[lead + d] * inStride[d];
                           return std::pair<unsigned, int64_t>(0, src);
                         });
}

namespace {
/// broadcast(x) with as many elements as x is reshape(x).
struct BroadcastOfSameSize : OpRewritePattern<BroadcastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastOp op,
                                PatternRewriter &rewriter) const override {
    auto in = cast<ShapedType>(op.getInput().getType());
    auto out = cast<ShapedType>(op.getType());
    if (in.getNumElements() != out.getNumElements() || in == out)
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, out, op.getInput());
    return success();
  }
};
} // namespace

void BroadcastOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<BroadcastOfSameSize>(context);
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  ArrayRef<int64_t> perm = getPermutation();
  int64_t rank = in.getRank();
  if (static_cast<int64_t>(perm.size()) != rank)
    return emitOpError("permutation has ")
           << perm.size() << " entries for an input of rank " << rank;
  llvm::SmallBitVector seen(rank);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen.test(p))
      return emitOpError("permutation ")
             << shapeStr(perm) << " is not a permutation of [0, " << rank
             << ")";
    seen.set(p);
  }
  if (out.getRank() != rank)
    return emitOpError("result rank ")
           << out.getRank() << " differs from input rank " << rank;
  for (int64_t d = 0; d < rank; ++d)
    if (out.getDimSize(d) != in.getDimSize(perm[d]))
      return emitOpError("result dimension #")
             << d << " has size " << out.getDimSize(d) << ", expected "
             << in.getDimSize(perm[d]) << " (input dimension #" << perm[d]
             << ")";
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  auto isIdentity = [](ArrayRef<int64_t> p) {
    for (auto [i, v] : llvm::enumerate(p))
      if (static_cast<int64_t>(i) != v)
        return false;
    return true;
  };
  if (isIdentity(perm))
    return getInput();
  if (Attribute splat = getSplat(adaptor.getInput()))
    return DenseElementsAttr::get(cast<ShapedType>(getType()), splat);
  if (Attribute folded = transposeConstant(adaptor.getInput(),
                                           cast<ShapedType>(getType()), perm))
    return folded;
  // transpose(transpose(x, p), q) = transpose(x, p o q).
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> p = inner.getPermutation();
    SmallVector<int64_t> composed;
    for (int64_t q : perm)
      composed.push_back(p[q]);
    if (isIdentity(composed))
      return inner.getInput();
    getInputMutable().assign(inner.getInput());
    setPermutation(composed);
    return getResult();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  if (in.getNumElements() != out.getNumElements())
    return emitOpError("element count changes from ")
           << in.getNumElements() << " " << shapeStr(in.getShape()) << " to "
           << out.getNumElements() << " " << shapeStr(out.getShape());
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  auto type = cast<ShapedType>(getType());
  if (getInput().getType() == type)
    return getInput();
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(type);
  // A resource only changes its type; the blob is shared, not copied.
  if (auto res =
          dyn_cast_or_null<DenseResourceElementsAttr>(adaptor.getInput()))
    return DenseResourceElementsAttr::get(type, res.getRawHandle());
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    if (inner.getInput().getType() == type)
      return inner.getInput();
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Div, Pow
//===----------------------------------------------------------------------===//

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (isSplatOne(adaptor.getRhs()))
    return getLhs();
  Type elt = getElementTypeOrSelf(getType());
  if (isa<IntegerType>(elt)) {
    // Integer division by zero is undefined: do not fold it.
    auto rhs = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getRhs());
    if (!rhs || llvm::any_of(rhs.getValues<APInt>(),
                             [](const APInt &v) { return v.isZero(); }))
      return {};
  }
  return foldBinary(
      adaptor.getOperands(), getType(),
      [](const APFloat &a, const APFloat &b) { return a / b; },
      [](const APInt &a, const APInt &b) { return a.sdiv(b); });
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  if (isa<IntegerType>(getElementTypeOrSelf(getType()))) {
    auto rhs = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getRhs());
    if (!rhs || llvm::any_of(rhs.getValues<APInt>(),
                             [](const APInt &v) { return v.isNegative(); }))
      return {};
    return constFoldBinaryOp<IntegerAttr, APInt, void>(
        adaptor.getOperands(), getType(), [](const APInt &a, const APInt &e) {
          APInt r(a.getBitWidth(), 1), base = a;
          for (uint64_t n = e.getZExtValue(); n; n >>= 1) {
            if (n & 1)
              r *= base;
            base *= base;
          }
          return r;
        });
  }
  return constFoldBinaryOp<FloatAttr, APFloat, void>(
      adaptor.getOperands(), getType(), [](const APFloat &a, const APFloat &b) {
        APFloat r(std::pow(a.convertToDouble(), b.convertToDouble()));
        bool losesInfo = false;
        r.convert(a.getSemantics(), APFloat::rmNearestTiesToEven, &losesInfo);
        return r;
      });
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  Type elt = getElementTypeOrSelf(getType());
  if (isa<IntegerType>(elt))
    return constFoldUnaryOp<IntegerAttr, APInt, void>(
        adaptor.getOperands(), getType(), [](const APInt &a) { return -a; });
  return constFoldUnaryOp<FloatAttr, APFloat, void>(
      adaptor.getOperands(), getType(), [](const APFloat &a) { return -a; });
}

OpFoldResult ExpOp::fold(FoldAdaptor adaptor) {
  return foldUnaryFloat(adaptor.getOperands(), getType(),
                        [](double x) { return std::exp(x); });
}
OpFoldResult ErfOp::fold(FoldAdaptor adaptor) {
  return foldUnaryFloat(adaptor.getOperands(), getType(),
                        [](double x) { return std::erf(x); });
}
OpFoldResult TanhOp::fold(FoldAdaptor adaptor) {
  return foldUnaryFloat(adaptor.getOperands(), getType(),
                        [](double x) { return std::tanh(x); });
}
OpFoldResult SigmoidOp::fold(FoldAdaptor adaptor) {
  return foldUnaryFloat(adaptor.getOperands(), getType(),
                        [](double x) { return 1.0 / (1.0 + std::exp(-x)); });
}
OpFoldResult SqrtOp::fold(FoldAdaptor adaptor) {
  return foldUnaryFloat(adaptor.getOperands(), getType(),
                        [](double x) { return std::sqrt(x); });
}
OpFoldResult RsqrtOp::fold(FoldAdaptor adaptor) {
  return foldUnaryFloat(adaptor.getOperands(), getType(),
                        [](double x) { return 1.0 / std::sqrt(x); });
}
OpFoldResult RecipOp::fold(FoldAdaptor adaptor) {
  return foldUnaryFloat(adaptor.getOperands(), getType(),
                        [](double x) { return 1.0 / x; });
}
OpFoldResult CosOp::fold(FoldAdaptor adaptor) {
  return foldUnaryFloat(adaptor.getOperands(), getType(),
                        [](double x) { return std::cos(x); });
}
OpFoldResult SinOp::fold(FoldAdaptor adaptor) {
  return foldUnaryFloat(adaptor.getOperands(), getType(),
                        [](double x) { return std::sin(x); });
}

OpFoldResult NotOp::fold(FoldAdaptor adaptor) {
  if (auto inner = getInput().getDefiningOp<NotOp>())
    return inner.getInput();
  return constFoldUnaryOp<IntegerAttr, APInt, void>(
      adaptor.getOperands(), getType(), [](const APInt &a) { return ~a; });
}

//===----------------------------------------------------------------------===//
// Compare, Select
//===----------------------------------------------------------------------===//

OpFoldResult CompareOp::fold(FoldAdaptor adaptor) {
  auto lhs = dyn_cast_or_null<DenseElementsAttr>(adaptor.getLhs());
  auto rhs = dyn_cast_or_null<DenseElementsAttr>(adaptor.getRhs());
  if (!lhs || !rhs)
    return {};
  auto type = cast<ShapedType>(getType());
  bool isFloat = isa<FloatType>(lhs.getElementType());
  bool lt = getPredicate() == ComparePredicate::lt;
  int64_t n = type.getNumElements();
  SmallVector<bool> out(n);
  if (isFloat) {
    auto l = lhs.getValues<APFloat>(), r = rhs.getValues<APFloat>();
    for (int64_t i = 0; i < n; ++i) {
      APFloat::cmpResult c =
          l[lhs.isSplat() ? 0 : i].compare(r[rhs.isSplat() ? 0 : i]);
      out[i] = lt ? c == APFloat::cmpLessThan : c == APFloat::cmpEqual;
    }
  } else {
    auto l = lhs.getValues<APInt>(), r = rhs.getValues<APInt>();
    for (int64_t i = 0; i < n; ++i) {
      const APInt &a = l[lhs.isSplat() ? 0 : i];
      const APInt &b = r[rhs.isSplat() ? 0 : i];
      out[i] = lt ? a.slt(b) : a == b;
    }
  }
  return DenseElementsAttr::get(type, ArrayRef<bool>(out));
}

OpFoldResult SelectOp::fold(FoldAdaptor adaptor) {
  if (getOnTrue() == getOnFalse())
    return getOnTrue();
  if (Attribute splat = getSplat(adaptor.getCondition()))
    return cast<IntegerAttr>(splat).getValue().isOne() ? getOnTrue()
                                                       : getOnFalse();
  auto cond = dyn_cast_or_null<DenseElementsAttr>(adaptor.getCondition());
  if (!cond || !adaptor.getOnTrue() || !adaptor.getOnFalse())
    return {};
  SmallVector<bool> c(cond.getValues<bool>());
  return buildByIndexMap({adaptor.getOnTrue(), adaptor.getOnFalse()},
                         cast<ShapedType>(getType()),
                         [&](int64_t o, ArrayRef<int64_t>) {
                           return std::pair<unsigned, int64_t>(c[o] ? 0 : 1, o);
                         });
}

//===----------------------------------------------------------------------===//
// Reduce, Softmax, LayerNorm
//===----------------------------------------------------------------------===//

LogicalResult ReduceOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  ArrayRef<int64_t> axes = getAxes();
  if (axes.empty())
    return emitOpError("needs at least one axis");
  for (auto [i, a] : llvm::enumerate(axes)) {
    if (a < 0 || a >= in.getRank())
      return emitOpError("axis ")
             << a << " is outside [0, " << in.getRank() << ")";
    if (i > 0 && axes[i - 1] >= a)
      return emitOpError("axes ")
             << shapeStr(axes) << " are not strictly increasing";
  }
  SmallVector<int64_t> expected(in.getShape());
  for (int64_t a : axes)
    expected[a] = 1;
  if (out.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result shape ")
           << shapeStr(out.getShape()) << " differs from expected "
           << shapeStr(expected) << " (reduced dimensions are kept as 1)";
  return success();
}

OpFoldResult ReduceOp::fold(FoldAdaptor adaptor) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  auto inType = cast<ShapedType>(getInput().getType());
  auto outType = cast<ShapedType>(getType());
  if (!dense || inType.getNumElements() > (1 << 20))
    return {};
  ArrayRef<int64_t> inShape = inType.getShape();
  SmallVector<int64_t> outStride = stridesOf(outType.getShape());
  SmallVector<bool> reduced(inShape.size(), false);
  for (int64_t a : getAxes())
    reduced[a] = true;
  int64_t n = inType.getNumElements(), m = outType.getNumElements();
  int64_t count = m ? n / std::max<int64_t>(m, 1) : 0;
  SmallVector<int64_t> idx(inShape.size(), 0);
  auto outIndex = [&]() {
    int64_t o = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      if (!reduced[d])
        o += idx[d] * outStride[d];
    return o;
  };
  auto advance = [&]() {
    for (int64_t d = static_cast<int64_t>(inShape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < inShape[d])
        return;
      idx[d] = 0;
    }
  };
  ReduceKind kind = getKind();
  if (auto ft = dyn_cast<FloatType>(outType.getElementType())) {
    double init = kind == ReduceKind::max ? -INFINITY : 0.0;
    SmallVector<double> acc(m, init);
    auto vals = dense.getValues<APFloat>();
    for (int64_t i = 0; i < n; ++i, advance()) {
      double v = vals[dense.isSplat() ? 0 : i].convertToDouble();
      double &a = acc[outIndex()];
      if (kind == ReduceKind::max)
        a = (std::isnan(a) || std::isnan(v)) ? NAN : std::max(a, v);
      else
        a += v;
    }
    SmallVector<APFloat> out;
    for (double a : acc) {
      if (kind == ReduceKind::mean)
        a = count ? a / double(count) : NAN;
      APFloat r(a);
      bool losesInfo = false;
      r.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                &losesInfo);
      out.push_back(r);
    }
    return DenseElementsAttr::get(outType, out);
  }
  unsigned bits = outType.getElementTypeBitWidth();
  APInt init = kind == ReduceKind::max ? APInt::getSignedMinValue(bits)
                                       : APInt::getZero(bits);
  SmallVector<APInt> acc(m, init);
  auto vals = dense.getValues<APInt>();
  for (int64_t i = 0; i < n; ++i, advance()) {
    APInt v = vals[dense.isSplat() ? 0 : i];
    APInt &a = acc[outIndex()];
    if (kind == ReduceKind::max)
      a = a.slt(v) ? v : a;
    else
      a += v;
  }
  if (kind == ReduceKind::mean) {
    if (!count)
      return {};
    for (APInt &a : acc)
      a = a.sdiv(APInt(bits, count));
  }
  return DenseElementsAttr::get(outType, acc);
}

namespace {
template <typename OpT> LogicalResult verifyAxis(OpT op, int64_t rank) {
  int64_t axis = op.getAxis();
  if (axis < 0 || axis >= rank)
    return op.emitOpError("axis ") << axis << " is outside [0, " << rank << ")";
  return success();
}
} // namespace

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, getType().getRank());
}

LogicalResult LogSoftmaxOp::verify() {
  return verifyAxis(*this, getType().getRank());
}

LogicalResult LayerNormOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  if (getResult().getType() != in)
    return emitOpError("result type ")
           << getResult().getType() << " differs from input type " << in;
  if (failed(verifyAxis(*this, in.getRank())))
    return failure();
  ArrayRef<int64_t> norm = in.getShape().drop_front(getAxis());
  for (auto [name, v] : {std::pair<const char *, Value>("scale", getScale()),
                         std::pair<const char *, Value>("bias", getBias())}) {
    if (!v)
      continue;
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getElementType() != in.getElementType())
      return emitOpError(name) << " has element type " << t.getElementType()
                               << ", expected " << in.getElementType();
    if (t.getShape() != norm)
      return emitOpError(name)
             << " has shape " << shapeStr(t.getShape())
             << ", expected the normalized shape " << shapeStr(norm);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Gather
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::verify() {
  auto data = cast<RankedTensorType>(getData().getType());
  auto indices = cast<RankedTensorType>(getIndices().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  int64_t axis = getAxis();
  if (axis < 0 || axis >= data.getRank())
    return emitOpError("axis ")
           << axis << " is outside [0, " << data.getRank() << ")";
  if (out.getElementType() != data.getElementType())
    return emitOpError("result element type ")
           << out.getElementType() << " differs from data element type "
           << data.getElementType();
  SmallVector<int64_t> expected(data.getShape().take_front(axis));
  llvm::append_range(expected, indices.getShape());
  llvm::append_range(expected, data.getShape().drop_front(axis + 1));
  if (out.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result shape ")
           << shapeStr(out.getShape()) << " differs from expected "
           << shapeStr(expected);
  // Constant indices must be in range.
  DenseIntElementsAttr cst;
  if (matchPattern(getIndices(), m_Constant(&cst))) {
    int64_t n = data.getDimSize(axis);
    for (const APInt &v : cst.getValues<APInt>()) {
      int64_t i = v.getSExtValue();
      if (i < -n || i >= n)
        return emitOpError("index ")
               << i << " is outside [" << -n << ", " << n << ")";
    }
  }
  return success();
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  auto indices = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getIndices());
  if (!indices || !adaptor.getData())
    return {};
  auto data = cast<ShapedType>(getData().getType());
  int64_t axis = getAxis(), n = data.getDimSize(axis);
  SmallVector<int64_t> idx;
  for (const APInt &v : indices.getValues<APInt>()) {
    int64_t i = toI64(v);
    if (i < -n || i >= n)
      return {};
    idx.push_back(i < 0 ? i + n : i);
  }
  ArrayRef<int64_t> ds = data.getShape();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= ds[d];
  for (size_t d = axis + 1; d < ds.size(); ++d)
    inner *= ds[d];
  int64_t q = idx.size();
  return buildByIndexMap({adaptor.getData()}, cast<ShapedType>(getType()),
                         [&](int64_t o, ArrayRef<int64_t>) {
                           int64_t in = o % inner, rest = o / inner;
                           int64_t j = rest % q, a = rest / q;
                           return std::pair<unsigned, int64_t>(
                               0, (a * n + idx[j]) * inner + in);
                         });
}

//===----------------------------------------------------------------------===//
// Slice
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  ArrayRef<int64_t> starts = getStarts(), steps = getSteps();
  int64_t rank = in.getRank();
  if (out.getRank() != rank || int64_t(starts.size()) != rank ||
      int64_t(steps.size()) != rank)
    return emitOpError("input rank ")
           << rank << ", result rank " << out.getRank() << ", " << starts.size()
           << " starts and " << steps.size() << " steps must all be equal";
  for (int64_t d = 0; d < rank; ++d) {
    int64_t n = in.getDimSize(d), m = out.getDimSize(d);
    if (steps[d] == 0)
      return emitOpError("step of dimension #") << d << " is 0";
    if (m == 0)
      continue;
    int64_t first = starts[d], last = starts[d] + (m - 1) * steps[d];
    if (first < 0 || first >= n || last < 0 || last >= n)
      return emitOpError("dimension #")
             << d << " reads indices " << first << " to " << last
             << ", outside [0, " << n << ")";
  }
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() &&
      llvm::all_of(getStarts(), [](int64_t s) { return s == 0; }) &&
      llvm::all_of(getSteps(), [](int64_t s) { return s == 1; }))
    return getInput();
  if (Attribute splat = getSplat(adaptor.getInput()))
    return DenseElementsAttr::get(cast<ShapedType>(getType()), splat);
  if (!adaptor.getInput())
    return {};
  SmallVector<int64_t> inStride =
      stridesOf(cast<ShapedType>(getInput().getType()).getShape());
  ArrayRef<int64_t> starts = getStarts(), steps = getSteps();
  return buildByIndexMap({adaptor.getInput()}, cast<ShapedType>(getType()),
                         [&](int64_t, ArrayRef<int64_t> idx) {
                           int64_t src = 0;
                           for (size_t d = 0; d < idx.size(); ++d)
                             src +=
                                 (starts[d] + idx[d] * steps[d]) * inStride[d];
                           return std::pair<unsigned, int64_t>(0, src);
                         });
}

//===----------------------------------------------------------------------===//
// Concat
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::verify() {
  auto out = cast<RankedTensorType>(getResult().getType());
  int64_t axis = getAxis(), rank = out.getRank();
  if (getInputs().empty())
    return emitOpError("needs at least one operand");
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is outside [0, " << rank << ")";
  int64_t total = 0;
  for (auto [i, v] : llvm::enumerate(getInputs())) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != rank)
      return emitOpError("operand #")
             << i << " has rank " << t.getRank() << ", expected " << rank;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && t.getDimSize(d) != out.getDimSize(d))
        return emitOpError("operand #")
               << i << " has shape " << shapeStr(t.getShape())
               << ", which differs from the result " << shapeStr(out.getShape())
               << " outside dimension #" << axis;
    total += t.getDimSize(axis);
  }
  if (total != out.getDimSize(axis))
    return emitOpError("result dimension #")
           << axis << " has size " << out.getDimSize(axis)
           << ", but the operands add up to " << total;
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1)
    return getInputs().front();
  auto out = cast<ShapedType>(getType());
  int64_t axis = getAxis();
  SmallVector<int64_t> offsets; // start of each operand along `axis`
  SmallVector<SmallVector<int64_t>> strides;
  int64_t off = 0;
  for (Value v : getInputs()) {
    auto t = cast<ShapedType>(v.getType());
    offsets.push_back(off);
    off += t.getDimSize(axis);
    strides.push_back(stridesOf(t.getShape()));
  }
  for (Attribute a : adaptor.getInputs())
    if (!a)
      return {};
  return buildByIndexMap(
      adaptor.getInputs(), out, [&](int64_t, ArrayRef<int64_t> idx) {
        unsigned k = 0;
        while (k + 1 < offsets.size() && idx[axis] >= offsets[k + 1])
          ++k;
        int64_t src = 0;
        for (size_t d = 0; d < idx.size(); ++d)
          src += (int64_t(d) == axis ? idx[d] - offsets[k] : idx[d]) *
                 strides[k][d];
        return std::pair<unsigned, int64_t>(k, src);
      });
}

//===----------------------------------------------------------------------===//
// Trilu
//===----------------------------------------------------------------------===//

LogicalResult TriluOp::verify() {
  if (getType().getRank() < 2)
    return emitOpError("input must have rank >= 2, got ")
           << getType().getRank();
  return success();
}

OpFoldResult TriluOp::fold(FoldAdaptor adaptor) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!dense)
    return {};
  auto type = cast<ShapedType>(getType());
  Attribute zero = Builder(getContext()).getZeroAttr(type.getElementType());
  auto zeros = DenseElementsAttr::get(type, zero);
  int64_t rank = type.getRank(), k = getK();
  bool upper = getUpper();
  return buildByIndexMap({dense, zeros}, type,
                         [&](int64_t o, ArrayRef<int64_t> idx) {
                           int64_t diff = idx[rank - 1] - idx[rank - 2];
                           bool keep = upper ? diff >= k : diff <= k;
                           return std::pair<unsigned, int64_t>(keep ? 0 : 1, o);
                         });
}

//===----------------------------------------------------------------------===//
// Cast
//===----------------------------------------------------------------------===//

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!dense)
    return {};
  auto type = cast<ShapedType>(getType());
  Type from = dense.getElementType(), to = type.getElementType();
  auto toFloat = dyn_cast<FloatType>(to);
  auto convert = [&](Attribute a) -> Attribute {
    if (auto f = dyn_cast<FloatAttr>(a)) {
      APFloat v = f.getValue();
      if (toFloat) {
        bool losesInfo = false;
        v.convert(toFloat.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                  &losesInfo);
        return FloatAttr::get(toFloat, v);
      }
      unsigned bits = to.getIntOrFloatBitWidth();
      if (bits == 1)
        return IntegerAttr::get(to, APInt(1, v.isZero() ? 0 : 1));
      APSInt r(bits, /*isUnsigned=*/false);
      bool exact = false;
      if (v.convertToInteger(r, APFloat::rmTowardZero, &exact) ==
          APFloat::opInvalidOp)
        return {};
      return IntegerAttr::get(to, r);
    }
    APInt v = cast<IntegerAttr>(a).getValue();
    bool isBool = from.isInteger(1);
    if (toFloat) {
      APFloat r(toFloat.getFloatSemantics());
      r.convertFromAPInt(v, /*IsSigned=*/!isBool, APFloat::rmNearestTiesToEven);
      return FloatAttr::get(toFloat, r);
    }
    unsigned bits = to.getIntOrFloatBitWidth();
    if (bits == 1)
      return IntegerAttr::get(to, APInt(1, v.isZero() ? 0 : 1));
    return IntegerAttr::get(to, isBool ? v.zext(bits) : v.sextOrTrunc(bits));
  };
  if (dense.isSplat()) {
    Attribute c = convert(dense.getSplatValue<Attribute>());
    return c ? DenseElementsAttr::get(type, c) : Attribute();
  }
  SmallVector<Attribute> out;
  for (Attribute a : dense.getValues<Attribute>()) {
    Attribute c = convert(a);
    if (!c)
      return {};
    out.push_back(c);
  }
  return DenseElementsAttr::get(type, out);
}

#include "dialects/lpu/LpuEnums.cpp.inc"

#define GET_OP_CLASSES
#include "dialects/lpu/LpuOps.cpp.inc"

//===----------------------------------------------------------------------===//
// FusedOp
//===----------------------------------------------------------------------===//

LogicalResult FusedOp::verify() {
  Block &block = getBody().front();
  if (block.getNumArguments() != getInputs().size())
    return emitOpError() << "body has " << block.getNumArguments()
                         << " arguments for " << getInputs().size()
                         << " inputs";
  for (auto [arg, in] : llvm::zip(block.getArguments(), getInputs()))
    if (arg.getType() != in.getType())
      return emitOpError() << "body argument #" << arg.getArgNumber()
                           << " has type " << arg.getType() << ", input has "
                           << in.getType();
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield)
    return emitOpError() << "body must end with lpu.yield";
  if (yield.getValue().getType() != getType())
    return emitOpError() << "yields " << yield.getValue().getType()
                         << " for a result of type " << getType();
  for (Operation &op : block.without_terminator()) {
    if (llvm::isa<arith::ConstantOp>(op)) {
      auto dense =
          dyn_cast<DenseElementsAttr>(cast<arith::ConstantOp>(op).getValue());
      if (!dense || !dense.isSplat())
        return op.emitOpError() << "in lpu.fused must be a splat constant";
      continue;
    }
    if (!llvm::isa<AddOp, SubOp, MulOp, DivOp, PowOp, NegOp, ExpOp, ErfOp,
                   TanhOp, SigmoidOp, SqrtOp, RsqrtOp, RecipOp, ReluOp,
                   SelectOp, CompareOp, NotOp, BroadcastOp>(op))
      return op.emitOpError() << "cannot be part of lpu.fused";
  }
  return success();
}
