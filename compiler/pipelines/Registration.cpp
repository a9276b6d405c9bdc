#include "compiler/pipelines/Registration.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

#include "dialects/lpu/LpuDialect.h"
#include "dialects/lpuhw/LpuhwDialect.h"
#include "dialects/onnx/OnnxDialect.h"
#include "passes/conversion/Passes.h"
#include "passes/fusion/Passes.h"
#include "passes/layout/Passes.h"
#include "passes/partition/Passes.h"
#include "passes/precision/Passes.h"
#include "passes/schedule/Passes.h"
#include "passes/verify/Passes.h"

namespace lpuc {

void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  onnxir::OnnxDialect, lpu::LpuDialect, lpuhw::LpuhwDialect>();
}

void registerAllPasses() {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  registerLpuConversionPasses();
  registerLpuPrecisionPasses();
  registerLpuFusionPasses();
  registerLpuLayoutPasses();
  registerLpuPartitionPasses();
  registerLpuSchedulePasses();
  registerLpuVerifyPasses();
}

} // namespace lpuc
