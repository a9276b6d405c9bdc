//===- OnnxToLpu.cpp - onnx dialect to lpu dialect ------------------------===//
//
// Each ONNX op type has a list of (since_version, conversion function)
// entries in `kPatterns`; a node of opset N uses the entry with the largest
// since_version <= N. Opset differences are therefore rows of the table, not
// branches in the conversion functions.
//
//===----------------------------------------------------------------------===//

#include "passes/conversion/Passes.h"

#include "dialects/lpu/LpuDialect.h"
#include "dialects/lpu/LpuOps.h"
#include "dialects/onnx/OnnxDialect.h"
#include "dialects/onnx/OnnxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

namespace lpuc {
#define GEN_PASS_DEF_ONNXTOLPU
#include "passes/conversion/Passes.h.inc"
} // namespace lpuc

using namespace mlir;
using lpuc::onnxir::NodeOp;
namespace lpu = lpuc::lpu;

namespace {

using Values = SmallVector<Value>;
/// A conversion function: builds the replacement of every result of `node`
/// at the builder's insertion point, or emits an error at the node and fails.
using ConvertFn = FailureOr<Values> (*)(NodeOp node, OpBuilder &b);

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string nodeName(NodeOp node) {
  StringRef name = node.getNodeName();
  return name.empty() ? std::string("<unnamed>") : name.str();
}

/// `Op 'name': ` prefix of every conversion diagnostic.
InFlightDiagnostic nodeError(NodeOp node) {
  return node->emitError() << node.getOpType() << " '" << nodeName(node)
                           << "': ";
}

std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(shape, os);
  os << "]";
  return s;
}

bool isNone(Value v) { return isa<NoneType>(v.getType()); }

/// Operand `i` if present (not `onnx.none`, not beyond the operand list).
Value optionalInput(NodeOp node, unsigned i) {
  if (i >= node.getInputs().size() || isNone(node.getInputs()[i]))
    return {};
  return node.getInputs()[i];
}

/// The static ranked tensor type of input `i`, or an error.
FailureOr<RankedTensorType> inputType(NodeOp node, unsigned i) {
  if (i >= node.getInputs().size() || isNone(node.getInputs()[i])) {
    nodeError(node) << "input #" << i << " is required";
    return failure();
  }
  Value v = node.getInputs()[i];
  // A producer that failed to convert has reported its error already.
  if (v.getDefiningOp<NodeOp>())
    return failure();
  auto type = dyn_cast<RankedTensorType>(v.getType());
  // A graph input with symbolic dimensions that --dim did not bind.
  if (auto arg = dyn_cast<BlockArgument>(v);
      arg && type && !type.hasStaticShape()) {
    Operation *fn = arg.getOwner()->getParentOp();
    auto all = fn->getAttrOfType<DictionaryAttr>("onnx.dim_params");
    auto inputName = cast<FunctionOpInterface>(fn).getArgAttrOfType<StringAttr>(
        arg.getArgNumber(), "onnx.name");
    auto names = all && inputName ? all.getAs<ArrayAttr>(inputName) : nullptr;
    for (auto [d, size] : llvm::enumerate(type.getShape())) {
      if (!names || !ShapedType::isDynamic(size) || d >= names.size())
        continue;
      auto name = dyn_cast<StringAttr>(names[d]);
      if (!name || name.getValue().empty())
        continue;
      nodeError(node) << "dimension #" << d << " of graph input '"
                      << inputName.getValue() << "' is the symbolic dimension '"
                      << name.getValue() << "'; give it a value with --dim "
                      << name.getValue() << "=VALUE";
      return failure();
    }
  }
  if (!type || !type.hasStaticShape() ||
      !isa<FloatType, IntegerType>(type.getElementType())) {
    nodeError(node)
        << "input #" << i << " has type " << v.getType()
        << "; a static shape and a known element type are "
           "required (bind symbolic dimensions with --dim NAME=VALUE)";
    return failure();
  }
  return type;
}

RankedTensorType withShape(RankedTensorType t, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, t.getElementType());
}

Value broadcastTo(OpBuilder &b, Location loc, Value v,
                  ArrayRef<int64_t> shape) {
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getShape() == shape)
    return v;
  return lpu::BroadcastOp::create(b, loc, withShape(t, shape), v);
}

Value reshapeTo(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getShape() == shape)
    return v;
  return lpu::ReshapeOp::create(b, loc, withShape(t, shape), v);
}

/// A splat constant of `type` holding `value`; fails (with an error) when
/// an integer type cannot hold `value` exactly.
FailureOr<Value> splatConstant(NodeOp node, OpBuilder &b, RankedTensorType type,
                               double value, StringRef what) {
  Type elt = type.getElementType();
  Attribute scalar;
  if (auto ft = dyn_cast<FloatType>(elt)) {
    scalar = b.getFloatAttr(ft, value);
  } else {
    auto it = cast<IntegerType>(elt);
    if (value != static_cast<double>(static_cast<int64_t>(value))) {
      nodeError(node) << what << " = " << value
                      << " is not an integer, but the element type is " << elt;
      return failure();
    }
    scalar = b.getIntegerAttr(it, static_cast<int64_t>(value));
  }
  return arith::ConstantOp::create(b, node.getLoc(),
                                   DenseElementsAttr::get(type, scalar))
      .getResult();
}

/// The integer values of a constant 1-D tensor, or failure.
FailureOr<SmallVector<int64_t>> constantInts(Value v, bool &noData) {
  noData = false;
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr))) {
    if (auto c = v.getDefiningOp<lpuc::onnxir::ConstantOp>())
      attr = c.getValue();
    else
      return failure();
  }
  SmallVector<int64_t> out;
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    for (const APInt &x : dense.getValues<APInt>())
      out.push_back(x.getSExtValue());
    return out;
  }
  if (auto res = dyn_cast<DenseI64ResourceElementsAttr>(attr)) {
    const AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob) {
      noData = true;
      return failure();
    }
    // Copied out byte-wise: a blob used in place from the model file may
    // sit at any address.
    ArrayRef<char> data = blob->getData();
    out.resize(data.size() / sizeof(int64_t));
    if (!out.empty())
      std::memcpy(out.data(), data.data(), out.size() * sizeof(int64_t));
    return out;
  }
  return failure();
}

//===----------------------------------------------------------------------===//
// Conversion functions
//===----------------------------------------------------------------------===//

/// Add, Sub, Mul (opset 7+): numpy (multidirectional) broadcasting.
template <typename OpT>
FailureOr<Values> convertBinary(NodeOp node, OpBuilder &b) {
  auto lt = inputType(node, 0);
  auto rt = inputType(node, 1);
  if (failed(lt) || failed(rt))
    return failure();
  if (lt->getElementType() != rt->getElementType()) {
    nodeError(node) << "element types differ: " << lt->getElementType()
                    << " vs " << rt->getElementType();
    return failure();
  }
  auto shape = lpu::broadcastShapes(lt->getShape(), rt->getShape());
  if (failed(shape)) {
    nodeError(node) << "shapes " << shapeStr(lt->getShape()) << " and "
                    << shapeStr(rt->getShape()) << " do not broadcast";
    return failure();
  }
  Location loc = node.getLoc();
  Value lhs = broadcastTo(b, loc, node.getInputs()[0], *shape);
  Value rhs = broadcastTo(b, loc, node.getInputs()[1], *shape);
  return Values{OpT::create(b, loc, withShape(*lt, *shape), lhs, rhs)};
}

/// Relu (6+).
FailureOr<Values> convertRelu(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t))
    return failure();
  return Values{lpu::ReluOp::create(b, node.getLoc(), *t, node.getInputs()[0])};
}

/// Identity (1+): forwards its input.
FailureOr<Values> convertIdentity(NodeOp node, OpBuilder &b) {
  if (failed(inputType(node, 0)))
    return failure();
  return Values{node.getInputs()[0]};
}

/// MatMul (1+): numpy.matmul. 1-D operands get a unit dimension that is
/// removed again from the result; batch dimensions broadcast.
FailureOr<Values> convertMatMul(NodeOp node, OpBuilder &b) {
  auto at = inputType(node, 0);
  auto bt = inputType(node, 1);
  if (failed(at) || failed(bt))
    return failure();
  if (at->getElementType() != bt->getElementType()) {
    nodeError(node) << "element types differ: " << at->getElementType()
                    << " vs " << bt->getElementType();
    return failure();
  }
  if (at->getRank() == 0 || bt->getRank() == 0) {
    nodeError(node) << "operands must have rank >= 1";
    return failure();
  }
  Location loc = node.getLoc();
  Value a = node.getInputs()[0], bv = node.getInputs()[1];
  SmallVector<int64_t> as(at->getShape()), bs(bt->getShape());
  bool dropM = as.size() == 1, dropN = bs.size() == 1;
  if (dropM)
    as.insert(as.begin(), 1);
  if (dropN)
    bs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back();
  int64_t k2 = bs[bs.size() - 2], n = bs.back();
  if (k != k2) {
    nodeError(node) << "contracting dimensions differ: " << k << " vs " << k2
                    << " (shapes " << shapeStr(at->getShape()) << " and "
                    << shapeStr(bt->getShape()) << ")";
    return failure();
  }
  ArrayRef<int64_t> aBatch = ArrayRef<int64_t>(as).drop_back(2);
  ArrayRef<int64_t> bBatch = ArrayRef<int64_t>(bs).drop_back(2);
  auto batch = lpu::broadcastShapes(aBatch, bBatch);
  if (failed(batch)) {
    nodeError(node) << "batch dimensions " << shapeStr(aBatch) << " and "
                    << shapeStr(bBatch) << " do not broadcast";
    return failure();
  }
  a = reshapeTo(b, loc, a, as);
  bv = reshapeTo(b, loc, bv, bs);
  SmallVector<int64_t> aFull(*batch), bFull(*batch), rFull(*batch);
  aFull.append({m, k});
  bFull.append({k, n});
  rFull.append({m, n});
  a = broadcastTo(b, loc, a, aFull);
  bv = broadcastTo(b, loc, bv, bFull);
  Value r = lpu::MatmulOp::create(b, loc, withShape(*at, rFull), a, bv);
  SmallVector<int64_t> outShape(*batch);
  if (!dropM)
    outShape.push_back(m);
  if (!dropN)
    outShape.push_back(n);
  return Values{reshapeTo(b, loc, r, outShape)};
}

/// Gemm: Y = alpha * op(A) @ op(B) + beta * C, with C unidirectionally
/// broadcast to [M, N]. `cOptional` is true from opset 11.
FailureOr<Values> convertGemmImpl(NodeOp node, OpBuilder &b, bool cOptional) {
  auto at = inputType(node, 0);
  auto bt = inputType(node, 1);
  if (failed(at) || failed(bt))
    return failure();
  if (at->getRank() != 2 || bt->getRank() != 2) {
    nodeError(node) << "A and B must be 2-D, got " << shapeStr(at->getShape())
                    << " and " << shapeStr(bt->getShape());
    return failure();
  }
  if (at->getElementType() != bt->getElementType()) {
    nodeError(node) << "element types differ: " << at->getElementType()
                    << " vs " << bt->getElementType();
    return failure();
  }
  Location loc = node.getLoc();
  auto transpose = [&](Value v) -> Value {
    auto t = cast<RankedTensorType>(v.getType());
    return lpu::TransposeOp::create(
        b, loc, withShape(t, {t.getDimSize(1), t.getDimSize(0)}), v,
        b.getDenseI64ArrayAttr({1, 0}));
  };
  Value a = node.getInputs()[0], bv = node.getInputs()[1];
  if (node.getIntAttr("transA").value_or(0))
    a = transpose(a);
  if (node.getIntAttr("transB").value_or(0))
    bv = transpose(bv);
  auto aT = cast<RankedTensorType>(a.getType());
  auto bT = cast<RankedTensorType>(bv.getType());
  int64_t m = aT.getDimSize(0), k = aT.getDimSize(1);
  int64_t k2 = bT.getDimSize(0), n = bT.getDimSize(1);
  if (k != k2) {
    nodeError(node) << "contracting dimensions differ: " << k << " vs " << k2
                    << " (op(A) is " << shapeStr(aT.getShape()) << ", op(B) is "
                    << shapeStr(bT.getShape()) << ")";
    return failure();
  }
  RankedTensorType yT = withShape(aT, {m, n});
  Value y = lpu::MatmulOp::create(b, loc, yT, a, bv);
  double alpha = node.getFloatAttr("alpha").value_or(1.0f);
  if (alpha != 1.0) {
    auto s = splatConstant(node, b, yT, alpha, "alpha");
    if (failed(s))
      return failure();
    y = lpu::MulOp::create(b, loc, yT, y, *s);
  }
  Value c = optionalInput(node, 2);
  if (!c) {
    if (cOptional)
      return Values{y};
    nodeError(node) << "input C is required before opset 11";
    return failure();
  }
  auto ct = inputType(node, 2);
  if (failed(ct))
    return failure();
  if (ct->getElementType() != yT.getElementType()) {
    nodeError(node) << "C has element type " << ct->getElementType()
                    << ", expected " << yT.getElementType();
    return failure();
  }
  if (!lpu::isBroadcastableTo(ct->getShape(), yT.getShape())) {
    nodeError(node) << "C of shape " << shapeStr(ct->getShape())
                    << " does not broadcast to " << shapeStr(yT.getShape());
    return failure();
  }
  double beta = node.getFloatAttr("beta").value_or(1.0f);
  if (beta != 1.0) {
    // Scale C before broadcasting it: fewer multiplications.
    auto s = splatConstant(node, b, *ct, beta, "beta");
    if (failed(s))
      return failure();
    c = lpu::MulOp::create(b, loc, *ct, c, *s);
  }
  c = broadcastTo(b, loc, c, yT.getShape());
  return Values{lpu::AddOp::create(b, loc, yT, y, c)};
}

FailureOr<Values> convertGemm7(NodeOp node, OpBuilder &b) {
  return convertGemmImpl(node, b, /*cOptional=*/false);
}
FailureOr<Values> convertGemm11(NodeOp node, OpBuilder &b) {
  return convertGemmImpl(node, b, /*cOptional=*/true);
}

/// Constant: the `value` tensor attribute, and from opset 12 also
/// value_float(s) / value_int(s).
FailureOr<Values> convertConstantImpl(NodeOp node, OpBuilder &b,
                                      bool scalarForms) {
  Location loc = node.getLoc();
  auto make = [&](TypedAttr attr) -> FailureOr<Values> {
    return Values{arith::ConstantOp::create(b, loc, attr).getResult()};
  };
  if (ElementsAttr value = node.getTensorAttr("value"))
    return make(cast<TypedAttr>(value));
  if (scalarForms) {
    if (auto f = node.getFloatAttr("value_float");
        f && isa<FloatAttr>(node.getOnnxAttr("value_float")))
      return make(DenseElementsAttr::get(
          RankedTensorType::get({}, b.getF32Type()), *f));
    if (auto fs = node.getFloatsAttr("value_floats"))
      return make(DenseElementsAttr::get(
          RankedTensorType::get({static_cast<int64_t>(fs->size())},
                                b.getF32Type()),
          *fs));
    if (auto i = node.getIntAttr("value_int"))
      return make(DenseElementsAttr::get(
          RankedTensorType::get({}, b.getI64Type()), *i));
    if (auto is = node.getIntsAttr("value_ints"))
      return make(DenseElementsAttr::get(
          RankedTensorType::get({static_cast<int64_t>(is->size())},
                                b.getI64Type()),
          *is));
  }
  nodeError(node) << "only a tensor value"
                  << (scalarForms ? " or value_float(s) / value_int(s)" : "")
                  << " is supported (attributes: " << node.getAttrs() << ")";
  return failure();
}

FailureOr<Values> convertConstant1(NodeOp node, OpBuilder &b) {
  return convertConstantImpl(node, b, /*scalarForms=*/false);
}
FailureOr<Values> convertConstant12(NodeOp node, OpBuilder &b) {
  return convertConstantImpl(node, b, /*scalarForms=*/true);
}

/// Reshape with the target shape as a constant input (opset 5+). `allowZero`
/// (opset 14+) makes a 0 mean an empty dimension instead of "copy".
FailureOr<Values> convertReshapeImpl(NodeOp node, OpBuilder &b,
                                     bool allowZeroAttr) {
  auto dt = inputType(node, 0);
  if (failed(dt))
    return failure();
  Value shapeV = optionalInput(node, 1);
  if (!shapeV) {
    nodeError(node) << "input 'shape' is required";
    return failure();
  }
  bool noData = false;
  auto requested = constantInts(shapeV, noData);
  if (failed(requested)) {
    if (noData) {
      nodeError(node) << "input 'shape' is a constant without data (weights "
                         "not loaded)";
      return failure();
    }
    if (shapeV.getDefiningOp<NodeOp>())
      return failure(); // its producer reported already
    std::string inputName = "NAME";
    if (auto arg = dyn_cast<BlockArgument>(shapeV))
      if (auto fn =
              dyn_cast<FunctionOpInterface>(arg.getOwner()->getParentOp()))
        if (auto n = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                     "onnx.name"))
          inputName = n.getValue().str();
    nodeError(node) << "input 'shape' decides the output shape but is not a "
                       "constant; freeze it with --freeze "
                    << inputName << "=FILE";
    return failure();
  }
  bool allowZero = allowZeroAttr && node.getIntAttr("allowzero").value_or(0);
  ArrayRef<int64_t> in = dt->getShape();
  SmallVector<int64_t> out;
  int64_t inferAt = -1, known = 1;
  bool hasZero = false;
  for (auto [i, d] : llvm::enumerate(*requested)) {
    if (d == -1) {
      if (inferAt >= 0) {
        nodeError(node) << "shape " << shapeStr(*requested)
                        << " has more than one -1";
        return failure();
      }
      inferAt = i;
      out.push_back(1);
      continue;
    }
    if (d < -1) {
      nodeError(node) << "shape " << shapeStr(*requested)
                      << " has a negative dimension " << d;
      return failure();
    }
    if (d == 0 && !allowZero) {
      if (i >= in.size()) {
        nodeError(node) << "shape " << shapeStr(*requested)
                        << " copies dimension #" << i << " (0) but the input "
                        << shapeStr(in) << " has rank " << in.size();
        return failure();
      }
      d = in[i];
    } else if (d == 0) {
      hasZero = true;
    }
    out.push_back(d);
    known *= d;
  }
  if (hasZero && inferAt >= 0) {
    nodeError(node) << "shape " << shapeStr(*requested)
                    << " has both 0 and -1 with allowzero = 1";
    return failure();
  }
  int64_t total = dt->getNumElements();
  if (inferAt >= 0) {
    if (known == 0 || total % known != 0) {
      nodeError(node) << "cannot infer the -1 in " << shapeStr(*requested)
                      << " for an input of shape " << shapeStr(in);
      return failure();
    }
    out[inferAt] = total / known;
  }
  if (RankedTensorType::get(out, dt->getElementType()).getNumElements() !=
      total) {
    nodeError(node) << "cannot reshape " << shapeStr(in) << " (" << total
                    << " elements) to " << shapeStr(out);
    return failure();
  }
  return Values{reshapeTo(b, node.getLoc(), node.getInputs()[0], out)};
}

FailureOr<Values> convertReshape5(NodeOp node, OpBuilder &b) {
  return convertReshapeImpl(node, b, /*allowZeroAttr=*/false);
}
FailureOr<Values> convertReshape14(NodeOp node, OpBuilder &b) {
  return convertReshapeImpl(node, b, /*allowZeroAttr=*/true);
}

//===----------------------------------------------------------------------===//
// Helpers for the ops below
//===----------------------------------------------------------------------===//

/// Reports a non-constant input that decides a shape, naming the graph input
/// to freeze when it is one. Always returns failure.
FailureOr<SmallVector<int64_t>> notConstant(NodeOp node, Value v,
                                            StringRef what, bool noData) {
  if (noData) {
    nodeError(node) << "input '" << what
                    << "' is a constant without data (weights not loaded)";
    return failure();
  }
  if (v.getDefiningOp<NodeOp>())
    return failure(); // its producer reported already
  std::string inputName = "NAME";
  if (auto arg = dyn_cast<BlockArgument>(v))
    if (auto fn = dyn_cast<FunctionOpInterface>(arg.getOwner()->getParentOp()))
      if (auto n =
              fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "onnx.name"))
        inputName = n.getValue().str();
  nodeError(node) << "input '" << what
                  << "' must be a compile-time constant but is computed at "
                     "run time; freeze it with --freeze "
                  << inputName << "=FILE";
  return failure();
}

/// The integer values of constant input `i` (named `what` in errors).
FailureOr<SmallVector<int64_t>> requireInts(NodeOp node, unsigned i,
                                            StringRef what) {
  Value v = optionalInput(node, i);
  if (!v) {
    nodeError(node) << "input '" << what << "' is required";
    return failure();
  }
  bool noData = false;
  auto vals = constantInts(v, noData);
  if (failed(vals))
    return notConstant(node, v, what, noData);
  return vals;
}

/// The constant attribute behind `v` (after eager folding), or null.
ElementsAttr constantAttr(Value v) {
  Attribute attr;
  if (v && matchPattern(v, m_Constant(&attr)))
    return dyn_cast<ElementsAttr>(attr);
  return {};
}

/// A scalar (one-element) float or integer constant as a double.
FailureOr<double> requireScalar(NodeOp node, unsigned i, StringRef what) {
  Value v = optionalInput(node, i);
  if (!v) {
    nodeError(node) << "input '" << what << "' is required";
    return failure();
  }
  auto dense = dyn_cast_or_null<DenseElementsAttr>(constantAttr(v));
  if (!dense) {
    (void)notConstant(node, v, what, false);
    return failure();
  }
  if (dense.getNumElements() != 1) {
    nodeError(node) << "input '" << what << "' must have one element, got "
                    << dense.getNumElements();
    return failure();
  }
  if (isa<FloatType>(dense.getElementType()))
    return (*dense.getValues<APFloat>().begin()).convertToDouble();
  return static_cast<double>(
      (*dense.getValues<APInt>().begin()).getSExtValue());
}

/// Normalizes an ONNX axis (negative counts from the end) into [0, rank).
FailureOr<int64_t> normalizeAxis(NodeOp node, int64_t axis, int64_t rank,
                                 StringRef what = "axis") {
  if (axis < -rank || axis >= rank) {
    nodeError(node) << what << " " << axis << " is outside [" << -rank << ", "
                    << rank << ")";
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

/// Normalized, sorted, duplicate-free axes.
FailureOr<SmallVector<int64_t>>
normalizeAxes(NodeOp node, ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t a : axes) {
    auto n = normalizeAxis(node, a, rank);
    if (failed(n))
      return failure();
    if (llvm::is_contained(out, *n)) {
      nodeError(node) << "axis " << a << " is repeated in " << shapeStr(axes);
      return failure();
    }
    out.push_back(*n);
  }
  llvm::sort(out);
  return out;
}

/// Requires a float element type.
LogicalResult requireFloat(NodeOp node, RankedTensorType t) {
  if (isa<FloatType>(t.getElementType()))
    return success();
  nodeError(node) << "element type " << t.getElementType()
                  << " is not supported (float only)";
  return failure();
}

int64_t product(ArrayRef<int64_t> s) {
  int64_t p = 1;
  for (int64_t d : s)
    p *= d;
  return p;
}

/// All inputs broadcast (numpy rules) to one shape; fails with an error.
FailureOr<SmallVector<int64_t>> broadcastAll(NodeOp node,
                                             ArrayRef<RankedTensorType> types) {
  SmallVector<int64_t> shape;
  for (RankedTensorType t : types) {
    auto s = lpu::broadcastShapes(shape, t.getShape());
    if (failed(s)) {
      InFlightDiagnostic d = nodeError(node) << "shapes ";
      for (auto [i, u] : llvm::enumerate(types))
        d << (i ? ", " : "") << shapeStr(u.getShape());
      d << " do not broadcast";
      return failure();
    }
    shape = *s;
  }
  return shape;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// Pow (7+; 12+ lets the exponent have another type: it is cast to the
/// base's type, so a float exponent of an integer base is truncated).
FailureOr<Values> convertPow(NodeOp node, OpBuilder &b) {
  auto lt = inputType(node, 0);
  auto rt = inputType(node, 1);
  if (failed(lt) || failed(rt))
    return failure();
  auto shape = lpu::broadcastShapes(lt->getShape(), rt->getShape());
  if (failed(shape)) {
    nodeError(node) << "shapes " << shapeStr(lt->getShape()) << " and "
                    << shapeStr(rt->getShape()) << " do not broadcast";
    return failure();
  }
  Location loc = node.getLoc();
  Value exp = node.getInputs()[1];
  if (rt->getElementType() != lt->getElementType())
    exp = lpu::CastOp::create(b, loc, rt->clone(lt->getElementType()), exp);
  Value lhs = broadcastTo(b, loc, node.getInputs()[0], *shape);
  Value rhs = broadcastTo(b, loc, exp, *shape);
  return Values{lpu::PowOp::create(b, loc, withShape(*lt, *shape), lhs, rhs)};
}

/// Exp, Erf, Tanh, Sigmoid, Sqrt, Reciprocal, Cos, Sin, Neg: one lpu op.
template <typename OpT, bool FloatOnly = true>
FailureOr<Values> convertUnary(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t) || (FloatOnly && failed(requireFloat(node, *t))))
    return failure();
  return Values{OpT::create(b, node.getLoc(), *t, node.getInputs()[0])};
}

/// Not (1+): bool tensors.
FailureOr<Values> convertNot(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t))
    return failure();
  if (!t->getElementType().isInteger(1)) {
    nodeError(node) << "input has element type " << t->getElementType()
                    << ", expected bool (i1)";
    return failure();
  }
  return Values{lpu::NotOp::create(b, node.getLoc(), *t, node.getInputs()[0])};
}

/// Equal (11+), Less (9+): numpy broadcasting, bool result.
template <lpu::ComparePredicate P>
FailureOr<Values> convertCompare(NodeOp node, OpBuilder &b) {
  auto lt = inputType(node, 0);
  auto rt = inputType(node, 1);
  if (failed(lt) || failed(rt))
    return failure();
  if (lt->getElementType() != rt->getElementType()) {
    nodeError(node) << "element types differ: " << lt->getElementType()
                    << " vs " << rt->getElementType();
    return failure();
  }
  auto shape = broadcastAll(node, {*lt, *rt});
  if (failed(shape))
    return failure();
  Location loc = node.getLoc();
  Value lhs = broadcastTo(b, loc, node.getInputs()[0], *shape);
  Value rhs = broadcastTo(b, loc, node.getInputs()[1], *shape);
  return Values{lpu::CompareOp::create(
      b, loc, RankedTensorType::get(*shape, b.getI1Type()), P, lhs, rhs)};
}

/// Where (9+): numpy broadcasting of condition, X and Y.
FailureOr<Values> convertWhere(NodeOp node, OpBuilder &b) {
  auto ct = inputType(node, 0);
  auto xt = inputType(node, 1);
  auto yt = inputType(node, 2);
  if (failed(ct) || failed(xt) || failed(yt))
    return failure();
  if (!ct->getElementType().isInteger(1) ||
      xt->getElementType() != yt->getElementType()) {
    nodeError(node) << "expects a bool condition and X, Y of one type, got "
                    << ct->getElementType() << ", " << xt->getElementType()
                    << ", " << yt->getElementType();
    return failure();
  }
  auto shape = broadcastAll(node, {*ct, *xt, *yt});
  if (failed(shape))
    return failure();
  Location loc = node.getLoc();
  Value c = broadcastTo(b, loc, node.getInputs()[0], *shape);
  Value x = broadcastTo(b, loc, node.getInputs()[1], *shape);
  Value y = broadcastTo(b, loc, node.getInputs()[2], *shape);
  return Values{lpu::SelectOp::create(b, loc, withShape(*xt, *shape), c, x, y)};
}

/// The MLIR element type of an ONNX TensorProto data type (signless
/// integers; unsigned types are not supported by the lpu dialect).
Type onnxElementType(OpBuilder &b, int64_t dtype) {
  switch (dtype) {
  case 1:
    return b.getF32Type();
  case 3:
    return b.getIntegerType(8);
  case 5:
    return b.getIntegerType(16);
  case 6:
    return b.getI32Type();
  case 7:
    return b.getI64Type();
  case 9:
    return b.getI1Type();
  case 10:
    return b.getF16Type();
  case 11:
    return b.getF64Type();
  case 16:
    return b.getBF16Type();
  default:
    return {};
  }
}

/// Cast (6+; 13 adds bf16; 19 adds `saturate` for float8, not supported).
FailureOr<Values> convertCast(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t))
    return failure();
  std::optional<int64_t> to = node.getIntAttr("to");
  Type elt = to ? onnxElementType(b, *to) : Type();
  if (!elt) {
    nodeError(node) << "unsupported target type 'to' = "
                    << (to ? std::to_string(*to) : std::string("<absent>"));
    return failure();
  }
  if (!t->getElementType().isSignlessIntOrFloat()) {
    nodeError(node) << "unsupported input element type " << t->getElementType();
    return failure();
  }
  if (elt == t->getElementType())
    return Values{node.getInputs()[0]};
  return Values{lpu::CastOp::create(b, node.getLoc(), t->clone(elt),
                                    node.getInputs()[0])};
}

//===----------------------------------------------------------------------===//
// Softmax, LayerNormalization, reductions
//===----------------------------------------------------------------------===//

/// Softmax / LogSoftmax. Before opset 13 the input is coerced to 2-D at
/// `axis` (default 1) and normalized over the flattened trailing part; from
/// 13 the normalization is along `axis` (default -1) alone.
template <typename OpT, bool Legacy>
FailureOr<Values> convertSoftmax(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t) || failed(requireFloat(node, *t)))
    return failure();
  int64_t rank = t->getRank();
  if (rank == 0) {
    nodeError(node) << "input must have rank >= 1";
    return failure();
  }
  auto axis = normalizeAxis(
      node, node.getIntAttr("axis").value_or(Legacy ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  Location loc = node.getLoc();
  Value x = node.getInputs()[0];
  if (!Legacy)
    return Values{OpT::create(b, loc, *t, x, *axis)};
  ArrayRef<int64_t> s = t->getShape();
  SmallVector<int64_t> flat = {product(s.take_front(*axis)),
                               product(s.drop_front(*axis))};
  Value f = reshapeTo(b, loc, x, flat);
  Value r = OpT::create(b, loc, withShape(*t, flat), f, int64_t(1));
  return Values{reshapeTo(b, loc, r, s)};
}

/// LayerNormalization (17): over dims [axis, rank); Scale required, B
/// optional, both broadcast to the normalized shape. The Mean and InvStdDev
/// outputs, when used, are computed separately (lpu.reduce, rsqrt).
FailureOr<Values> convertLayerNorm(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t) || failed(requireFloat(node, *t)))
    return failure();
  auto axis =
      normalizeAxis(node, node.getIntAttr("axis").value_or(-1), t->getRank());
  if (failed(axis))
    return failure();
  Location loc = node.getLoc();
  ArrayRef<int64_t> norm = t->getShape().drop_front(*axis);
  Value params[2];
  for (unsigned i = 1; i <= 2; ++i) {
    Value v = optionalInput(node, i);
    if (!v) {
      if (i == 1) {
        nodeError(node) << "input 'Scale' is required";
        return failure();
      }
      continue;
    }
    auto pt = inputType(node, i);
    if (failed(pt))
      return failure();
    if (pt->getElementType() != t->getElementType() ||
        !lpu::isBroadcastableTo(pt->getShape(), norm)) {
      nodeError(node) << (i == 1 ? "Scale" : "B") << " of type " << *pt
                      << " does not broadcast to the normalized shape "
                      << shapeStr(norm);
      return failure();
    }
    params[i - 1] = broadcastTo(b, loc, v, norm);
  }
  float eps = node.getFloatAttr("epsilon").value_or(1e-5f);
  Values out{lpu::LayerNormOp::create(
      b, loc, *t, node.getInputs()[0], params[0], params[1],
      b.getI64IntegerAttr(*axis), b.getF32FloatAttr(eps))};
  out.resize(node.getNumResults());
  bool wantMean = out.size() > 1 && !node.getResult(1).use_empty();
  bool wantInvStd = out.size() > 2 && !node.getResult(2).use_empty();
  if (!wantMean && !wantInvStd)
    return out; // unused outputs get no value
  // Mean and InvStdDev = 1 / sqrt(mean((x - mean)^2) + epsilon), of the
  // `stash_type` (default float), with the normalized dimensions kept as 1.
  Type stash = onnxElementType(b, node.getIntAttr("stash_type").value_or(1));
  if (!isa_and_nonnull<FloatType>(stash)) {
    nodeError(node) << "unsupported stash_type";
    return failure();
  }
  Value x = node.getInputs()[0];
  RankedTensorType xt = t->clone(stash);
  if (stash != t->getElementType())
    x = lpu::CastOp::create(b, loc, xt, x);
  SmallVector<int64_t> axes, kept(t->getShape());
  for (int64_t d = *axis; d < t->getRank(); ++d) {
    axes.push_back(d);
    kept[d] = 1;
  }
  RankedTensorType keptT = withShape(xt, kept);
  Value mean = lpu::ReduceOp::create(b, loc, keptT, lpu::ReduceKind::mean, x,
                                     b.getDenseI64ArrayAttr(axes));
  out[1] = mean;
  if (wantInvStd) {
    Value d = lpu::SubOp::create(b, loc, xt, x,
                                 broadcastTo(b, loc, mean, xt.getShape()));
    Value sq = lpu::MulOp::create(b, loc, xt, d, d);
    Value var = lpu::ReduceOp::create(b, loc, keptT, lpu::ReduceKind::mean, sq,
                                      b.getDenseI64ArrayAttr(axes));
    auto e = splatConstant(node, b, keptT, eps, "epsilon");
    if (failed(e))
      return failure();
    out[2] = lpu::RsqrtOp::create(b, loc, keptT,
                                  lpu::AddOp::create(b, loc, keptT, var, *e));
  }
  return out;
}

/// ReduceSum / ReduceMean / ReduceMax. `AxesInput`: axes come from input #1
/// (ReduceSum 13+, ReduceMean and ReduceMax 18+) together with
/// `noop_with_empty_axes`; before, from the `axes` attribute.
template <lpu::ReduceKind K, bool AxesInput>
FailureOr<Values> convertReduce(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t))
    return failure();
  SmallVector<int64_t> axes;
  if (AxesInput) {
    if (optionalInput(node, 1)) {
      auto a = requireInts(node, 1, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
  } else if (auto a = node.getIntsAttr("axes")) {
    axes.assign(a->begin(), a->end());
  }
  Location loc = node.getLoc();
  Value x = node.getInputs()[0];
  int64_t rank = t->getRank();
  if (axes.empty()) {
    if (AxesInput && node.getIntAttr("noop_with_empty_axes").value_or(0))
      return Values{x};
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  auto norm = normalizeAxes(node, axes, rank);
  if (failed(norm))
    return failure();
  if (rank == 0)
    return Values{x};
  SmallVector<int64_t> kept(t->getShape()), dropped;
  for (int64_t a : *norm)
    kept[a] = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (!llvm::is_contained(*norm, d))
      dropped.push_back(t->getDimSize(d));
  Value r = lpu::ReduceOp::create(b, loc, withShape(*t, kept), K, x,
                                  b.getDenseI64ArrayAttr(*norm));
  if (node.getIntAttr("keepdims").value_or(1))
    return Values{r};
  return Values{reshapeTo(b, loc, r, dropped)};
}

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

/// Einsum (12+): labels found in one operand only and not in the output are
/// summed first (lpu.reduce). Then one operand must be a permutation
/// ("ij->ji"), and two operands have labels that are batch (both and
/// output), contracted (both, not output) or free (one operand and output):
/// transposes, reshapes and one batched lpu.matmul. An ellipsis gets fresh
/// labels for the dimensions it covers. Repeated labels (diagonals) and
/// ellipsis dimensions that broadcast are reported at the node.
FailureOr<Values> convertEinsum(NodeOp node, OpBuilder &b) {
  constexpr size_t npos = std::string::npos;
  std::optional<StringRef> eqAttr = node.getStringAttr("equation");
  if (!eqAttr) {
    nodeError(node) << "attribute 'equation' is required";
    return failure();
  }
  std::string eq;
  for (char c : *eqAttr)
    if (c != ' ')
      eq.push_back(c);
  std::string expandedNote; // how an ellipsis was expanded
  auto unsupported = [&](StringRef why) -> FailureOr<Values> {
    nodeError(node) << "equation '" << *eqAttr << "' is not supported: " << why
                    << expandedNote
                    << " (supported: transposes such as 'ij->ji' and "
                       "matmul forms such as 'bij,bjk->bik', "
                       "'bhid,bhjd->bhij', with or without '...')";
    return failure();
  };
  if (StringRef(eq).contains("...")) {
    // An ellipsis stands for the operand's dimensions that have no label
    // (numpy semantics): they get fresh labels, right-aligned across the
    // operands, and lead the output (implicit output) or replace its "...".
    size_t arrowAt = eq.find("->");
    std::string lhs = eq.substr(0, arrowAt);
    SmallVector<std::string> terms;
    for (StringRef part : llvm::split(StringRef(lhs), ','))
      terms.push_back(part.str());
    if (terms.size() != node.getInputs().size())
      return unsupported("the equation names " + std::to_string(terms.size()) +
                         " operands but the node has " +
                         std::to_string(node.getInputs().size()));
    std::string fresh;
    for (char c = 'A'; c <= 'Z'; ++c)
      if (eq.find(c) == npos)
        fresh.push_back(c);
    SmallVector<int64_t> ellipsisRank(terms.size(), 0);
    int64_t most = 0;
    for (auto [i, t] : llvm::enumerate(terms)) {
      size_t at = t.find("...");
      if (at == npos)
        continue;
      if (t.find("...", at + 3) != npos)
        return unsupported("two ellipses in one term");
      auto type = inputType(node, unsigned(i));
      if (failed(type))
        return failure();
      ellipsisRank[i] = type->getRank() - int64_t(t.size() - 3);
      if (ellipsisRank[i] < 0)
        return unsupported("operand #" + std::to_string(i) + " has rank " +
                           std::to_string(type->getRank()) +
                           ", fewer than "
                           "term '" +
                           t + "' names");
      most = std::max(most, ellipsisRank[i]);
    }
    if (most > int64_t(fresh.size()))
      return unsupported("the ellipsis covers more dimensions than there are "
                         "free labels");
    std::string all = fresh.substr(0, size_t(most));
    std::string expanded;
    for (auto [i, t] : llvm::enumerate(terms)) {
      if (i)
        expanded.push_back(',');
      size_t at = t.find("...");
      expanded += at == npos ? t
                             : t.substr(0, at) +
                                   all.substr(size_t(most - ellipsisRank[i])) +
                                   t.substr(at + 3);
    }
    if (arrowAt != npos) {
      std::string o = eq.substr(arrowAt + 2);
      size_t at = o.find("...");
      expanded +=
          "->" + (at == npos ? o : o.substr(0, at) + all + o.substr(at + 3));
    } else {
      // Implicit output: the ellipsis dimensions, then the labels that
      // appear once, in alphabetical order.
      std::map<char, int> count;
      for (const std::string &t : terms)
        for (char c : t)
          if (c != '.')
            ++count[c];
      expanded += "->" + all;
      for (auto [c, n] : count)
        if (n == 1)
          expanded.push_back(c);
    }
    eq = expanded;
    expandedNote = " (with the ellipsis expanded: '" + eq + "')";
  }
  size_t arrow = eq.find("->");
  std::string lhsSpec = eq.substr(0, arrow);
  SmallVector<std::string> ins;
  for (StringRef part : llvm::split(StringRef(lhsSpec), ','))
    ins.push_back(part.str());
  std::string out;
  if (arrow != std::string::npos) {
    out = eq.substr(arrow + 2);
  } else {
    // Implicit output: labels that appear once, in alphabetical order.
    std::map<char, int> count;
    for (const std::string &s : ins)
      for (char c : s)
        ++count[c];
    for (auto [c, n] : count)
      if (n == 1)
        out.push_back(c);
  }
  if (ins.size() != node.getInputs().size())
    return unsupported("the equation names " + std::to_string(ins.size()) +
                       " operands but the node has " +
                       std::to_string(node.getInputs().size()));
  auto hasRepeat = [](StringRef s) {
    for (size_t i = 0; i < s.size(); ++i)
      if (s.find(s[i], i + 1) != StringRef::npos)
        return true;
    return false;
  };
  if (hasRepeat(out) ||
      llvm::any_of(ins, [&](const std::string &s) { return hasRepeat(s); }))
    return unsupported("a label repeats within one term (diagonal)");
  SmallVector<RankedTensorType> types;
  for (unsigned i = 0; i < ins.size(); ++i) {
    auto t = inputType(node, i);
    if (failed(t))
      return failure();
    if (t->getRank() != int64_t(ins[i].size()))
      return unsupported("operand #" + std::to_string(i) + " has rank " +
                         std::to_string(t->getRank()) + " but term '" + ins[i] +
                         "' has " + std::to_string(ins[i].size()) + " labels");
    types.push_back(*t);
  }
  Location loc = node.getLoc();
  auto permuteTo = [&](Value v, StringRef from, StringRef to) -> Value {
    SmallVector<int64_t> perm;
    bool identity = true;
    for (char c : to) {
      perm.push_back(from.find(c));
      identity &= perm.back() == int64_t(perm.size() - 1);
    }
    if (identity)
      return v;
    auto t = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape;
    for (int64_t p : perm)
      shape.push_back(t.getDimSize(p));
    return lpu::TransposeOp::create(b, loc, withShape(t, shape), v,
                                    b.getDenseI64ArrayAttr(perm));
  };
  // A label in one operand only and not in the output is summed over
  // first (lpu.reduce sum, then the dimension is dropped).
  SmallVector<Value> operands(node.getInputs().begin(), node.getInputs().end());
  for (unsigned k = 0; k < ins.size(); ++k) {
    SmallVector<int64_t> axes, keptShape;
    std::string kept;
    for (auto [i, c] : llvm::enumerate(ins[k])) {
      bool elsewhere = out.find(c) != npos;
      for (unsigned j = 0; j < ins.size(); ++j)
        elsewhere |= j != k && ins[j].find(c) != npos;
      if (elsewhere) {
        kept.push_back(c);
        keptShape.push_back(types[k].getDimSize(i));
      } else {
        axes.push_back(i);
      }
    }
    if (axes.empty())
      continue;
    SmallVector<int64_t> reduced(types[k].getShape());
    for (int64_t a : axes)
      reduced[a] = 1;
    Value r = lpu::ReduceOp::create(b, loc, withShape(types[k], reduced),
                                    lpu::ReduceKind::sum, operands[k],
                                    b.getDenseI64ArrayAttr(axes));
    operands[k] = reshapeTo(b, loc, r, keptShape);
    ins[k] = kept;
    types[k] = cast<RankedTensorType>(operands[k].getType());
  }
  if (ins.size() == 1) {
    if (ins[0].size() != out.size() ||
        llvm::any_of(out, [&](char c) { return ins[0].find(c) == npos; }))
      return unsupported("a one-operand equation must be a permutation");
    return Values{permuteTo(operands[0], ins[0], out)};
  }
  if (ins.size() != 2)
    return unsupported("more than two operands");
  if (types[0].getElementType() != types[1].getElementType())
    return unsupported("the operands' element types differ");
  const std::string &l = ins[0], &r = ins[1];
  std::string batch, contract, lfree, rfree;
  std::map<char, int64_t> size;
  for (unsigned k = 0; k < 2; ++k)
    for (auto [i, c] : llvm::enumerate(ins[k])) {
      int64_t d = types[k].getDimSize(i);
      auto [it, fresh] = size.emplace(c, d);
      if (!fresh && it->second != d)
        return unsupported(std::string("label '") + c + "' has sizes " +
                           std::to_string(it->second) + " and " +
                           std::to_string(d) + " (no broadcasting)");
    }
  for (char c : out)
    if (!size.count(c))
      return unsupported(std::string("output label '") + c +
                         "' is in no operand");
  for (char c : l) {
    bool inR = r.find(c) != npos, inO = out.find(c) != npos;
    if (inR && inO)
      batch.push_back(c);
    else if (inR)
      contract.push_back(c);
    else if (inO)
      lfree.push_back(c);
    else
      return unsupported(std::string("label '") + c +
                         "' is summed within one operand");
  }
  for (char c : r)
    if (l.find(c) == npos) {
      if (out.find(c) == npos)
        return unsupported(std::string("label '") + c +
                           "' is summed within one operand");
      rfree.push_back(c);
    }
  auto sizes = [&](StringRef labels) {
    SmallVector<int64_t> s;
    for (char c : labels)
      s.push_back(size[c]);
    return s;
  };
  int64_t bN = product(sizes(batch)), m = product(sizes(lfree)),
          k = product(sizes(contract)), n = product(sizes(rfree));
  Value lv = permuteTo(operands[0], l, batch + lfree + contract);
  Value rv = permuteTo(operands[1], r, batch + contract + rfree);
  lv = reshapeTo(b, loc, lv, {bN, m, k});
  rv = reshapeTo(b, loc, rv, {bN, k, n});
  Value mm =
      lpu::MatmulOp::create(b, loc, withShape(types[0], {bN, m, n}), lv, rv);
  std::string produced = batch + lfree + rfree;
  Value res = reshapeTo(b, loc, mm, sizes(produced));
  return Values{permuteTo(res, produced, out)};
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

/// Transpose (1+): `perm` defaults to reversing the dimensions.
FailureOr<Values> convertTranspose(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t))
    return failure();
  int64_t rank = t->getRank();
  SmallVector<int64_t> perm;
  if (auto p = node.getIntsAttr("perm"))
    perm.assign(p->begin(), p->end());
  else
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  for (auto [i, p] : llvm::enumerate(sorted))
    if (int64_t(sorted.size()) != rank || p != int64_t(i)) {
      nodeError(node) << "perm " << shapeStr(perm)
                      << " is not a permutation of [0, " << rank << ")";
      return failure();
    }
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(t->getDimSize(p));
  return Values{lpu::TransposeOp::create(b, node.getLoc(), withShape(*t, shape),
                                         node.getInputs()[0],
                                         b.getDenseI64ArrayAttr(perm))};
}

/// Unsqueeze: axes from the attribute (1, 11) or input #1 (13+), counted in
/// the output rank.
template <bool AxesInput>
FailureOr<Values> convertUnsqueeze(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t))
    return failure();
  SmallVector<int64_t> axes;
  if (AxesInput) {
    auto a = requireInts(node, 1, "axes");
    if (failed(a))
      return failure();
    axes = *a;
  } else if (auto a = node.getIntsAttr("axes")) {
    axes.assign(a->begin(), a->end());
  } else {
    nodeError(node) << "attribute 'axes' is required";
    return failure();
  }
  int64_t outRank = t->getRank() + axes.size();
  auto norm = normalizeAxes(node, axes, outRank);
  if (failed(norm))
    return failure();
  SmallVector<int64_t> shape;
  ArrayRef<int64_t> in = t->getShape();
  for (int64_t d = 0, j = 0; d < outRank; ++d)
    shape.push_back(llvm::is_contained(*norm, d) ? 1 : in[j++]);
  return Values{reshapeTo(b, node.getLoc(), node.getInputs()[0], shape)};
}

/// Squeeze: axes from the attribute (1, 11) or optional input #1 (13+);
/// without axes every size-1 dimension goes.
template <bool AxesInput>
FailureOr<Values> convertSqueeze(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t))
    return failure();
  SmallVector<int64_t> axes;
  bool given = false;
  if (AxesInput) {
    if (optionalInput(node, 1)) {
      auto a = requireInts(node, 1, "axes");
      if (failed(a))
        return failure();
      axes = *a;
      given = true;
    }
  } else if (auto a = node.getIntsAttr("axes")) {
    axes.assign(a->begin(), a->end());
    given = true;
  }
  ArrayRef<int64_t> in = t->getShape();
  SmallVector<int64_t> norm;
  if (given) {
    auto n = normalizeAxes(node, axes, t->getRank());
    if (failed(n))
      return failure();
    norm = *n;
    for (int64_t a : norm)
      if (in[a] != 1) {
        nodeError(node) << "dimension #" << a << " of " << shapeStr(in)
                        << " has size " << in[a] << ", not 1";
        return failure();
      }
  } else {
    for (auto [d, s] : llvm::enumerate(in))
      if (s == 1)
        norm.push_back(d);
  }
  SmallVector<int64_t> shape;
  for (auto [d, s] : llvm::enumerate(in))
    if (!llvm::is_contained(norm, int64_t(d)))
      shape.push_back(s);
  return Values{reshapeTo(b, node.getLoc(), node.getInputs()[0], shape)};
}

/// Concat (4+; negative axes from 11).
FailureOr<Values> convertConcat(NodeOp node, OpBuilder &b) {
  if (node.getInputs().empty()) {
    nodeError(node) << "needs at least one input";
    return failure();
  }
  SmallVector<RankedTensorType> types;
  for (unsigned i = 0; i < node.getInputs().size(); ++i) {
    auto t = inputType(node, i);
    if (failed(t))
      return failure();
    types.push_back(*t);
  }
  std::optional<int64_t> axisAttr = node.getIntAttr("axis");
  if (!axisAttr) {
    nodeError(node) << "attribute 'axis' is required";
    return failure();
  }
  int64_t rank = types[0].getRank();
  auto axis = normalizeAxis(node, *axisAttr, rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(types[0].getShape());
  shape[*axis] = 0;
  SmallVector<Value> inputs;
  for (auto [i, t] : llvm::enumerate(types)) {
    bool ok =
        t.getRank() == rank && t.getElementType() == types[0].getElementType();
    for (int64_t d = 0; ok && d < rank; ++d)
      ok = d == *axis || t.getDimSize(d) == shape[d];
    if (!ok) {
      nodeError(node) << "input #" << i << " of type " << t
                      << " does not match input #0 of type " << types[0]
                      << " outside axis " << *axis;
      return failure();
    }
    shape[*axis] += t.getDimSize(*axis);
    if (t.getDimSize(*axis) != 0 || types.size() == 1)
      inputs.push_back(node.getInputs()[i]);
  }
  if (inputs.empty()) // every input is empty along the axis
    inputs.push_back(node.getInputs()[0]);
  return Values{lpu::ConcatOp::create(
      b, node.getLoc(), withShape(types[0], shape), inputs, *axis)};
}

/// One lpu.slice taking [start, start + count * step) along `axis`.
Value sliceAlong(OpBuilder &b, Location loc, Value v, int64_t axis,
                 int64_t start, int64_t count, int64_t step) {
  auto t = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> starts(t.getRank(), 0), steps(t.getRank(), 1);
  SmallVector<int64_t> shape(t.getShape());
  starts[axis] = count ? start : 0;
  steps[axis] = step;
  shape[axis] = count;
  return lpu::SliceOp::create(b, loc, withShape(t, shape), v,
                              b.getDenseI64ArrayAttr(starts),
                              b.getDenseI64ArrayAttr(steps));
}

/// Split. `Mode` 11: `split` attribute; 13: `split` input; 18: `split`
/// input or `num_outputs` (the last part may be smaller). Without sizes the
/// dimension splits evenly among the outputs.
template <int Mode> FailureOr<Values> convertSplit(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t))
    return failure();
  auto axis =
      normalizeAxis(node, node.getIntAttr("axis").value_or(0), t->getRank());
  if (failed(axis))
    return failure();
  int64_t n = t->getDimSize(*axis), outs = node.getNumResults();
  SmallVector<int64_t> sizes;
  if (Mode == 11) {
    if (auto s = node.getIntsAttr("split"))
      sizes.assign(s->begin(), s->end());
  } else if (optionalInput(node, 1)) {
    auto s = requireInts(node, 1, "split");
    if (failed(s))
      return failure();
    sizes = *s;
  }
  if (sizes.empty()) {
    if (Mode == 18 && node.getIntAttr("num_outputs")) {
      int64_t k = *node.getIntAttr("num_outputs");
      int64_t part = k > 0 ? (n + k - 1) / k : 0;
      for (int64_t i = 0; i < k; ++i)
        sizes.push_back(std::max<int64_t>(0, std::min(part, n - i * part)));
    } else {
      if (outs == 0 || n % outs != 0) {
        nodeError(node) << "dimension " << n << " does not split evenly into "
                        << outs << " outputs";
        return failure();
      }
      sizes.assign(outs, n / outs);
    }
  }
  if (int64_t(sizes.size()) != outs ||
      llvm::any_of(sizes, [](int64_t s) { return s < 0; }) ||
      product(sizes) < 0 ||
      std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) != n) {
    nodeError(node) << "split sizes " << shapeStr(sizes) << " for " << outs
                    << " outputs do not add up to dimension " << n;
    return failure();
  }
  Values out;
  int64_t start = 0;
  for (int64_t s : sizes) {
    out.push_back(
        sliceAlong(b, node.getLoc(), node.getInputs()[0], *axis, start, s, 1));
    start += s;
  }
  return out;
}

/// Slice (10+): starts, ends, optional axes and steps, all constants, with
/// the ONNX clamping rules.
FailureOr<Values> convertSlice(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t))
    return failure();
  auto starts = requireInts(node, 1, "starts");
  if (failed(starts))
    return failure();
  auto ends = requireInts(node, 2, "ends");
  if (failed(ends))
    return failure();
  int64_t rank = t->getRank();
  SmallVector<int64_t> axes, steps;
  if (optionalInput(node, 3)) {
    auto a = requireInts(node, 3, "axes");
    if (failed(a))
      return failure();
    axes = *a;
  } else {
    for (int64_t d = 0; d < int64_t(starts->size()); ++d)
      axes.push_back(d);
  }
  if (optionalInput(node, 4)) {
    auto s = requireInts(node, 4, "steps");
    if (failed(s))
      return failure();
    steps = *s;
  } else {
    steps.assign(starts->size(), 1);
  }
  if (ends->size() != starts->size() || axes.size() != starts->size() ||
      steps.size() != starts->size()) {
    nodeError(node) << "starts, ends, axes and steps have different lengths";
    return failure();
  }
  SmallVector<int64_t> st(rank, 0), sp(rank, 1), shape(t->getShape());
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < axes.size(); ++i) {
    auto a = normalizeAxis(node, axes[i], rank);
    if (failed(a))
      return failure();
    if (seen[*a]) {
      nodeError(node) << "axis " << axes[i] << " is repeated";
      return failure();
    }
    seen[*a] = true;
    int64_t n = t->getDimSize(*a), step = steps[i];
    if (step == 0) {
      nodeError(node) << "step of axis " << axes[i] << " is 0";
      return failure();
    }
    // Clamp as the ONNX reference: INT64 max/min sentinels included.
    auto clampIdx = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0)
        v = v <= std::numeric_limits<int64_t>::min() + n ? lo - 1 : v + n;
      return std::clamp(v, lo, hi);
    };
    int64_t s, e;
    if (step > 0) {
      s = clampIdx((*starts)[i], 0, n);
      e = clampIdx((*ends)[i], 0, n);
    } else {
      s = clampIdx((*starts)[i], 0, n - 1);
      e = clampIdx((*ends)[i], -1, n - 1);
    }
    int64_t count = step > 0 ? (e > s ? (e - s + step - 1) / step : 0)
                             : (s > e ? (s - e + (-step) - 1) / (-step) : 0);
    st[*a] = count ? s : 0;
    sp[*a] = step;
    shape[*a] = count;
  }
  return Values{lpu::SliceOp::create(
      b, node.getLoc(), withShape(*t, shape), node.getInputs()[0],
      b.getDenseI64ArrayAttr(st), b.getDenseI64ArrayAttr(sp))};
}

/// Gather (1+; negative indices from 11): lpu.gather, folded when data and
/// indices are constants.
FailureOr<Values> convertGather(NodeOp node, OpBuilder &b) {
  auto dt = inputType(node, 0);
  auto it = inputType(node, 1);
  if (failed(dt) || failed(it))
    return failure();
  if (!it->getElementType().isSignlessInteger(32) &&
      !it->getElementType().isSignlessInteger(64)) {
    nodeError(node) << "indices have element type " << it->getElementType()
                    << ", expected i32 or i64";
    return failure();
  }
  if (dt->getRank() == 0) {
    nodeError(node) << "data must have rank >= 1";
    return failure();
  }
  auto axis =
      normalizeAxis(node, node.getIntAttr("axis").value_or(0), dt->getRank());
  if (failed(axis))
    return failure();
  int64_t n = dt->getDimSize(*axis);
  if (auto idx = dyn_cast_or_null<DenseIntElementsAttr>(
          constantAttr(node.getInputs()[1])))
    for (const APInt &v : idx.getValues<APInt>())
      if (v.getSExtValue() < -n || v.getSExtValue() >= n) {
        nodeError(node) << "index " << v.getSExtValue() << " is outside [" << -n
                        << ", " << n << ")";
        return failure();
      }
  SmallVector<int64_t> shape(dt->getShape().take_front(*axis));
  llvm::append_range(shape, it->getShape());
  llvm::append_range(shape, dt->getShape().drop_front(*axis + 1));
  return Values{lpu::GatherOp::create(b, node.getLoc(), withShape(*dt, shape),
                                      node.getInputs()[0], node.getInputs()[1],
                                      *axis)};
}

/// Expand (8+): bidirectional broadcast to a constant shape.
FailureOr<Values> convertExpand(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t))
    return failure();
  auto target = requireInts(node, 1, "shape");
  if (failed(target))
    return failure();
  auto shape = lpu::broadcastShapes(t->getShape(), *target);
  if (failed(shape)) {
    nodeError(node) << "input shape " << shapeStr(t->getShape())
                    << " does not broadcast with " << shapeStr(*target);
    return failure();
  }
  return Values{broadcastTo(b, node.getLoc(), node.getInputs()[0], *shape)};
}

/// Trilu (14): `upper` (default 1) and the optional constant `k` input.
FailureOr<Values> convertTrilu(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t))
    return failure();
  if (t->getRank() < 2) {
    nodeError(node) << "input must have rank >= 2";
    return failure();
  }
  int64_t k = 0;
  if (optionalInput(node, 1)) {
    auto kv = requireInts(node, 1, "k");
    if (failed(kv))
      return failure();
    if (kv->size() != 1) {
      nodeError(node) << "input 'k' must have one element";
      return failure();
    }
    k = (*kv)[0];
  }
  bool upper = node.getIntAttr("upper").value_or(1);
  return Values{lpu::TriluOp::create(b, node.getLoc(), *t, node.getInputs()[0],
                                     upper, k)};
}

//===----------------------------------------------------------------------===//
// Shape computations: always constants
//===----------------------------------------------------------------------===//

Value i64Constant(OpBuilder &b, Location loc, ArrayRef<int64_t> values,
                  ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, b.getI64Type());
  return arith::ConstantOp::create(b, loc,
                                   DenseIntElementsAttr::get(type, values));
}

/// Shape (1+; `start` / `end` from 15): the static shape as an i64 constant.
FailureOr<Values> convertShape(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t))
    return failure();
  int64_t rank = t->getRank();
  auto clampDim = [&](int64_t v) {
    return std::clamp(v < 0 ? v + rank : v, int64_t(0), rank);
  };
  int64_t start = clampDim(node.getIntAttr("start").value_or(0));
  int64_t end = clampDim(node.getIntAttr("end").value_or(rank));
  SmallVector<int64_t> dims;
  for (int64_t d = start; d < end; ++d)
    dims.push_back(t->getDimSize(d));
  return Values{i64Constant(b, node.getLoc(), dims, {int64_t(dims.size())})};
}

/// ConstantOfShape (9+): a splat of `value` (default f32 0).
FailureOr<Values> convertConstantOfShape(NodeOp node, OpBuilder &b) {
  auto shape = requireInts(node, 0, "input");
  if (failed(shape))
    return failure();
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0; })) {
    nodeError(node) << "shape " << shapeStr(*shape) << " has a negative size";
    return failure();
  }
  Attribute scalar = b.getZeroAttr(b.getF32Type());
  Type elt = b.getF32Type();
  if (ElementsAttr v = node.getTensorAttr("value")) {
    if (v.getNumElements() != 1) {
      nodeError(node) << "attribute 'value' must have one element";
      return failure();
    }
    auto dense = dyn_cast<DenseElementsAttr>(v);
    if (!dense) {
      nodeError(node) << "attribute 'value' must be a dense tensor";
      return failure();
    }
    elt = dense.getElementType();
    scalar = dense.getValues<Attribute>()[0];
  }
  auto type = RankedTensorType::get(*shape, elt);
  return Values{arith::ConstantOp::create(
      b, node.getLoc(), DenseElementsAttr::get(type, scalar))};
}

/// Range (11): start, limit and delta scalar constants;
/// `max(ceil((limit - start) / delta), 0)` elements.
FailureOr<Values> convertRange(NodeOp node, OpBuilder &b) {
  auto t = inputType(node, 0);
  if (failed(t))
    return failure();
  auto start = requireScalar(node, 0, "start");
  auto limit = requireScalar(node, 1, "limit");
  auto delta = requireScalar(node, 2, "delta");
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  if (*delta == 0) {
    nodeError(node) << "delta is 0";
    return failure();
  }
  int64_t n = std::max<int64_t>(
      0, static_cast<int64_t>(std::ceil((*limit - *start) / *delta)));
  if (n > (int64_t(1) << 24)) {
    nodeError(node) << "range of " << n << " elements is too large";
    return failure();
  }
  Type elt = t->getElementType();
  auto type = RankedTensorType::get({n}, elt);
  SmallVector<Attribute> vals;
  for (int64_t i = 0; i < n; ++i) {
    if (isa<FloatType>(elt))
      // ONNX: start + i * delta, in the element type.
      vals.push_back(b.getFloatAttr(elt, *start + double(i) * *delta));
    else
      vals.push_back(
          b.getIntegerAttr(elt, static_cast<int64_t>(*start) +
                                    i * static_cast<int64_t>(*delta)));
  }
  return Values{arith::ConstantOp::create(b, node.getLoc(),
                                          DenseElementsAttr::get(type, vals))};
}

//===----------------------------------------------------------------------===//
// The pattern table: (op type, since version) -> conversion function.
// An op type's rows are in increasing since-version order. Versions whose
// semantics did not change for our purposes (new types only) share a
// function; they are listed so the table documents what was checked.
//===----------------------------------------------------------------------===//

struct PatternEntry {
  const char *opType;
  int64_t since;
  ConvertFn fn;
};

const PatternEntry kPatterns[] = {
    // Elementwise arithmetic. Opsets 1-6 used legacy `broadcast`/`axis`
    // attributes: not supported.
    {"Add", 7, convertBinary<lpu::AddOp>},
    {"Add", 13, convertBinary<lpu::AddOp>},
    {"Add", 14, convertBinary<lpu::AddOp>},
    {"Sub", 7, convertBinary<lpu::SubOp>},
    {"Sub", 13, convertBinary<lpu::SubOp>},
    {"Sub", 14, convertBinary<lpu::SubOp>},
    {"Mul", 7, convertBinary<lpu::MulOp>},
    {"Mul", 13, convertBinary<lpu::MulOp>},
    {"Mul", 14, convertBinary<lpu::MulOp>},
    {"Div", 7, convertBinary<lpu::DivOp>},
    {"Div", 13, convertBinary<lpu::DivOp>},
    {"Div", 14, convertBinary<lpu::DivOp>},
    {"Pow", 7, convertPow},
    {"Pow", 12, convertPow}, // exponent type may differ from the base's
    {"Pow", 13, convertPow},
    {"Pow", 15, convertPow},
    {"Sqrt", 6, convertUnary<lpu::SqrtOp>},
    {"Sqrt", 13, convertUnary<lpu::SqrtOp>},
    {"Reciprocal", 6, convertUnary<lpu::RecipOp>},
    {"Reciprocal", 13, convertUnary<lpu::RecipOp>},
    {"Neg", 6, convertUnary<lpu::NegOp, /*FloatOnly=*/false>},
    {"Neg", 13, convertUnary<lpu::NegOp, /*FloatOnly=*/false>},
    {"Exp", 6, convertUnary<lpu::ExpOp>},
    {"Exp", 13, convertUnary<lpu::ExpOp>},
    {"Erf", 9, convertUnary<lpu::ErfOp>},
    {"Erf", 13, convertUnary<lpu::ErfOp>},
    {"Tanh", 6, convertUnary<lpu::TanhOp>},
    {"Tanh", 13, convertUnary<lpu::TanhOp>},
    {"Sigmoid", 6, convertUnary<lpu::SigmoidOp>},
    {"Sigmoid", 13, convertUnary<lpu::SigmoidOp>},
    {"Cos", 7, convertUnary<lpu::CosOp>},
    {"Sin", 7, convertUnary<lpu::SinOp>},
    {"Relu", 6, convertRelu},
    {"Relu", 13, convertRelu},
    {"Relu", 14, convertRelu},
    // Comparisons and logic.
    {"Equal", 11, convertCompare<lpu::ComparePredicate::eq>},
    {"Equal", 13, convertCompare<lpu::ComparePredicate::eq>},
    {"Less", 9, convertCompare<lpu::ComparePredicate::lt>},
    {"Less", 13, convertCompare<lpu::ComparePredicate::lt>},
    {"Not", 1, convertNot},
    {"Where", 9, convertWhere},
    {"Where", 16, convertWhere},
    {"Cast", 6, convertCast},
    {"Cast", 9, convertCast},
    {"Cast", 13, convertCast},
    // Normalizations and reductions.
    {"Softmax", 1, convertSoftmax<lpu::SoftmaxOp, /*Legacy=*/true>},
    {"Softmax", 11, convertSoftmax<lpu::SoftmaxOp, /*Legacy=*/true>},
    {"Softmax", 13, convertSoftmax<lpu::SoftmaxOp, /*Legacy=*/false>},
    {"LogSoftmax", 1, convertSoftmax<lpu::LogSoftmaxOp, /*Legacy=*/true>},
    {"LogSoftmax", 11, convertSoftmax<lpu::LogSoftmaxOp, /*Legacy=*/true>},
    {"LogSoftmax", 13, convertSoftmax<lpu::LogSoftmaxOp, /*Legacy=*/false>},
    {"LayerNormalization", 17, convertLayerNorm},
    {"ReduceSum", 1, convertReduce<lpu::ReduceKind::sum, false>},
    {"ReduceSum", 11, convertReduce<lpu::ReduceKind::sum, false>},
    {"ReduceSum", 13, convertReduce<lpu::ReduceKind::sum, /*AxesInput=*/true>},
    {"ReduceMean", 1, convertReduce<lpu::ReduceKind::mean, false>},
    {"ReduceMean", 11, convertReduce<lpu::ReduceKind::mean, false>},
    {"ReduceMean", 13, convertReduce<lpu::ReduceKind::mean, false>},
    {"ReduceMean", 18, convertReduce<lpu::ReduceKind::mean, true>},
    {"ReduceMax", 1, convertReduce<lpu::ReduceKind::max, false>},
    {"ReduceMax", 11, convertReduce<lpu::ReduceKind::max, false>},
    {"ReduceMax", 12, convertReduce<lpu::ReduceKind::max, false>},
    {"ReduceMax", 13, convertReduce<lpu::ReduceKind::max, false>},
    {"ReduceMax", 18, convertReduce<lpu::ReduceKind::max, true>},
    // Matrix products.
    {"MatMul", 1, convertMatMul},
    {"MatMul", 9, convertMatMul},
    {"MatMul", 13, convertMatMul},
    {"Gemm", 7, convertGemm7},
    {"Gemm", 9, convertGemm7},
    {"Gemm", 11, convertGemm11},
    {"Gemm", 13, convertGemm11},
    {"Einsum", 12, convertEinsum},
    // Data movement.
    {"Gather", 1, convertGather},
    {"Gather", 11, convertGather},
    {"Gather", 13, convertGather},
    {"Reshape", 5, convertReshape5},
    {"Reshape", 13, convertReshape5},
    {"Reshape", 14, convertReshape14},
    {"Reshape", 19, convertReshape14},
    {"Reshape", 21, convertReshape14},
    {"Transpose", 1, convertTranspose},
    {"Transpose", 13, convertTranspose},
    {"Split", 2, convertSplit<11>},
    {"Split", 11, convertSplit<11>},
    {"Split", 13, convertSplit<13>}, // `split` becomes an input
    {"Split", 18, convertSplit<18>}, // `num_outputs`
    {"Slice", 10, convertSlice},
    {"Slice", 11, convertSlice},
    {"Slice", 13, convertSlice},
    {"Concat", 4, convertConcat},
    {"Concat", 11, convertConcat},
    {"Concat", 13, convertConcat},
    {"Unsqueeze", 1, convertUnsqueeze<false>},
    {"Unsqueeze", 11, convertUnsqueeze<false>},
    {"Unsqueeze", 13, convertUnsqueeze</*AxesInput=*/true>},
    {"Squeeze", 1, convertSqueeze<false>},
    {"Squeeze", 11, convertSqueeze<false>},
    {"Squeeze", 13, convertSqueeze</*AxesInput=*/true>},
    {"Expand", 8, convertExpand},
    {"Expand", 13, convertExpand},
    {"Trilu", 14, convertTrilu},
    {"Identity", 1, convertIdentity},
    {"Identity", 13, convertIdentity},
    {"Identity", 14, convertIdentity},
    {"Identity", 16, convertIdentity},
    // Constants and shape computations (always folded).
    {"Constant", 1, convertConstant1},
    {"Constant", 9, convertConstant1},
    {"Constant", 11, convertConstant1},
    {"Constant", 12, convertConstant12},
    {"Constant", 13, convertConstant12},
    {"Shape", 1, convertShape},
    {"Shape", 13, convertShape},
    {"Shape", 15, convertShape}, // `start` / `end`
    {"ConstantOfShape", 9, convertConstantOfShape},
    {"Range", 11, convertRange},
};

/// The entry for `opType` with the largest since-version <= `opset`, or null.
/// `lowest` receives the lowest since-version of `opType` (0 if unknown).
const PatternEntry *lookup(StringRef opType, int64_t opset, int64_t &lowest) {
  const PatternEntry *best = nullptr;
  lowest = 0;
  for (const PatternEntry &e : kPatterns) {
    if (opType != e.opType)
      continue;
    if (lowest == 0 || e.since < lowest)
      lowest = e.since;
    if (e.since <= opset && (!best || e.since > best->since))
      best = &e;
  }
  return best;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// Folds `op` once: constants are materialized at its place with its
/// location (the node's name, which later diagnostics cite), then `op` goes.
void foldInPlace(RewriterBase &rewriter, Operation *op) {
  SmallVector<OpFoldResult> results;
  if (failed(op->fold(results)) || results.empty())
    return; // nothing, or updated in place
  rewriter.setInsertionPoint(op);
  SmallVector<Value> values;
  for (auto [r, folded] : llvm::zip(op->getResults(), results)) {
    if (auto v = dyn_cast<Value>(folded)) {
      values.push_back(v);
      continue;
    }
    Operation *cst = op->getDialect()->materializeConstant(
        rewriter, cast<Attribute>(folded), r.getType(), op->getLoc());
    if (!cst)
      return;
    values.push_back(cst->getResult(0));
  }
  rewriter.replaceOp(op, values);
}

/// A `dense` copy of a small `dense_resource` constant: integer and bool
/// tensors of at most 4096 elements (shape data, indices, masks) and float
/// scalars. Float tensors (weights) stay resources: never copied. Anything
/// else is returned unchanged.
TypedAttr inlineSmallResource(TypedAttr attr) {
  auto res = dyn_cast<DenseResourceElementsAttr>(attr);
  if (!res)
    return attr;
  auto type = cast<ShapedType>(res.getType());
  Type elt = type.getElementType();
  int64_t n = type.getNumElements();
  if (!elt.isIntOrFloat() || (isa<IntegerType>(elt) ? n > 4096 : n != 1))
    return attr;
  AsmResourceBlob *blob = res.getRawHandle().getBlob();
  if (!blob)
    return attr; // shapes only (weights not loaded)
  ArrayRef<char> data = blob->getData();
  if (elt.isInteger(1)) {
    if (data.size() != size_t(n))
      return attr;
    SmallVector<bool> bits;
    for (char c : data)
      bits.push_back(c != 0);
    return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  }
  if (elt.getIntOrFloatBitWidth() % 8 != 0 ||
      data.size() != size_t(n) * (elt.getIntOrFloatBitWidth() / 8))
    return attr;
  return DenseElementsAttr::getFromRawBuffer(type, data);
}

struct OnnxToLpuPass : lpuc::impl::OnnxToLpuBase<OnnxToLpuPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();

    // 1. Report every node without a pattern, all at once.
    bool unsupported = false;
    module.walk([&](NodeOp node) {
      int64_t lowest = 0;
      if (node.isDefaultDomain() &&
          lookup(node.getOpType(), node.getOpset(), lowest))
        return;
      unsupported = true;
      InFlightDiagnostic diag = node->emitError()
                                << "unsupported ONNX op '" << node.getOpType()
                                << "' (opset " << node.getOpset() << ")";
      if (!node.isDefaultDomain())
        diag << " in domain '" << node.getDomain() << "'";
      else if (lowest > 0)
        diag << ": supported from opset " << lowest;
    });
    if (unsupported)
      return signalPassFailure();

    // 2. Convert in program order, so operands are converted before users.
    SmallVector<Operation *> work;
    module.walk([&](Operation *op) {
      if (isa<NodeOp, lpuc::onnxir::ConstantOp>(op))
        work.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    bool failedAny = false;
    for (Operation *op : work) {
      rewriter.setInsertionPoint(op);
      if (auto cst = dyn_cast<lpuc::onnxir::ConstantOp>(op)) {
        // Same attribute: a dense_resource keeps referencing its blob, except
        // small ones (scalars, shapes, indices), which become `dense` so that
        // folders see their values.
        rewriter.replaceOpWithNewOp<arith::ConstantOp>(
            cst, inlineSmallResource(cast<TypedAttr>(cst.getValue())));
        continue;
      }
      auto node = cast<NodeOp>(op);
      int64_t lowest = 0;
      const PatternEntry *entry =
          lookup(node.getOpType(), node.getOpset(), lowest);
      Operation *before = node->getPrevNode();
      Operation *after = node->getNextNode();
      Block *block = node->getBlock();
      FailureOr<Values> values = entry->fn(node, rewriter);
      if (failed(values) || failed(checkResults(node, *values))) {
        failedAny = true;
        continue;
      }
      rewriter.replaceOp(node, *values);
      // Fold what the node became right away, so that shape computations
      // are constants when later nodes need them (Reshape, Slice, ...).
      SmallVector<Operation *> created;
      for (Operation *o = before ? before->getNextNode() : &block->front();
           o && o != after; o = o->getNextNode())
        if (!o->hasTrait<OpTrait::ConstantLike>())
          created.push_back(o);
      for (Operation *o : created)
        foldInPlace(rewriter, o);
    }
    if (failedAny)
      return signalPassFailure();

    // 3. Drop what the conversion left unused; give functions the converted
    // (static) result types.
    module.walk([&](Operation *op) {
      if (isa<lpuc::onnxir::NoneOp, arith::ConstantOp>(op) && op->use_empty())
        rewriter.eraseOp(op);
    });
    module.walk([&](func::FuncOp fn) {
      if (fn.isExternal())
        return;
      auto ret = dyn_cast<func::ReturnOp>(fn.getBody().back().getTerminator());
      if (!ret)
        return;
      SmallVector<Type> results(ret.getOperandTypes());
      if (ArrayRef<Type>(results) != fn.getResultTypes())
        fn.setFunctionType(
            FunctionType::get(&getContext(), fn.getArgumentTypes(), results));
    });
  }

  /// Checks the number of values and that a static result type recorded on
  /// the node (by ONNX shape inference) agrees with the computed one.
  static LogicalResult checkResults(NodeOp node, ArrayRef<Value> values) {
    if (values.size() != node.getNumResults()) {
      nodeError(node) << "conversion produced " << values.size()
                      << " values for " << node.getNumResults() << " outputs";
      return failure();
    }
    for (auto [i, v] : llvm::enumerate(values)) {
      if (!v) { // allowed for an output nothing uses
        if (!node.getResult(i).use_empty()) {
          nodeError(node) << "output #" << i << " is not supported";
          return failure();
        }
        continue;
      }
      auto recorded = dyn_cast<RankedTensorType>(node.getResult(i).getType());
      if (!recorded || !recorded.hasStaticShape() ||
          !isa<FloatType, IntegerType>(recorded.getElementType()))
        continue;
      if (recorded != v.getType()) {
        nodeError(node) << "output #" << i << " has type " << recorded
                        << " but the conversion computes " << v.getType();
        return failure();
      }
    }
    return success();
  }
};

} // namespace

std::vector<std::pair<std::string, int64_t>> lpuc::supportedOnnxOps() {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const PatternEntry &e : kPatterns)
    out.emplace_back(e.opType, e.since);
  return out;
}
