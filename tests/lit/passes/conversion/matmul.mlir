// MatMul: 2-D, batched with numpy batch broadcasting, 1-D operands.
// RUN: lpuc-opt %s --onnx-to-lpu --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @mm2d
// CHECK-NEXT: %[[Y:.*]] = lpu.matmul %{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<4x5xf32> -> tensor<3x5xf32>
// CHECK-NEXT: return %[[Y]]
func.func @mm2d(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> tensor<3x5xf32> {
  %0 = onnx.node "MatMul"(%a, %b) {opset = 13 : i64} : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// [2,1,3,4] x [5,4,6]: batch [2,1] and [5] broadcast to [2,5].
// CHECK-LABEL: func.func @mm_batch
// CHECK-SAME: (%[[A:.*]]: tensor<2x1x3x4xf32>, %[[B:.*]]: tensor<5x4x6xf32>)
// CHECK-NEXT: %[[BA:.*]] = lpu.broadcast %[[A]] : tensor<2x1x3x4xf32> -> tensor<2x5x3x4xf32>
// CHECK-NEXT: %[[BB:.*]] = lpu.broadcast %[[B]] : tensor<5x4x6xf32> -> tensor<2x5x4x6xf32>
// CHECK-NEXT: %[[Y:.*]] = lpu.matmul %[[BA]], %[[BB]] : tensor<2x5x3x4xf32>, tensor<2x5x4x6xf32> -> tensor<2x5x3x6xf32>
// CHECK-NEXT: return %[[Y]]
func.func @mm_batch(%a: tensor<2x1x3x4xf32>, %b: tensor<5x4x6xf32>) -> tensor<2x5x3x6xf32> {
  %0 = onnx.node "MatMul"(%a, %b) {opset = 13 : i64} : (tensor<2x1x3x4xf32>, tensor<5x4x6xf32>) -> tensor<2x5x3x6xf32>
  return %0 : tensor<2x5x3x6xf32>
}

// -----

// Batched lhs, 2-D rhs (a linear layer over a sequence).
// CHECK-LABEL: func.func @mm_batch_lhs
// CHECK-NEXT: %[[BB:.*]] = lpu.broadcast %{{.*}} : tensor<4x6xf16> -> tensor<8x4x6xf16>
// CHECK-NEXT: lpu.matmul %{{.*}}, %[[BB]] : tensor<8x3x4xf16>, tensor<8x4x6xf16> -> tensor<8x3x6xf16>
func.func @mm_batch_lhs(%a: tensor<8x3x4xf16>, %b: tensor<4x6xf16>) -> tensor<8x3x6xf16> {
  %0 = onnx.node "MatMul"(%a, %b) {opset = 9 : i64} : (tensor<8x3x4xf16>, tensor<4x6xf16>) -> tensor<8x3x6xf16>
  return %0 : tensor<8x3x6xf16>
}

// -----

// 1-D lhs: [4] is [1,4]; the unit dimension is removed from the result.
// CHECK-LABEL: func.func @mm_vec_lhs
// CHECK-NEXT: %[[R:.*]] = lpu.reshape %{{.*}} : tensor<4xf32> -> tensor<1x4xf32>
// CHECK-NEXT: %[[Y:.*]] = lpu.matmul %[[R]], %{{.*}} : tensor<1x4xf32>, tensor<4x5xf32> -> tensor<1x5xf32>
// CHECK-NEXT: %[[O:.*]] = lpu.reshape %[[Y]] : tensor<1x5xf32> -> tensor<5xf32>
// CHECK-NEXT: return %[[O]]
func.func @mm_vec_lhs(%a: tensor<4xf32>, %b: tensor<4x5xf32>) -> tensor<5xf32> {
  %0 = onnx.node "MatMul"(%a, %b) {opset = 13 : i64} : (tensor<4xf32>, tensor<4x5xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

// 1-D rhs with a batched lhs: [2,3,4] x [4] is [2,3].
// CHECK-LABEL: func.func @mm_vec_rhs
// CHECK-NEXT: %[[R:.*]] = lpu.reshape %{{.*}} : tensor<4xf32> -> tensor<4x1xf32>
// CHECK-NEXT: %[[BR:.*]] = lpu.broadcast %[[R]] : tensor<4x1xf32> -> tensor<2x4x1xf32>
// CHECK-NEXT: %[[Y:.*]] = lpu.matmul %{{.*}}, %[[BR]] : tensor<2x3x4xf32>, tensor<2x4x1xf32> -> tensor<2x3x1xf32>
// CHECK-NEXT: %[[O:.*]] = lpu.reshape %[[Y]] : tensor<2x3x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT: return %[[O]]
func.func @mm_vec_rhs(%a: tensor<2x3x4xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  %0 = onnx.node "MatMul"(%a, %b) {opset = 13 : i64} : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// 1-D x 1-D is a dot product of rank 0.
// CHECK-LABEL: func.func @mm_dot
// CHECK: lpu.matmul %{{.*}}, %{{.*}} : tensor<1x4xf32>, tensor<4x1xf32> -> tensor<1x1xf32>
// CHECK-NEXT: %[[O:.*]] = lpu.reshape %{{.*}} : tensor<1x1xf32> -> tensor<f32>
// CHECK-NEXT: return %[[O]] : tensor<f32>
func.func @mm_dot(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<f32> {
  %0 = onnx.node "MatMul"(%a, %b) {opset = 13 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}
