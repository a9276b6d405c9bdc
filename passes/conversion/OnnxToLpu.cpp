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

namespace lpuc {
#define GEN_PASS_DEF_ONNXTOLPU
#include "passes/conversion/Passes.h.inc"
} // namespace lpuc

using namespace mlir;
using lpuc::onnxir::NodeOp;

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
  if (!type || !type.hasStaticShape() ||
      !isa<FloatType, IntegerType>(type.getElementType())) {
    nodeError(node) << "input #" << i << " has type " << v.getType()
                    << "; a static shape and a known element type are "
                       "required (give dims with --shape)";
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
  return lpuc::lpu::BroadcastOp::create(b, loc, withShape(t, shape), v);
}

Value reshapeTo(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getShape() == shape)
    return v;
  return lpuc::lpu::ReshapeOp::create(b, loc, withShape(t, shape), v);
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
    std::optional<ArrayRef<int64_t>> data = res.tryGetAsArrayRef();
    if (!data) {
      noData = true;
      return failure();
    }
    out.assign(data->begin(), data->end());
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
  auto shape = lpuc::lpu::broadcastShapes(lt->getShape(), rt->getShape());
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
  return Values{
      lpuc::lpu::ReluOp::create(b, node.getLoc(), *t, node.getInputs()[0])};
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
  auto batch = lpuc::lpu::broadcastShapes(aBatch, bBatch);
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
  Value r = lpuc::lpu::MatmulOp::create(b, loc, withShape(*at, rFull), a, bv);
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
    return lpuc::lpu::TransposeOp::create(
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
  Value y = lpuc::lpu::MatmulOp::create(b, loc, yT, a, bv);
  double alpha = node.getFloatAttr("alpha").value_or(1.0f);
  if (alpha != 1.0) {
    auto s = splatConstant(node, b, yT, alpha, "alpha");
    if (failed(s))
      return failure();
    y = lpuc::lpu::MulOp::create(b, loc, yT, y, *s);
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
  if (!lpuc::lpu::isBroadcastableTo(ct->getShape(), yT.getShape())) {
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
    c = lpuc::lpu::MulOp::create(b, loc, *ct, c, *s);
  }
  c = broadcastTo(b, loc, c, yT.getShape());
  return Values{lpuc::lpu::AddOp::create(b, loc, yT, y, c)};
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
    // Opsets 1-6 used legacy `broadcast`/`axis` attributes: not supported.
    {"Add", 7, convertBinary<lpuc::lpu::AddOp>},
    {"Add", 13, convertBinary<lpuc::lpu::AddOp>},
    {"Add", 14, convertBinary<lpuc::lpu::AddOp>},
    {"Sub", 7, convertBinary<lpuc::lpu::SubOp>},
    {"Sub", 13, convertBinary<lpuc::lpu::SubOp>},
    {"Sub", 14, convertBinary<lpuc::lpu::SubOp>},
    {"Mul", 7, convertBinary<lpuc::lpu::MulOp>},
    {"Mul", 13, convertBinary<lpuc::lpu::MulOp>},
    {"Mul", 14, convertBinary<lpuc::lpu::MulOp>},
    {"Relu", 6, convertRelu},
    {"Relu", 13, convertRelu},
    {"Relu", 14, convertRelu},
    {"MatMul", 1, convertMatMul},
    {"MatMul", 9, convertMatMul},
    {"MatMul", 13, convertMatMul},
    {"Gemm", 7, convertGemm7},
    {"Gemm", 9, convertGemm7},
    {"Gemm", 11, convertGemm11},
    {"Gemm", 13, convertGemm11},
    {"Constant", 1, convertConstant1},
    {"Constant", 9, convertConstant1},
    {"Constant", 11, convertConstant1},
    {"Constant", 12, convertConstant12},
    {"Constant", 13, convertConstant12},
    {"Identity", 1, convertIdentity},
    {"Identity", 13, convertIdentity},
    {"Identity", 14, convertIdentity},
    {"Identity", 16, convertIdentity},
    {"Reshape", 5, convertReshape5},
    {"Reshape", 13, convertReshape5},
    {"Reshape", 14, convertReshape14},
    {"Reshape", 19, convertReshape14},
    {"Reshape", 21, convertReshape14},
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
        // Same attribute: a dense_resource keeps referencing its blob.
        rewriter.replaceOpWithNewOp<arith::ConstantOp>(
            cst, cast<TypedAttr>(cst.getValue()));
        continue;
      }
      auto node = cast<NodeOp>(op);
      int64_t lowest = 0;
      const PatternEntry *entry =
          lookup(node.getOpType(), node.getOpset(), lowest);
      FailureOr<Values> values = entry->fn(node, rewriter);
      if (failed(values) || failed(checkResults(node, *values))) {
        failedAny = true;
        continue;
      }
      rewriter.replaceOp(node, *values);
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
