// RUN: lpuc-opt %s --split-input-file --lpu-to-lpuhw | FileCheck %s

// Transpose 3x5 -> 5x3: output row r takes lane i from input row i, lane r,
// so each output vector is a chain of 3 permutes (one per source row), the
// later ones on top of the previous result (has_base).
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK: lpuhw.tensor @t {{.*}}kind = "output", onnx_name = "t", shape = array<i64: 5, 3>, slices = array<i32: 16,
// CHECK: func.func @main() {
// CHECK-NEXT: %[[R0:.*]] = lpuhw.mem_read slice 0 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_read slice 1 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_read slice 2 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_read slice 3 bank 0 row 0
// CHECK-NEXT: %[[P0:.*]]:4 = lpuhw.sxm_permute f32 map [0, -1, -1, -1, {{(-1, )+}}-1](%[[R0]], %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}) :
// CHECK-NEXT: %[[R1:.*]] = lpuhw.mem_read slice 4 bank 0 row 0
// CHECK-COUNT-3: lpuhw.mem_read
// CHECK-NEXT: %[[P1:.*]]:4 = lpuhw.sxm_permute f32 map [-1, 0, -1, -1, {{.*}}](%[[R1]], %{{.*}}, %[[P0]]#0, %[[P0]]#1, %[[P0]]#2, %[[P0]]#3) {has_base}
// CHECK-NEXT: lpuhw.mem_read slice 8 bank 0 row 0
// CHECK-COUNT-3: lpuhw.mem_read
// CHECK-NEXT: %[[P2:.*]]:4 = lpuhw.sxm_permute f32 map [-1, -1, 0, -1, {{.*}}]({{.*}}, %[[P1]]#0, %[[P1]]#1, %[[P1]]#2, %[[P1]]#3) {has_base}
// CHECK-NEXT: lpuhw.mem_write %[[P2]]#0 slice 16 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %[[P2]]#1 slice 17 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %[[P2]]#2 slice 18 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %[[P2]]#3 slice 19 bank 0 row 0
// Output row 1: lane 1 of each input row.
// CHECK-NEXT: lpuhw.mem_read slice 0 bank 0 row 0
// CHECK-COUNT-3: lpuhw.mem_read
// CHECK-NEXT: lpuhw.sxm_permute f32 map [1, -1, -1, {{.*}}]({{[^)]*}}) :
// CHECK-COUNT-4: lpuhw.mem_read
// CHECK-NEXT: lpuhw.sxm_permute f32 map [-1, 1, -1, {{.*}} {has_base}
// CHECK-COUNT-4: lpuhw.mem_read
// CHECK-NEXT: lpuhw.sxm_permute f32 map [-1, -1, 1, {{.*}} {has_base}
// CHECK-NEXT: lpuhw.mem_write %{{.*}}#0 slice 20 bank 0 row 0
// CHECK: lpuhw.sxm_permute f32 map [-1, -1, 4, {{.*}} {has_base}
// CHECK-COUNT-4: lpuhw.mem_write
// CHECK-NEXT: return
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%a: tensor<3x5xf32> {onnx.name = "a"})
      -> (tensor<5x3xf32> {onnx.name = "t"}) {
    %0 = lpu.transpose %a [1, 0] : tensor<3x5xf32> -> tensor<5x3xf32>
    return %0 : tensor<5x3xf32>
  }
}

// -----

// Broadcast [5] -> [3,4,5] repeats whole rows: 12 copies of the input vector
// (read + write, no permute). Broadcast [3,1] -> [3,4] spreads lane 0.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK: lpuhw.tensor @bc {{.*}}shape = array<i64: 3, 4, 5>, slices = array<i32: 44,
// CHECK: func.func @main() {
// CHECK-NOT: sxm_permute
// CHECK-NEXT: %[[C0:.*]] = lpuhw.mem_read slice 0 bank 0 row 0
// CHECK-NEXT: %[[C1:.*]] = lpuhw.mem_read slice 1 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %[[C0]] slice 44 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %[[C1]] slice 45 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_read slice 0 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_read slice 1 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %{{.*}} slice 46 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %{{.*}} slice 47 bank 0 row 0
// CHECK-COUNT-36: lpuhw.mem_{{read|write}}
// Row 11 of the output: plane-rows 22, 23 -> slices 50, 51, row 1.
// CHECK-NEXT: lpuhw.mem_read slice 0 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_read slice 1 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %{{.*}} slice 50 bank 0 row 1
// CHECK-NEXT: lpuhw.mem_write %{{.*}} slice 51 bank 0 row 1
// CHECK-NEXT: %[[S0:.*]] = lpuhw.mem_read slice 16 bank 0 row 0
// CHECK-NEXT: %[[S1:.*]] = lpuhw.mem_read slice 17 bank 0 row 0
// CHECK-NEXT: %[[Q:.*]]:2 = lpuhw.sxm_permute bf16 map [0, 0, 0, 0, -1, {{.*}}](%[[S0]], %[[S1]]) :
// CHECK-NEXT: lpuhw.mem_write %[[Q]]#0 slice 60 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %[[Q]]#1 slice 61 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_read slice 18 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_read slice 19 bank 0 row 0
// CHECK-NEXT: lpuhw.sxm_permute bf16 map [0, 0, 0, 0, -1, {{.*}}]({{[^)]*}}) :
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%b: tensor<5xbf16> {onnx.name = "b"},
                  %c: tensor<3x1xbf16> {onnx.name = "c"})
      -> (tensor<3x4x5xbf16> {onnx.name = "bc"},
          tensor<3x4xbf16> {onnx.name = "cc"}) {
    %0 = lpu.broadcast %b : tensor<5xbf16> -> tensor<3x4x5xbf16>
    %1 = lpu.broadcast %c : tensor<3x1xbf16> -> tensor<3x4xbf16>
    return %0, %1 : tensor<3x4x5xbf16>, tensor<3x4xbf16>
  }
}

// -----

// A reshape that keeps the last dimension aliases its operand: relu reads
// the input's plane-rows directly (6 rows of 4 f16 = plane-rows 0..11). As a
// result it needs its own output tensor: a copy.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK: lpuhw.tensor @x {{.*}}shape = array<i64: 2, 3, 4>, slices = array<i32: 0,
// CHECK: lpuhw.tensor @r {{.*}}kind = "output", onnx_name = "r", shape = array<i64: 6, 4>, slices = array<i32: 16,
// CHECK: lpuhw.tensor @v {{.*}}kind = "output", onnx_name = "v", shape = array<i64: 6, 4>, slices = array<i32: 44,
// CHECK-NOT: lpuhw.tensor
// CHECK: func.func @main() {
// CHECK-NEXT: lpuhw.mem_read slice 0 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_read slice 1 bank 0 row 0
// CHECK-NEXT: lpuhw.vxm "max_imm" f16
// CHECK-NEXT: lpuhw.mem_write %{{.*}} slice 16 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %{{.*}} slice 17 bank 0 row 0
// CHECK: lpuhw.mem_read slice 10 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_read slice 11 bank 0 row 0
// CHECK-NEXT: lpuhw.vxm "max_imm" f16
// CHECK-NEXT: lpuhw.mem_write %{{.*}} slice 26 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %{{.*}} slice 27 bank 0 row 0
// The copy of the aliased reshape into @v.
// CHECK-NEXT: lpuhw.mem_read slice 0 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_read slice 1 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %{{.*}} slice 44 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %{{.*}} slice 45 bank 0 row 0
// CHECK-NOT: sxm_permute
// CHECK: return
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<2x3x4xf16> {onnx.name = "x"})
      -> (tensor<6x4xf16> {onnx.name = "r"}, tensor<6x4xf16> {onnx.name = "v"}) {
    %0 = lpu.reshape %x : tensor<2x3x4xf16> -> tensor<6x4xf16>
    %1 = lpu.relu %0 : tensor<6x4xf16>
    return %1, %0 : tensor<6x4xf16>, tensor<6x4xf16>
  }
}

// -----

// A reshape that changes the last dimension moves lanes: [2,6] -> [3,4].
// Output row 0 is lanes 0..3 of input row 0 (a permute: the source vector
// has 6 valid lanes); row 1 is lanes 4,5 of row 0 then lanes 0,1 of row 1.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK: func.func @main() {
// CHECK-COUNT-4: lpuhw.mem_read
// CHECK-NEXT: lpuhw.sxm_permute f32 map [0, 1, 2, 3, -1, {{.*}}]({{[^)]*}}) :
// CHECK-COUNT-4: lpuhw.mem_write
// CHECK-COUNT-4: lpuhw.mem_read
// CHECK-NEXT: %[[F:.*]]:4 = lpuhw.sxm_permute f32 map [4, 5, -1, -1, {{.*}}]({{[^)]*}}) :
// CHECK-NEXT: lpuhw.mem_read slice 4 bank 0 row 0
// CHECK-COUNT-3: lpuhw.mem_read
// CHECK-NEXT: lpuhw.sxm_permute f32 map [-1, -1, 0, 1, -1, {{.*}}]({{.*}}, %[[F]]#0, %[[F]]#1, %[[F]]#2, %[[F]]#3) {has_base}
// CHECK-COUNT-4: lpuhw.mem_write
// CHECK-COUNT-4: lpuhw.mem_read
// CHECK-NEXT: lpuhw.sxm_permute f32 map [2, 3, 4, 5, -1, {{.*}}]({{[^)]*}}) :
// CHECK-COUNT-4: lpuhw.mem_write
// CHECK-NEXT: return
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<2x6xf32> {onnx.name = "x"})
      -> (tensor<3x4xf32> {onnx.name = "y"}) {
    %0 = lpu.reshape %x : tensor<2x6xf32> -> tensor<3x4xf32>
    return %0 : tensor<3x4xf32>
  }
}
