// RUN: lpuc-opt %s --lpu-to-lpuhw | FileCheck %s
// RUN: lpuc-opt %s --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// x [2, 40, 20] f16 -> y [2, 20, 40] through the SXM transpose (Transpose.cpp):
// 2 batches x 3 16-row blocks (the last one partial) x 2 byte planes = 12
// transposes through two i8 scratch tensors (staging, transposed blocks),
// then each row of y is a chain of 3 sxm_permutes (one per block): 40 x 3 =
// 120. Staging puts row i of a block in slice i of its group (44 .. 59).
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK: lpuhw.tensor @t0 {{{.*}}dtype = i8, kind = "activation", shape = array<i64: 192, 320>, slices = array<i32: 44,
// CHECK: lpuhw.tensor @t1 {{{.*}}dtype = i8, kind = "activation", shape = array<i64: 192, 320>
// CHECK: func.func @main() {
// CHECK-NEXT: %[[R0:.*]] = lpuhw.mem_read slice 0 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %[[R0]] slice 44 bank 0 row 4084
// CHECK-NEXT: %[[S0:.*]] = lpuhw.mem_read slice 44 bank 0 row 4084
// CHECK-NEXT: %[[R1:.*]] = lpuhw.mem_read slice 2 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %[[R1]] slice 45 bank 0 row 4084
// CHECK-NEXT: %[[S1:.*]] = lpuhw.mem_read slice 45 bank 0 row 4084
// CHECK: %[[T:.*]]:16 = lpuhw.sxm_transpose (%[[S0]], %[[S1]], {{.*}}) : !lpuhw.stream
// Plane 0's 16 streams go to 16 slices of the second scratch tensor.
// CHECK-NEXT: lpuhw.mem_write %[[T]]#0 slice 60 bank 0 row 4084
// CHECK-NEXT: lpuhw.mem_write %[[T]]#1 slice 61 bank 0 row 4084
// CHECK-COUNT-11: lpuhw.sxm_transpose
// Row 0 of y: block 0's lanes 0..15 to 0..15, block 1's to 16..31 on top,
// block 2's lanes 0..7 (rows 32..39) to 32..39.
// CHECK: %[[P0:.*]]:2 = lpuhw.sxm_permute f16 map [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, -1,
// CHECK: %[[P1:.*]]:2 = lpuhw.sxm_permute f16 map [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, -1, {{.*}}](%{{.*}}, %{{.*}}, %[[P0]]#0, %[[P0]]#1) {has_base}
// CHECK: %[[P2:.*]]:2 = lpuhw.sxm_permute f16 map [{{(-1, )+}}0, 1, 2, 3, 4, 5, 6, 7, -1, {{.*}}](%{{.*}}, %{{.*}}, %[[P1]]#0, %[[P1]]#1) {has_base}
// CHECK-NEXT: lpuhw.mem_write %[[P2]]#0
// CHECK-NEXT: lpuhw.mem_write %[[P2]]#1
// SCHED: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = {{[0-9]+}} : i64
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<2x40x20xf16> {onnx.name = "x"})
      -> (tensor<2x20x40xf16> {onnx.name = "y"}) {
    %0 = lpu.transpose %x [0, 2, 1] : tensor<2x40x20xf16> -> tensor<2x20x40xf16>
    return %0 : tensor<2x20x40xf16>
  }
}
