// RUN: lpuc-opt %s --split-input-file --lpu-partition="chips=2" | FileCheck %s
// RUN: lpuc-opt %s --split-input-file --lpu-partition="chips=auto" | FileCheck %s --check-prefix=AUTO

// Two layers of an MLP over two lpu-v1 chips: pipeline stages in program
// order, balanced by their measured cost (the first layer, its bias and the
// ReLU on chip 0, the second layer on chip 1). With chips=auto the model
// fits one chip and stays whole.
// CHECK-LABEL: module attributes {lpu.partition = {{{.*}}chips = 2 : i32{{.*}}requested = "2", strategy = "pipeline"}
// CHECK: lpu.matmul {{.*}} {lpu.chip = 0 : i32}
// CHECK: lpu.add {{.*}} {lpu.chip = 0 : i32}
// CHECK: lpu.relu {{.*}} {lpu.chip = 0 : i32}
// CHECK: lpu.matmul {{.*}} {lpu.chip = 1 : i32}
// AUTO-LABEL: module attributes {lpu.partition = {{{.*}}chips = 1 : i32{{.*}}requested = "auto", strategy = "pipeline"}
// AUTO-NOT: lpu.chip
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<4x64xf32>) -> tensor<4x32xf32> {
    %w0 = arith.constant dense<0.5> : tensor<64x128xf32>
    %b0 = arith.constant dense<0.25> : tensor<4x128xf32>
    %w1 = arith.constant dense<0.125> : tensor<128x32xf32>
    %0 = lpu.matmul %x, %w0 : tensor<4x64xf32>, tensor<64x128xf32> -> tensor<4x128xf32>
    %1 = lpu.add %0, %b0 : tensor<4x128xf32>
    %2 = lpu.relu %1 : tensor<4x128xf32>
    %3 = lpu.matmul %2, %w1 : tensor<4x128xf32>, tensor<128x32xf32> -> tensor<4x32xf32>
    return %3 : tensor<4x32xf32>
  }
}
