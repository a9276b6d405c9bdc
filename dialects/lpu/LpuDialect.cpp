//===- LpuDialect.cpp - lpu dialect ---------------------------------------===//

#include "dialects/lpu/LpuDialect.h"
#include "dialects/lpu/LpuOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace lpuc::lpu;

#include "dialects/lpu/LpuDialect.cpp.inc"

void LpuDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/lpu/LpuOps.cpp.inc"
      >();
}

Operation *LpuDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  return arith::ConstantOp::materialize(builder, value, type, loc);
}
