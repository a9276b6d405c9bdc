// RUN: lpuc-opt %s --split-input-file --lpu-to-lpuhw | FileCheck %s
// RUN: lpuc-opt %s --split-input-file --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// Sum over the last dimension on the MXM: a 32x32 tile of ones (lpu-tiny has
// 32 lanes) is loaded and installed once; each row's vector has its padding
// lanes (5..31) zeroed by a permute, then one multiply per row emits the sum
// in every lane (accumulator row = row).
// CHECK-LABEL: module attributes {lpu.target = "lpu-tiny"}
// CHECK: lpuhw.tensor @ones_f32 {{{.*}}kind = "weight", shape = array<i64: 32, 32>{{.*}}value = dense<1.000000e+00> : tensor<32x32xf32>}
// CHECK: func.func @main() {
// CHECK-COUNT-128: lpuhw.mem_read
// CHECK-NEXT: lpuhw.mxm_load plane 0 f32 rows 32
// CHECK-NEXT: lpuhw.mxm_install plane 0
// CHECK-COUNT-4: lpuhw.mem_read slice {{[0-3]}} bank 0 row 0
// CHECK-NEXT: %[[M:.*]]:4 = lpuhw.sxm_permute f32 map [0, 1, 2, 3, 4, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1]
// CHECK-NEXT: %[[S:.*]]:4 = lpuhw.mxm_mul plane 0 f32 acc 0(%[[M]]#0, %[[M]]#1, %[[M]]#2, %[[M]]#3) {emit}
// CHECK-NEXT: lpuhw.mem_write %[[S]]#0
// CHECK-COUNT-3: lpuhw.mem_write
// CHECK: lpuhw.mxm_mul plane 0 f32 acc 5
// CHECK-NOT: lpuhw.mxm_mul
// CHECK: return
// SCHED-LABEL: module attributes {lpu.target = "lpu-tiny", lpuhw.cycles = {{[0-9]+}} : i64
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<2x3x5xf32> {onnx.name = "x"})
      -> (tensor<2x3x1xf32> {onnx.name = "s"}) {
    %0 = lpu.reduce sum %x [2] : tensor<2x3x5xf32> -> tensor<2x3x1xf32>
    return %0 : tensor<2x3x1xf32>
  }
}

// -----

// A row of 40 (two vectors on 32 lanes): the second vector is masked, and the
// two multiplies accumulate into the row's accumulator; mean scales the f32
// sum by 1/40 and casts it back to f16.
// CHECK-LABEL: module attributes {lpu.target = "lpu-tiny"}
// CHECK: lpuhw.mxm_load plane 0 f16 rows 32
// CHECK: lpuhw.mxm_mul plane 0 f16 acc 0(%{{[^)]*}})
// CHECK-NOT: emit
// CHECK: lpuhw.sxm_permute f16 map [0, 1, 2, 3, 4, 5, 6, 7, -1,
// CHECK-NEXT: %[[S:.*]]:4 = lpuhw.mxm_mul plane 0 f16 acc 0(%{{[^)]*}}) {accumulate, emit}
// CHECK-NEXT: %[[D:.*]]:4 = lpuhw.vxm "mul_imm" f32(%[[S]]#0, %[[S]]#1, %[[S]]#2, %[[S]]#3) {imm = 2.500000e-02 : f32}
// CHECK-NEXT: %[[H:.*]]:2 = lpuhw.vxm "cast" f32(%[[D]]#0, %[[D]]#1, %[[D]]#2, %[[D]]#3) {to_dtype = f16}
// CHECK-NEXT: lpuhw.mem_write %[[H]]#0
// CHECK-NEXT: lpuhw.mem_write %[[H]]#1
// CHECK-NEXT: return
// SCHED-LABEL: module attributes {lpu.target = "lpu-tiny", lpuhw.cycles = {{[0-9]+}} : i64
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<1x40xf16> {onnx.name = "x"})
      -> (tensor<1x1xf16> {onnx.name = "m"}) {
    %0 = lpu.reduce mean %x [1] : tensor<1x40xf16> -> tensor<1x1xf16>
    return %0 : tensor<1x1xf16>
  }
}

// -----

// Max over the last dimension: padding lanes are zeroed by a permute and
// -inf is added to them from a constant (0 in the 5 valid lanes), then
// ceil(log2(5)) = 3 steps of max(identity, rotation by 1, 2, 4); lane 0 holds
// the max.
// CHECK-LABEL: module attributes {lpu.target = "lpu-tiny"}
// CHECK: lpuhw.tensor @maxmask5_f32 {{{.*}}kind = "weight", shape = array<i64: 1, 32>{{.*}}value = dense<{{\[\[}}0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0xFF800000, {{.*}}, 0xFF800000]]> : tensor<1x32xf32>}
// CHECK: %[[Z:.*]]:4 = lpuhw.sxm_permute f32 map [0, 1, 2, 3, 4, -1, {{.*}}, -1](
// CHECK-COUNT-4: lpuhw.mem_read slice {{([89]|1[01])}} bank 0 row 0
// CHECK-NEXT: %[[B:.*]]:4 = lpuhw.vxm "add" f32(%[[Z]]#0, %[[Z]]#1, %[[Z]]#2, %[[Z]]#3,
// CHECK-NEXT: %[[I:.*]]:4 = lpuhw.sxm_permute f32 map [0, 1, 2, {{.*}}, 30, 31](%[[B]]#0, %[[B]]#1, %[[B]]#2, %[[B]]#3)
// CHECK-NEXT: %[[R:.*]]:4 = lpuhw.sxm_permute f32 map [1, 2, 3, {{.*}}, 31, 0](%[[B]]#0, %[[B]]#1, %[[B]]#2, %[[B]]#3)
// CHECK-NEXT: lpuhw.vxm "max" f32(%[[I]]#0, %[[I]]#1, %[[I]]#2, %[[I]]#3, %[[R]]#0, %[[R]]#1, %[[R]]#2, %[[R]]#3)
// CHECK: lpuhw.sxm_permute f32 map [2, 3, 4, {{.*}}, 0, 1]
// CHECK: lpuhw.sxm_permute f32 map [4, 5, 6, {{.*}}, 2, 3]
// CHECK-NEXT: %[[X:.*]]:4 = lpuhw.vxm "max"
// CHECK-NEXT: lpuhw.mem_write %[[X]]#0
// CHECK-NOT: lpuhw.sxm_permute f32 map [8,
// SCHED-LABEL: module attributes {lpu.target = "lpu-tiny", lpuhw.cycles = {{[0-9]+}} : i64
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<2x5xf32> {onnx.name = "x"})
      -> (tensor<2x1xf32> {onnx.name = "m"}) {
    %0 = lpu.reduce max %x [1] : tensor<2x5xf32> -> tensor<2x1xf32>
    return %0 : tensor<2x1xf32>
  }
}

// -----

// A leading dimension: a lanewise VXM chain over rows (no MXM, no permute).
// On lpu-tiny rows 0 and 1 sit in the same 4 slices, which serve one read per
// cycle: row 1 is read one cycle earlier and delayed by a copy.
// CHECK-LABEL: module attributes {lpu.target = "lpu-tiny"}
// CHECK-NOT: mxm_load
// CHECK: func.func @main() {
// CHECK-COUNT-8: lpuhw.mem_read
// CHECK-NEXT: %[[D:.*]]:4 = lpuhw.vxm "copy" f32
// CHECK-NEXT: %[[A:.*]]:4 = lpuhw.vxm "add" f32(%{{.*}}, %[[D]]#0, %[[D]]#1, %[[D]]#2, %[[D]]#3)
// CHECK-COUNT-4: lpuhw.mem_read
// CHECK-NEXT: %[[B:.*]]:4 = lpuhw.vxm "add" f32(%[[A]]#0, %[[A]]#1, %[[A]]#2, %[[A]]#3,
// CHECK-NEXT: %[[C:.*]]:4 = lpuhw.vxm "mul_imm" f32(%[[B]]#0, %[[B]]#1, %[[B]]#2, %[[B]]#3) {imm = 0.333333343 : f32}
// CHECK-COUNT-4: lpuhw.mem_write
// CHECK-NOT: sxm_permute
// SCHED-LABEL: module attributes {lpu.target = "lpu-tiny", lpuhw.cycles = {{[0-9]+}} : i64
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<3x2x5xf32> {onnx.name = "x"})
      -> (tensor<1x2x5xf32> {onnx.name = "m"}) {
    %0 = lpu.reduce mean %x [0] : tensor<3x2x5xf32> -> tensor<1x2x5xf32>
    return %0 : tensor<1x2x5xf32>
  }
}
