// RUN: lpuc-opt %s --lpu-to-lpuhw | FileCheck %s
// RUN: lpuc-opt %s --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// Runtime indices into any axis: x [2, 5, 3] gathered along axis 1 by ids
// [4] (a graph input, f32 on the chip) is two [5, 3] tables (outer = 2)
// times one-hot rows. Each id is broadcast to all lanes and moved into
// [0, 5) if negative (id + 5 * min(max(-id, 0), 1)); the one-hot rows are
// max(1 - |iota - id|, 0), repeated per table; one batched matmul writes the
// [2, 4, 3] result, whose last dimension is the tables' (no relayout).
// CHECK-LABEL: module attributes {lpu.target = "lpu-tiny"}
// CHECK: lpuhw.tensor @iota5_f32 {{.*}}kind = "weight"
// CHECK: func.func @main() {
// CHECK: lpuhw.sxm_permute f32 map [0, 0, 0, {{.*}}]
// CHECK: %[[N:.*]]:4 = lpuhw.vxm "neg" f32
// CHECK-NEXT: %[[M:.*]]:4 = lpuhw.vxm "max_imm" f32(%[[N]]#0, %[[N]]#1, %[[N]]#2, %[[N]]#3) :
// CHECK-NEXT: %[[S:.*]]:4 = lpuhw.vxm "min_imm" f32(%[[M]]#0, %[[M]]#1, %[[M]]#2, %[[M]]#3) {imm = 1.000000e+00 : f32}
// CHECK-NEXT: lpuhw.vxm "mul_imm" f32(%[[S]]#0, %[[S]]#1, %[[S]]#2, %[[S]]#3) {imm = 5.000000e+00 : f32}
// CHECK: lpuhw.vxm "add" f32
// One-hot rows: 2 tables x 4 ids.
// CHECK-COUNT-8: lpuhw.vxm "sub" f32
// CHECK: lpuhw.mxm_load plane {{[0-9]+}} f32 rows 5
// CHECK: lpuhw.mxm_mul
// CHECK: lpuhw.mxm_load plane {{[0-9]+}} f32 rows 5
// CHECK: return
// SCHED: module attributes {lpu.target = "lpu-tiny", lpuhw.cycles = {{[0-9]+}} : i64
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<2x5x3xf32> {onnx.name = "x"},
                  %i: tensor<4xi64> {onnx.name = "i"})
      -> (tensor<2x4x3xf32> {onnx.name = "g"}) {
    %0 = lpu.gather %x[%i] axis = 1 : tensor<2x5x3xf32>, tensor<4xi64> -> tensor<2x4x3xf32>
    return %0 : tensor<2x4x3xf32>
  }
}
