//===- Registration.h - Every lpuc dialect and pass, in one place -*- C++
//-*-===//
//
// The one registration unit shared by lpuc, lpuc-opt and any later tool.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_COMPILER_PIPELINES_REGISTRATION_H
#define LPUC_COMPILER_PIPELINES_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace lpuc {

/// func, arith and the lpuc dialects (onnx, lpu, lpuhw).
void registerAllDialects(mlir::DialectRegistry &registry);
/// Every lpuc pass plus the upstream ones our pipelines use (canonicalize,
/// cse, symbol-dce).
void registerAllPasses();

} // namespace lpuc

#endif
