//===- LpuToLpuhw.cpp - lpu ops to lpuhw instructions ---------------------===//
//
// Places every tensor of `func.func @main` in SRAM (runtime/isa/Layout.h) and
// lowers each lpu op to MEM reads, VXM/MXM/SXM instructions and MEM writes in
// a valid sequential order. See docs/passes/lpu-to-lpuhw.md.
//
//===----------------------------------------------------------------------===//
#include "passes/layout/LayoutUtils.h"
#include "passes/layout/Lowering.h"
#include "passes/layout/Passes.h"

#include "dialects/lpu/LpuDialect.h"
#include "dialects/lpu/LpuOps.h"
#include "runtime/isa/Topology.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

#include <map>
#include <optional>
#include <string>
#include <tuple>

namespace lpuc {
#define GEN_PASS_DEF_LPUTOLPUHWPASS
#include "passes/layout/Passes.h.inc"
} // namespace lpuc

using namespace mlir;
namespace lpu = lpuc::lpu;
namespace lpuhw = lpuc::lpuhw;
namespace layout = lpuc::layout;
using layout::Placement;

namespace lpuc::layout {

namespace {
constexpr const char *kOnnxName = "onnx.name";
} // namespace

bool isChipFloat(Type t) {
  lpuc::isa::DType d = lpuhw::toIsaType(t);
  return d == lpuc::isa::DType::F32 || d == lpuc::isa::DType::F16 ||
         d == lpuc::isa::DType::BF16;
}

bool isHeldAsF32(Type t) {
  auto i = dyn_cast<IntegerType>(t);
  return i && i.getWidth() <= 64;
}

Type chipType(Type t) {
  return isHeldAsF32(t) ? Float32Type::get(t.getContext()) : t;
}

/// A reshape whose last dimension is unchanged: rows and vectors keep their
/// plane-rows, so the result is the operand's placement with a new shape.
bool isAliasReshape(Operation *op) {
  auto reshape = dyn_cast<lpu::ReshapeOp>(op);
  if (!reshape)
    return false;
  auto in = cast<RankedTensorType>(reshape.getInput().getType());
  auto out = cast<RankedTensorType>(reshape.getType());
  int64_t inCols = in.getRank() ? in.getShape().back() : 1;
  int64_t outCols = out.getRank() ? out.getShape().back() : 1;
  return inCols == outCols;
}

/// The scalar of a splat float constant, seen through broadcasts and
/// reshapes.
std::optional<double> splatValue(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (auto cst = dyn_cast<arith::ConstantOp>(def)) {
    auto dense = dyn_cast<DenseElementsAttr>(cst.getValue());
    if (!dense || !dense.isSplat() ||
        !llvm::isa<FloatType>(dense.getElementType()))
      return std::nullopt;
    return dense.getSplatValue<APFloat>().convertToDouble();
  }
  if (auto b = dyn_cast<lpu::BroadcastOp>(def))
    return splatValue(b.getInput());
  if (auto r = dyn_cast<lpu::ReshapeOp>(def))
    return splatValue(r.getInput());
  return std::nullopt;
}

/// Row-major strides of a shape.
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> s(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

//===----------------------------------------------------------------------===//
// Validation: report everything unsupported before emitting anything.
//===----------------------------------------------------------------------===//

LogicalResult checkType(Operation *op, Type t) {
  auto tt = dyn_cast<RankedTensorType>(t);
  if (!tt)
    return op->emitError() << "type " << t
                           << " is not supported on the LPU (needs a ranked "
                              "tensor)";
  if (!tt.hasStaticShape())
    return op->emitError() << "dynamic shapes are not supported on the LPU ("
                           << t << ")";
  if (!isChipFloat(tt.getElementType()) && !isHeldAsF32(tt.getElementType())) {
    std::string name; // unquoted, as in the IR
    llvm::raw_string_ostream os(name);
    tt.getElementType().print(os);
    return op->emitError() << "element type " << name
                           << " is not supported on the LPU yet";
  }
  return success();
}

LogicalResult Lowering::validate() {
  if (!src_.getBody().hasOneBlock())
    return src_.emitError() << "lpu-to-lpuhw expects @main with one block";
  bool ok = true;
  for (Operation &op : src_.getBody().front()) {
    if (isConditionOnly(&op))
      continue;
    if (op.getNumResults() == 1 && isIndexInput(op.getResult(0)))
      continue; // a reshape of integer ids, held as f32
    if (llvm::isa<arith::ConstantOp>(op)) {
      auto t = dyn_cast<RankedTensorType>(op.getResult(0).getType());
      if (!t || !t.hasStaticShape()) {
        op.emitError() << "constant of type " << op.getResult(0).getType()
                       << " is not supported on the LPU";
        ok = false;
      }
      continue;
    }
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      // Results computed by ops were checked there and arguments are
      // checked below; this catches returned constants.
      for (Value v : ret.getOperands())
        if (ok && llvm::isa_and_nonnull<arith::ConstantOp>(v.getDefiningOp()) &&
            failed(checkType(&op, v.getType())))
          ok = false;
      continue;
    }
    if (!llvm::isa<lpu::AddOp, lpu::SubOp, lpu::MulOp, lpu::ReluOp, lpu::CastOp,
                   lpu::MatmulOp, lpu::BroadcastOp, lpu::TransposeOp,
                   lpu::ReshapeOp, lpu::CompareOp, lpu::NotOp, lpu::FusedOp>(
            op) &&
        !isMathOp(&op)) {
      op.emitError() << "'" << op.getName()
                     << "' is not supported by lpu-to-lpuhw";
      ok = false;
      continue;
    }
    bool typesOk = true;
    for (OpOperand &use : op.getOpOperands()) {
      // Constant gather indices and select conditions are compile-time
      // data, not chip tensors.
      if (llvm::isa<lpu::GatherOp>(op) && use.getOperandNumber() == 1)
        continue;
      if (llvm::isa<lpu::SelectOp>(op) && use.getOperandNumber() == 0)
        continue;
      if (isIndexInput(use.get()))
        continue;
      typesOk = typesOk && succeeded(checkType(&op, use.get().getType()));
    }
    for (Type t : op.getResultTypes())
      typesOk = typesOk && succeeded(checkType(&op, t));
    if (!typesOk) {
      ok = false;
      continue;
    }
    if (isMathOp(&op) && failed(validateMathOp(&op))) {
      ok = false;
      continue;
    }
    if (auto mm = dyn_cast<lpu::MatmulOp>(op)) {
      auto lhs = cast<RankedTensorType>(mm.getLhs().getType());
      if (lhs.getRank() < 2 || lhs.getShape().back() == 0) {
        op.emitError() << "matmul needs operands of rank >= 2 and a non-empty "
                          "contracting dimension";
        ok = false;
      }
    }
  }
  if (!ok)
    return failure();
  for (BlockArgument arg : src_.getArguments())
    if (!isIndexInput(arg) && failed(checkType(src_, arg.getType()))) {
      ok = false;
    }
  return success(ok);
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

std::string Lowering::uniqueName(StringRef base) {
  std::string name = base.empty() ? "t" : base.str();
  if (names_.insert(name).second)
    return name;
  for (unsigned i = 1;; ++i) {
    std::string candidate = name + "_" + std::to_string(i);
    if (names_.insert(candidate).second)
      return candidate;
  }
}

namespace {
bool isView(Operation *op) {
  return llvm::isa_and_nonnull<lpu::CastOp, lpu::ReshapeOp, lpu::TransposeOp>(
      op);
}
/// Whether `v` reaches the function's return through casts, reshapes and
/// transposes.
bool reachesReturn(Value v) {
  for (Operation *user : v.getUsers()) {
    if (llvm::isa<func::ReturnOp>(user))
      return true;
    if (isView(user) && reachesReturn(user->getResult(0)))
      return true;
  }
  return false;
}
/// Whether every use of `v` leads (through views) into a concat whose result
/// is returned, and there is at least one.
bool onlyIntoReturnedConcat(Value v) {
  if (v.use_empty())
    return false;
  for (Operation *user : v.getUsers()) {
    if (llvm::isa<lpu::ConcatOp>(user) && reachesReturn(user->getResult(0)))
      continue;
    if (isView(user) && onlyIntoReturnedConcat(user->getResult(0)))
      continue;
    return false;
  }
  return true;
}
/// A decode step's KV cache: an input used only to be concatenated (through
/// casts, reshapes and transposes) into a result, and such a result.
bool isKvCacheInput(BlockArgument arg) { return onlyIntoReturnedConcat(arg); }
bool isKvCacheOutput(Value v) {
  while (isView(v.getDefiningOp()))
    v = v.getDefiningOp()->getOperand(0);
  auto concat = v.getDefiningOp<lpu::ConcatOp>();
  return concat && llvm::any_of(concat->getOperands(), [](Value in) {
           Value root = in;
           while (isView(root.getDefiningOp()))
             root = root.getDefiningOp()->getOperand(0);
           auto arg = dyn_cast<BlockArgument>(root);
           return arg && onlyIntoReturnedConcat(arg);
         });
}
} // namespace

/// An integer or bool constant as f32 values; every value must be exact.
FailureOr<ElementsAttr> integersAsF32(ElementsAttr value, RankedTensorType type,
                                      Location loc) {
  // Shapes only (`lpuc plan` without the external data): a blob-less f32
  // resource of the same shape.
  if (lpu::isWithoutData(value))
    return cast<ElementsAttr>(lpu::constantWithoutData(
        type,
        cast<DenseResourceElementsAttr>(value).getRawHandle().getKey().str() +
            "_f32"));
  auto dense = dyn_cast<DenseIntElementsAttr>(value);
  if (!dense)
    return emitError(loc) << "integer constant of this form is not supported "
                             "on the LPU (needs dense data)";
  bool isBool = dense.getElementType().isInteger(1);
  SmallVector<float> values;
  values.reserve(size_t(dense.getNumElements()));
  for (const APInt &a : dense.getValues<APInt>()) {
    int64_t i = isBool ? int64_t(a.getZExtValue()) : a.getSExtValue();
    if (i > (int64_t(1) << 24) || i < -(int64_t(1) << 24))
      return emitError(loc) << "integer constant value " << i
                            << " is outside the integers the chip holds "
                               "exactly as f32 (|v| <= 2^24)";
    values.push_back(float(i));
  }
  return cast<ElementsAttr>(
      DenseElementsAttr::get(type, ArrayRef<float>(values)));
}

FailureOr<Tensor *> Lowering::declare(Value v, Location loc, StringRef kind,
                                      StringAttr onnxName, StringRef symBase,
                                      ElementsAttr value) {
  auto type = cast<RankedTensorType>(v.getType());
  // Integers and bools are held as f32 (exact for |v| <= 2^24; bools as 0
  // and 1); graph inputs and outputs record their type for the runtime.
  Type hostType = type.getElementType();
  type = type.clone(chipType(hostType));
  if (value && isHeldAsF32(hostType)) {
    FailureOr<ElementsAttr> f = integersAsF32(value, type, loc);
    if (failed(f))
      return failure();
    value = *f;
  }
  lpuc::isa::DType dtype = lpuhw::toIsaType(type.getElementType());
  // Inputs, outputs and weights keep their rows; activations are released
  // after their last use. Inputs and weights are in SRAM before the program
  // starts, so they never take rows an activation has held.
  Lifetime life = kind == "activation" ? Lifetime::Transient
                  : kind == "output"   ? Lifetime::Program
                                       : Lifetime::Loaded;
  FailureOr<Placement> p = alloc().allocate(dtype, type.getShape(), loc, life);
  if (failed(p))
    return failure();
  auto t = std::make_unique<Tensor>();
  t->layout = layout::makeLayout(dtype, type.getShape(), *p, machine_);
  t->elemType = type.getElementType();
  t->chip = chip_;
  track(*p, life == Lifetime::Transient);
  if (life == Lifetime::Transient)
    t->transient = *p;
  t->decl =
      layout::declareTensor(decls_, loc, uniqueName(symBase), kind, onnxName,
                            type.getElementType(), type.getShape(), *p, value);
  if (kind == "weight")
    weightBytesDeclared_ += uint64_t(t->layout.planeRows()) * machine_.lanes();
  if (hostType != type.getElementType() &&
      (kind == "input" || kind == "output"))
    t->decl.setHostDtypeAttr(TypeAttr::get(hostType));
  auto arg = dyn_cast<BlockArgument>(v);
  if ((kind == "input" && arg && isKvCacheInput(arg)) ||
      (kind == "output" && isKvCacheOutput(v)))
    t->decl.setKvCache(true);
  Tensor *raw = t.get();
  tensors_[v] = std::move(t);
  return raw;
}

FailureOr<Tensor *> Lowering::tensorOf(Value v) {
  auto it = tensors_.find(v);
  if (it != tensors_.end() && it->second->released) {
    Operation *def = v.getDefiningOp();
    return emitError(def ? def->getLoc() : src_.getLoc())
           << "lpu-to-lpuhw: internal: a value is read after its SRAM rows "
              "were released";
  }
  if (it != tensors_.end()) {
    if (it->second->chip == chip_)
      return it->second.get();
    return replicaOf(v, *it->second);
  }
  Operation *def = v.getDefiningOp();
  if (auto cst = dyn_cast_or_null<arith::ConstantOp>(def)) {
    auto value = cast<ElementsAttr>(cst.getValue());
    std::string base = "w" + std::to_string(weights_++);
    if (auto res = dyn_cast<DenseResourceElementsAttr>(cst.getValue()))
      base = res.getRawHandle().getKey().str();
    return declare(v, cst.getLoc(), "weight", StringAttr(), base, value);
  }
  if (auto b = dyn_cast_or_null<lpu::BroadcastOp>(def)) {
    if (failed(lowerBroadcast(b)))
      return failure();
    return tensors_[v].get();
  }
  if (def && isAliasReshape(def)) {
    auto reshape = cast<lpu::ReshapeOp>(def);
    FailureOr<Tensor *> in = tensorOf(reshape.getInput());
    if (failed(in))
      return failure();
    auto t = std::make_unique<Tensor>();
    t->layout = (*in)->layout;
    auto shape = reshape.getType().getShape();
    t->layout.shape.assign(shape.begin(), shape.end());
    t->elemType = (*in)->elemType;
    t->chip = (*in)->chip;
    Tensor *raw = t.get();
    tensors_[v] = std::move(t);
    return raw;
  }
  Location loc = def ? def->getLoc() : src_.getLoc();
  return emitError(loc) << "lpu-to-lpuhw: value has no tensor (internal)";
}

FailureOr<Tensor *> Lowering::temp(Location loc, Type elem,
                                   ArrayRef<int64_t> shape) {
  isa::DType dtype = lpuhw::toIsaType(elem);
  FailureOr<Placement> p = alloc().allocate(dtype, shape, loc);
  if (failed(p))
    return failure();
  auto t = std::make_unique<Tensor>();
  t->layout = layout::makeLayout(dtype, shape, *p, machine_);
  t->elemType = elem;
  t->chip = chip_;
  t->decl = layout::declareTensor(
      decls_, loc, uniqueName("t" + std::to_string(activations_++)),
      "activation", StringAttr(), elem, shape, *p);
  t->transient = *p;
  track(*p);
  temps_.push_back(std::move(t));
  opTemps_.push_back(temps_.back().get());
  return temps_.back().get();
}

FailureOr<Tensor *> Lowering::constant(Location loc, StringRef key, Type elem,
                                       ArrayRef<int64_t> shape, double value,
                                       int64_t valid, double fill) {
  int64_t cols = shape.empty() ? 1 : shape.back();
  return constant(loc, key, elem, shape, [&](int64_t i) {
    return valid < 0 || i % cols < valid ? value : fill;
  });
}

FailureOr<Tensor *>
Lowering::constant(Location loc, StringRef key, Type elem,
                   ArrayRef<int64_t> shape,
                   llvm::function_ref<double(int64_t)> valueAt) {
  std::string full = key.str();
  llvm::raw_string_ostream os(full);
  os << "_";
  elem.print(os);
  if (chip_ > 0)
    os << "_c" << chip_;
  auto it = constants_.find(full);
  if (it != constants_.end())
    return it->second;
  auto type = RankedTensorType::get(shape, elem);
  const llvm::fltSemantics &sem = cast<FloatType>(elem).getFloatSemantics();
  SmallVector<APFloat> values;
  bool splat = true;
  for (int64_t i = 0, n = type.getNumElements(); i < n; ++i) {
    APFloat v(valueAt(i));
    bool lost = false;
    v.convert(sem, APFloat::rmNearestTiesToEven, &lost);
    splat = splat && (values.empty() || v.bitwiseIsEqual(values.front()));
    values.push_back(v);
  }
  DenseElementsAttr attr = splat && !values.empty()
                               ? DenseElementsAttr::get(type, values.front())
                               : DenseElementsAttr::get(type, values);
  isa::DType dtype = lpuhw::toIsaType(elem);
  FailureOr<Placement> p =
      alloc().allocate(dtype, shape, loc, Lifetime::Loaded);
  if (failed(p))
    return failure();
  auto t = std::make_unique<Tensor>();
  t->layout = layout::makeLayout(dtype, shape, *p, machine_);
  t->elemType = elem;
  t->chip = chip_;
  track(*p, false);
  weightBytesDeclared_ += uint64_t(t->layout.planeRows()) * machine_.lanes();
  t->decl = layout::declareTensor(decls_, loc, uniqueName(full), "weight",
                                  StringAttr(), elem, shape, *p,
                                  cast<ElementsAttr>(attr));
  temps_.push_back(std::move(t));
  constants_[full] = temps_.back().get();
  return temps_.back().get();
}

FailureOr<Tensor *> Lowering::defineResult(Operation *op, Value result) {
  auto it = directOutputs_.find(result);
  if (it != directOutputs_.end()) {
    StringAttr name =
        src_.getResultAttrOfType<StringAttr>(it->second, kOnnxName);
    if (!name)
      name = StringAttr::get(op->getContext(),
                             "output" + std::to_string(it->second));
    return declare(result, op->getLoc(), "output", name, name.getValue());
  }
  return declare(result, op->getLoc(), "activation", StringAttr(),
                 "t" + std::to_string(activations_++));
}

//===----------------------------------------------------------------------===//
// Instructions
//===----------------------------------------------------------------------===//

SmallVector<Value> vxmOp(OpBuilder &b, Location loc, StringRef fn, Type dtype,
                         ValueRange inputs, double imm, Type toType) {
  unsigned w = lpuc::isa::widthBytes(lpuhw::toIsaType(toType ? toType : dtype));
  auto op = lpuhw::VxmOp::create(
      b, loc, layout::streamTypes(b.getContext(), w), fn, dtype,
      toType ? TypeAttr::get(toType) : TypeAttr(), APFloat(float(imm)),
      IntegerAttr(), inputs, IntegerAttr(), IntegerAttr(), IntegerAttr());
  return SmallVector<Value>(op.getResults());
}

LogicalResult Lowering::lowerBinary(Operation *op, StringRef fn, Value lhs,
                                    Value rhs) {
  // A splat constant operand becomes an immediate.
  if (std::optional<double> c = splatValue(rhs)) {
    if (fn == "add")
      return lowerUnary(op, lhs, "add_imm", *c);
    if (fn == "sub")
      return lowerUnary(op, lhs, "add_imm", -*c);
    return lowerUnary(op, lhs, "mul_imm", *c);
  }
  if (std::optional<double> c = splatValue(lhs)) {
    if (fn == "add")
      return lowerUnary(op, rhs, "add_imm", *c);
    if (fn == "sub")
      return lowerNegAddImm(op, rhs, *c);
    return lowerUnary(op, rhs, "mul_imm", *c);
  }
  FailureOr<Tensor *> a = tensorOf(lhs);
  if (failed(a))
    return failure();
  FailureOr<Tensor *> b = tensorOf(rhs);
  if (failed(b))
    return failure();
  FailureOr<Tensor *> c = defineResult(op, op->getResult(0));
  if (failed(c))
    return failure();
  const lpuc::isa::TensorLayout &lc = (*c)->layout;
  Location loc = op->getLoc();
  // Through a chain: two operands in one MEM slice are read in different
  // cycles (one read per slice and cycle), the same vector only once.
  for (int64_t r = 0, rows = lc.rows(); r < rows; ++r)
    for (int64_t v = 0, vecs = lc.vectors(); v < vecs; ++v) {
      Chain chain(*this, loc, (*c)->elemType);
      Val y = chain.op(fn, chain.leaf(**a, r, v), chain.leaf(**b, r, v));
      layout::writeVector(body_, loc, lc, r, v,
                          chain.result(y, (*c)->elemType));
    }
  return success();
}

LogicalResult Lowering::lowerUnary(Operation *op, Value input, StringRef fn,
                                   double imm, Type toType) {
  FailureOr<Tensor *> a = tensorOf(input);
  if (failed(a))
    return failure();
  FailureOr<Tensor *> c = defineResult(op, op->getResult(0));
  if (failed(c))
    return failure();
  const lpuc::isa::TensorLayout &la = (*a)->layout, &lc = (*c)->layout;
  Location loc = op->getLoc();
  for (int64_t r = 0, rows = lc.rows(); r < rows; ++r)
    for (int64_t v = 0, vecs = lc.vectors(); v < vecs; ++v) {
      SmallVector<Value> in = layout::readVector(body_, loc, la, r, v);
      SmallVector<Value> out =
          vxmOp(body_, loc, fn, (*a)->elemType, in, imm, toType);
      layout::writeVector(body_, loc, lc, r, v, out);
    }
  return success();
}

LogicalResult Lowering::lowerNegAddImm(Operation *op, Value input, double imm) {
  FailureOr<Tensor *> a = tensorOf(input);
  if (failed(a))
    return failure();
  FailureOr<Tensor *> c = defineResult(op, op->getResult(0));
  if (failed(c))
    return failure();
  const lpuc::isa::TensorLayout &la = (*a)->layout, &lc = (*c)->layout;
  Location loc = op->getLoc();
  for (int64_t r = 0, rows = lc.rows(); r < rows; ++r)
    for (int64_t v = 0, vecs = lc.vectors(); v < vecs; ++v) {
      SmallVector<Value> in = layout::readVector(body_, loc, la, r, v);
      SmallVector<Value> neg = vxmOp(body_, loc, "neg", (*a)->elemType, in);
      SmallVector<Value> out =
          vxmOp(body_, loc, "add_imm", (*a)->elemType, neg, imm);
      layout::writeVector(body_, loc, lc, r, v, out);
    }
  return success();
}

SmallVector<uint32_t> Lowering::mxmPlaneOrder(isa::DType dtype) const {
  // 16/32-bit tiles use the even plane of a pair; alternate west and east:
  // 0, half, step, half + step, ...
  uint32_t step = machine_.mxmPlanesFor(dtype);
  uint32_t total = machine_.target().mxm_planes(), half = total / 2;
  SmallVector<uint32_t> west, east, mixed;
  for (uint32_t p = 0; step && p + step <= total; p += step)
    (p < half ? west : east).push_back(p);
  for (size_t i = 0; i < std::max(west.size(), east.size()); ++i) {
    if (i < west.size())
      mixed.push_back(west[i]);
    if (i < east.size())
      mixed.push_back(east[i]);
  }
  return mixed;
}

LogicalResult Lowering::lowerMatmul(lpu::MatmulOp op) {
  FailureOr<Tensor *> a = tensorOf(op.getLhs());
  if (failed(a))
    return failure();
  FailureOr<Tensor *> b = tensorOf(op.getRhs());
  if (failed(b))
    return failure();
  FailureOr<Tensor *> c = defineResult(op, op.getResult());
  if (failed(c))
    return failure();
  ArrayRef<int64_t> lhsShape = op.getLhs().getType().getShape();
  ArrayRef<int64_t> rhsShape = op.getRhs().getType().getShape();
  int64_t rank = int64_t(lhsShape.size());
  int64_t batch = 1;
  for (int64_t i = 0; i < rank - 2; ++i)
    batch *= lhsShape[i];
  return matmul(op.getLoc(), **a, **b, **c, batch, lhsShape[rank - 2],
                lhsShape[rank - 1], rhsShape[rank - 1],
                paddingMayBeNonFinite(op.getLhs()));
}

// Padding lanes hold what the producers computed from the padding of their
// operands (inputs and weights are zero-padded; every op writes whole
// vectors, and relayouts may copy whole vectors). Only a division,
// reciprocal, rsqrt or power can make 0 into inf or NaN (0 / 0, 1 / 0,
// 0^-1); other ops pass their operands' padding on, a matmul its B's (its
// A's lanes beyond k are masked when they may be non-finite).
bool Lowering::paddingMayBeNonFinite(Value v) {
  auto it = nonFinitePadding_.find(v);
  if (it != nonFinitePadding_.end())
    return it->second;
  Operation *def = v.getDefiningOp();
  bool result = false;
  if (!def || llvm::isa<arith::ConstantOp>(def))
    result = false;
  else if (llvm::isa<lpu::DivOp, lpu::RecipOp, lpu::RsqrtOp, lpu::PowOp>(def))
    result = true;
  else if (auto mm = dyn_cast<lpu::MatmulOp>(def))
    result = paddingMayBeNonFinite(mm.getRhs()); // A's lanes are masked
  else if (auto f = dyn_cast<lpu::FusedOp>(def))
    result = fusedMayBeNonFinite(f);
  else
    result = llvm::any_of(def->getOperands(),
                          [&](Value in) { return paddingMayBeNonFinite(in); });
  nonFinitePadding_[v] = result;
  return result;
}

LogicalResult Lowering::matmul(Location loc, const Tensor &A, const Tensor &B,
                               const Tensor &C, int64_t batch, int64_t m,
                               int64_t k, int64_t n, bool maskPadding) {
  const lpuc::isa::TensorLayout &la = A.layout, &lb = B.layout, &lc = C.layout;
  Type elem = A.elemType;
  int64_t lanes = machine_.lanes();
  int64_t kTiles = (k + lanes - 1) / lanes, nTiles = (n + lanes - 1) / lanes;
  int64_t chunk =
      std::max<int64_t>(1, machine_.target().mxm_accumulator_rows());
  unsigned w = la.width();
  lpuc::isa::DType dtype = la.dtype;
  SmallVector<uint32_t> mixed = mxmPlaneOrder(dtype);
  if (mixed.empty())
    return emitError(loc) << "target has no MXM plane for " << elem;
  MLIRContext *ctx = body_.getContext();
  for (int64_t bi = 0; bi < batch; ++bi)
    for (int64_t nt = 0; nt < nTiles; ++nt)
      for (int64_t m0 = 0; m0 < m; m0 += chunk) {
        uint32_t plane = mixed[mxmGroups_++ % mixed.size()];
        int64_t mEnd = std::min(m, m0 + chunk);
        for (int64_t kt = 0; kt < kTiles; ++kt) {
          int64_t rows = std::min(k, (kt + 1) * lanes) - kt * lanes;
          SmallVector<Value> tile;
          for (int64_t i = 0; i < rows * w; ++i)
            tile.push_back(layout::readPlaneRow(
                body_, loc, lb,
                lb.planeRowIndex(bi * k + kt * lanes + i / w, nt,
                                 unsigned(i % w))));
          lpuhw::MxmLoadOp::create(body_, loc, plane, elem, uint32_t(rows),
                                   tile, IntegerAttr(), IntegerAttr(),
                                   IntegerAttr());
          lpuhw::MxmInstallOp::create(body_, loc, plane, IntegerAttr(),
                                      IntegerAttr(), IntegerAttr());
          bool emit = kt == kTiles - 1;
          for (int64_t mi = m0; mi < mEnd; ++mi) {
            SmallVector<Value> act =
                layout::readVector(body_, loc, la, bi * m + mi, kt);
            // Lanes >= rows meet the tile's zero rows, but 0 * inf or 0 *
            // NaN is NaN: padding lanes that may hold either (e.g. 0 / 0 of
            // a decomposed normalisation on padding) are zeroed on the way
            // (one permute).
            if (rows < lanes && maskPadding)
              act = maskLanes(loc, elem, act, rows);
            SmallVector<Type> types;
            if (emit)
              types = layout::streamTypes(ctx, 4);
            auto mul = lpuhw::MxmMulOp::create(
                body_, loc, types, plane, elem, uint32_t(mi - m0), kt > 0, emit,
                act, IntegerAttr(), IntegerAttr(), IntegerAttr());
            if (!emit)
              continue;
            SmallVector<Value> out(mul.getResults());
            if (dtype != lpuc::isa::DType::F32)
              out = vxmOp(body_, loc, "cast", Float32Type::get(ctx), out, 0.0,
                          elem);
            layout::writeVector(body_, loc, lc, bi * m + mi, nt, out);
          }
        }
      }
  return success();
}

LogicalResult
Lowering::lowerRelayout(Operation *op, Value input, Value result,
                        llvm::function_ref<int64_t(int64_t)> srcOf) {
  FailureOr<Tensor *> s = relayoutSource(input);
  if (failed(s))
    return failure();
  FailureOr<Tensor *> d = defineResult(op, result);
  if (failed(d))
    return failure();
  relayout(op->getLoc(), **s, **d, srcOf);
  return success();
}

void Lowering::relayout(Location loc, const Tensor &from, const Tensor &to,
                        llvm::function_ref<int64_t(int64_t)> srcOf) {
  const Tensor *sources[] = {&from};
  relayout(loc, sources, to,
           [&](int64_t lin) { return std::make_pair(0u, srcOf(lin)); });
}

void Lowering::relayout(
    Location loc, ArrayRef<const Tensor *> fromIn, const Tensor &to,
    llvm::function_ref<std::pair<unsigned, int64_t>(int64_t)> srcOf) {
  const isa::TensorLayout &ld = to.layout;
  MLIRContext *ctx = body_.getContext();
  Type elem = to.elemType;
  int64_t lanes = machine_.lanes();
  int64_t cols = ld.cols();
  SmallVector<const Tensor *> from(fromIn.begin(), fromIn.end());
  struct Group {
    unsigned src;
    int64_t row, vec;
    SmallVector<int32_t> map;
  };
  // Per output vector (row-major): its groups, and whether it is a whole
  // source vector unchanged (a copy).
  int64_t rows = ld.rows(), vecs = ld.vectors();
  std::vector<SmallVector<Group, 1>> plan(size_t(rows * vecs));
  std::vector<bool> isCopy(plan.size(), false);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0; v < vecs; ++v) {
      int64_t valid = std::min(lanes, cols - v * lanes);
      SmallVector<Group, 1> &groups = plan[size_t(r * vecs + v)];
      std::map<std::tuple<unsigned, int64_t, int64_t>, unsigned> index;
      for (int64_t i = 0; i < valid; ++i) {
        auto [k, src] = srcOf(r * cols + v * lanes + i);
        if (src < 0)
          continue; // zero
        int64_t srcCols = from[k]->layout.cols();
        int64_t sr = src / srcCols, sc = src % srcCols;
        auto key = std::make_tuple(k, sr, sc / lanes);
        auto [it, inserted] = index.try_emplace(key, unsigned(groups.size()));
        if (inserted)
          groups.push_back(
              {k, sr, sc / lanes, SmallVector<int32_t>(size_t(lanes), -1)});
        groups[it->second].map[i] = int32_t(sc % lanes);
      }
      if (groups.size() == 1) {
        const Group &g = groups.front();
        int64_t srcValid =
            std::min(lanes, from[g.src]->layout.cols() - g.vec * lanes);
        bool identity = srcValid == valid;
        for (int64_t i = 0; identity && i < valid; ++i)
          identity = g.map[i] == i;
        isCopy[size_t(r * vecs + v)] = identity;
      }
    }
  // A source on another chip (relayoutSource) that a permute reads, or the
  // first source when some vector is all zeros, is replicated here first.
  auto localize = [&](unsigned k) {
    if (from[k]->chip == chip_)
      return;
    FailureOr<Tensor *> t = tensorOf(remoteSources_.lookup(from[k]));
    if (succeeded(t))
      from[k] = *t;
  };
  for (size_t i = 0; i < plan.size(); ++i) {
    if (plan[i].empty())
      localize(0);
    else if (!isCopy[i])
      for (const Group &g : plan[i])
        localize(g.src);
  }
  startTransferBlock();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0; v < vecs; ++v) {
      const SmallVector<Group, 1> &groups = plan[size_t(r * vecs + v)];
      if (groups.empty()) {
        // Every lane is zero: a permute of nothing (map all -1) of any
        // vector of the first source.
        SmallVector<Value> in =
            layout::readVector(body_, loc, from[0]->layout, 0, 0);
        auto perm = lpuhw::SxmPermuteOp::create(
            body_, loc, layout::streamTypes(ctx, ld.width()), elem,
            SmallVector<int32_t>(size_t(lanes), -1), false, IntegerAttr(), in,
            IntegerAttr(), IntegerAttr(), IntegerAttr());
        layout::writeVector(body_, loc, ld, r, v, perm.getResults());
        continue;
      }
      // A whole source vector, unchanged: copy (from another chip: each
      // plane received straight into its place).
      if (isCopy[size_t(r * vecs + v)]) {
        const Group &g = groups.front();
        const Tensor &src = *from[g.src];
        SmallVector<Value> planes;
        if (src.chip == chip_)
          planes = layout::readVector(body_, loc, src.layout, g.row, g.vec);
        else
          for (unsigned p = 0; p < ld.width(); ++p)
            planes.push_back(receivePlaneRow(
                loc, src, src.layout.planeRowIndex(g.row, g.vec, p)));
        layout::writeVector(body_, loc, ld, r, v, planes);
        continue;
      }
      SmallVector<Value> acc;
      for (const Group &g : groups) {
        SmallVector<Value> in =
            layout::readVector(body_, loc, from[g.src]->layout, g.row, g.vec);
        bool hasBase = !acc.empty();
        in.append(acc.begin(), acc.end());
        auto perm = lpuhw::SxmPermuteOp::create(
            body_, loc, layout::streamTypes(ctx, ld.width()), elem, g.map,
            hasBase, IntegerAttr(), in, IntegerAttr(), IntegerAttr(),
            IntegerAttr());
        acc.assign(perm.getResults().begin(), perm.getResults().end());
      }
      layout::writeVector(body_, loc, ld, r, v, acc);
    }
}

LogicalResult Lowering::lowerBroadcast(lpu::BroadcastOp op) {
  ArrayRef<int64_t> in = op.getInput().getType().getShape();
  ArrayRef<int64_t> out = op.getType().getShape();
  SmallVector<int64_t> inStrides = stridesOf(in), outStrides = stridesOf(out);
  int64_t offset = int64_t(out.size()) - int64_t(in.size());
  auto srcOf = [&](int64_t lin) {
    int64_t src = 0;
    for (int64_t d = 0; d < int64_t(out.size()); ++d) {
      int64_t idx = (lin / outStrides[d]) % out[d];
      int64_t j = d - offset;
      if (j >= 0 && in[j] != 1)
        src += idx * inStrides[j];
    }
    return src;
  };
  return lowerRelayout(op, op.getInput(), op.getResult(), srcOf);
}

LogicalResult Lowering::lowerTranspose(lpu::TransposeOp op) {
  if (transposeLast2Applies(op))
    return lowerTransposeLast2(op);
  ArrayRef<int64_t> in = op.getInput().getType().getShape();
  ArrayRef<int64_t> out = op.getType().getShape();
  ArrayRef<int64_t> perm = op.getPermutation();
  SmallVector<int64_t> inStrides = stridesOf(in), outStrides = stridesOf(out);
  auto srcOf = [&](int64_t lin) {
    int64_t src = 0;
    for (int64_t d = 0; d < int64_t(out.size()); ++d)
      src += ((lin / outStrides[d]) % out[d]) * inStrides[perm[d]];
    return src;
  };
  return lowerRelayout(op, op.getInput(), op.getResult(), srcOf);
}

//===----------------------------------------------------------------------===//
// Integers and bools (held as f32), comparisons, runtime select
//===----------------------------------------------------------------------===//

FailureOr<Lowering::Source> Lowering::sourceOf(Location loc, Value v, Type elem,
                                               int64_t cols) {
  Source s;
  if (std::optional<double> c = splatValue(v)) {
    std::string key = "splat";
    for (char ch : std::to_string(*c)) // a symbol-friendly spelling
      key += ch == '-' ? 'm' : ch == '.' ? 'p' : ch;
    FailureOr<Tensor *> t = constant(loc, key, elem, {1, cols}, *c);
    if (failed(t))
      return failure();
    s.tensor = *t;
    s.splat = true;
    return s;
  }
  FailureOr<Tensor *> t = tensorOf(v);
  if (failed(t))
    return failure();
  s.tensor = *t;
  return s;
}

Lowering::Val Lowering::leafOf(Chain &ch, const Source &s, int64_t r,
                               int64_t v) {
  return ch.leaf(*s.tensor, s.splat ? 0 : r, v);
}

namespace {
int64_t lastDim(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return t.getRank() ? t.getShape().back() : 1;
}
} // namespace

// eq / lt in the operands' chip type (1 or 0 in that type), then as f32.
LogicalResult Lowering::lowerCompare(lpu::CompareOp op) {
  Location loc = op.getLoc();
  Type elem =
      chipType(cast<RankedTensorType>(op.getLhs().getType()).getElementType());
  int64_t cols = lastDim(op.getResult());
  FailureOr<Source> a = sourceOf(loc, op.getLhs(), elem, cols);
  FailureOr<Source> b = sourceOf(loc, op.getRhs(), elem, cols);
  if (failed(a) || failed(b))
    return failure();
  FailureOr<Tensor *> c = defineResult(op, op.getResult());
  if (failed(c))
    return failure();
  const isa::TensorLayout &lc = (*c)->layout;
  StringRef fn = op.getPredicate() == lpu::ComparePredicate::eq ? "eq" : "lt";
  for (int64_t r = 0, rows = lc.rows(); r < rows; ++r)
    for (int64_t v = 0, vecs = lc.vectors(); v < vecs; ++v) {
      Chain ch(*this, loc, elem);
      Val y = ch.op(fn, leafOf(ch, *a, r, v), leafOf(ch, *b, r, v));
      layout::writeVector(body_, loc, lc, r, v, ch.result(y, (*c)->elemType));
    }
  return success();
}

// Between floats: one VXM cast. To a bool: x != 0. From a float to an
// integer: toward zero (below). Between integers and bools, and from
// them to f32: a copy (they are f32 already); to f16/bf16: a cast. Chains in
// f32 (a 16-bit input is cast on the way in).
LogicalResult Lowering::lowerCast(lpu::CastOp op) {
  Location loc = op.getLoc();
  Type from = cast<RankedTensorType>(op.getInput().getType()).getElementType();
  Type to = op.getType().getElementType();
  Type cf = chipType(from), ct = chipType(to);
  bool toBool = to.isInteger(1);
  bool toInt = isHeldAsF32(to) && !toBool;
  if (!toBool && !toInt)
    return cf == ct ? lowerUnary(op, op.getInput(), "copy", 0.0)
                    : lowerUnary(op, op.getInput(), "cast", 0.0, ct);
  if (isHeldAsF32(from) && !toBool)
    return lowerUnary(op, op.getInput(), "copy", 0.0);
  FailureOr<Tensor *> x0 = tensorOf(op.getInput());
  if (failed(x0))
    return failure();
  FailureOr<Tensor *> c = defineResult(op, op.getResult());
  if (failed(c))
    return failure();
  Type f32 = Float32Type::get(op.getContext());
  int64_t lanes = machine_.lanes();
  FailureOr<Tensor *> zero = constant(loc, "zero", f32, {1, lanes}, 0.0);
  FailureOr<Tensor *> big =
      constant(loc, "two23", f32, {1, lanes}, double(1 << 23));
  if (failed(zero) || failed(big))
    return failure();
  const isa::TensorLayout &lc = (*c)->layout;
  for (int64_t r = 0, rows = lc.rows(); r < rows; ++r)
    for (int64_t v = 0, vecs = lc.vectors(); v < vecs; ++v) {
      Chain ch(*this, loc, f32);
      Val x = ch.leaf(**x0, r, v);
      Val z = ch.leaf(**zero, 0, v);
      Val y;
      if (toBool) {
        y = ch.op("ne", x, z);
      } else {
        // a = |x|; for a < 2^23, n = (a + 2^23) - 2^23 is a rounded to the
        // nearest integer (exact: the sum has a unit last place of 1) and
        // floor(a) = n - [a < n]; larger floats are integers already. Then
        // the sign: trunc(x) = floor(|x|) * (1 - 2 [x < 0]).
        Val a = ch.op("max", x, ch.op("neg", x));
        Val small = ch.op("lt", a, ch.leaf(**big, 0, v));
        Val n = ch.op("add_imm", ch.op("add_imm", a, 8388608.0), -8388608.0);
        Val f = ch.op("sub", n, ch.op("lt", a, n));
        Val fa = ch.op("add", a, ch.op("mul", ch.op("sub", f, a), small));
        Val sign =
            ch.op("add_imm", ch.op("mul_imm", ch.op("lt", x, z), -2.0), 1.0);
        y = ch.op("mul", fa, sign);
      }
      layout::writeVector(body_, loc, lc, r, v, ch.result(y, f32));
    }
  return success();
}

// condition (0/1, f32) != 0 ? on_true : on_false, in the result's chip type.
LogicalResult Lowering::lowerRuntimeSelect(lpu::SelectOp op) {
  Location loc = op.getLoc();
  Type elem = chipType(op.getType().getElementType());
  int64_t cols = lastDim(op.getResult());
  FailureOr<Tensor *> cond = tensorOf(op.getCondition());
  FailureOr<Source> a = sourceOf(loc, op.getOnTrue(), elem, cols);
  FailureOr<Source> b = sourceOf(loc, op.getOnFalse(), elem, cols);
  if (failed(cond) || failed(a) || failed(b))
    return failure();
  FailureOr<Tensor *> c = defineResult(op, op.getResult());
  if (failed(c))
    return failure();
  const isa::TensorLayout &lc = (*c)->layout;
  for (int64_t r = 0, rows = lc.rows(); r < rows; ++r)
    for (int64_t v = 0, vecs = lc.vectors(); v < vecs; ++v) {
      Chain ch(*this, loc, elem);
      Val y = ch.op("select", ch.leaf(**cond, r, v), leafOf(ch, *a, r, v),
                    leafOf(ch, *b, r, v));
      layout::writeVector(body_, loc, lc, r, v, ch.result(y, elem));
    }
  return success();
}

void Lowering::copy(Location loc, const Tensor &from, const Tensor &to) {
  for (int64_t r = 0, rows = to.layout.rows(); r < rows; ++r)
    for (int64_t v = 0, vecs = to.layout.vectors(); v < vecs; ++v)
      layout::writeVector(body_, loc, to.layout, r, v,
                          layout::readVector(body_, loc, from.layout, r, v));
}

LogicalResult Lowering::lowerOp(Operation *op) {
  if (llvm::isa<arith::ConstantOp>(op) || isAliasReshape(op))
    return success(); // lazily, in tensorOf
  if (op->use_empty() || isConditionOnly(op))
    return success(); // dead, or compile-time data of a select
  if (auto b = dyn_cast<lpu::BroadcastOp>(op)) {
    if (splatValue(b.getInput()))
      return success(); // an immediate, or lowered in tensorOf when needed
    return tensors_.count(b.getResult()) ? success() : lowerBroadcast(b);
  }
  if (auto add = dyn_cast<lpu::AddOp>(op))
    return lowerBinary(op, "add", add.getLhs(), add.getRhs());
  if (auto sub = dyn_cast<lpu::SubOp>(op))
    return lowerBinary(op, "sub", sub.getLhs(), sub.getRhs());
  if (auto mul = dyn_cast<lpu::MulOp>(op))
    return lowerBinary(op, "mul", mul.getLhs(), mul.getRhs());
  if (auto relu = dyn_cast<lpu::ReluOp>(op))
    return lowerUnary(op, relu.getInput(), "max_imm", 0.0);
  if (auto cast = dyn_cast<lpu::CastOp>(op))
    return lowerCast(cast);
  if (auto cmp = dyn_cast<lpu::CompareOp>(op))
    return lowerCompare(cmp);
  if (auto n = dyn_cast<lpu::NotOp>(op))
    return lowerUnary(op, n.getInput(), "rsub_imm", 1.0);
  if (auto sel = dyn_cast<lpu::SelectOp>(op);
      sel && !constantCondition(sel.getCondition()))
    return lowerRuntimeSelect(sel);
  if (auto mm = dyn_cast<lpu::MatmulOp>(op))
    return lowerMatmul(mm);
  if (auto f = dyn_cast<lpu::FusedOp>(op))
    return lowerFused(f);
  if (auto t = dyn_cast<lpu::TransposeOp>(op))
    return lowerTranspose(t);
  if (auto r = dyn_cast<lpu::ReshapeOp>(op))
    return lowerRelayout(op, r.getInput(), r.getResult(),
                         [](int64_t lin) { return lin; });
  if (isMathOp(op))
    return lowerMathOp(op);
  return op->emitError() << "'" << op->getName()
                         << "' is not supported by lpu-to-lpuhw";
}

void Lowering::computeLastUses() {
  auto root = [](Value v) {
    while (Operation *def = v.getDefiningOp()) {
      if (!isAliasReshape(def))
        break;
      v = cast<lpu::ReshapeOp>(def).getInput();
    }
    return v;
  };
  Block &body = src_.getBody().front();
  llvm::DenseSet<Value> returned;
  for (Value v : body.getTerminator()->getOperands())
    returned.insert(root(v));
  for (auto [i, op] : llvm::enumerate(body.without_terminator()))
    for (Value v : op.getOperands()) {
      Value r = root(v);
      if (returned.contains(r))
        continue;
      size_t &last = lastUse_[r];
      last = std::max(last, size_t(i));
    }
}

void Lowering::release(Tensor &t) {
  if (t.transient.slot >= 0 && t.transient.rows > 0)
    t.released = true;
  if (t.transient.slot >= 0)
    liveBytes_ -= uint64_t(t.transient.rows) * t.transient.slices.size() *
                  machine_.lanes();
  allocs_[t.chip]->release(t.transient);
  t.transient = Placement();
}

void Lowering::track(const Placement &p, bool transient) {
  uint64_t bytes = uint64_t(p.rows) * p.slices.size() * machine_.lanes();
  largestTensor_ = std::max(largestTensor_, bytes);
  if (transient && p.slot >= 0)
    liveBytes_ += bytes;
}

FailureOr<Tensor *> Lowering::replicaOf(Value v, Tensor &src) {
  auto key = std::make_pair(v.getAsOpaquePointer(), chip_);
  if (auto it = replicas_.find(key); it != replicas_.end())
    return it->second;
  Location loc = v.getLoc();
  // A constant is declared again on this chip (weights are never sent).
  if (auto cst = v.getDefiningOp<arith::ConstantOp>()) {
    std::unique_ptr<Tensor> keep = std::move(tensors_[v]);
    std::string base = keep->decl ? keep->decl.getSymName().str() : "w";
    FailureOr<Tensor *> t = declare(v, cst.getLoc(), "weight", StringAttr(),
                                    base, cast<ElementsAttr>(cst.getValue()));
    if (failed(t))
      return failure();
    replicaStore_.push_back(std::move(tensors_[v]));
    tensors_[v] = std::move(keep);
    replicas_[key] = *t;
    return *t;
  }
  // An activation: a new tensor on this chip, each plane-row read on a
  // chip that holds it, sent, received here and written (lpuhw-schedule
  // picks the cycles; the route and links come from the topology). The
  // holder is the nearest chip below this one that has a copy (the
  // producer or an earlier receiver), so a value many later stages read is
  // passed along the pipeline instead of sent by its producer to all.
  Tensor *from = holderOf(v, src);
  auto t = std::make_unique<Tensor>();
  t->elemType = src.elemType;
  isa::DType dtype = lpuhw::toIsaType(src.elemType);
  FailureOr<Placement> p = alloc().allocate(dtype, src.layout.shape, loc);
  if (failed(p))
    return failure();
  t->layout = layout::makeLayout(dtype, src.layout.shape, *p, machine_);
  t->chip = chip_;
  t->transient = *p;
  track(*p);
  t->decl = layout::declareTensor(
      decls_, loc,
      uniqueName("c" + std::to_string(chip_) + "_t" +
                 std::to_string(activations_++)),
      "activation", StringAttr(), src.elemType, src.layout.shape, *p);
  // One link carries a vector per c2c_vector_cycles: plane-rows take turns
  // on the direct link and on two-hop paths through each chip linked to
  // both ends (relayed by a receive and a send at that chip's edge), so a
  // transfer inside a node of lpu-v1 uses 7 links at once. Not on targets
  // whose chips are too small to spare instruction memory for relays.
  SmallVector<uint32_t> relays;
  if (topo_ && !directTransfers() && topo_->hops(from->chip, chip_) == 1)
    for (uint32_t c = 0; c < chips_; ++c)
      if (c != from->chip && c != chip_ && topo_->hops(from->chip, c) == 1 &&
          topo_->hops(c, chip_) == 1)
        relays.push_back(c);
  startTransferBlock();
  for (int64_t q = 0, n = from->layout.planeRows(); q < n; ++q) {
    size_t path = size_t(q) % (relays.size() + 1);
    Value v = receivePlaneRow(loc, *from, q,
                              path > 0 ? relays[path - 1] : UINT32_MAX);
    layout::writePlaneRow(body_, loc, t->layout, q, v);
  }
  Tensor *raw = t.get();
  replicaStore_.push_back(std::move(t));
  replicas_[key] = raw;
  return raw;
}

Tensor *Lowering::holderOf(Value v, Tensor &src) {
  Tensor *from = &src;
  for (auto r = replicas_.lower_bound({v.getAsOpaquePointer(), 0});
       r != replicas_.end() && r->first.first == v.getAsOpaquePointer(); ++r)
    if (r->first.second < chip_ && r->first.second > from->chip)
      from = r->second;
  return from;
}

Value Lowering::receivePlaneRow(Location loc, const Tensor &from, int64_t q,
                                uint32_t via) {
  MLIRContext *ctx = module_.getContext();
  auto chipAttr = [&](uint32_t c) {
    return IntegerAttr::get(IntegerType::get(ctx, 32), c);
  };
  auto hop = [&](Value v, uint32_t src, uint32_t dst) {
    auto send = lpuhw::C2cSendOp::create(
        body_, loc, lpuhw::LinkVectorType::get(ctx), v, dst, IntegerAttr(),
        IntegerAttr(), IntegerAttr(), chipAttr(src));
    return lpuhw::C2cRecvOp::create(body_, loc, lpuhw::StreamType::get(ctx),
                                    send.getResult(), IntegerAttr(),
                                    IntegerAttr(), IntegerAttr(), chipAttr(dst))
        .getResult();
  };
  Value r = layout::readPlaneRow(body_, loc, from.layout, q);
  r.getDefiningOp()->setAttr("chip", chipAttr(from.chip));
  if (via != UINT32_MAX)
    r = hop(r, from.chip, via);
  Value got = hop(r, via != UINT32_MAX ? via : from.chip, chip_);
  if (directTransfers() && via == UINT32_MAX) {
    auto send = got.getDefiningOp<lpuhw::C2cRecvOp>()
                    .getVector()
                    .getDefiningOp<lpuhw::C2cSendOp>();
    auto prev = dyn_cast_or_null<lpuhw::C2cSendOp>(blockPrev_);
    if (prev && blockLen_ < kTransferBlock &&
        uint32_t(prev->getAttrOfType<IntegerAttr>("chip").getInt()) ==
            from.chip &&
        prev.getTo() == chip_) {
      send->setAttr("lpuhw.after_send", UnitAttr::get(ctx));
      ++blockLen_;
    } else {
      blockLen_ = 1;
    }
    blockPrev_ = send;
  }
  return got;
}

bool Lowering::directTransfers() const {
  return topo_ && machine_.sramBytes() < (uint64_t(16) << 20);
}

FailureOr<Tensor *> Lowering::relayoutSource(Value v) {
  if (!directTransfers())
    return tensorOf(v);
  Operation *def = v.getDefiningOp();
  auto it = tensors_.find(v);
  if (it == tensors_.end() && def && isAliasReshape(def)) {
    // An alias of a remote value stays remote (same rows, new shape).
    FailureOr<Tensor *> in = relayoutSource(def->getOperand(0));
    if (failed(in))
      return failure();
    if ((*in)->chip == chip_)
      return tensorOf(v);
    auto t = std::make_unique<Tensor>(**in);
    t->decl = {};
    t->transient = Placement();
    auto shape = cast<RankedTensorType>(v.getType()).getShape();
    t->layout.shape.assign(shape.begin(), shape.end());
    remoteAliases_.push_back(std::move(t));
    remoteSources_[remoteAliases_.back().get()] = v;
    return remoteAliases_.back().get();
  }
  if (it == tensors_.end() || it->second->released ||
      it->second->chip == chip_ ||
      llvm::isa_and_nonnull<arith::ConstantOp>(def) ||
      replicas_.count({v.getAsOpaquePointer(), chip_}))
    return tensorOf(v);
  Tensor *h = holderOf(v, *it->second);
  remoteSources_[h] = v;
  return h;
}

void Lowering::tagNewOps() {
  if (chips_ <= 1)
    return;
  auto attr =
      IntegerAttr::get(IntegerType::get(module_.getContext(), 32), chip_);
  Block *blk = body_.getInsertionBlock();
  auto it =
      lastTagged_ ? std::next(Block::iterator(lastTagged_)) : blk->begin();
  for (; it != blk->end(); ++it)
    if (!it->hasAttr("chip"))
      it->setAttr("chip", attr);
  if (!blk->empty())
    lastTagged_ = &blk->back();
  // Tensors are declared just before the new @main, in order.
  Operation *main = blk->getParentOp();
  for (Operation *d = main->getPrevNode(); d; d = d->getPrevNode()) {
    auto t = dyn_cast<lpuhw::TensorOp>(d);
    if (!t || t.getChip())
      break;
    t.setChipAttr(attr);
  }
}

LogicalResult Lowering::flush() {
  tagNewOps();
  Block *blk = body_.getInsertionBlock();
  std::vector<Operation *> ops;
  ops.reserve(pending_);
  for (Operation &op : *blk)
    ops.push_back(&op);
  pending_ = 0;
  if (ops.empty())
    return success();
  if (failed(sink_(ops)))
    return failure();
  // Users first: every use of a chunk's value is in the chunk, after it.
  for (Operation *op : llvm::reverse(ops))
    op->erase();
  lastTagged_ = nullptr;
  startTransferBlock();
  return success();
}

LogicalResult Lowering::run() {
  if (failed(validate()))
    return failure();
  MLIRContext *ctx = module_.getContext();
  auto ret = cast<func::ReturnOp>(src_.getBody().front().getTerminator());

  // Results computed by an op get their own output tensor directly; inputs,
  // weights, aliases and repeated results are copied at the end.
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    Operation *def = v.getDefiningOp();
    if (!def || llvm::isa<arith::ConstantOp>(def) || isAliasReshape(def) ||
        directOutputs_.count(v))
      continue;
    directOutputs_[v] = unsigned(i);
  }

  // Chips: the lpu.chip attributes of lpu-partition (none: one chip).
  std::vector<uint32_t> chipOfOp;
  for (Operation &op : src_.getBody().front().without_terminator()) {
    uint32_t c = 0;
    if (auto a = op.getAttrOfType<IntegerAttr>("lpu.chip"))
      c = uint32_t(a.getInt());
    chipOfOp.push_back(c);
    chips_ = std::max(chips_, c + 1);
  }
  if (recordLoaded_)
    recordLoaded_->assign(chips_, {});
  for (uint32_t c = 0; c < chips_; ++c) {
    allocs_.push_back(std::make_unique<SramAllocator>(
        machine_, recordLoaded_ ? (1u << 30) : 0));
    if (recordLoaded_)
      allocs_.back()->recordLoaded(&(*recordLoaded_)[c]);
    if (reserveLoaded_ && c < reserveLoaded_->size() &&
        failed(allocs_.back()->reserveLoaded((*reserveLoaded_)[c])))
      return failure();
  }
  if (chips_ > 1)
    module_->setAttr("lpuhw.chips",
                     IntegerAttr::get(IntegerType::get(ctx, 32), chips_));
  if (chips_ > 1) {
    absl::StatusOr<isa::Topology> t =
        isa::Topology::create(machine_.target(), chips_);
    if (!t.ok())
      return module_.emitError() << "lpu-to-lpuhw: " << t.status().message();
    topo_ = std::move(*t);
  }

  OpBuilder top(ctx);
  top.setInsertionPointAfter(src_);
  auto main = func::FuncOp::create(top, src_.getLoc(), "main.lpuhw",
                                   FunctionType::get(ctx, {}, {}));
  decls_.setInsertionPoint(main);
  body_.setInsertionPointToStart(main.addEntryBlock());

  for (BlockArgument arg : src_.getArguments()) {
    StringAttr name =
        src_.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kOnnxName);
    if (!name)
      name = StringAttr::get(ctx, "input" + std::to_string(arg.getArgNumber()));
    // An input lives on the chip of its first user.
    uint32_t first = 0;
    size_t firstIndex = SIZE_MAX;
    for (auto [i, op] :
         llvm::enumerate(src_.getBody().front().without_terminator()))
      if (i < firstIndex && llvm::is_contained(op.getOperands(), arg)) {
        firstIndex = i;
        first = chipOfOp[i];
      }
    tagNewOps();
    chip_ = first;
    if (failed(declare(arg, arg.getLoc(), "input", name, name.getValue())))
      return failure();
  }

  // Activations and scratch tensors give their rows back after their last
  // use, so later ones reuse them (lpuhw-schedule orders the accesses).
  computeLastUses();
  llvm::DenseMap<size_t, SmallVector<Value>> dying;
  for (auto [root, last] : lastUse_)
    dying[last].push_back(root);
  for (auto [i, op] :
       llvm::enumerate(src_.getBody().front().without_terminator())) {
    opTemps_.clear();
    if (chipOfOp[i] != chip_) {
      tagNewOps();
      chip_ = chipOfOp[i];
    }
    uint64_t weightsBefore = weightBytesDeclared_;
    largestTensor_ = 0;
    Operation *lastBefore = body_.getInsertionBlock()->empty()
                                ? nullptr
                                : &body_.getInsertionBlock()->back();
    if (failed(lowerOp(&op)))
      return failure();
    for (Tensor *t : opTemps_)
      release(*t);
    for (Value v : dying.lookup(i)) {
      if (auto it = tensors_.find(v); it != tensors_.end())
        release(*it->second);
      for (auto r = replicas_.lower_bound({v.getAsOpaquePointer(), 0});
           r != replicas_.end() && r->first.first == v.getAsOpaquePointer();
           ++r)
        release(*r->second);
    }
    // Results nobody reads (of a multi-result op) die at once.
    for (Value r : op.getResults())
      if (r.use_empty() && !lastUse_.count(r))
        if (auto it = tensors_.find(r); it != tensors_.end())
          release(*it->second);
    uint64_t emitted = 0;
    if (costs_ || sink_) {
      Block *blk = body_.getInsertionBlock();
      auto it =
          lastBefore ? std::next(Block::iterator(lastBefore)) : blk->begin();
      emitted = uint64_t(std::distance(it, blk->end()));
    }
    if (costs_) {
      OpCost cost;
      cost.instructions = emitted;
      cost.weightBytes = weightBytesDeclared_ - weightsBefore;
      cost.liveActivations = liveBytes_;
      cost.largestTensor = largestTensor_;
      costs_->push_back(cost);
    }
    pending_ += emitted;
    if (sink_ && minChunk_ > 0 && pending_ >= minChunk_ && failed(flush()))
      return failure();
  }
  opTemps_.clear();

  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    // Read the result on the chip that holds it (through aliases).
    Value root = v;
    while (Operation *d = root.getDefiningOp()) {
      if (!isAliasReshape(d))
        break;
      root = d->getOperand(0);
    }
    if (auto r = tensors_.find(root); r != tensors_.end()) {
      tagNewOps();
      chip_ = r->second->chip;
    }
    FailureOr<Tensor *> t = tensorOf(v);
    if (failed(t))
      return failure();
    auto it = directOutputs_.find(v);
    if (it != directOutputs_.end() && it->second == i)
      continue;
    StringAttr name = src_.getResultAttrOfType<StringAttr>(i, kOnnxName);
    if (!name)
      name = StringAttr::get(ctx, "output" + std::to_string(i));
    // `declare` maps the value to the new tensor; keep the source's mapping.
    // The output lives on the chip of the tensor it copies.
    tagNewOps();
    chip_ = (*t)->chip;
    std::unique_ptr<Tensor> keep = std::move(tensors_[v]);
    FailureOr<Tensor *> out =
        declare(v, ret.getLoc(), "output", name, name.getValue());
    if (failed(out))
      return failure();
    copy(ret.getLoc(), *keep, **out);
    tensors_[v] = std::move(keep);
  }

  tagNewOps();
  if (sink_ && failed(flush()))
    return failure();
  func::ReturnOp::create(body_, ret.getLoc());
  src_.erase();
  main.setSymName("main");
  return success();
}

} // namespace lpuc::layout

namespace lpuc::layout {

LogicalResult dropInstructions(ArrayRef<Operation *>) { return success(); }

LogicalResult lowerToLpuhw(ModuleOp module, const isa::Machine &machine,
                           InstructionSink sink, size_t minChunk) {
  auto src = dyn_cast_or_null<func::FuncOp>(
      SymbolTable::lookupSymbolIn(module, "main"));
  if (!src)
    return module.emitError() << "lpu-to-lpuhw: no func.func @main";
  // Weights and inputs are in SRAM before the program starts, so they
  // are placed before any activation: a first lowering (on a copy, with
  // unbounded SRAM, its instructions dropped as they come) finds the ones
  // this lowering declares and where in the slot rotation.
  Lowering::LoadedRequests loaded;
  {
    OwningOpRef<ModuleOp> copy = module.clone();
    auto copyMain =
        cast<func::FuncOp>(SymbolTable::lookupSymbolIn(copy.get(), "main"));
    Lowering first(copy.get(), copyMain, machine);
    first.recordLoaded(&loaded);
    first.streamTo(dropInstructions, kDropChunk);
    if (failed(first.run()))
      return failure();
  }
  Lowering lowering(module, src, machine);
  lowering.reserveLoaded(&loaded);
  if (sink)
    lowering.streamTo(std::move(sink), minChunk);
  return lowering.run();
}

} // namespace lpuc::layout

namespace {

struct LpuToLpuhwPass : lpuc::impl::LpuToLpuhwPassBase<LpuToLpuhwPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<std::unique_ptr<lpuc::isa::Machine>> machine =
        lpuhw::getMachine(module);
    if (failed(machine))
      return signalPassFailure();
    if (failed(lpuc::layout::lowerToLpuhw(module, **machine)))
      signalPassFailure();
  }
};

} // namespace
