//===- LpuOps.cpp - lpu dialect operations --------------------------------===//

#include "dialects/lpu/LpuOps.h"

#include "mlir/Dialect/CommonFolders.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallBitVector.h"

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
Attribute transposeConstant(Attribute attr, ShapedType resultType,
                            ArrayRef<int64_t> perm) {
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
  if (Attribute splat = getSplat(adaptor.getInput()))
    return DenseElementsAttr::get(cast<ShapedType>(getType()), splat);
  return {};
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
// CastOp
//===----------------------------------------------------------------------===//

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!dense)
    return {};
  auto to = cast<FloatType>(getElementTypeOrSelf(getType()));
  return dense.mapValues(to, [&](const APFloat &v) {
    APFloat c = v;
    bool losesInfo = false;
    c.convert(to.getFloatSemantics(), APFloat::rmNearestTiesToEven, &losesInfo);
    return c.bitcastToAPInt();
  });
}

#define GET_OP_CLASSES
#include "dialects/lpu/LpuOps.cpp.inc"
