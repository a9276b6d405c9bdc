// RUN: lpuc-opt %s --split-input-file --lpu-to-lpuhw | FileCheck %s

// [3,4] x [4,3] f32: one tile of 4 rows (16 plane-rows of the weight: rows 0..3
// x 4 planes, consecutive plane-rows in 16 different slices), installed on
// plane 0, then one multiply per row of A with emit, and 4 writes each.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK: lpuhw.tensor @a {{.*}}kind = "input"{{.*}}slices = array<i32: 0,
// CHECK: lpuhw.tensor @w0 {{.*}}kind = "weight", shape = array<i64: 4, 3>, slices = array<i32: 16, {{.*}}value = dense<{{.*}}> : tensor<4x3xf32>}
// CHECK: lpuhw.tensor @y {{.*}}kind = "output", onnx_name = "y", shape = array<i64: 3, 3>, slices = array<i32: 44,
// CHECK: func.func @main() {
// CHECK-NEXT: %[[T0:.*]] = lpuhw.mem_read slice 16 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_read slice 17 bank 0 row 0
// CHECK-COUNT-13: lpuhw.mem_read
// CHECK-NEXT: %[[T15:.*]] = lpuhw.mem_read slice 31 bank 0 row 0
// CHECK-NEXT: lpuhw.mxm_load plane 0 f32 rows 4(%[[T0]], {{(%[0-9]+, )+}}%[[T15]])
// CHECK-NEXT: lpuhw.mxm_install plane 0
// CHECK-NEXT: %[[A0:.*]] = lpuhw.mem_read slice 0 bank 0 row 0
// CHECK-NEXT: %[[A1:.*]] = lpuhw.mem_read slice 1 bank 0 row 0
// CHECK-NEXT: %[[A2:.*]] = lpuhw.mem_read slice 2 bank 0 row 0
// CHECK-NEXT: %[[A3:.*]] = lpuhw.mem_read slice 3 bank 0 row 0
// CHECK-NEXT: %[[M0:.*]]:4 = lpuhw.mxm_mul plane 0 f32 acc 0(%[[A0]], %[[A1]], %[[A2]], %[[A3]]) {emit}
// CHECK-NEXT: lpuhw.mem_write %[[M0]]#0 slice 44 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %[[M0]]#1 slice 45 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %[[M0]]#2 slice 46 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %[[M0]]#3 slice 47 bank 0 row 0
// CHECK-COUNT-4: lpuhw.mem_read
// CHECK-NEXT: %[[M1:.*]]:4 = lpuhw.mxm_mul plane 0 f32 acc 1({{.*}}) {emit}
// CHECK-COUNT-4: lpuhw.mem_write %[[M1]]
// CHECK-COUNT-4: lpuhw.mem_read
// CHECK-NEXT: %[[M2:.*]]:4 = lpuhw.mxm_mul plane 0 f32 acc 2({{.*}}) {emit}
// CHECK-NEXT: lpuhw.mem_write %[[M2]]#0 slice 52 bank 0 row 0
// CHECK-COUNT-3: lpuhw.mem_write %[[M2]]
// CHECK-NEXT: return
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%a: tensor<3x4xf32> {onnx.name = "a"})
      -> (tensor<3x3xf32> {onnx.name = "y"}) {
    %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0],
                               [7.0, 8.0, 9.0], [1.0, 0.0, -1.0]]> : tensor<4x3xf32>
    %0 = lpu.matmul %a, %w : tensor<3x4xf32>, tensor<4x3xf32> -> tensor<3x3xf32>
    return %0 : tensor<3x3xf32>
  }
}

// -----

// K = 700: three k-tiles of 320, 320 and 60 rows on the same plane; the
// first multiplies replace the accumulator, the next accumulate, the last
// accumulate and emit. B's tile kt starts at plane-row kt * 320 * 4 (slice
// 16 + 0, row kt * 80).
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK: func.func @main() {
// CHECK-NEXT: lpuhw.mem_read slice 16 bank 0 row 0
// CHECK: lpuhw.mxm_load plane 0 f32 rows 320(
// CHECK-NEXT: lpuhw.mxm_install plane 0
// CHECK-COUNT-4: lpuhw.mem_read
// CHECK-NEXT: lpuhw.mxm_mul plane 0 f32 acc 0({{[^)]*}}){{$}}
// CHECK-COUNT-4: lpuhw.mem_read
// CHECK-NEXT: lpuhw.mxm_mul plane 0 f32 acc 1({{[^)]*}}){{$}}
// CHECK-NEXT: lpuhw.mem_read slice 16 bank 0 row 80
// CHECK: lpuhw.mxm_load plane 0 f32 rows 320(
// CHECK-NEXT: lpuhw.mxm_install plane 0
// CHECK-COUNT-4: lpuhw.mem_read
// CHECK-NEXT: lpuhw.mxm_mul plane 0 f32 acc 0({{[^)]*}}) {accumulate}{{$}}
// CHECK-COUNT-4: lpuhw.mem_read
// CHECK-NEXT: lpuhw.mxm_mul plane 0 f32 acc 1({{[^)]*}}) {accumulate}{{$}}
// CHECK-NEXT: lpuhw.mem_read slice 16 bank 0 row 160
// CHECK: lpuhw.mxm_load plane 0 f32 rows 60(
// CHECK-NEXT: lpuhw.mxm_install plane 0
// A's row 0, vector 2: plane-rows (2 * 2 + 0) * 4 + b = 16..19 -> row 1.
// CHECK-NEXT: lpuhw.mem_read slice 0 bank 0 row 1
// CHECK-COUNT-3: lpuhw.mem_read
// CHECK-NEXT: %[[E0:.*]]:4 = lpuhw.mxm_mul plane 0 f32 acc 0({{[^)]*}}) {accumulate, emit}
// CHECK-COUNT-4: lpuhw.mem_write %[[E0]]
// CHECK-COUNT-4: lpuhw.mem_read
// CHECK-NEXT: %[[E1:.*]]:4 = lpuhw.mxm_mul plane 0 f32 acc 1({{[^)]*}}) {accumulate, emit}
// CHECK-COUNT-4: lpuhw.mem_write %[[E1]]
// CHECK-NEXT: return
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%a: tensor<2x700xf32> {onnx.name = "a"},
                  %b: tensor<700x3xf32> {onnx.name = "b"})
      -> (tensor<2x3xf32> {onnx.name = "y"}) {
    %0 = lpu.matmul %a, %b : tensor<2x700xf32>, tensor<700x3xf32> -> tensor<2x3xf32>
    return %0 : tensor<2x3xf32>
  }
}

// -----

// Batched f16: 2-plane activations, 4 f32 result planes cast to f16 on the
// VXM, 2 writes. Batch 0 uses plane 0 (west), batch 1 plane 2 (east); batch
// 1's tile is B's rows 4..7.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK: func.func @main() {
// CHECK-COUNT-8: lpuhw.mem_read
// CHECK-NEXT: lpuhw.mxm_load plane 0 f16 rows 4(
// CHECK-NEXT: lpuhw.mxm_install plane 0
// CHECK-NEXT: %[[X0:.*]] = lpuhw.mem_read slice 0 bank 0 row 0
// CHECK-NEXT: %[[X1:.*]] = lpuhw.mem_read slice 1 bank 0 row 0
// CHECK-NEXT: %[[P:.*]]:4 = lpuhw.mxm_mul plane 0 f16 acc 0(%[[X0]], %[[X1]]) {emit}
// CHECK-NEXT: %[[H:.*]]:2 = lpuhw.vxm "cast" f32(%[[P]]#0, %[[P]]#1, %[[P]]#2, %[[P]]#3) {to_dtype = f16}
// CHECK-NEXT: lpuhw.mem_write %[[H]]#0 slice 44 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %[[H]]#1 slice 45 bank 0 row 0
// CHECK: lpuhw.mxm_mul plane 0 f16 acc 2(
// CHECK: lpuhw.mem_read slice 24 bank 0 row 0
// CHECK: lpuhw.mxm_load plane 2 f16 rows 4(
// CHECK-NEXT: lpuhw.mxm_install plane 2
// CHECK-NEXT: lpuhw.mem_read slice 6 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_read slice 7 bank 0 row 0
// CHECK-NEXT: lpuhw.mxm_mul plane 2 f16 acc 0({{.*}}) {emit}
// CHECK-NEXT: lpuhw.vxm "cast" f32
// CHECK-NEXT: lpuhw.mem_write %{{.*}}#0 slice 50 bank 0 row 0
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%a: tensor<2x3x4xf16> {onnx.name = "a"},
                  %b: tensor<2x4x5xf16> {onnx.name = "b"})
      -> (tensor<2x3x5xf16> {onnx.name = "y"}) {
    %0 = lpu.matmul %a, %b : tensor<2x3x4xf16>, tensor<2x4x5xf16> -> tensor<2x3x5xf16>
    return %0 : tensor<2x3x5xf16>
  }
}
