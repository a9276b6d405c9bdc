// RUN: lpuc-opt %s --split-input-file --lpu-partition="chips=4" | FileCheck %s

// With 4 chips asked and three ops, the add is split into three row parts
// (rows 0 .. 1, 2 .. 4, 5 .. 7). The slice of rows 2 .. 5 of its join cuts
// the third part: it folds to a concat of what it overlaps (all of part 1,
// row 5 of part 2), and the join of the whole add goes (nothing else reads
// it; on small chips copying a whole join to take a slice of it made the
// heaviest stages of GPT-2 on lpu-tiny).
// CHECK-LABEL: module attributes {lpu.partition = {{{.*}}chips = 4 : i32
// CHECK: %[[P0:.*]] = lpu.add {{.*}}lpu.split = array<i64: 0, 3>} : tensor<2x32xf32>
// CHECK: %[[P1:.*]] = lpu.add {{.*}}lpu.split = array<i64: 1, 3>} : tensor<3x32xf32>
// CHECK: %[[P2:.*]] = lpu.add {{.*}}lpu.split = array<i64: 2, 3>} : tensor<3x32xf32>
// CHECK-NEXT: %[[S:.*]] = lpu.slice %[[P2]] starts [0, 0] steps [1, 1] {{.*}} : tensor<3x32xf32> -> tensor<1x32xf32>
// CHECK-NEXT: %[[J:.*]] = lpu.concat %[[P1]], %[[S]] axis = 0 {{.*}} : tensor<3x32xf32>, tensor<1x32xf32> -> tensor<4x32xf32>
// CHECK-NEXT: lpu.mul %[[J]], %[[J]]
// CHECK-NOT: lpu.concat
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<8x32xf32>, %y: tensor<8x32xf32>) -> tensor<4x32xf32> {
    %0 = lpu.add %x, %y : tensor<8x32xf32>
    %1 = lpu.slice %0 starts [2, 0] steps [1, 1] : tensor<8x32xf32> -> tensor<4x32xf32>
    %2 = lpu.mul %1, %1 : tensor<4x32xf32>
    return %2 : tensor<4x32xf32>
  }
}

// -----

// A reshape that keeps its leading dimensions is split along them like an
// elementwise op: [8, 64] -> [8, 4, 16] as two [4, 64] -> [4, 4, 16] parts
// (the neg after it is split the same way and the slices of the join fold).
// CHECK-LABEL: module attributes {lpu.partition = {{{.*}}chips = 4 : i32
// CHECK: %[[A:.*]] = lpu.slice %arg0 starts [0, 0] {{.*}} -> tensor<4x64xf32>
// CHECK: %[[R0:.*]] = lpu.reshape %[[A]] {{{.*}}lpu.split = array<i64: 0, 2>} : tensor<4x64xf32> -> tensor<4x4x16xf32>
// CHECK: %[[B:.*]] = lpu.slice %arg0 starts [4, 0] {{.*}} -> tensor<4x64xf32>
// CHECK: %[[R1:.*]] = lpu.reshape %[[B]] {{{.*}}lpu.split = array<i64: 1, 2>} : tensor<4x64xf32> -> tensor<4x4x16xf32>
// CHECK: lpu.neg %[[R0]] {{.*}} : tensor<4x4x16xf32>
// CHECK: lpu.neg %[[R1]] {{.*}} : tensor<4x4x16xf32>
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<8x64xf32>) -> tensor<8x4x16xf32> {
    %0 = lpu.reshape %x : tensor<8x64xf32> -> tensor<8x4x16xf32>
    %1 = lpu.neg %0 : tensor<8x4x16xf32>
    return %1 : tensor<8x4x16xf32>
  }
}

// -----

// A slice that cuts another dimension than the join's: the matmul is split
// into two blocks of 32 columns (a concat along axis 1), and rows 3 .. 4 of
// the join become a join of rows 3 .. 4 of each block; the [8, 64] join
// goes. (The MLP example's first layer on lpu-tiny: its join of 16 column
// blocks, read by row slices, was one op of 136 KiB that no chip could hold.)
// CHECK-LABEL: module attributes {lpu.partition = {{{.*}}chips = 4 : i32
// CHECK: %[[M0:.*]] = lpu.matmul {{.*}}lpu.split = array<i64: 0, 2>} : tensor<8x32xf32>, tensor<32x32xf32> -> tensor<8x32xf32>
// CHECK: %[[M1:.*]] = lpu.matmul {{.*}}lpu.split = array<i64: 1, 2>} : tensor<8x32xf32>, tensor<32x32xf32> -> tensor<8x32xf32>
// CHECK-NEXT: %[[S0:.*]] = lpu.slice %[[M0]] starts [3, 0] steps [1, 1] {{.*}} : tensor<8x32xf32> -> tensor<2x32xf32>
// CHECK-NEXT: %[[S1:.*]] = lpu.slice %[[M1]] starts [3, 0] steps [1, 1] {{.*}} : tensor<8x32xf32> -> tensor<2x32xf32>
// CHECK-NEXT: %[[J:.*]] = lpu.concat %[[S0]], %[[S1]] axis = 1 {{.*}} : tensor<2x32xf32>, tensor<2x32xf32> -> tensor<2x64xf32>
// CHECK-NEXT: lpu.mul %[[J]], %[[J]]
// CHECK-NOT: tensor<8x64xf32>
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<8x32xf32>) -> tensor<2x64xf32> {
    %w = arith.constant dense<0.5> : tensor<32x64xf32>
    %0 = lpu.matmul %x, %w : tensor<8x32xf32>, tensor<32x64xf32> -> tensor<8x64xf32>
    %1 = lpu.slice %0 starts [3, 0] steps [1, 1] : tensor<8x64xf32> -> tensor<2x64xf32>
    %2 = lpu.mul %1, %1 : tensor<2x64xf32>
    return %2 : tensor<2x64xf32>
  }
}
