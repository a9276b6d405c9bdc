// RUN: lpuc-opt %s --lpu-partition="chips=4" | FileCheck %s

// Ops that read or produce bool tensors are split by rows like any other
// elementwise op: the compare in two parts on chip 0; the select in three
// parts, whose conditions are slices of the compare's parts (rows 0 .. 20
// inside part 0, rows 42 .. 63 inside part 1) or, where a slice crosses the
// parts (rows 21 .. 41), a concat of a slice of each (rows 21 .. 31 of part
// 0 and 0 .. 9 of part 1): the bool join of the whole compare folds away.
// CHECK-LABEL: module attributes {lpu.partition = {{{.*}}chips = 4 : i32
// CHECK: %[[C0:.*]] = lpu.compare lt %{{.*}}, %{{.*}} {lpu.chip = 0 : i32, lpu.split = array<i64: 0, 2>} : tensor<32x640xf32> -> tensor<32x640xi1>
// CHECK: %[[C1:.*]] = lpu.compare lt %{{.*}}, %{{.*}} {lpu.chip = 0 : i32, lpu.split = array<i64: 1, 2>} : tensor<32x640xf32> -> tensor<32x640xi1>
// CHECK: %[[M0:.*]] = lpu.slice %[[C0]] starts [0, 0] {{.*}} : tensor<32x640xi1> -> tensor<21x640xi1>
// CHECK: lpu.select %[[M0]], {{.*}} {lpu.chip = 1 : i32, lpu.split = array<i64: 0, 3>} : tensor<21x640xi1>, tensor<21x640xf32>
// CHECK: %[[A:.*]] = lpu.slice %[[C0]] starts [21, 0] {{.*}} : tensor<32x640xi1> -> tensor<11x640xi1>
// CHECK: %[[B:.*]] = lpu.slice %[[C1]] starts [0, 0] {{.*}} : tensor<32x640xi1> -> tensor<10x640xi1>
// CHECK: %[[M1:.*]] = lpu.concat %[[A]], %[[B]] axis = 0 {lpu.chip = 1 : i32} : tensor<11x640xi1>, tensor<10x640xi1> -> tensor<21x640xi1>
// CHECK: lpu.select %[[M1]], {{.*}} {lpu.chip = 2 : i32, lpu.split = array<i64: 1, 3>} : tensor<21x640xi1>, tensor<21x640xf32>
// CHECK: %[[M2:.*]] = lpu.slice %[[C1]] starts [10, 0] {{.*}} : tensor<32x640xi1> -> tensor<22x640xi1>
// CHECK: lpu.select %[[M2]], {{.*}} {lpu.chip = 3 : i32, lpu.split = array<i64: 2, 3>} : tensor<22x640xi1>, tensor<22x640xf32>
// CHECK: lpu.concat {{.*}} axis = 0 {lpu.chip = 3 : i32} : tensor<21x640xf32>, tensor<21x640xf32>, tensor<22x640xf32> -> tensor<64x640xf32>
// CHECK-NOT: lpu.concat
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<64x640xf32>, %y: tensor<64x640xf32>) -> tensor<64x640xf32> {
    %m = lpu.compare lt %x, %y : tensor<64x640xf32> -> tensor<64x640xi1>
    %s = lpu.select %m, %x, %y : tensor<64x640xi1>, tensor<64x640xf32>
    return %s : tensor<64x640xf32>
  }
}
