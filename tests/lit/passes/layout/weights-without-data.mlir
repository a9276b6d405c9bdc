// RUN: lpuc-opt %s --lpu-to-lpuhw | FileCheck %s

// `lpuc plan` without the external data: a bool or integer constant without
// data (here a [8, 8] mask) is held as an f32 weight without data of the same
// shape (a real compile converts the values to f32).
// CHECK: lpuhw.tensor @mask {{{.*}}dtype = f32, kind = "weight", shape = array<i64: 8, 8>{{.*}}value = dense_resource<mask_f32{{.*}}> : tensor<8x8xf32>}
// CHECK: lpuhw.tensor @y
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<8x8xf32> {onnx.name = "x"}) -> (tensor<8x8xf32> {onnx.name = "y"}) {
    %m = arith.constant dense_resource<mask> : tensor<8x8xi1>
    %z = arith.constant dense<0.0> : tensor<8x8xf32>
    %y = lpu.select %m, %x, %z : tensor<8x8xi1>, tensor<8x8xf32>
    return %y : tensor<8x8xf32>
  }
}
