//===- Passes.td - fusion passes ---------------------------*- tablegen -*-===//

#ifndef LPUC_PASSES_FUSION_PASSES_TD
#define LPUC_PASSES_FUSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def LpuFuse : Pass<"lpu-fuse", "::mlir::ModuleOp"> {
  let summary = "fuse DAGs of elementwise lpu ops into lpu.fused";
  let description = [{
    Finds maximal groups of elementwise `lpu` ops whose intermediate results
    have no user outside the group and replaces each by one `lpu.fused` op
    whose body holds the original ops. `lpu-to-lpuhw` evaluates a fused body
    per output vector as one VXM chain, so intermediate values never go
    through SRAM. Broadcasts of inputs that keep the last dimension (biases,
    norm weights, cos/sin tables, masks) and lane broadcasts of per-row
    values (`[..., 1] -> [..., N]`, with the per-row ops before them) join
    the group; splat constants are copied into the body. Reductions,
    softmax, matmuls and relayouts stay separate ops.

    The fused op's `pattern` names what it recognised by structure:
    `gelu_tanh`, `gelu_erf`, `silu`, `swiglu`, `rmsnorm_scale`,
    `layernorm_scale`, `layernorm_center`, `softmax_mask`, `rope`, else
    `elementwise`. See docs/passes/lpu-fuse.md.

    ```mlir
    // lpuc-opt --lpu-fuse
    %s = lpu.sigmoid %x : tensor<8x176xf32>
    %y = lpu.mul %x, %s : tensor<8x176xf32>
    // becomes
    %y = lpu.fused "silu" (%x) : (tensor<8x176xf32>) -> tensor<8x176xf32> {
    ^bb0(%a: tensor<8x176xf32>):
      %0 = lpu.sigmoid %a : tensor<8x176xf32>
      %1 = lpu.mul %a, %0 : tensor<8x176xf32>
      lpu.yield %1 : tensor<8x176xf32>
    }
    ```
  }];
  let options = [
    Option<"maxOps", "max-ops", "unsigned", /*default=*/"64",
           "largest number of compute ops in one fused group">
  ];
  let dependentDialects = ["::lpuc::lpu::LpuDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // LPUC_PASSES_FUSION_PASSES_TD
