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

// -----

func.func @reduce_keeps_dims(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{result shape [2] differs from expected [2, 1] (reduced dimensions are kept as 1)}}
  %0 = lpu.reduce sum %a [1] : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @reduce_axes_order(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axes [1, 0] are not strictly increasing}}
  %0 = lpu.reduce max %a [1, 0] : tensor<2x3xf32> -> tensor<1x1xf32>
  return
}

// -----

func.func @reduce_axis_range(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is outside [0, 2)}}
  %0 = lpu.reduce mean %a [2] : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @softmax_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axis -1 is outside [0, 2)}}
  %0 = lpu.softmax %a axis = -1 : tensor<2x3xf32>
  return
}

// -----

func.func @softmax_int(%a: tensor<2x3xi32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of floating-point values}}
  %0 = lpu.softmax %a axis = 1 : tensor<2x3xi32>
  return
}

// -----

func.func @layer_norm_scale(%a: tensor<2x8xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{scale has shape [4], expected the normalized shape [8]}}
  %0 = lpu.layer_norm %a scale %g axis = 1 epsilon = 1.0e-05 : tensor<2x8xf32>, tensor<4xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @gather_shape(%w: tensor<32x16xf32>, %i: tensor<4xi64>) {
  // expected-error @+1 {{result shape [4, 32] differs from expected [4, 16]}}
  %0 = lpu.gather %w[%i] axis = 0 : tensor<32x16xf32>, tensor<4xi64> -> tensor<4x32xf32>
  return
}

// -----

func.func @gather_constant_index(%w: tensor<32x16xf32>) {
  %i = arith.constant dense<[0, 32]> : tensor<2xi64>
  // expected-error @+1 {{index 32 is outside [-32, 32)}}
  %0 = lpu.gather %w[%i] axis = 0 : tensor<32x16xf32>, tensor<2xi64> -> tensor<2x16xf32>
  return
}

// -----

func.func @gather_float_indices(%w: tensor<32x16xf32>, %i: tensor<4xf32>) {
  // expected-error @+1 {{operand #1 must be statically shaped tensor of signless integer values}}
  %0 = lpu.gather %w[%i] axis = 0 : tensor<32x16xf32>, tensor<4xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @slice_range(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{dimension #1 reads indices 4 to 10, outside [0, 8)}}
  %0 = lpu.slice %a starts [0, 4] steps [1, 2] : tensor<4x8xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @slice_step(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{step of dimension #0 is 0}}
  %0 = lpu.slice %a starts [0, 0] steps [0, 1] : tensor<4x8xf32> -> tensor<1x8xf32>
  return
}

// -----

func.func @concat_sizes(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{operand #1 has shape [2, 4], which differs from the result [4, 3] outside dimension #0}}
  %0 = lpu.concat %a, %b axis = 0 : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_total(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) {
  // expected-error @+1 {{result dimension #1 has size 7, but the operands add up to 6}}
  %0 = lpu.concat %a, %b axis = 1 : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x7xf32>
  return
}

// -----

func.func @trilu_rank(%a: tensor<8xf32>) {
  // expected-error @+1 {{input must have rank >= 2, got 1}}
  %0 = lpu.trilu %a k = 0 : tensor<8xf32>
  return
}

// -----

func.func @select_types(%c: tensor<2xi1>, %a: tensor<2xf32>, %b: tensor<2xf16>) {
  // expected-error @+1 {{all of {on_true, on_false, result} have same type}}
  %0 = "lpu.select"(%c, %a, %b) : (tensor<2xi1>, tensor<2xf32>, tensor<2xf16>) -> tensor<2xf32>
  return
}

// -----

func.func @not_float(%a: tensor<2xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 1-bit signless integer values}}
  %0 = lpu.not %a : tensor<2xf32>
  return
}
