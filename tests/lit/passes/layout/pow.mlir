// RUN: lpuc-opt %s --lpu-to-lpuhw | FileCheck %s
// RUN: lpuc-opt %s --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// x^y with a runtime exponent: three chains through f32 scratch. 1. ln|x|:
// seven scalings down (x >= 2^64, 2^32, ..., 2^1: select x * 2^-k), eight
// up (x < 2^-63, 2^-63, 2^-31, ..., 2^0: select x * 2^k), one to
// [sqrt(1/2), sqrt(2)), then 2 atanh((m - 1) / (m + 1)) + e ln 2, and the
// special values. 2. exp(y ln|x|), 1 for y = 0. 3. the sign for negative
// bases.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK: lpuhw.tensor @pow2_64_f32 {{{.*}}value = dense<1.84467441E+19> : tensor<1x320xf32>}
// CHECK: func.func @main() {
// CHECK: lpuhw.vxm "ge" f32
// CHECK: lpuhw.vxm "mul_imm" f32({{.*}}) {imm = 5.42101086E-20 : f32}
// CHECK: lpuhw.vxm "select" f32
// CHECK-COUNT-6: lpuhw.vxm "ge" f32
// CHECK-COUNT-8: lpuhw.vxm "lt" f32
// CHECK: lpuhw.vxm "gt" f32
// CHECK: lpuhw.vxm "rsqrt" f32
// CHECK: lpuhw.vxm "mul_imm" f32({{.*}}) {imm = 0.693147182 : f32}
// CHECK: lpuhw.vxm "exp" f32
// CHECK: lpuhw.vxm "ne" f32
// SCHED: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = {{[0-9]+}} : i64
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<4xf32> {onnx.name = "x"},
                  %y: tensor<4xf32> {onnx.name = "y"})
      -> (tensor<4xf32> {onnx.name = "z"}) {
    %0 = lpu.pow %x, %y : tensor<4xf32>
    return %0 : tensor<4xf32>
  }
}
