//===- lpuc-opt.cpp - mlir-opt with every lpuc dialect and pass -----------===//
#include "compiler/pipelines/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  lpuc::registerAllDialects(registry);
  lpuc::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "lpuc optimizer driver\n", registry));
}
