// RUN: lpuc-opt %s --lpu-to-lpuhw | FileCheck %s
// RUN: lpuc-opt %s --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// A causal mask: select with a compile-time condition (a broadcast constant)
// is a relayout from two sources; the splat -inf comes from one constant
// vector. Lanes of x where the condition is false are dropped (-1), then the
// -inf lanes are permuted on top (has_base). A row where the condition is
// all true is a copy. cos of a constant is evaluated at compile time.
// CHECK-LABEL: module attributes {lpu.target = "lpu-tiny"}
// CHECK: lpuhw.tensor @splatminf_f32 {{{.*}}kind = "weight", shape = array<i64: 1, 32>{{.*}}value = dense<0xFF800000> : tensor<1x32xf32>}
// CHECK: lpuhw.tensor @w0 {{{.*}}kind = "weight", shape = array<i64: 2, 3>{{.*}}value = dense<{{\[\[}}1.000000e+00, 0.540302277, -0.416146845], [-0.989992499, -0.653643608, 0.2836622]]> : tensor<2x3xf32>}
// CHECK: func.func @main() {
// Row 0: [x, -inf, -inf].
// CHECK-COUNT-4: lpuhw.mem_read slice {{[0-3]}} bank 0 row 0
// CHECK-NEXT: %[[X:.*]]:4 = lpuhw.sxm_permute f32 map [0, -1, -1, -1, {{.*}}](
// CHECK-COUNT-4: lpuhw.mem_read slice {{[4-7]}} bank 0 row 0
// CHECK-NEXT: %[[Y:.*]]:4 = lpuhw.sxm_permute f32 map [-1, 1, 2, -1, {{.*}}]({{.*}}, %[[X]]#0, %[[X]]#1, %[[X]]#2, %[[X]]#3) {has_base}
// CHECK-NEXT: lpuhw.mem_write %[[Y]]#0 slice 8 bank 0 row 0
// Row 1: [x, x, -inf].
// CHECK: lpuhw.sxm_permute f32 map [0, 1, -1, {{.*}}](
// CHECK: lpuhw.sxm_permute f32 map [-1, -1, 2, -1, {{.*}}]{{.*}} {has_base}
// Row 2: all x, copied.
// CHECK-COUNT-4: lpuhw.mem_write
// CHECK-NEXT: %[[C:.*]] = lpuhw.mem_read slice 0 bank 0 row 2
// CHECK-COUNT-3: lpuhw.mem_read
// CHECK-NEXT: lpuhw.mem_write %[[C]] slice 8 bank 0 row 2
// SCHED: module attributes {lpu.target = "lpu-tiny", lpuhw.cycles = {{[0-9]+}} : i64
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<2x3x3xf32> {onnx.name = "x"})
      -> (tensor<2x3x3xf32> {onnx.name = "y"}, tensor<2x3xf32> {onnx.name = "c"}) {
    %m = arith.constant dense<[[true, false, false], [true, true, false], [true, true, true]]> : tensor<3x3xi1>
    %b = lpu.broadcast %m : tensor<3x3xi1> -> tensor<2x3x3xi1>
    %ninf = arith.constant dense<0xFF800000> : tensor<2x3x3xf32>
    %0 = lpu.select %b, %x, %ninf : tensor<2x3x3xi1>, tensor<2x3x3xf32>
    %p = arith.constant dense<[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]> : tensor<2x3xf32>
    %1 = lpu.cos %p : tensor<2x3xf32>
    return %0, %1 : tensor<2x3x3xf32>, tensor<2x3xf32>
  }
}
