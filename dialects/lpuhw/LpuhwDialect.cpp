#include "dialects/lpuhw/LpuhwDialect.h"
#include "dialects/lpuhw/LpuhwOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace lpuc::lpuhw;

#include "dialects/lpuhw/LpuhwDialect.cpp.inc"
#define GET_TYPEDEF_CLASSES
#include "dialects/lpuhw/LpuhwTypes.cpp.inc"

void LpuhwDialect::initialize() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/lpuhw/LpuhwTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/lpuhw/LpuhwOps.cpp.inc"
      >();
}

namespace lpuc::lpuhw {

isa::DType toIsaType(Type t) {
  if (t.isF32())
    return isa::DType::F32;
  if (t.isF16())
    return isa::DType::F16;
  if (t.isBF16())
    return isa::DType::BF16;
  if (llvm::isa<Float8E4M3FNType>(t))
    return isa::DType::FP8E4M3;
  if (t.isSignlessInteger(8))
    return isa::DType::I8;
  if (t.isSignlessInteger(32))
    return isa::DType::I32;
  return isa::DType::Invalid;
}

Type fromIsaType(MLIRContext *ctx, isa::DType t) {
  Builder b(ctx);
  switch (t) {
  case isa::DType::F32:
    return b.getF32Type();
  case isa::DType::F16:
    return b.getF16Type();
  case isa::DType::BF16:
    return b.getBF16Type();
  case isa::DType::I8:
    return b.getI8Type();
  case isa::DType::I32:
    return b.getI32Type();
  case isa::DType::FP8E4M3:
    return Float8E4M3FNType::get(ctx);
  case isa::DType::Invalid:
    break;
  }
  return {};
}

std::string stageOf(Location loc) {
  std::string name;
  loc->walk([&](Location l) {
    if (auto n = dyn_cast<NameLoc>(l)) {
      name = n.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (name.empty())
    return "(unnamed)";
  // "/h.0/attn/MatMul" -> "/h.0"; "Gemm_0" stays.
  if (name.size() > 1 && name[0] == '/') {
    size_t slash = name.find('/', 1);
    if (slash != std::string::npos)
      return name.substr(0, slash);
  }
  return name;
}

FailureOr<std::unique_ptr<isa::Machine>> getMachine(ModuleOp module) {
  std::string name = "lpu-v1";
  if (auto attr = module->getAttrOfType<StringAttr>(kTargetAttrName))
    name = attr.getValue().str();
  absl::StatusOr<schema::Target> target = isa::loadTarget(name);
  if (!target.ok())
    return module.emitError() << std::string(target.status().message());
  return std::make_unique<isa::Machine>(*target);
}

} // namespace lpuc::lpuhw
