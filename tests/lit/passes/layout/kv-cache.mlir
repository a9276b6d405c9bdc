// RUN: lpuc-opt %s --lpu-to-lpuhw | FileCheck %s

// A decode step's KV cache: the past keys (an input) concatenated with the
// new ones into the present keys (a result), here through a cast as after
// lpu-precision. Both are marked `kv_cache` (the SRAM report counts them as
// KV cache); the other input and result are not.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK: lpuhw.tensor @past {{{.*}}kind = "input", kv_cache, onnx_name = "past"
// CHECK: lpuhw.tensor @x {{{.*}}kind = "input", onnx_name = "x"
// CHECK-NOT: kv_cache
// CHECK: lpuhw.tensor @present {{{.*}}kind = "output", kv_cache, onnx_name = "present"
// CHECK: lpuhw.tensor @y {{{.*}}kind = "output", onnx_name = "y"
// CHECK-NOT: kv_cache
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%past: tensor<2x7x16xf32> {onnx.name = "past"},
                  %x: tensor<2x1x16xf32> {onnx.name = "x"})
      -> (tensor<2x8x16xf32> {onnx.name = "present"},
          tensor<2x1x16xf32> {onnx.name = "y"}) {
    %p = lpu.cast %past : tensor<2x7x16xf32> to tensor<2x7x16xf16>
    %k = lpu.cast %x : tensor<2x1x16xf32> to tensor<2x1x16xf16>
    %c = lpu.concat %p, %k axis = 1 : tensor<2x7x16xf16>, tensor<2x1x16xf16> -> tensor<2x8x16xf16>
    %o = lpu.cast %c : tensor<2x8x16xf16> to tensor<2x8x16xf32>
    %y = lpu.relu %x : tensor<2x1x16xf32>
    return %o, %y : tensor<2x8x16xf32>, tensor<2x1x16xf32>
  }
}
