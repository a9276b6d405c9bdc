// RUN: lpuc-opt %s --lpu-fuse | FileCheck %s
// RUN: lpuc-opt %s --lpu-fuse --lpu-to-lpuhw | grep -c lpuhw.mem_write | FileCheck %s --check-prefix=WRITES
// RUN: lpuc-opt %s --lpu-to-lpuhw | grep -c lpuhw.mem_write | FileCheck %s --check-prefix=UNFUSED
// RUN: lpuc-opt %s --lpu-fuse --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// RMSNorm as HF Llama exports it: pow, reduce mean, add eps, sqrt, div,
// mul by x, mul by the weight. pow and the reduction stay; the per-row
// 1 / sqrt(mean + eps) and the products become one fused op: per row one
// chain and one lane spread into a [rows, lanes] scratch (4 rows x 4
// planes), then one chain per output vector (4 x 4 writes); with pow's 16
// and the mean's 16, 64 writes (op by op: 144).
// CHECK-LABEL: func.func @main
// CHECK: lpu.pow
// CHECK: %[[M:.*]] = lpu.reduce mean
// CHECK-NOT: lpu.sqrt
// CHECK: lpu.fused "rmsnorm_scale"({{.*}}%[[M]]{{.*}}) : ({{.*}}) -> tensor<4x64xf32>
// CHECK: lpu.sqrt {{.*}} : tensor<4x1xf32>
// CHECK: lpu.div {{.*}} : tensor<4x1xf32>
// CHECK: lpu.broadcast {{.*}} : tensor<4x1xf32> -> tensor<4x64xf32>
// CHECK: lpu.broadcast {{.*}} : tensor<64xf32> -> tensor<4x64xf32>
// CHECK: lpu.yield
// CHECK-NEXT: }
// CHECK-NOT: lpu.
// CHECK: return
// WRITES: 64
// UNFUSED: 144
// SCHED: lpuhw.cycles = {{[0-9]+}}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<4x64xf32> {onnx.name = "x"}, %w: tensor<64xf32> {onnx.name = "w"}) -> (tensor<4x64xf32> {onnx.name = "y"}) {
    %two = arith.constant dense<2.0> : tensor<4x64xf32>
    %eps = arith.constant dense<1.0e-6> : tensor<4x1xf32>
    %one = arith.constant dense<1.0> : tensor<4x1xf32>
    %0 = lpu.pow %x, %two : tensor<4x64xf32>
    %1 = lpu.reduce mean %0 [1] : tensor<4x64xf32> -> tensor<4x1xf32>
    %2 = lpu.add %1, %eps : tensor<4x1xf32>
    %3 = lpu.sqrt %2 : tensor<4x1xf32>
    %4 = lpu.div %one, %3 : tensor<4x1xf32>
    %5 = lpu.broadcast %4 : tensor<4x1xf32> -> tensor<4x64xf32>
    %6 = lpu.mul %x, %5 : tensor<4x64xf32>
    %7 = lpu.broadcast %w : tensor<64xf32> -> tensor<4x64xf32>
    %8 = lpu.mul %7, %6 : tensor<4x64xf32>
    return %8 : tensor<4x64xf32>
  }
}
