// RUN: lpuc-opt %s --lpu-fuse | FileCheck %s
// RUN: lpuc-opt %s --lpu-fuse --lpu-to-lpuhw | FileCheck %s --check-prefix=HW
// RUN: lpuc-opt %s --lpu-fuse --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// Attention scores scaled and masked before softmax: the where form
// (a condition, -inf) and Llama's additive mask broadcast
// over heads. The scale and the mask are one fused op feeding the softmax
// (the reduction stays an op); the mask is read per row from its [8, 8]
// table, never broadcast into a copy.
// CHECK-LABEL: func.func @where
// CHECK: %[[F:.*]] = lpu.fused "softmax_mask"
// CHECK: lpu.select
// CHECK: lpu.softmax %[[F]]
// CHECK-LABEL: func.func @main
// CHECK-NOT: lpu.broadcast
// CHECK: %[[G:.*]] = lpu.fused "softmax_mask"(%arg0, %{{.*}}) : (tensor<1x2x8x8xf32>, tensor<8x8xf32>) -> tensor<1x2x8x8xf32>
// CHECK: lpu.broadcast %{{.*}} : tensor<8x8xf32> -> tensor<1x2x8x8xf32>
// CHECK: lpu.add
// CHECK: lpu.softmax %[[G]]
// The mask table (weight) is read, mul_imm and add are chained, one write.
// HW: func.func @main() {
// HW: lpuhw.vxm "mul_imm" f32({{.*}}) {imm = 2.500000e-01 : f32}
// HW-NOT: lpuhw.mem_write
// HW: lpuhw.vxm "add" f32
// HW-NEXT: lpuhw.mem_write
// SCHED: lpuhw.cycles = {{[0-9]+}}
module attributes {lpu.target = "lpu-v1"} {
  func.func @where(%s: tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> {
    %d = arith.constant dense<4.0> : tensor<1x2x8x8xf32>
    %ninf = arith.constant dense<0xFF800000> : tensor<1x2x8x8xf32>
    %0 = lpu.div %s, %d : tensor<1x2x8x8xf32>
    %x = lpu.compare lt %0, %s : tensor<1x2x8x8xf32> -> tensor<1x2x8x8xi1>
    %1 = lpu.select %x, %0, %ninf : tensor<1x2x8x8xi1>, tensor<1x2x8x8xf32>
    %2 = lpu.softmax %1 axis = 3 : tensor<1x2x8x8xf32>
    return %2 : tensor<1x2x8x8xf32>
  }
  func.func @main(%s: tensor<1x2x8x8xf32> {onnx.name = "s"}) -> (tensor<1x2x8x8xf32> {onnx.name = "p"}) {
    %d = arith.constant dense<4.0> : tensor<1x2x8x8xf32>
    %m = arith.constant dense<[[0.0, -3.4e38, -3.4e38, -3.4e38, -3.4e38, -3.4e38, -3.4e38, -3.4e38], [0.0, 0.0, -3.4e38, -3.4e38, -3.4e38, -3.4e38, -3.4e38, -3.4e38], [0.0, 0.0, 0.0, -3.4e38, -3.4e38, -3.4e38, -3.4e38, -3.4e38], [0.0, 0.0, 0.0, 0.0, -3.4e38, -3.4e38, -3.4e38, -3.4e38], [0.0, 0.0, 0.0, 0.0, 0.0, -3.4e38, -3.4e38, -3.4e38], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -3.4e38, -3.4e38], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -3.4e38], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<8x8xf32>
    %0 = lpu.div %s, %d : tensor<1x2x8x8xf32>
    %mb = lpu.broadcast %m : tensor<8x8xf32> -> tensor<1x2x8x8xf32>
    %1 = lpu.add %0, %mb : tensor<1x2x8x8xf32>
    %2 = lpu.softmax %1 axis = 3 : tensor<1x2x8x8xf32>
    return %2 : tensor<1x2x8x8xf32>
  }
}
