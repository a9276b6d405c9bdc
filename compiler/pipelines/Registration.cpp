#include "compiler/pipelines/Registration.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

#include "compiler/pipelines/Components.h"
#include "dialects/lpuhw/LpuhwDialect.h"
#ifdef LPUC_HAVE_ONNX_DIALECT
#include "dialects/onnx/OnnxDialect.h"
#endif
#ifdef LPUC_HAVE_LPU_DIALECT
#include "dialects/lpu/LpuDialect.h"
#endif
#ifdef LPUC_HAVE_CONVERSION
#include "passes/conversion/Passes.h"
#endif
#ifdef LPUC_HAVE_PRECISION
#include "passes/precision/Passes.h"
#endif
#ifdef LPUC_HAVE_LAYOUT
#include "passes/layout/Passes.h"
#endif
#ifdef LPUC_HAVE_SCHEDULE
#include "passes/schedule/Passes.h"
#endif
#ifdef LPUC_HAVE_VERIFY
#include "passes/verify/Passes.h"
#endif

namespace lpuc {

void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  lpuhw::LpuhwDialect>();
#ifdef LPUC_HAVE_ONNX_DIALECT
  registry.insert<onnxir::OnnxDialect>();
#endif
#ifdef LPUC_HAVE_LPU_DIALECT
  registry.insert<lpu::LpuDialect>();
#endif
}

void registerAllPasses() {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
#ifdef LPUC_HAVE_CONVERSION
  registerLpuConversionPasses();
#endif
#ifdef LPUC_HAVE_PRECISION
  registerLpuPrecisionPasses();
#endif
#ifdef LPUC_HAVE_LAYOUT
  registerLpuLayoutPasses();
#endif
#ifdef LPUC_HAVE_SCHEDULE
  registerLpuSchedulePasses();
#endif
#ifdef LPUC_HAVE_VERIFY
  registerLpuVerifyPasses();
#endif
}

} // namespace lpuc
