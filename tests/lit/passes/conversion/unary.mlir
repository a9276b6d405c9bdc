// Elementwise ops: one lpu op each; Div and Pow broadcast like Add; Pow
// with an integer exponent (opset 12+) casts the exponent to the base type.
// RUN: lpuc-opt %s --onnx-to-lpu --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @unary
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: %[[A:.*]] = lpu.exp %[[X]] : tensor<2x3xf32>
// CHECK-NEXT: %[[B:.*]] = lpu.erf %[[A]] : tensor<2x3xf32>
// CHECK-NEXT: %[[C:.*]] = lpu.tanh %[[B]] : tensor<2x3xf32>
// CHECK-NEXT: %[[D:.*]] = lpu.sigmoid %[[C]] : tensor<2x3xf32>
// CHECK-NEXT: %[[E:.*]] = lpu.sqrt %[[D]] : tensor<2x3xf32>
// CHECK-NEXT: %[[F:.*]] = lpu.recip %[[E]] : tensor<2x3xf32>
// CHECK-NEXT: %[[G:.*]] = lpu.neg %[[F]] : tensor<2x3xf32>
// CHECK-NEXT: %[[H:.*]] = lpu.cos %[[G]] : tensor<2x3xf32>
// CHECK-NEXT: %[[I:.*]] = lpu.sin %[[H]] : tensor<2x3xf32>
// CHECK-NEXT: %[[J:.*]] = lpu.relu %[[I]] : tensor<2x3xf32>
// CHECK-NEXT: return %[[J]]
func.func @unary(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = onnx.node "Exp"(%x) {opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = onnx.node "Erf"(%0) {opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = onnx.node "Tanh"(%1) {opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = onnx.node "Sigmoid"(%2) {opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = onnx.node "Sqrt"(%3) {opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %5 = onnx.node "Reciprocal"(%4) {opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %6 = onnx.node "Neg"(%5) {opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %7 = onnx.node "Cos"(%6) {opset = 7 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %8 = onnx.node "Sin"(%7) {opset = 17 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %9 = onnx.node "Relu"(%8) {opset = 14 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %9 : tensor<2x3xf32>
}

// -----

// Neg also takes integers.
// CHECK-LABEL: func.func @neg_int
// CHECK-NEXT: lpu.neg %{{.*}} : tensor<4xi64>
func.func @neg_int(%x: tensor<4xi64>) -> tensor<4xi64> {
  %0 = onnx.node "Neg"(%x) {opset = 13 : i64} : (tensor<4xi64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

// Div broadcasts its scalar divisor (GPT-2's attention scaling).
// CHECK-LABEL: func.func @div_scalar
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>)
// The broadcast of the splat folds during conversion.
// CHECK-NEXT: %[[B:.*]] = arith.constant dense<8.000000e+00> : tensor<1x2x4x4xf32>
// CHECK-NEXT: %[[D:.*]] = lpu.div %[[X]], %[[B]] : tensor<1x2x4x4xf32>
// CHECK-NEXT: return %[[D]]
func.func @div_scalar(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %s = onnx.constant "scale" dense<8.0> : tensor<f32>
  %0 = onnx.node "Div"(%x, %s) {opset = 14 : i64} : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----

// Pow 15 with an i64 exponent 2 (RMSNorm's x^2): the exponent is cast at
// compile time (the cast folds) and broadcast.
// CHECK-LABEL: func.func @pow_int_exponent
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>)
// CHECK-NEXT: %[[B:.*]] = arith.constant dense<2.000000e+00> : tensor<2x8xf32>
// CHECK-NEXT: %[[P:.*]] = lpu.pow %[[X]], %[[B]] : tensor<2x8xf32>
// CHECK-NEXT: return %[[P]]
func.func @pow_int_exponent(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %e = onnx.constant "e" dense<2> : tensor<i64>
  %0 = onnx.node "Pow"(%x, %e) {opset = 15 : i64} : (tensor<2x8xf32>, tensor<i64>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}
