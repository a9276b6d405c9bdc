//===- Passes.td - precision passes ------------------------*- tablegen -*-===//

#ifndef LPUC_PASSES_PRECISION_PASSES_TD
#define LPUC_PASSES_PRECISION_PASSES_TD

include "mlir/Pass/PassBase.td"

def LpuPrecision : Pass<"lpu-precision", "::mlir::ModuleOp"> {
  let summary = "run f32 lpu computations in fp16 or bf16";
  let description = [{
    With `precision=fp16` or `precision=bf16`, every `f32` tensor computed by
    an `lpu` op is computed in the narrow type instead:

    * `f32` `arith.constant`s used by `lpu` ops are converted at compile
      time, rounding to nearest, ties to even (`APFloat::convert` with
      `rmNearestTiesToEven`). A `dense_resource` gets a new blob
      (`<name>_fp16` / `<name>_bf16`); the f32 blob is released as soon as
      nothing in the module references it (blobs belong to the context: a
      copy of the module taken before this pass loses them too; `lpuc`
      copies the module after it for its partition retries).
    * `f32` values that enter `lpu` ops from elsewhere (function arguments,
      other dialects) get an `lpu.cast` to the narrow type.
    * narrow values used outside `lpu` ops (e.g. by `func.return`) get an
      `lpu.cast` back to `f32`, so the function interface stays `f32`.

    Only `f32` values change: integer and bool tensors (indices, shape
    data, masks, compare results) are left as they are, so an
    `lpu.compare` of narrowed floats still gives `i1`, an `lpu.gather`
    keeps its `i64` indices, and an `lpu.cast` from `i1` produces the narrow
    float directly. Attributes such as `lpu.layer_norm`'s `epsilon` stay
    `f32`; the lowering converts them to the element type. Note that fp16
    cannot hold masks made of `-3.4e38` (`finfo(float32).min`): they round
    to -inf, and a fully masked softmax row then gives NaN.

    `precision=fp32` (the default) leaves the IR unchanged; any other value
    is an error.

    With `weight-dir=DIR`, each narrowed `dense_resource` of 4 KiB or more
    is written to an unlinked temporary file in DIR and its blob is a
    read-only mapping of that file instead of heap memory: its pages are
    read back only when a later pass looks at the data (the emitter, which
    gives them back once written). `lpuc` sets it to the output's directory,
    so that a model's narrowed weights do not stay in memory through
    lowering and scheduling. An empty DIR (the default) keeps them on the
    heap.

    ```mlir
    // lpuc-opt --lpu-precision=precision=bf16
    func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
      %0 = lpu.relu %x : tensor<2x4xf32>
      return %0 : tensor<2x4xf32>
    }
    // becomes
    func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
      %0 = lpu.cast %x : tensor<2x4xf32> to tensor<2x4xbf16>
      %1 = lpu.relu %0 : tensor<2x4xbf16>
      %2 = lpu.cast %1 : tensor<2x4xbf16> to tensor<2x4xf32>
      return %2 : tensor<2x4xf32>
    }
    ```
  }];
  let options = [
    Option<"precision", "precision", "std::string", /*default=*/"\"fp32\"",
           "compute type of f32 lpu ops: fp32, fp16 or bf16">,
    Option<"weightDir", "weight-dir", "std::string", /*default=*/"\"\"",
           "directory for the temporary file that holds the narrowed "
           "weights (empty: the heap)">
  ];
  let dependentDialects = ["::lpuc::lpu::LpuDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // LPUC_PASSES_PRECISION_PASSES_TD
