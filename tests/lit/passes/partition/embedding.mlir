// RUN: lpuc-opt %s --lpu-partition | FileCheck %s
// RUN: lpuc-opt %s --lpu-partition --lpu-to-lpuhw | FileCheck %s --check-prefix=HW

// An embedding table of 96 x 64 f32 (24 KiB, with the instructions that
// stream it more than a 64 KiB lpu-tiny chip) is split by columns (two
// 32-lane blocks) and by vocabulary rows (three 32-row blocks): the ids are
// made i32 and non-negative once (v < 0 ? v + 96 : v), then every row block
// compares them with its own iota (k0 .. k0+31, broadcast, not folded into
// a constant), casts the bools to f32 and multiplies that one-hot by its
// rows of each column block; the blocks' products are added per column
// block and the column blocks joined. One row block per chip.
// CHECK-LABEL: module attributes {lpu.partition = {{{.*}}chips = 3 : i32{{.*}}requested = "auto"
// CHECK: %[[I32:.*]] = lpu.cast %arg0 {lpu.chip = 0 : i32} : tensor<1x8xi64> to tensor<1x8xi32>
// CHECK: %[[NEG:.*]] = lpu.compare lt %[[I32]], %{{.*}} {lpu.chip = 0 : i32}
// CHECK: arith.constant {lpu.chip = 0 : i32} dense<96> : tensor<1x8xi32>
// CHECK: %[[WRAP:.*]] = lpu.add %[[I32]]
// CHECK: %[[ID:.*]] = lpu.select %[[NEG]], %[[WRAP]], %[[I32]]
// CHECK: %[[IDR:.*]] = lpu.reshape %[[ID]] {{.*}} -> tensor<1x8x1xi32>
// Row block 0 (ids 0 .. 31), both column blocks, on chip 0.
// CHECK: %[[B0:.*]] = lpu.broadcast %[[IDR]] {lpu.chip = 0 : i32} : tensor<1x8x1xi32> -> tensor<1x8x32xi32>
// CHECK: arith.constant {lpu.chip = 0 : i32} dense<[0, 1, 2, {{.*}}, 31]> : tensor<32xi32>
// CHECK: %[[IOTA0:.*]] = lpu.broadcast %{{.*}} : tensor<32xi32> -> tensor<1x8x32xi32>
// CHECK: %[[EQ0:.*]] = lpu.compare eq %[[B0]], %[[IOTA0]] {lpu.chip = 0 : i32} : tensor<1x8x32xi32> -> tensor<1x8x32xi1>
// CHECK: %[[HOT0:.*]] = lpu.cast %[[EQ0]] {lpu.chip = 0 : i32} : tensor<1x8x32xi1> to tensor<1x8x32xf32>
// CHECK: %[[P0:.*]] = lpu.matmul %[[HOT0]], %{{.*}} {lpu.chip = 0 : i32, lpu.split = array<i64: 0, 6>} : tensor<1x8x32xf32>, tensor<1x32x32xf32> -> tensor<1x8x32xf32>
// CHECK: %[[P1:.*]] = lpu.matmul %[[HOT0]], %{{.*}} {lpu.chip = 0 : i32, lpu.split = array<i64: 1, 6>}
// Row block 1 (ids 32 .. 63) on chip 1, its products added to block 0's.
// CHECK: dense<[32, 33, {{.*}}, 63]> : tensor<32xi32>
// CHECK: %[[P2:.*]] = lpu.matmul %{{.*}}, %{{.*}} {lpu.chip = 1 : i32, lpu.split = array<i64: 2, 6>}
// CHECK: %[[S0:.*]] = lpu.add %[[P0]], %[[P2]] {lpu.chip = 1 : i32}
// CHECK: %[[P3:.*]] = lpu.matmul %{{.*}}, %{{.*}} {lpu.chip = 1 : i32, lpu.split = array<i64: 3, 6>}
// CHECK: %[[S1:.*]] = lpu.add %[[P1]], %[[P3]] {lpu.chip = 1 : i32}
// Row block 2 (ids 64 .. 95) on chip 2, then the column blocks joined.
// CHECK: dense<[64, 65, {{.*}}, 95]> : tensor<32xi32>
// CHECK: %[[P4:.*]] = lpu.matmul %{{.*}}, %{{.*}} {lpu.chip = 2 : i32, lpu.split = array<i64: 4, 6>}
// CHECK: %[[T0:.*]] = lpu.add %[[S0]], %[[P4]] {lpu.chip = 2 : i32}
// CHECK: %[[P5:.*]] = lpu.matmul %{{.*}}, %{{.*}} {lpu.chip = 2 : i32, lpu.split = array<i64: 5, 6>}
// CHECK: %[[T1:.*]] = lpu.add %[[S1]], %[[P5]] {lpu.chip = 2 : i32}
// CHECK: lpu.concat %[[T0]], %[[T1]] axis = 2 {lpu.chip = 2 : i32} : tensor<1x8x32xf32>, tensor<1x8x32xf32> -> tensor<1x8x64xf32>
// CHECK-NOT: lpu.gather
// HW: module attributes {{{.*}}lpuhw.chips = 3 : i32
// HW: lpuhw.c2c_send %{{.*}} to 1 {chip = 0 : i32}
// HW: lpuhw.c2c_send %{{.*}} to 2 {chip = 1 : i32}
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%ids: tensor<1x8xi64>) -> tensor<1x8x64xf32> {
    %t = arith.constant dense<0.5> : tensor<96x64xf32>
    %0 = lpu.gather %t[%ids] axis = 0 : tensor<96x64xf32>, tensor<1x8xi64> -> tensor<1x8x64xf32>
    return %0 : tensor<1x8x64xf32>
  }
}
