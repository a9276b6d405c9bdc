// Gemm: Y = alpha * op(A) @ op(B) + beta * C, in every form.
// RUN: lpuc-opt %s --onnx-to-lpu --split-input-file | FileCheck %s

// All attributes (as test_gemm_all_attributes): both transposes, alpha and
// beta scale, C of shape [1, N] broadcast. C is scaled before broadcasting.
// CHECK-LABEL: func.func @all_attributes
// CHECK-SAME: (%[[A:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<5x4xf32>, %[[C:.*]]: tensor<1x5xf32>)
// CHECK-NEXT: %[[TA:.*]] = lpu.transpose %[[A]] [1, 0] : tensor<4x3xf32> -> tensor<3x4xf32>
// CHECK-NEXT: %[[TB:.*]] = lpu.transpose %[[B]] [1, 0] : tensor<5x4xf32> -> tensor<4x5xf32>
// CHECK-NEXT: %[[MM:.*]] = lpu.matmul %[[TA]], %[[TB]] : tensor<3x4xf32>, tensor<4x5xf32> -> tensor<3x5xf32>
// CHECK-NEXT: %[[AL:.*]] = arith.constant dense<2.500000e-01> : tensor<3x5xf32>
// CHECK-NEXT: %[[S:.*]] = lpu.mul %[[MM]], %[[AL]] : tensor<3x5xf32>
// CHECK-NEXT: %[[BE:.*]] = arith.constant dense<3.500000e-01> : tensor<1x5xf32>
// CHECK-NEXT: %[[SC:.*]] = lpu.mul %[[C]], %[[BE]] : tensor<1x5xf32>
// CHECK-NEXT: %[[BC:.*]] = lpu.broadcast %[[SC]] : tensor<1x5xf32> -> tensor<3x5xf32>
// CHECK-NEXT: %[[Y:.*]] = lpu.add %[[S]], %[[BC]] : tensor<3x5xf32>
// CHECK-NEXT: return %[[Y]]
func.func @all_attributes(%a: tensor<4x3xf32>, %b: tensor<5x4xf32>, %c: tensor<1x5xf32>) -> tensor<3x5xf32> {
  %0 = onnx.node "Gemm"(%a, %b, %c) {attrs = {alpha = 2.500000e-01 : f32, beta = 3.500000e-01 : f32, transA = 1 : i64, transB = 1 : i64}, opset = 13 : i64} : (tensor<4x3xf32>, tensor<5x4xf32>, tensor<1x5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// No C (optional from opset 11), alpha = beta = 1: a bare matmul.
// CHECK-LABEL: func.func @no_c
// CHECK-NEXT: %[[Y:.*]] = lpu.matmul %{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<4x5xf32> -> tensor<3x5xf32>
// CHECK-NEXT: return %[[Y]]
func.func @no_c(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> tensor<3x5xf32> {
  %0 = onnx.node "Gemm"(%a, %b) {opset = 11 : i64} : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// C given as onnx.none; transB only (a linear layer).
// CHECK-LABEL: func.func @none_c
// CHECK-NEXT: %[[TB:.*]] = lpu.transpose %{{.*}} [1, 0] : tensor<5x4xf32> -> tensor<4x5xf32>
// CHECK-NEXT: %[[Y:.*]] = lpu.matmul %{{.*}}, %[[TB]] : tensor<3x4xf32>, tensor<4x5xf32> -> tensor<3x5xf32>
// CHECK-NEXT: return %[[Y]]
func.func @none_c(%a: tensor<3x4xf32>, %b: tensor<5x4xf32>) -> tensor<3x5xf32> {
  %none = onnx.none
  %0 = onnx.node "Gemm"(%a, %b, %none) {attrs = {transB = 1 : i64}, opset = 13 : i64} : (tensor<3x4xf32>, tensor<5x4xf32>, none) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// Scalar C of shape (): broadcast, no scaling.
// CHECK-LABEL: func.func @scalar_c
// CHECK-NEXT: %[[MM:.*]] = lpu.matmul
// CHECK-NEXT: %[[BC:.*]] = lpu.broadcast %{{.*}} : tensor<f32> -> tensor<3x5xf32>
// CHECK-NEXT: %[[Y:.*]] = lpu.add %[[MM]], %[[BC]] : tensor<3x5xf32>
// CHECK-NEXT: return %[[Y]]
func.func @scalar_c(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>, %c: tensor<f32>) -> tensor<3x5xf32> {
  %0 = onnx.node "Gemm"(%a, %b, %c) {opset = 13 : i64} : (tensor<3x4xf32>, tensor<4x5xf32>, tensor<f32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// C of shape (1,) and beta = 2; opset 7 (C required).
// CHECK-LABEL: func.func @c_one
// CHECK-NEXT: %[[MM:.*]] = lpu.matmul
// CHECK-NEXT: %[[BE:.*]] = arith.constant dense<2.000000e+00> : tensor<1xf32>
// CHECK-NEXT: %[[SC:.*]] = lpu.mul %{{.*}}, %[[BE]] : tensor<1xf32>
// CHECK-NEXT: %[[BC:.*]] = lpu.broadcast %[[SC]] : tensor<1xf32> -> tensor<3x5xf32>
// CHECK-NEXT: %[[Y:.*]] = lpu.add %[[MM]], %[[BC]] : tensor<3x5xf32>
func.func @c_one(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>, %c: tensor<1xf32>) -> tensor<3x5xf32> {
  %0 = onnx.node "Gemm"(%a, %b, %c) {attrs = {beta = 2.0 : f32}, opset = 7 : i64} : (tensor<3x4xf32>, tensor<4x5xf32>, tensor<1xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// C of the full shape [M, N] (bias in a weight initializer): no broadcast.
// CHECK-LABEL: func.func @full_c
// CHECK: %[[C:.*]] = arith.constant dense<1.000000e+00> : tensor<3x5xf32>
// CHECK: %[[MM:.*]] = lpu.matmul
// CHECK-NEXT: %[[Y:.*]] = lpu.add %[[MM]], %[[C]] : tensor<3x5xf32>
// CHECK-NEXT: return %[[Y]]
func.func @full_c(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> tensor<3x5xf32> {
  %c = onnx.constant "bias" dense<1.0> : tensor<3x5xf32>
  %0 = onnx.node "Gemm"(%a, %b, %c) {opset = 13 : i64} : (tensor<3x4xf32>, tensor<4x5xf32>, tensor<3x5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// C of shape [M, 1] broadcasts along N.
// CHECK-LABEL: func.func @column_c
// CHECK: lpu.broadcast %{{.*}} : tensor<3x1xf32> -> tensor<3x5xf32>
func.func @column_c(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>, %c: tensor<3x1xf32>) -> tensor<3x5xf32> {
  %0 = onnx.node "Gemm"(%a, %b, %c) {opset = 13 : i64} : (tensor<3x4xf32>, tensor<4x5xf32>, tensor<3x1xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}
