// RUN: lpuc-opt %s --canonicalize --split-input-file | FileCheck %s

// `lpuc plan` compiles weights whose data is absent (dense_resource without
// a blob). Folds that only copy elements (slice, transpose, concat of
// constants) give a constant without data of the result's shape, so that
// lpu-partition's slices of such a table fold as they would with data.
// CHECK-LABEL: func.func @slice_of_weight_without_data
// CHECK-NEXT: %[[C:.*]] = arith.constant dense_resource<folded{{.*}}> : tensor<2x8xf32>
// CHECK-NEXT: return %[[C]]
func.func @slice_of_weight_without_data() -> tensor<2x8xf32> {
  %w = arith.constant dense_resource<w> : tensor<4x8xf32>
  %s = lpu.slice %w starts [2, 0] steps [1, 1] : tensor<4x8xf32> -> tensor<2x8xf32>
  return %s : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_of_weight_without_data
// CHECK-NEXT: %[[C:.*]] = arith.constant dense_resource<folded{{.*}}> : tensor<8x4xf32>
// CHECK-NEXT: return %[[C]]
func.func @transpose_of_weight_without_data() -> tensor<8x4xf32> {
  %w = arith.constant dense_resource<w> : tensor<4x8xf32>
  %t = lpu.transpose %w [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  return %t : tensor<8x4xf32>
}
