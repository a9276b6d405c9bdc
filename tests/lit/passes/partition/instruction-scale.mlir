// RUN: lpuc-opt %s --split-input-file --lpu-partition | FileCheck %s

// lpuc's partition retry sets lpu.instruction_scale on the ops of chips whose
// binary overflowed (NOPs, repeats and transfers that the trial lowering
// does not count): lpu-partition multiplies their measured cost by it. A
// [16, 32] f32 softmax fits one lpu-tiny chip by the estimate (about 52 KiB
// of 60.8 KiB) and stays whole; scaled by 3 it no longer fits and is split by
// rows over 5 chips, each part keeping the scale.
// CHECK-LABEL: module attributes {lpu.partition = {{{.*}}chips = 1 : i32, estimated = [52816]
// CHECK: lpu.softmax %arg0 axis = 1 : tensor<16x32xf32>
// CHECK-NOT: lpu.split
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<16x32xf32>) -> tensor<16x32xf32> {
    %0 = lpu.softmax %x axis = 1 : tensor<16x32xf32>
    return %0 : tensor<16x32xf32>
  }
}

// -----

// CHECK-LABEL: module attributes {lpu.partition = {{{.*}}chips = 5 : i32
// CHECK: lpu.softmax {{.*}}lpu.chip = 0 : i32, lpu.instruction_scale = 3.000000e+00 : f64, lpu.split = array<i64: 0, 2>} : tensor<2x32xf32>
// CHECK: lpu.softmax {{.*}}lpu.chip = 4 : i32, lpu.instruction_scale = 3.000000e+00 : f64, lpu.split
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<16x32xf32>) -> tensor<16x32xf32> {
    %0 = lpu.softmax %x axis = 1 {lpu.instruction_scale = 3.0 : f64} : tensor<16x32xf32>
    return %0 : tensor<16x32xf32>
  }
}

// -----

// An op that cannot be split further keeps its measured cost (scaled, it
// could only fail to fit): a [1, 32] softmax has no outer dimension to split.
// CHECK-LABEL: module attributes {lpu.partition = {{{.*}}chips = 1 : i32
// CHECK: lpu.softmax %arg0 axis = 1 {lpu.instruction_scale = 1.000000e+02 : f64} : tensor<1x32xf32>
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<1x32xf32>) -> tensor<1x32xf32> {
    %0 = lpu.softmax %x axis = 1 {lpu.instruction_scale = 100.0 : f64} : tensor<1x32xf32>
    return %0 : tensor<1x32xf32>
  }
}
