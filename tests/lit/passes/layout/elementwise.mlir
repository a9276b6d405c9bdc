// RUN: lpuc-opt %s --split-input-file --lpu-to-lpuhw | FileCheck %s

// Two 3x4xf32 inputs and the output each get a group of 16 slices (the first
// two west groups, then the first east group), base row 0. A 3x4xf32 tensor
// has 3 rows x 1 vector x 4 planes: plane-row q = r * 4 + b sits in slice
// slices[q % 16], row q / 16.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK: lpuhw.tensor @a {bank = 0 : i32, base_row = 0 : i32, dtype = f32, kind = "input", onnx_name = "a", shape = array<i64: 3, 4>, slices = array<i32: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15>}
// CHECK: lpuhw.tensor @b {bank = 0 : i32, base_row = 0 : i32, dtype = f32, kind = "input", onnx_name = "b", shape = array<i64: 3, 4>, slices = array<i32: 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31>}
// CHECK: lpuhw.tensor @y {bank = 0 : i32, base_row = 0 : i32, dtype = f32, kind = "output", onnx_name = "y", shape = array<i64: 3, 4>, slices = array<i32: 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59>}
// CHECK: func.func @main() {
// CHECK-NEXT: %[[A0:.*]] = lpuhw.mem_read slice 0 bank 0 row 0
// CHECK-NEXT: %[[A1:.*]] = lpuhw.mem_read slice 1 bank 0 row 0
// CHECK-NEXT: %[[A2:.*]] = lpuhw.mem_read slice 2 bank 0 row 0
// CHECK-NEXT: %[[A3:.*]] = lpuhw.mem_read slice 3 bank 0 row 0
// CHECK-NEXT: %[[B0:.*]] = lpuhw.mem_read slice 16 bank 0 row 0
// CHECK-NEXT: %[[B1:.*]] = lpuhw.mem_read slice 17 bank 0 row 0
// CHECK-NEXT: %[[B2:.*]] = lpuhw.mem_read slice 18 bank 0 row 0
// CHECK-NEXT: %[[B3:.*]] = lpuhw.mem_read slice 19 bank 0 row 0
// CHECK-NEXT: %[[S:.*]]:4 = lpuhw.vxm "add" f32(%[[A0]], %[[A1]], %[[A2]], %[[A3]], %[[B0]], %[[B1]], %[[B2]], %[[B3]])
// CHECK-NEXT: lpuhw.mem_write %[[S]]#0 slice 44 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %[[S]]#1 slice 45 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %[[S]]#2 slice 46 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %[[S]]#3 slice 47 bank 0 row 0
// Row 1: plane-rows 4..7.
// CHECK-NEXT: lpuhw.mem_read slice 4 bank 0 row 0
// CHECK-COUNT-7: lpuhw.mem_read
// CHECK-NEXT: lpuhw.vxm "add" f32
// CHECK-COUNT-4: lpuhw.mem_write
// Row 2: plane-rows 8..11.
// CHECK-NEXT: lpuhw.mem_read slice 8 bank 0 row 0
// CHECK-COUNT-7: lpuhw.mem_read
// CHECK-NEXT: lpuhw.vxm "add" f32
// CHECK-NEXT: lpuhw.mem_write %{{.*}}#0 slice 52 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %{{.*}}#1 slice 53 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %{{.*}}#2 slice 54 bank 0 row 0
// CHECK-NEXT: lpuhw.mem_write %{{.*}}#3 slice 55 bank 0 row 0
// CHECK-NEXT: return
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%a: tensor<3x4xf32> {onnx.name = "a"},
                  %b: tensor<3x4xf32> {onnx.name = "b"})
      -> (tensor<3x4xf32> {onnx.name = "y"}) {
    %0 = lpu.add %a, %b : tensor<3x4xf32>
    return %0 : tensor<3x4xf32>
  }
}

// -----

// Splat constants (directly or through lpu.broadcast) become immediates and
// get no weight tensor; x - c is add_imm -c, c - x is neg then add_imm c.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK-NOT: kind = "weight"
// CHECK: func.func @main() {
// CHECK-NEXT: %[[X0:.*]] = lpuhw.mem_read slice 0 bank 0 row 0
// CHECK-NEXT: %[[X1:.*]] = lpuhw.mem_read slice 1 bank 0 row 0
// CHECK-NEXT: %[[P:.*]]:2 = lpuhw.vxm "add_imm" f16(%[[X0]], %[[X1]]) {imm = 2.500000e+00 : f32}
// CHECK-NEXT: lpuhw.mem_write %[[P]]#0 slice 16 bank 0 row 4095
// CHECK-NEXT: lpuhw.mem_write %[[P]]#1 slice 17 bank 0 row 4095
// CHECK: lpuhw.vxm "mul_imm" f16({{.*}}) {imm = 3.000000e+00 : f32}
// CHECK: lpuhw.vxm "add_imm" f16({{.*}}) {imm = -2.500000e+00 : f32}
// CHECK: %[[N:.*]]:2 = lpuhw.vxm "neg" f16
// CHECK-NEXT: lpuhw.vxm "add_imm" f16(%[[N]]#0, %[[N]]#1) {imm = 2.500000e+00 : f32}
// CHECK: return
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<5xf16> {onnx.name = "x"})
      -> (tensor<5xf16> {onnx.name = "y"}) {
    %c = arith.constant dense<2.5> : tensor<5xf16>
    %s = arith.constant dense<3.0> : tensor<1xf16>
    %sb = lpu.broadcast %s : tensor<1xf16> -> tensor<5xf16>
    %0 = lpu.add %x, %c : tensor<5xf16>
    %1 = lpu.mul %sb, %0 : tensor<5xf16>
    %2 = lpu.sub %1, %c : tensor<5xf16>
    %3 = lpu.sub %c, %2 : tensor<5xf16>
    return %3 : tensor<5xf16>
  }
}

// -----

// relu is max_imm 0; cast is a VXM cast with to_dtype. A non-splat constant
// is a weight tensor that keeps its value.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK: lpuhw.tensor @x {{.*}}kind = "input"
// CHECK: lpuhw.tensor @w0 {bank = 0 : i32, base_row = 0 : i32, dtype = f32, kind = "weight", shape = array<i64: 2>, slices = array<i32: 16, {{.*}}>, value = dense<[1.000000e+00, -2.000000e+00]> : tensor<2xf32>}
// CHECK: lpuhw.tensor @t0 {{.*}}kind = "activation"
// CHECK: lpuhw.tensor @t1 {{.*}}kind = "activation"
// CHECK: lpuhw.tensor @y {bank = 0 : i32, base_row = 0 : i32, dtype = bf16, kind = "output", onnx_name = "y"
// CHECK: func.func @main() {
// CHECK: lpuhw.vxm "mul" f32
// CHECK: %[[R:.*]]:4 = lpuhw.vxm "max_imm" f32({{.*}}) : !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream
// CHECK: %[[C:.*]]:2 = lpuhw.vxm "cast" f32({{.*}}) {to_dtype = bf16} : !lpuhw.stream, !lpuhw.stream
// CHECK-NEXT: lpuhw.mem_write %[[C]]#0
// CHECK-NEXT: lpuhw.mem_write %[[C]]#1
// CHECK-NEXT: return
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<2xf32> {onnx.name = "x"})
      -> (tensor<2xbf16> {onnx.name = "y"}) {
    %w = arith.constant dense<[1.0, -2.0]> : tensor<2xf32>
    %0 = lpu.mul %x, %w : tensor<2xf32>
    %1 = lpu.relu %0 : tensor<2xf32>
    %2 = lpu.cast %1 : tensor<2xf32> to tensor<2xbf16>
    return %2 : tensor<2xbf16>
  }
}

// -----

// Results that are inputs, weights or repeated values get their own output
// tensor and a copy.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK: lpuhw.tensor @x {{.*}}kind = "input", onnx_name = "x"
// CHECK: lpuhw.tensor @y0 {{.*}}kind = "output", onnx_name = "y0"
// CHECK: lpuhw.tensor @y1 {{.*}}kind = "output", onnx_name = "y1"
// CHECK: lpuhw.tensor @y2 {{.*}}kind = "output", onnx_name = "y2"
// CHECK: func.func @main() {
// CHECK: lpuhw.vxm "max_imm"
// CHECK-COUNT-4: lpuhw.mem_write
// y1 = x: copy.
// CHECK-NEXT: %[[C0:.*]] = lpuhw.mem_read slice 0 bank 0 row 0
// CHECK: lpuhw.mem_write %[[C0]]
// CHECK-NOT: lpuhw.vxm
// CHECK: return
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<4xf32> {onnx.name = "x"})
      -> (tensor<4xf32> {onnx.name = "y0"}, tensor<4xf32> {onnx.name = "y1"},
          tensor<4xf32> {onnx.name = "y2"}) {
    %0 = lpu.relu %x : tensor<4xf32>
    return %0, %x, %0 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  }
}

// -----

// A dense_resource weight keeps its resource (no copy of the data) and names
// its tensor.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK: lpuhw.tensor @fc1.weight {bank = 0 : i32, base_row = 0 : i32, dtype = f32, kind = "weight", shape = array<i64: 2>, slices = array<i32: 16, {{.*}}>, value = dense_resource<fc1.weight> : tensor<2xf32>}
// CHECK: lpuhw.vxm "sub" f32
// CHECK: fc1.weight: "0x040000000000803F00000040"
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<2xf32> {onnx.name = "x"})
      -> (tensor<2xf32> {onnx.name = "y"}) {
    %w = arith.constant dense_resource<fc1.weight> : tensor<2xf32>
    %0 = lpu.sub %x, %w : tensor<2xf32>
    return %0 : tensor<2xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      fc1.weight: "0x040000000000803F00000040"
    }
  }
#-}
