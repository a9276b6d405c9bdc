// RUN: lpuc-opt %s --lpu-fuse | FileCheck %s
// RUN: lpuc-opt %s --lpu-fuse --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// BERT's decomposed LayerNorm (ONNX before opset 17; lpu.layer_norm, made
// from LayerNormalization, is lowered as one op already): x - mean is used
// twice (variance and output), so it is its own fused op reading the mean
// through a lane spread; the tail / sqrt(var + eps) * w + b is another.
// CHECK-LABEL: func.func @main
// CHECK: %[[M:.*]] = lpu.reduce mean %arg0
// CHECK: %[[D:.*]] = lpu.fused "layernorm_center"(%arg0, %[[M]])
// CHECK: lpu.pow %[[D]]
// CHECK: %[[V:.*]] = lpu.reduce mean
// CHECK: lpu.fused "layernorm_scale"(%[[V]], %[[D]], %arg1, %arg2)
// CHECK: lpu.sqrt {{.*}} : tensor<4x1xf32>
// CHECK: lpu.div {{.*}} : tensor<4x64xf32>
// CHECK: lpu.yield
// CHECK-NEXT: }
// CHECK-NOT: lpu.
// CHECK: return
// SCHED: lpuhw.cycles = {{[0-9]+}}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<4x64xf32> {onnx.name = "x"}, %w: tensor<64xf32> {onnx.name = "w"}, %b: tensor<64xf32> {onnx.name = "b"}) -> (tensor<4x64xf32> {onnx.name = "y"}) {
    %two = arith.constant dense<2.0> : tensor<4x64xf32>
    %eps = arith.constant dense<1.0e-12> : tensor<4x1xf32>
    %0 = lpu.reduce mean %x [1] : tensor<4x64xf32> -> tensor<4x1xf32>
    %1 = lpu.broadcast %0 : tensor<4x1xf32> -> tensor<4x64xf32>
    %2 = lpu.sub %x, %1 : tensor<4x64xf32>
    %3 = lpu.pow %2, %two : tensor<4x64xf32>
    %4 = lpu.reduce mean %3 [1] : tensor<4x64xf32> -> tensor<4x1xf32>
    %5 = lpu.add %4, %eps : tensor<4x1xf32>
    %6 = lpu.sqrt %5 : tensor<4x1xf32>
    %7 = lpu.broadcast %6 : tensor<4x1xf32> -> tensor<4x64xf32>
    %8 = lpu.div %2, %7 : tensor<4x64xf32>
    %9 = lpu.broadcast %w : tensor<64xf32> -> tensor<4x64xf32>
    %10 = lpu.mul %8, %9 : tensor<4x64xf32>
    %11 = lpu.broadcast %b : tensor<64xf32> -> tensor<4x64xf32>
    %12 = lpu.add %10, %11 : tensor<4x64xf32>
    return %12 : tensor<4x64xf32>
  }
}
