// RUN: lpuc-opt %s --lpu-fuse | FileCheck %s
// RUN: lpuc-opt %s --lpu-fuse --lpu-to-lpuhw | FileCheck %s --check-prefix=HW
// RUN: lpuc-opt %s --lpu-fuse --lpu-to-lpuhw | grep -c lpuhw.mem_write | FileCheck %s --check-prefix=WRITES
// RUN: lpuc-opt %s --lpu-to-lpuhw | grep -c lpuhw.mem_write | FileCheck %s --check-prefix=UNFUSED
// RUN: lpuc-opt %s --lpu-fuse --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// GPT-2's MLP activation as torch exports it (bias add, then
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))): one fused op whose
// inputs are the matmul result and the bias (read row 0 for every row, no
// broadcast copy).
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<2x256xf32> {{.*}}, %[[B:.*]]: tensor<256xf32>
// CHECK-NOT: lpu.
// CHECK: %[[Y:.*]] = lpu.fused "gelu_tanh"(%[[B]], %[[X]]) : (tensor<256xf32>, tensor<2x256xf32>) -> tensor<2x256xf32> {
// CHECK: ^bb0(%[[A1:.*]]: tensor<256xf32>, %[[A0:.*]]: tensor<2x256xf32>):
// CHECK: lpu.broadcast %[[A1]] : tensor<256xf32> -> tensor<2x256xf32>
// CHECK: lpu.tanh
// CHECK: lpu.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[Y]]

// One chain per output vector: the inputs are read, tanh is computed on
// streams, the vector is written once (4 f32 planes x 2 rows = 8 writes;
// op by op it is 9 tensors of 8 plus the broadcast copy).
// HW: func.func @main() {
// HW: lpuhw.mem_read
// HW-NOT: lpuhw.mem_write
// HW: lpuhw.vxm "mul_imm" f32({{.*}}) {imm = 4.471500e-02 : f32}
// HW-NOT: lpuhw.mem_write
// HW: lpuhw.vxm "tanh" f32
// HW-NOT: lpuhw.mem_write
// HW: lpuhw.vxm "mul" f32
// HW-NEXT: lpuhw.mem_write
// WRITES: 8
// UNFUSED: 80
// SCHED: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = {{[0-9]+}} : i64
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%mm: tensor<2x256xf32> {onnx.name = "h"},
                  %bias: tensor<256xf32> {onnx.name = "b"})
      -> (tensor<2x256xf32> {onnx.name = "y"}) {
    %half = arith.constant dense<0.5> : tensor<2x256xf32>
    %three = arith.constant dense<3.0> : tensor<2x256xf32>
    %a = arith.constant dense<0.044715> : tensor<2x256xf32>
    %k = arith.constant dense<0.797884583> : tensor<2x256xf32>
    %one = arith.constant dense<1.0> : tensor<2x256xf32>
    %bb = lpu.broadcast %bias : tensor<256xf32> -> tensor<2x256xf32>
    %x = lpu.add %bb, %mm : tensor<2x256xf32>
    %0 = lpu.mul %x, %half : tensor<2x256xf32>
    %1 = lpu.pow %x, %three : tensor<2x256xf32>
    %2 = lpu.mul %1, %a : tensor<2x256xf32>
    %3 = lpu.add %x, %2 : tensor<2x256xf32>
    %4 = lpu.mul %3, %k : tensor<2x256xf32>
    %5 = lpu.tanh %4 : tensor<2x256xf32>
    %6 = lpu.add %5, %one : tensor<2x256xf32>
    %7 = lpu.mul %0, %6 : tensor<2x256xf32>
    return %7 : tensor<2x256xf32>
  }
}
