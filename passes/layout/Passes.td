//===- Passes.td - layout and lowering to lpuhw -------------*- tablegen -*-===//
#ifndef LPUC_PASSES_LAYOUT_PASSES
#define LPUC_PASSES_LAYOUT_PASSES

include "mlir/Pass/PassBase.td"

def LpuToLpuhwPass : Pass<"lpu-to-lpuhw", "::mlir::ModuleOp"> {
  let summary = "Place tensors in SRAM and lower lpu ops to lpuhw instructions";
  let description = [{
    Converts `func.func @main` of `lpu` ops on static tensors into
    module-level `lpuhw.tensor` declarations (inputs, outputs, weights and
    activations with their SRAM placement per runtime/isa/Layout.h) and a
    `func.func @main()` without arguments or results holding the lpuhw
    instructions in a valid sequential order, without cycles or streams
    (`lpuhw-schedule` adds them). See docs/passes/lpu-to-lpuhw.md.
  }];
  let dependentDialects = ["::lpuc::lpuhw::LpuhwDialect",
                           "::mlir::func::FuncDialect"];
}

#endif
