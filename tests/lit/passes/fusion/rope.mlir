// RUN: lpuc-opt %s --lpu-fuse | FileCheck %s
// RUN: lpuc-opt %s --lpu-fuse --lpu-to-lpuhw | grep -c lpuhw.mem_write | FileCheck %s --check-prefix=WRITES
// RUN: lpuc-opt %s --lpu-to-lpuhw | grep -c lpuhw.mem_write | FileCheck %s --check-prefix=UNFUSED
// RUN: lpuc-opt %s --lpu-fuse --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// RoPE as Llama exports it: x * cos + rotate_half(x) * sin, with
// rotate_half = concat(-x[8:], x[:8]) and cos/sin tables [8, 16] broadcast
// over heads. The lane moves (slices, neg, concat) stay relayouts; the two
// products and the sum are one fused op reading cos/sin rows in place.
// CHECK-LABEL: func.func @main
// CHECK: %[[R:.*]] = lpu.concat
// CHECK-NOT: lpu.mul
// CHECK: lpu.fused "rope"(%arg0, %arg1, %[[R]], %arg2)
// CHECK: lpu.yield
// CHECK-NEXT: }
// CHECK-NOT: lpu.
// CHECK: return
// Writes: slices 128, neg 64, concat 64, fused 64 (2 heads x 8 rows x 4
// planes); op by op the products, the sum and both broadcasts add 320.
// WRITES: 320
// UNFUSED: 576
// SCHED: lpuhw.cycles = {{[0-9]+}}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<1x2x8x16xf32> {onnx.name = "q"}, %cos: tensor<8x16xf32> {onnx.name = "cos"}, %sin: tensor<8x16xf32> {onnx.name = "sin"}) -> (tensor<1x2x8x16xf32> {onnx.name = "y"}) {
    %cb = lpu.broadcast %cos : tensor<8x16xf32> -> tensor<1x2x8x16xf32>
    %0 = lpu.mul %x, %cb : tensor<1x2x8x16xf32>
    %1 = lpu.slice %x starts [0, 0, 0, 8] steps [1, 1, 1, 1] : tensor<1x2x8x16xf32> -> tensor<1x2x8x8xf32>
    %2 = lpu.neg %1 : tensor<1x2x8x8xf32>
    %3 = lpu.slice %x starts [0, 0, 0, 0] steps [1, 1, 1, 1] : tensor<1x2x8x16xf32> -> tensor<1x2x8x8xf32>
    %4 = lpu.concat %2, %3 axis = 3 : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x2x8x16xf32>
    %sb = lpu.broadcast %sin : tensor<8x16xf32> -> tensor<1x2x8x16xf32>
    %5 = lpu.mul %4, %sb : tensor<1x2x8x16xf32>
    %6 = lpu.add %0, %5 : tensor<1x2x8x16xf32>
    return %6 : tensor<1x2x8x16xf32>
  }
}
