//===- OnnxOps.cpp - onnx dialect operations ------------------------------===//

#include "dialects/onnx/OnnxOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace lpuc::onnxir;

//===----------------------------------------------------------------------===//
// NodeOp
//===----------------------------------------------------------------------===//

LogicalResult NodeOp::verify() {
  if (getOpType().empty())
    return emitOpError("op_type must not be empty");
  if (getOpset() < 1)
    return emitOpError("opset must be at least 1, got ") << getOpset();
  for (auto [i, v] : llvm::enumerate(getInputs()))
    if (!isa<TensorType, NoneType>(v.getType()))
      return emitOpError("input #")
             << i << " must be a tensor or none, got " << v.getType();
  return success();
}

Attribute NodeOp::getOnnxAttr(StringRef name) { return getAttrs().get(name); }

std::optional<int64_t> NodeOp::getIntAttr(StringRef name) {
  if (auto a = dyn_cast_or_null<IntegerAttr>(getOnnxAttr(name)))
    return a.getInt();
  return std::nullopt;
}

std::optional<float> NodeOp::getFloatAttr(StringRef name) {
  Attribute a = getOnnxAttr(name);
  if (auto f = dyn_cast_or_null<FloatAttr>(a))
    return static_cast<float>(f.getValueAsDouble());
  if (auto i = dyn_cast_or_null<IntegerAttr>(a))
    return static_cast<float>(i.getInt());
  return std::nullopt;
}

std::optional<StringRef> NodeOp::getStringAttr(StringRef name) {
  if (auto a = dyn_cast_or_null<StringAttr>(getOnnxAttr(name)))
    return a.getValue();
  return std::nullopt;
}

std::optional<ArrayRef<int64_t>> NodeOp::getIntsAttr(StringRef name) {
  if (auto a = dyn_cast_or_null<DenseI64ArrayAttr>(getOnnxAttr(name)))
    return a.asArrayRef();
  return std::nullopt;
}

std::optional<ArrayRef<float>> NodeOp::getFloatsAttr(StringRef name) {
  if (auto a = dyn_cast_or_null<DenseF32ArrayAttr>(getOnnxAttr(name)))
    return a.asArrayRef();
  return std::nullopt;
}

std::optional<SmallVector<StringRef>> NodeOp::getStringsAttr(StringRef name) {
  auto a = dyn_cast_or_null<ArrayAttr>(getOnnxAttr(name));
  if (!a)
    return std::nullopt;
  SmallVector<StringRef> out;
  for (Attribute e : a) {
    auto s = dyn_cast<StringAttr>(e);
    if (!s)
      return std::nullopt;
    out.push_back(s.getValue());
  }
  return out;
}

ElementsAttr NodeOp::getTensorAttr(StringRef name) {
  return dyn_cast_or_null<ElementsAttr>(getOnnxAttr(name));
}

StringRef NodeOp::getNodeName() {
  Location loc = getLoc();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (auto n = dyn_cast<NameLoc>(l))
        return n.getName().getValue();
  if (auto n = dyn_cast<NameLoc>(loc))
    return n.getName().getValue();
  return "";
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  if (getName().empty())
    return emitOpError("name must not be empty");
  if (getValue().getType() != getResult().getType())
    return emitOpError("value type ")
           << getValue().getType() << " differs from result type "
           << getResult().getType();
  return success();
}

#define GET_OP_CLASSES
#include "dialects/onnx/OnnxOps.cpp.inc"
