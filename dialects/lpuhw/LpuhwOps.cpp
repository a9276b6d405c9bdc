#include "dialects/lpuhw/LpuhwOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace lpuc;
using namespace lpuc::lpuhw;

static FailureOr<unsigned> widthOf(Operation *op, Type t) {
  isa::DType d = toIsaType(t);
  if (d == isa::DType::Invalid)
    return op->emitOpError()
           << "element type " << t
           << " is not a chip type (f32, f16, bf16, f8E4M3FN, i8, i32)";
  return isa::widthBytes(d);
}

LogicalResult TensorOp::verify() {
  StringRef kind = getKind();
  if (kind != "input" && kind != "output" && kind != "weight" &&
      kind != "activation")
    return emitOpError() << "unknown kind '" << kind << "'";
  if (failed(widthOf(*this, getDtype())))
    return failure();
  if (getSlices().empty())
    return emitOpError() << "needs at least one slice";
  for (int64_t d : getShape())
    if (d < 0)
      return emitOpError() << "dimensions must be static and non-negative";
  if ((kind == "input" || kind == "output") && !getOnnxName())
    return emitOpError() << kind << " tensors need an onnx_name";
  if (kind == "weight") {
    if (!getValue())
      return emitOpError() << "weight tensors need a value";
    auto type = cast<ShapedType>(getValue()->getType());
    if (type.getElementType() != getDtype() ||
        type.getShape() != ArrayRef<int64_t>(getShape()))
      return emitOpError() << "value type " << type
                           << " does not match dtype and shape";
  }
  return success();
}

LogicalResult MxmLoadOp::verify() {
  FailureOr<unsigned> w = widthOf(*this, getDtype());
  if (failed(w))
    return failure();
  if (getRows() == 0)
    return emitOpError() << "needs at least one tile row";
  if (getTile().size() != size_t(getRows()) * *w)
    return emitOpError() << "expects rows * width = " << getRows() * *w
                         << " tile plane operands, got " << getTile().size();
  return success();
}

LogicalResult MxmMulOp::verify() {
  FailureOr<unsigned> w = widthOf(*this, getDtype());
  if (failed(w))
    return failure();
  if (getAct().size() != *w)
    return emitOpError() << "expects " << *w << " activation planes, got "
                         << getAct().size();
  size_t expected = getEmit() ? 4 : 0;
  if (getResults().size() != expected)
    return emitOpError() << "produces " << expected << " streams "
                         << (getEmit() ? "with" : "without") << " emit, has "
                         << getResults().size();
  return success();
}

LogicalResult VxmOp::verify() {
  isa::AluOp fn;
  if (!isa::parseAluOp(getFn().str(), fn))
    return emitOpError() << "unknown ALU operation '" << getFn() << "'";
  FailureOr<unsigned> w = widthOf(*this, getDtype());
  if (failed(w))
    return failure();
  unsigned outWidth = *w;
  if (fn == isa::AluOp::Cast) {
    if (!getToDtype())
      return emitOpError() << "cast needs to_dtype";
    FailureOr<unsigned> tw = widthOf(*this, *getToDtype());
    if (failed(tw))
      return failure();
    outWidth = *tw;
  } else if (getToDtype()) {
    return emitOpError() << "only cast takes to_dtype";
  }
  size_t inputs = isa::aluOperandCount(fn) * *w;
  if (getInputs().size() != inputs)
    return emitOpError() << "'" << getFn() << "' on " << getDtype()
                         << " expects " << inputs << " input planes, got "
                         << getInputs().size();
  if (getResults().size() != outWidth)
    return emitOpError() << "expects " << outWidth << " result planes, got "
                         << getResults().size();
  return success();
}

LogicalResult SxmPermuteOp::verify() {
  FailureOr<unsigned> w = widthOf(*this, getDtype());
  if (failed(w))
    return failure();
  size_t inputs = (getHasBase() ? 2 : 1) * *w;
  if (getInputs().size() != inputs)
    return emitOpError() << "expects " << inputs << " input planes, got "
                         << getInputs().size();
  if (getResults().size() != *w)
    return emitOpError() << "expects " << *w << " result planes, got "
                         << getResults().size();
  for (int32_t m : getMap())
    if (m < -1)
      return emitOpError() << "map entries must be a lane or -1, got " << m;
  return success();
}

/// `up` or `down` (the `direction` of sxm_shift / sxm_rotate).
static ParseResult parseDirection(OpAsmParser &parser, StringAttr &dir) {
  StringRef word;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseKeyword(&word))
    return failure();
  if (word != "up" && word != "down")
    return parser.emitError(loc)
           << "expected `up` or `down`, got `" << word << "`";
  dir = parser.getBuilder().getStringAttr(word);
  return success();
}

static void printDirection(OpAsmPrinter &printer, Operation *, StringAttr dir) {
  printer << dir.getValue();
}

template <typename Op> static LogicalResult verifySxmMove(Op op) {
  FailureOr<unsigned> w = widthOf(op, op.getDtype());
  if (failed(w))
    return failure();
  if (op.getDirection() != "up" && op.getDirection() != "down")
    return op.emitOpError() << "direction must be `up` or `down`, got `"
                            << op.getDirection() << "`";
  if (int32_t(op.getAmount()) < 0)
    return op.emitOpError()
           << "amount must be non-negative, got " << int32_t(op.getAmount());
  if (op.getInputs().size() != *w)
    return op.emitOpError() << "expects " << *w << " input planes, got "
                            << op.getInputs().size();
  if (op.getResults().size() != *w)
    return op.emitOpError() << "expects " << *w << " result planes, got "
                            << op.getResults().size();
  return success();
}

LogicalResult SxmShiftOp::verify() { return verifySxmMove(*this); }
LogicalResult SxmRotateOp::verify() { return verifySxmMove(*this); }

LogicalResult SxmTransposeOp::verify() {
  const size_t n = isa::kTransposeStreams;
  if (getInputs().size() != n)
    return emitOpError() << "expects " << n << " input streams, got "
                         << getInputs().size();
  if (getResults().size() != n)
    return emitOpError() << "expects " << n << " result streams, got "
                         << getResults().size();
  return success();
}

LogicalResult C2cSendOp::verify() {
  uint32_t chip = getChip().value_or(0);
  if (getTo() == chip)
    return emitOpError() << "sends to its own chip " << chip;
  if (!getVector().hasOneUse() ||
      !llvm::isa<C2cRecvOp>(*getVector().getUsers().begin()))
    return emitOpError() << "result must be used by exactly one c2c_recv";
  auto recv = cast<C2cRecvOp>(*getVector().getUsers().begin());
  if (recv.getChip().value_or(0) != getTo())
    return emitOpError() << "sends to chip " << getTo()
                         << " but its c2c_recv is on chip "
                         << recv.getChip().value_or(0);
  return success();
}

LogicalResult C2cRecvOp::verify() {
  if (!getVector().getDefiningOp<C2cSendOp>())
    return emitOpError() << "vector must come from a c2c_send";
  return success();
}

#define GET_OP_CLASSES
#include "dialects/lpuhw/LpuhwOps.cpp.inc"
