// LayerNormalization's Mean and InvStdDev outputs (used): lpu.reduce mean
// over [axis, rank) and rsqrt(mean((x - mean)^2) + epsilon), next to the
// lpu.layer_norm. Einsum labels summed within one operand ('ij->i',
// 'ij,jk->k') become lpu.reduce sum first. Pow with an integer base and a
// float exponent (opset 15): the exponent is cast (truncated) to i64.
// RUN: lpuc-opt %s --onnx-to-lpu --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @layernorm_stats
// CHECK-NEXT: %0 = lpu.layer_norm %arg0 scale %arg1 axis = 1 epsilon = 5.000000e-01 : tensor<2x3x4xf32>, tensor<3x4xf32> -> tensor<2x3x4xf32>
// CHECK-NEXT: %1 = lpu.reduce mean %arg0 [1, 2] : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
// CHECK-NEXT: %2 = lpu.broadcast %1 : tensor<2x1x1xf32> -> tensor<2x3x4xf32>
// CHECK-NEXT: %3 = lpu.sub %arg0, %2 : tensor<2x3x4xf32>
// CHECK-NEXT: %4 = lpu.mul %3, %3 : tensor<2x3x4xf32>
// CHECK-NEXT: %5 = lpu.reduce mean %4 [1, 2] : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
// CHECK-NEXT: %cst = arith.constant dense<5.000000e-01> : tensor<2x1x1xf32>
// CHECK-NEXT: %6 = lpu.add %5, %cst : tensor<2x1x1xf32>
// CHECK-NEXT: %7 = lpu.rsqrt %6 : tensor<2x1x1xf32>
// CHECK-NEXT: return %0, %1, %7 : tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>
func.func @layernorm_stats(%x: tensor<2x3x4xf32>, %g: tensor<3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) {
  %0:3 = onnx.node "LayerNormalization"(%x, %g) {attrs = {axis = 1 : i64, epsilon = 0.5 : f32}, opset = 17 : i64} : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
  return %0#0, %0#1, %0#2 : tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>
}

// -----

// CHECK-LABEL: func.func @einsum_sums
// CHECK-NEXT: %0 = lpu.reduce sum %arg0 [1] : tensor<2x3xf32> -> tensor<2x1xf32>
// CHECK-NEXT: %1 = lpu.reshape %0 : tensor<2x1xf32> -> tensor<2xf32>
// CHECK-NEXT: %2 = lpu.reduce sum %arg0 [0] : tensor<2x3xf32> -> tensor<1x3xf32>
// CHECK-NEXT: %3 = lpu.reshape %2 : tensor<1x3xf32> -> tensor<3xf32>
// CHECK-NEXT: %4 = lpu.reshape %2 : tensor<1x3xf32> -> tensor<1x1x3xf32>
// CHECK-NEXT: %5 = lpu.reshape %arg1 : tensor<3x5xf32> -> tensor<1x3x5xf32>
// CHECK-NEXT: %6 = lpu.matmul %4, %5 : tensor<1x1x3xf32>, tensor<1x3x5xf32> -> tensor<1x1x5xf32>
// CHECK-NEXT: %7 = lpu.reshape %6 : tensor<1x1x5xf32> -> tensor<5xf32>
// CHECK-NEXT: return %1, %7 : tensor<2xf32>, tensor<5xf32>
func.func @einsum_sums(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) -> (tensor<2xf32>, tensor<5xf32>) {
  %0 = onnx.node "Einsum"(%a) {attrs = {equation = "ij->i"}, opset = 12 : i64} : (tensor<2x3xf32>) -> tensor<2xf32>
  %1 = onnx.node "Einsum"(%a, %b) {attrs = {equation = "ij,jk->k"}, opset = 12 : i64} : (tensor<2x3xf32>, tensor<3x5xf32>) -> tensor<5xf32>
  return %0, %1 : tensor<2xf32>, tensor<5xf32>
}

// -----

// CHECK-LABEL: func.func @pow_int
// CHECK-NEXT: %0 = lpu.cast %arg1 : tensor<3xf32> to tensor<3xi64>
// CHECK-NEXT: %1 = lpu.pow %arg0, %0 : tensor<3xi64>
// CHECK-NEXT: return %1 : tensor<3xi64>
func.func @pow_int(%x: tensor<3xi64>, %e: tensor<3xf32>) -> tensor<3xi64> {
  %0 = onnx.node "Pow"(%x, %e) {opset = 15 : i64} : (tensor<3xi64>, tensor<3xf32>) -> tensor<3xi64>
  return %0 : tensor<3xi64>
}
