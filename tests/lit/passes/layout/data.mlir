// RUN: lpuc-opt %s --lpu-to-lpuhw | FileCheck %s
// RUN: lpuc-opt %s --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// Slice, concat, trilu and gather with constant indices are relayouts
// (lpu-tiny: 32 lanes; x is 4x8xf32 in slices 0-3, one plane-row per slice).
// CHECK-LABEL: module attributes {lpu.target = "lpu-tiny"}
// CHECK-NOT: kind = "weight"
// CHECK: func.func @main() {
//
// slice x[1::2, :] keeps the last dimension: rows 1 and 3 are copied.
// CHECK-NEXT: %[[A:.*]] = lpuhw.mem_read slice 0 bank 0 row 1
// CHECK-COUNT-3: lpuhw.mem_read
// CHECK-NEXT: lpuhw.mem_write %[[A]] slice 8 bank 0 row 0
// CHECK-COUNT-3: lpuhw.mem_write
// CHECK-NEXT: %[[B:.*]] = lpuhw.mem_read slice 0 bank 0 row 3
// CHECK-COUNT-3: lpuhw.mem_read
// CHECK-NEXT: lpuhw.mem_write %[[B]] slice 8 bank 0 row 1
// CHECK-COUNT-3: lpuhw.mem_write
//
// concat([x, y], axis 1): per row, x's 8 lanes then y's 3 lanes on top.
// CHECK-COUNT-4: lpuhw.mem_read
// CHECK-NEXT: %[[X:.*]]:4 = lpuhw.sxm_permute f32 map [0, 1, 2, 3, 4, 5, 6, 7, -1, {{.*}}, -1](
// CHECK-COUNT-4: lpuhw.mem_read slice {{[4-7]}} bank 0 row 0
// CHECK-NEXT: %[[C:.*]]:4 = lpuhw.sxm_permute f32 map [-1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, -1, {{.*}}](%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[X]]#0, %[[X]]#1, %[[X]]#2, %[[X]]#3) {has_base}
// CHECK-NEXT: lpuhw.mem_write %[[C]]#0 slice 12 bank 0 row 0
// CHECK: lpuhw.sxm_permute f32 map [-1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, -1, {{.*}}]{{.*}} {has_base}
// CHECK: lpuhw.sxm_permute f32 map [-1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, -1, {{.*}}]{{.*}} {has_base}
// CHECK: lpuhw.sxm_permute f32 map [-1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, -1, {{.*}}]{{.*}} {has_base}
//
// trilu upper, k = 1: row r keeps columns c >= r + 1; the others become 0
// (map entry -1).
// CHECK: lpuhw.sxm_permute f32 map [-1, 1, 2, 3, 4, 5, 6, 7, -1,
// CHECK: lpuhw.sxm_permute f32 map [-1, -1, 2, 3, 4, 5, 6, 7, -1,
// CHECK: lpuhw.sxm_permute f32 map [-1, -1, -1, 3, 4, 5, 6, 7, -1,
// CHECK: lpuhw.sxm_permute f32 map [-1, -1, -1, -1, 4, 5, 6, 7, -1,
//
// gather(x, [3, 0], axis 0): row copies.
// CHECK: %[[G:.*]] = lpuhw.mem_read slice 0 bank 0 row 3
// CHECK-COUNT-3: lpuhw.mem_read
// CHECK-NEXT: lpuhw.mem_write %[[G]] slice 4 bank 1 row 0
// CHECK-COUNT-3: lpuhw.mem_write
// CHECK-NEXT: %[[H:.*]] = lpuhw.mem_read slice 0 bank 0 row 0
// CHECK-COUNT-3: lpuhw.mem_read
// CHECK-NEXT: lpuhw.mem_write %[[H]] slice 4 bank 1 row 1
// CHECK-COUNT-3: lpuhw.mem_write
// CHECK-NEXT: return
// SCHED: module attributes {lpu.target = "lpu-tiny", lpuhw.cycles = {{[0-9]+}} : i64
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<4x8xf32> {onnx.name = "x"},
                  %y: tensor<4x3xf32> {onnx.name = "y"})
      -> (tensor<2x8xf32> {onnx.name = "s"}, tensor<4x11xf32> {onnx.name = "c"},
          tensor<4x8xf32> {onnx.name = "t"}, tensor<2x8xf32> {onnx.name = "g"}) {
    %0 = lpu.slice %x starts [1, 0] steps [2, 1] : tensor<4x8xf32> -> tensor<2x8xf32>
    %1 = lpu.concat %x, %y axis = 1 : tensor<4x8xf32>, tensor<4x3xf32> -> tensor<4x11xf32>
    %2 = lpu.trilu upper %x k = 1 : tensor<4x8xf32>
    %i = arith.constant dense<[3, 0]> : tensor<2xi64>
    %3 = lpu.gather %x[%i] axis = 0 : tensor<4x8xf32>, tensor<2xi64> -> tensor<2x8xf32>
    return %0, %1, %2, %3 : tensor<2x8xf32>, tensor<4x11xf32>, tensor<4x8xf32>, tensor<2x8xf32>
  }
}
