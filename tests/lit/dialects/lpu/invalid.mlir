// Every verifier, with its message.
// RUN: lpuc-opt %s --split-input-file --verify-diagnostics

func.func @matmul_k(%a: tensor<4x8xf32>, %b: tensor<7x2xf32>) {
  // expected-error @+1 {{contracting dimensions differ: 8 vs 7}}
  %0 = lpu.matmul %a, %b : tensor<4x8xf32>, tensor<7x2xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x4x8xf32>, %b: tensor<3x8x2xf32>) {
  // expected-error @+1 {{batch dimensions differ: [2] vs [3]}}
  %0 = lpu.matmul %a, %b : tensor<2x4x8xf32>, tensor<3x8x2xf32> -> tensor<2x4x2xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<2x4x8xf32>, %b: tensor<8x2xf32>) {
  // expected-error @+1 {{operands must have the same rank, got 3 and 2}}
  %0 = lpu.matmul %a, %b : tensor<2x4x8xf32>, tensor<8x2xf32> -> tensor<2x4x2xf32>
  return
}

// -----

func.func @matmul_rank1(%a: tensor<8xf32>, %b: tensor<8x2xf32>) {
  // expected-error @+1 {{operands must have rank >= 2, got 1 and 2}}
  %0 = lpu.matmul %a, %b : tensor<8xf32>, tensor<8x2xf32> -> tensor<2xf32>
  return
}

// -----

func.func @matmul_result(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>) {
  // expected-error @+1 {{result shape [4, 3] differs from expected [4, 2]}}
  %0 = lpu.matmul %a, %b : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @matmul_types(%a: tensor<4x8xf32>, %b: tensor<8x2xf16>) {
  // expected-error @+1 {{requires the same element type for all operands and results}}
  %0 = lpu.matmul %a, %b : tensor<4x8xf32>, tensor<8x2xf16> -> tensor<4x2xf32>
  return
}

// -----

func.func @dynamic(%a: tensor<?x8xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor}}
  %0 = lpu.relu %a : tensor<?x8xf32>
  return
}

// -----

func.func @add_types(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{all non-scalar operands/results must have the same shape and base type}}
  %0 = "lpu.add"(%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @mul_types(%a: tensor<2x3xf32>, %b: tensor<2x3xf16>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "lpu.mul"(%a, %b) : (tensor<2x3xf32>, tensor<2x3xf16>) -> tensor<2x3xf32>
  return
}

// -----

func.func @broadcast_dim(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{input dimension #0 (size 2) is not broadcastable to result dimension #1 (size 4)}}
  %0 = lpu.broadcast %a : tensor<2x3xf32> -> tensor<5x4x3xf32>
  return
}

// -----

func.func @broadcast_rank(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{input rank 2 exceeds result rank 1}}
  %0 = lpu.broadcast %a : tensor<2x3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @transpose_perm(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{permutation [0, 0] is not a permutation of [0, 2)}}
  %0 = lpu.transpose %a [0, 0] : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @transpose_size(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{permutation has 3 entries for an input of rank 2}}
  %0 = lpu.transpose %a [0, 1, 2] : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @transpose_result(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{result dimension #0 has size 2, expected 3 (input dimension #1)}}
  %0 = lpu.transpose %a [1, 0] : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @reshape_count(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{element count changes from 6 [2, 3] to 8 [2, 4]}}
  %0 = lpu.reshape %a : tensor<2x3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @cast_unsigned(%a: tensor<2x3xui8>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of floating-point or signless integer values}}
  %0 = lpu.cast %a : tensor<2x3xui8> to tensor<2x3xf32>
  return
}

// -----

func.func @cast_shape(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = lpu.cast %a : tensor<2x3xf32> to tensor<3x2xf16>
  return
}
