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

// Adding a leading 1 (a matmul weight broadcast to a batch of 1) is a
// reshape; a reshape of a constant folds, so the weight stays a weight.
// CHECK-LABEL: func.func @broadcast_same_size
// CHECK-SAME: (%[[X:.*]]: tensor<3x4xf32>)
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<{{\[\[\[}}1.000000e+00, 2.000000e+00]]]> : tensor<1x1x2xf32>
// CHECK-NEXT: %[[R:.*]] = lpu.reshape %[[X]] : tensor<3x4xf32> -> tensor<1x3x4xf32>
// CHECK-NEXT: return %[[R]], %[[C]]
func.func @broadcast_same_size(%x: tensor<3x4xf32>) -> (tensor<1x3x4xf32>, tensor<1x1x2xf32>) {
  %0 = lpu.broadcast %x : tensor<3x4xf32> -> tensor<1x3x4xf32>
  %c = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %1 = lpu.broadcast %c : tensor<2xf32> -> tensor<1x1x2xf32>
  return %0, %1 : tensor<1x3x4xf32>, tensor<1x1x2xf32>
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

// -----

// Constant folding of the transformer ops: values computed by hand.
// CHECK-LABEL: func.func @fold_arith
// CHECK-DAG: arith.constant dense<[3, -3, 0]> : tensor<3xi64>
// CHECK-DAG: arith.constant dense<[2.500000e+00, 4.000000e+00]> : tensor<2xf32>
// CHECK-DAG: arith.constant dense<[9.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-DAG: arith.constant dense<[1.000000e+00, 0.000000e+00, 5.000000e-01, 2.000000e+00, 5.000000e-01]> : tensor<5xf32>
// CHECK-NOT: lpu.
func.func @fold_arith() -> (tensor<3xi64>, tensor<2xf32>, tensor<2xf32>, tensor<5xf32>) {
  %a = arith.constant dense<[7, -7, 1]> : tensor<3xi64>
  %b = arith.constant dense<[2, 2, 2]> : tensor<3xi64>
  // Integer division truncates toward zero.
  %0 = lpu.div %a, %b : tensor<3xi64>
  %f = arith.constant dense<[5.0, 8.0]> : tensor<2xf32>
  %g = arith.constant dense<[2.0, 2.0]> : tensor<2xf32>
  %1 = lpu.div %f, %g : tensor<2xf32>
  %p = arith.constant dense<[3.0, 4.0]> : tensor<2xf32>
  %q = arith.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %2 = lpu.pow %p, %q : tensor<2xf32>
  // exp(0), erf(0), sigmoid(0), sqrt(4), recip(2)
  %z = arith.constant dense<0.0> : tensor<1xf32>
  %four = arith.constant dense<4.0> : tensor<1xf32>
  %two = arith.constant dense<2.0> : tensor<1xf32>
  %e = lpu.exp %z : tensor<1xf32>
  %r = lpu.erf %z : tensor<1xf32>
  %s = lpu.sigmoid %z : tensor<1xf32>
  %t = lpu.sqrt %four : tensor<1xf32>
  %u = lpu.recip %two : tensor<1xf32>
  %3 = lpu.concat %e, %r, %s, %t, %u axis = 0 : tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32> -> tensor<5xf32>
  return %0, %1, %2, %3 : tensor<3xi64>, tensor<2xf32>, tensor<2xf32>, tensor<5xf32>
}

// -----

// Division by an integer zero is undefined: not folded.
// CHECK-LABEL: func.func @div_by_zero
// CHECK: lpu.div
func.func @div_by_zero() -> tensor<2xi64> {
  %a = arith.constant dense<[1, 2]> : tensor<2xi64>
  %b = arith.constant dense<[1, 0]> : tensor<2xi64>
  %0 = lpu.div %a, %b : tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @fold_logic
// CHECK-DAG: arith.constant dense<[false, true, false]> : tensor<3xi1>
// CHECK-DAG: arith.constant dense<[true, false, false]> : tensor<3xi1>
// CHECK-DAG: arith.constant dense<[1, 20, 3]> : tensor<3xi64>
// CHECK-NOT: lpu.
func.func @fold_logic() -> (tensor<3xi1>, tensor<3xi1>, tensor<3xi64>) {
  %a = arith.constant dense<[1, 5, 3]> : tensor<3xi64>
  %b = arith.constant dense<[1, 2, 3]> : tensor<3xi64>
  %eq = lpu.compare eq %a, %b : tensor<3xi64> -> tensor<3xi1>
  %ne = lpu.not %eq : tensor<3xi1>
  %fa = arith.constant dense<[1.0, 5.0, 0x7FC00000]> : tensor<3xf32>
  %fb = arith.constant dense<[2.0, 2.0, 1.0]> : tensor<3xf32>
  // 1 < 2, 5 < 2 is false, NaN < 1 is false
  %lt = lpu.compare lt %fa, %fb : tensor<3xf32> -> tensor<3xi1>
  %x = arith.constant dense<[10, 20, 30]> : tensor<3xi64>
  %sel = lpu.select %ne, %x, %b : tensor<3xi1>, tensor<3xi64>
  return %ne, %lt, %sel : tensor<3xi1>, tensor<3xi1>, tensor<3xi64>
}

// -----

// not(not(x)) = x; select with a splat condition or equal operands.
// CHECK-LABEL: func.func @logic_identities
// CHECK-SAME: (%[[M:.*]]: tensor<4xi1>, %[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK-NEXT: return %[[M]], %[[B]], %[[A]]
func.func @logic_identities(%m: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) {
  %0 = lpu.not %m : tensor<4xi1>
  %1 = lpu.not %0 : tensor<4xi1>
  %f = arith.constant dense<false> : tensor<4xi1>
  %2 = lpu.select %f, %a, %b : tensor<4xi1>, tensor<4xf32>
  %3 = lpu.select %m, %a, %a : tensor<4xi1>, tensor<4xf32>
  return %1, %2, %3 : tensor<4xi1>, tensor<4xf32>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @fold_reduce
// CHECK-DAG: arith.constant dense<{{\[}}[6.000000e+00], [1.500000e+01]]> : tensor<2x1xf32>
// CHECK-DAG: arith.constant dense<{{\[}}[2.500000e+00, 3.500000e+00, 4.500000e+00]]> : tensor<1x3xf32>
// CHECK-DAG: arith.constant dense<6> : tensor<1x1xi64>
// CHECK-NOT: lpu.
func.func @fold_reduce() -> (tensor<2x1xf32>, tensor<1x3xf32>, tensor<1x1xi64>) {
  %a = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = lpu.reduce sum %a [1] : tensor<2x3xf32> -> tensor<2x1xf32>
  %1 = lpu.reduce mean %a [0] : tensor<2x3xf32> -> tensor<1x3xf32>
  %i = arith.constant dense<[[1, 6, 3], [-4, 5, 2]]> : tensor<2x3xi64>
  %2 = lpu.reduce max %i [0, 1] : tensor<2x3xi64> -> tensor<1x1xi64>
  return %0, %1, %2 : tensor<2x1xf32>, tensor<1x3xf32>, tensor<1x1xi64>
}

// -----

// Data movement on constants: gather (negative index), slice (negative
// step), concat, trilu, integer broadcast.
// CHECK-LABEL: func.func @fold_movement
// CHECK-DAG: arith.constant dense<{{\[}}[5, 6], [1, 2]]> : tensor<2x2xi64>
// CHECK-DAG: arith.constant dense<[4, 3, 2, 1]> : tensor<4xi64>
// CHECK-DAG: arith.constant dense<[1, 2, 7, 8, 9]> : tensor<5xi64>
// CHECK-DAG: arith.constant dense<{{\[}}[1.000000e+00, 1.000000e+00, 1.000000e+00], [0.000000e+00, 1.000000e+00, 1.000000e+00], [0.000000e+00, 0.000000e+00, 1.000000e+00]]> : tensor<3x3xf32>
// CHECK-DAG: arith.constant dense<{{\[}}[true, false, false], [true, true, false], [true, true, true]]> : tensor<3x3xi1>
// CHECK-DAG: arith.constant dense<{{\[}}[7, 8], [7, 8], [7, 8]]> : tensor<3x2xi64>
// CHECK-NOT: lpu.
func.func @fold_movement() -> (tensor<2x2xi64>, tensor<4xi64>, tensor<5xi64>, tensor<3x3xf32>, tensor<3x3xi1>, tensor<3x2xi64>) {
  %t = arith.constant dense<[[1, 2], [3, 4], [5, 6]]> : tensor<3x2xi64>
  %i = arith.constant dense<[-1, 0]> : tensor<2xi64>
  %0 = lpu.gather %t[%i] axis = 0 : tensor<3x2xi64>, tensor<2xi64> -> tensor<2x2xi64>
  %v = arith.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %1 = lpu.slice %v starts [3] steps [-1] : tensor<4xi64> -> tensor<4xi64>
  %h = lpu.slice %v starts [0] steps [1] : tensor<4xi64> -> tensor<2xi64>
  %w = arith.constant dense<[7, 8, 9]> : tensor<3xi64>
  %2 = lpu.concat %h, %w axis = 0 : tensor<2xi64>, tensor<3xi64> -> tensor<5xi64>
  %ones = arith.constant dense<1.0> : tensor<3x3xf32>
  %3 = lpu.trilu upper %ones k = 0 : tensor<3x3xf32>
  %true = arith.constant dense<true> : tensor<3x3xi1>
  %4 = lpu.trilu %true k = 0 : tensor<3x3xi1>
  %s = lpu.slice %w starts [0] steps [1] : tensor<3xi64> -> tensor<2xi64>
  %5 = lpu.broadcast %s : tensor<2xi64> -> tensor<3x2xi64>
  return %0, %1, %2, %3, %4, %5 : tensor<2x2xi64>, tensor<4xi64>, tensor<5xi64>, tensor<3x3xf32>, tensor<3x3xi1>, tensor<3x2xi64>
}

// -----

// Casts: float -> int truncates toward zero, int -> bool is x != 0,
// bool -> float is 0 or 1, i64 -> i32 truncates.
// CHECK-LABEL: func.func @fold_cast
// CHECK-DAG: arith.constant dense<[2, -2, 0]> : tensor<3xi64>
// CHECK-DAG: arith.constant dense<[true, false, true]> : tensor<3xi1>
// CHECK-DAG: arith.constant dense<[1.000000e+00, 0.000000e+00, 1.000000e+00]> : tensor<3xf32>
// CHECK-DAG: arith.constant dense<[-1, 0, 1]> : tensor<3xi32>
// CHECK-NOT: lpu.
func.func @fold_cast() -> (tensor<3xi64>, tensor<3xi1>, tensor<3xf32>, tensor<3xi32>) {
  %f = arith.constant dense<[2.7, -2.7, 0.5]> : tensor<3xf32>
  %0 = lpu.cast %f : tensor<3xf32> to tensor<3xi64>
  %i = arith.constant dense<[5, 0, -1]> : tensor<3xi64>
  %1 = lpu.cast %i : tensor<3xi64> to tensor<3xi1>
  %2 = lpu.cast %1 : tensor<3xi1> to tensor<3xf32>
  %j = arith.constant dense<[4294967295, 4294967296, 1]> : tensor<3xi64>
  %3 = lpu.cast %j : tensor<3xi64> to tensor<3xi32>
  return %0, %1, %2, %3 : tensor<3xi64>, tensor<3xi1>, tensor<3xf32>, tensor<3xi32>
}

// -----

// A large float gather of a weight with runtime indices stays an op.
// CHECK-LABEL: func.func @gather_runtime
// CHECK: lpu.gather
func.func @gather_runtime(%w: tensor<8x4xf32>, %i: tensor<2xi64>) -> tensor<2x4xf32> {
  %0 = lpu.gather %w[%i] axis = 0 : tensor<8x4xf32>, tensor<2xi64> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
