// RUN: lpuc-opt %s --lpu-fuse | FileCheck %s
// RUN: lpuc-opt %s --lpu-fuse --lpu-to-lpuhw | grep -c lpuhw.mem_write | FileCheck %s --check-prefix=WRITES
// RUN: lpuc-opt %s --lpu-to-lpuhw | grep -c lpuhw.mem_write | FileCheck %s --check-prefix=UNFUSED
// RUN: lpuc-opt %s --lpu-fuse --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// BERT's GELU, 0.5 x (1 + erf(x / sqrt 2)): one fused op; the result is
// written once per vector (2 rows x 4 f32 planes).
// CHECK-LABEL: func.func @main
// CHECK-NOT: lpu.erf
// CHECK: lpu.fused "gelu_erf"(%arg0)
// CHECK: lpu.erf
// CHECK: lpu.yield
// CHECK-NEXT: }
// CHECK-NOT: lpu.
// CHECK: return
// WRITES: 8
// UNFUSED: 40
// SCHED: lpuhw.cycles = {{[0-9]+}}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<2x64xf32> {onnx.name = "x"}) -> (tensor<2x64xf32> {onnx.name = "y"}) {
    %s = arith.constant dense<1.41421354> : tensor<2x64xf32>
    %one = arith.constant dense<1.0> : tensor<2x64xf32>
    %half = arith.constant dense<0.5> : tensor<2x64xf32>
    %0 = lpu.div %x, %s : tensor<2x64xf32>
    %1 = lpu.erf %0 : tensor<2x64xf32>
    %2 = lpu.add %1, %one : tensor<2x64xf32>
    %3 = lpu.mul %x, %2 : tensor<2x64xf32>
    %4 = lpu.mul %3, %half : tensor<2x64xf32>
    return %4 : tensor<2x64xf32>
  }
}
