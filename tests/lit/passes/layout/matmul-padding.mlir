// RUN: lpuc-opt %s --lpu-to-lpuhw | FileCheck %s

// Lanes >= K of an activation meet the tile's zero rows, but 0 * inf and
// 0 * NaN are NaN. Padding lanes hold what producers computed from zero
// padding: a reciprocal makes them 1 / 0 = inf, so its result is zeroed by
// one permute before the multiply; a graph input (zero-padded by the
// runtime) and a relu of it are not.
// CHECK-LABEL: module attributes {lpu.target = "lpu-tiny"}
// CHECK: func.func @main() {
// First matmul: x is an input, read straight into the multiply.
// CHECK: lpuhw.mxm_install plane 0
// CHECK-NEXT: %[[X:.*]] = lpuhw.mem_read slice 0 bank 0 row 0
// CHECK: lpuhw.mxm_mul plane 0 f32 acc 0(%[[X]],
// relu(x): no mask.
// CHECK: lpuhw.vxm "max_imm"
// CHECK-NOT: lpuhw.sxm_permute
// CHECK: lpuhw.mxm_mul
// Third matmul: 1 / x is masked to its 4 valid lanes first.
// CHECK: lpuhw.vxm "rsqrt"
// CHECK: lpuhw.mxm_install plane {{[0-9]+}}
// CHECK: %[[M:.*]]:4 = lpuhw.sxm_permute f32 map [0, 1, 2, 3, -1, {{.*}}]
// CHECK-NEXT: lpuhw.mxm_mul plane {{[0-9]+}} f32 acc 0(%[[M]]#0, %[[M]]#1, %[[M]]#2, %[[M]]#3)
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<2x4xf32> {onnx.name = "x"})
      -> (tensor<2x3xf32> {onnx.name = "a"}, tensor<2x3xf32> {onnx.name = "b"},
          tensor<2x3xf32> {onnx.name = "c"}) {
    %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [1.0, 0.0, -1.0]]> : tensor<4x3xf32>
    %a = lpu.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
    %r = lpu.relu %x : tensor<2x4xf32>
    %b = lpu.matmul %r, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
    %q = lpu.recip %x : tensor<2x4xf32>
    %c = lpu.matmul %q, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
    return %a, %b, %c : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
  }
}
