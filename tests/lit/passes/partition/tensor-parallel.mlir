// RUN: lpuc-opt %s --split-input-file --lpu-partition | FileCheck %s
// RUN: lpuc-opt %s --split-input-file --lpu-partition --lpu-to-lpuhw | FileCheck %s --check-prefix=HW

// On lpu-tiny (64 KiB of SRAM, 32 lanes) a 128 x 96 f32 weight (48 KiB, and
// the instructions that stream it) is more than a chip: the matmul is split
// into blocks of whole 32-lane columns (joined by a concat: an all-gather)
// and of rows (partial products added: a reduction), each part on its own
// chip; the activations move between chips with c2c_send / c2c_recv.
// CHECK-LABEL: module attributes {lpu.partition = {{{.*}}requested = "auto", strategy = "pipeline"}
// CHECK: lpu.slice %arg0 starts [0, 0] steps [1, 1] {lpu.chip = 0 : i32} : tensor<8x128xf32> -> tensor<8x32xf32>
// CHECK: lpu.matmul %0, %cst {lpu.chip = 0 : i32, lpu.split = array<i64: 0, 12>} : tensor<8x32xf32>, tensor<32x32xf32> -> tensor<8x32xf32>
// CHECK: lpu.add
// CHECK: lpu.concat {{.*}} axis = 1 {{.*}} -> tensor<8x96xf32>
// HW: module attributes {{{.*}}lpuhw.chips = [[N:[0-9]+]] : i32
// HW: lpuhw.c2c_send %{{.*}} to {{[0-9]+}} {chip = {{[0-9]+}} : i32}
// HW: lpuhw.c2c_recv %{{.*}} {chip = {{[0-9]+}} : i32}
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<8x128xf32>) -> tensor<8x96xf32> {
    %w = arith.constant dense<0.5> : tensor<128x96xf32>
    %0 = lpu.matmul %x, %w : tensor<8x128xf32>, tensor<128x96xf32> -> tensor<8x96xf32>
    return %0 : tensor<8x96xf32>
  }
}
