//===- Passes.td - partitioning across chips ----------------*- tablegen -*-===//
#ifndef LPUC_PASSES_PARTITION_PASSES
#define LPUC_PASSES_PARTITION_PASSES

include "mlir/Pass/PassBase.td"

def LpuPartitionPass : Pass<"lpu-partition", "::mlir::ModuleOp"> {
  let summary = "Assign every lpu op of @main to a chip (pipeline stages)";
  let description = [{
    Measures what each op of `func.func @main` costs in SRAM (weights it
    declares, instructions it emits times `instruction_bytes`, activations
    live after it) by lowering a copy of the module to lpuhw on a chip with
    unbounded SRAM, then cuts the ops, in program order, into consecutive
    pipeline stages, one per chip, each within `fill` of a chip's SRAM.
    `chips=auto` takes the fewest chips that fit; `chips=N` uses N chips
    (stages balanced by cost; an error if the model needs more). Every op
    gets `lpu.chip`; the module gets `lpu.partition` (strategy, chips, the
    estimated bytes per chip) for the compile report. lpu-to-lpuhw then
    lowers each op on its chip and moves values between chips with
    `c2c_send`/`c2c_recv`. See docs/passes/lpu-partition.md.
  }];
  let options = [
    Option<"chips", "chips", "std::string", "\"auto\"",
           "Number of chips, or `auto` for the fewest that fit">,
    Option<"fill", "fill", "double", "0.95",
           "Share of a chip's SRAM a stage may use by the estimate (the rest "
           "absorbs layout fragmentation and the transfers' instructions)">,
  ];
  let dependentDialects = ["::lpuc::lpuhw::LpuhwDialect",
                           "::mlir::func::FuncDialect"];
}

#endif
