// RUN: lpuc-opt %s --lpu-fuse | FileCheck %s
// RUN: lpuc-opt %s --lpu-fuse --lpu-to-lpuhw | grep -c lpuhw.mem_write | FileCheck %s --check-prefix=WRITES
// RUN: lpuc-opt %s --lpu-to-lpuhw | grep -c lpuhw.mem_write | FileCheck %s --check-prefix=UNFUSED
// RUN: lpuc-opt %s --lpu-fuse --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// SiLU (x * sigmoid(x)) and SwiGLU (silu(gate) * up), as Llama's MLP: the
// gate's SiLU and the product with `up` are one fused op.
// CHECK-LABEL: func.func @silu
// CHECK: lpu.fused "silu"(%arg0)
// CHECK-LABEL: func.func @main
// CHECK-NOT: lpu.sigmoid
// CHECK: lpu.fused "swiglu"(%arg0, %arg1)
// CHECK: lpu.sigmoid
// CHECK: lpu.mul
// CHECK: lpu.mul
// CHECK: lpu.yield
// CHECK-NEXT: }
// CHECK-NOT: lpu.
// CHECK: return
// WRITES: 4
// UNFUSED: 12
// SCHED: lpuhw.cycles = {{[0-9]+}}
module attributes {lpu.target = "lpu-v1"} {
  func.func @silu(%x: tensor<1x176xf32>) -> tensor<1x176xf32> {
    %0 = lpu.sigmoid %x : tensor<1x176xf32>
    %1 = lpu.mul %x, %0 : tensor<1x176xf32>
    return %1 : tensor<1x176xf32>
  }
  func.func @main(%g: tensor<1x176xf32> {onnx.name = "gate"}, %u: tensor<1x176xf32> {onnx.name = "up"}) -> (tensor<1x176xf32> {onnx.name = "y"}) {
    %0 = lpu.sigmoid %g : tensor<1x176xf32>
    %1 = lpu.mul %g, %0 : tensor<1x176xf32>
    %2 = lpu.mul %1, %u : tensor<1x176xf32>
    return %2 : tensor<1x176xf32>
  }
}
