// Folders of the lpu ops, through the canonicalizer.
// RUN: lpuc-opt %s --canonicalize --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @broadcast_identity
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @broadcast_identity(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = lpu.broadcast %x : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @broadcast_splat
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<2.500000e+00> : tensor<4x3xf32>
// CHECK-NEXT: return %[[C]]
func.func @broadcast_splat() -> tensor<4x3xf32> {
  %c = arith.constant dense<2.5> : tensor<f32>
  %0 = lpu.broadcast %c : tensor<f32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// A non-splat constant is not expanded.
// CHECK-LABEL: func.func @broadcast_dense
// CHECK: lpu.broadcast
func.func @broadcast_dense() -> tensor<4x2xf32> {
  %c = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = lpu.broadcast %c : tensor<2xf32> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_chain
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[R:.*]] = lpu.reshape %[[X]] : tensor<2x3x4xf32> -> tensor<24xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_chain(%x: tensor<2x3x4xf32>) -> tensor<24xf32> {
  %0 = lpu.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = lpu.reshape %0 : tensor<6x4xf32> -> tensor<24xf32>
  return %1 : tensor<24xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_roundtrip
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @reshape_roundtrip(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = lpu.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  %1 = lpu.reshape %0 : tensor<6xf32> -> tensor<2x3xf32>
  %2 = lpu.reshape %1 : tensor<2x3xf32> -> tensor<2x3xf32>
  return %2 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_const
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<{{\[}}[1, 2], [3, 4]]> : tensor<2x2xi32>
// CHECK-NEXT: return %[[C]]
func.func @reshape_const() -> tensor<2x2xi32> {
  %c = arith.constant dense<[1, 2, 3, 4]> : tensor<4xi32>
  %0 = lpu.reshape %c : tensor<4xi32> -> tensor<2x2xi32>
  return %0 : tensor<2x2xi32>
}

// -----

// A reshaped resource shares its blob.
// CHECK-LABEL: func.func @reshape_resource
// CHECK-NEXT: %[[C:.*]] = arith.constant dense_resource<w> : tensor<2x2xf32>
// CHECK-NEXT: return %[[C]]
func.func @reshape_resource() -> tensor<2x2xf32> {
  %c = arith.constant dense_resource<w> : tensor<4xf32>
  %0 = lpu.reshape %c : tensor<4xf32> -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[T:.*]] = lpu.transpose %[[X]] [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
// CHECK-NEXT: return %[[X]], %[[T]]
func.func @transpose(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<3x4x2xf32>) {
  %0 = lpu.transpose %x [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %1 = lpu.transpose %0 [1, 0, 2] : tensor<3x2x4xf32> -> tensor<2x3x4xf32>
  %2 = lpu.transpose %x [0, 1, 2] : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  // [1, 0, 2] then [0, 2, 1]: result dim d is input dim p[q[d]] = [1, 2, 0].
  %3 = lpu.transpose %2 [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %4 = lpu.transpose %3 [0, 2, 1] : tensor<3x2x4xf32> -> tensor<3x4x2xf32>
  return %1, %4 : tensor<2x3x4xf32>, tensor<3x4x2xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_splat
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<1.000000e+00> : tensor<3x2xf16>
// CHECK-NEXT: return %[[C]]
func.func @transpose_splat() -> tensor<3x2xf16> {
  %c = arith.constant dense<1.0> : tensor<2x3xf16>
  %0 = lpu.transpose %c [1, 0] : tensor<2x3xf16> -> tensor<3x2xf16>
  return %0 : tensor<3x2xf16>
}

// -----

// Elementwise constant folding, float and integer.
// CHECK-LABEL: func.func @elementwise
// CHECK-DAG: %[[A:.*]] = arith.constant dense<[4.000000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<[-2.000000e+00, 3.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[M:.*]] = arith.constant dense<[3.000000e+00, -2.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[R:.*]] = arith.constant dense<[0.000000e+00, 3.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[I:.*]] = arith.constant dense<[0, 7]> : tensor<2xi32>
// CHECK: return %[[A]], %[[S]], %[[M]], %[[R]], %[[I]]
func.func @elementwise() -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xi32>) {
  %a = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = arith.constant dense<[3.0, -1.0]> : tensor<2xf32>
  %0 = lpu.add %a, %b : tensor<2xf32>
  %1 = lpu.sub %a, %b : tensor<2xf32>
  %2 = lpu.mul %a, %b : tensor<2xf32>
  %3 = lpu.relu %1 : tensor<2xf32>
  %i = arith.constant dense<[-5, 7]> : tensor<2xi32>
  %4 = lpu.relu %i : tensor<2xi32>
  return %0, %1, %2, %3, %4 : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xi32>
}

// -----

// x * 1 is x.
// CHECK-LABEL: func.func @mul_one
// CHECK-SAME: (%[[X:.*]]: tensor<2x2xf32>)
// CHECK-NEXT: return %[[X]]
func.func @mul_one(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %one = arith.constant dense<1.0> : tensor<2x2xf32>
  %0 = lpu.mul %one, %x : tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// Casts: identity, and constants rounded to nearest even. In f16, 1 + 2^-11
// is a tie between 1 and 1 + 2^-10 and rounds to the even 1; 1 + 3 * 2^-11 is
// a tie between 1 + 2^-10 and 1 + 2^-9 and rounds to the even 1 + 2^-9.
// CHECK-LABEL: func.func @cast
// CHECK-SAME: (%[[X:.*]]: tensor<2xf32>)
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<[1.000000e+00, 1.001950e+00]> : tensor<2xf16>
// CHECK-NEXT: return %[[X]], %[[C]]
func.func @cast(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf16>) {
  %0 = lpu.cast %x : tensor<2xf32> to tensor<2xf32>
  %c = arith.constant dense<[1.00048828125, 1.00146484375]> : tensor<2xf32>
  %1 = lpu.cast %c : tensor<2xf32> to tensor<2xf16>
  return %0, %1 : tensor<2xf32>, tensor<2xf16>
}

// -----

// A constant weight consumed transposed (Gemm transB) is transposed once, at
// compile time, into a new resource.
// CHECK-LABEL: func.func @transpose_constant
// CHECK-NOT: lpu.transpose
// CHECK: %[[C:.*]] = arith.constant dense_resource<w_T> : tensor<3x2xf32>
// CHECK: return %[[C]]
// CHECK: w_T: "0x040000000000803F00008040000000400000A040000040400000C040"
func.func @transpose_constant() -> tensor<3x2xf32> {
  %w = arith.constant dense_resource<w> : tensor<2x3xf32>
  %t = lpu.transpose %w [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  return %t : tensor<3x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F0000004000004040000080400000A0400000C040"
    }
  }
#-}
