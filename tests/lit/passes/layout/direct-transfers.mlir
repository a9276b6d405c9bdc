// RUN: lpuc-opt %s --split-input-file --lpu-to-lpuhw | FileCheck %s
// RUN: lpuc-opt %s --split-input-file --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// On a small target (lpu-tiny: < 16 MiB of SRAM per chip) a slice on chip 1
// of a value held by chip 0 receives only the vectors it keeps, straight
// into its result: lanes 32 .. 63 of [4, 64] f32 are vector 1 of each row,
// plane-rows 16 .. 31 of chip 0's tensor (slices 8 .. 11, rows 60 .. 63),
// 16 sends, and no replica of the whole [4, 64] value on chip 1 (which would
// be 32 plane-rows). The 16 sends are one block: each after the first
// carries lpuhw.after_send, and lpuhw-schedule issues them
// c2c_vector_cycles (3) apart.
// CHECK-LABEL: module attributes {lpu.target = "lpu-tiny", lpuhw.chips = 2 : i32}
// CHECK-NOT: lpuhw.tensor @c1_
// CHECK: lpuhw.tensor @output0 {{.*}}chip = 1 : i32, dtype = f32, kind = "output"
// CHECK: %[[R:.*]] = lpuhw.mem_read slice 8 bank 0 row 60 {chip = 0 : i32}
// CHECK-NEXT: %[[S:.*]] = lpuhw.c2c_send %[[R]] to 1 {chip = 0 : i32}
// CHECK-NEXT: lpuhw.c2c_recv %[[S]] {chip = 1 : i32}
// CHECK-COUNT-15: lpuhw.c2c_send %{{.*}} to 1 {chip = 0 : i32, lpuhw.after_send}
// CHECK-NOT: lpuhw.c2c_send
// SCHED-LABEL: lpuhw.chips = 2 : i32
// SCHED: lpuhw.c2c_send %{{.*}} to 1 {chip = 0 : i32, cycle = [[C0:[0-9]+]] : i64, link = 0 : i32}
// SCHED: lpuhw.c2c_send %{{.*}} to 1 {chip = 0 : i32, cycle = [[#C1:]] : i64, link = 0 : i32, lpuhw.after_send}
// SCHED: lpuhw.c2c_send %{{.*}} to 1 {chip = 0 : i32, cycle = [[#C1+3]] : i64, link = 0 : i32, lpuhw.after_send}
// SCHED: lpuhw.c2c_send %{{.*}} to 1 {chip = 0 : i32, cycle = [[#C1+6]] : i64, link = 0 : i32, lpuhw.after_send}
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<4x64xf32>, %y: tensor<4x64xf32>) -> tensor<4x32xf32> {
    %0 = lpu.add %x, %y {lpu.chip = 0 : i32} : tensor<4x64xf32>
    %1 = lpu.slice %0 starts [0, 32] steps [1, 1] {lpu.chip = 1 : i32} : tensor<4x64xf32> -> tensor<4x32xf32>
    return %1 : tensor<4x32xf32>
  }
}

// -----

// Blocks hold at most 16 sends: the 32 plane-rows of lanes 32 .. 63 of
// [8, 64] f32 go as two blocks (the 17th send starts the second).
// CHECK-LABEL: lpuhw.chips = 2 : i32
// CHECK: lpuhw.c2c_send %{{.*}} to 1 {chip = 0 : i32}
// CHECK-COUNT-15: lpuhw.c2c_send %{{.*}} to 1 {chip = 0 : i32, lpuhw.after_send}
// CHECK: lpuhw.c2c_send %{{.*}} to 1 {chip = 0 : i32}
// CHECK-COUNT-15: lpuhw.c2c_send %{{.*}} to 1 {chip = 0 : i32, lpuhw.after_send}
// CHECK-NOT: lpuhw.c2c_send
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<8x64xf32>, %y: tensor<8x64xf32>) -> tensor<8x32xf32> {
    %0 = lpu.add %x, %y {lpu.chip = 0 : i32} : tensor<8x64xf32>
    %1 = lpu.slice %0 starts [0, 32] steps [1, 1] {lpu.chip = 1 : i32} : tensor<8x64xf32> -> tensor<8x32xf32>
    return %1 : tensor<8x32xf32>
  }
}

// -----

// Concat by placement: the parts of a join on chip 2, made on chips 0 and
// 1, are received straight into the joined tensor (8 plane-rows each, one
// block per source chip); no replica of either part on chip 2 and no copy.
// CHECK-LABEL: lpuhw.chips = 3 : i32
// CHECK-NOT: lpuhw.tensor @c2_
// CHECK: lpuhw.c2c_send %{{.*}} to 2 {chip = 0 : i32}
// CHECK-COUNT-7: lpuhw.c2c_send %{{.*}} to 2 {chip = 0 : i32, lpuhw.after_send}
// CHECK: lpuhw.c2c_send %{{.*}} to 2 {chip = 1 : i32}
// CHECK-COUNT-7: lpuhw.c2c_send %{{.*}} to 2 {chip = 1 : i32, lpuhw.after_send}
// CHECK-NOT: lpuhw.c2c_send
// CHECK-NOT: lpuhw.mem_read {{.*}}chip = 2
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<2x32xf32>, %y: tensor<2x32xf32>) -> tensor<4x32xf32> {
    %0 = lpu.add %x, %y {lpu.chip = 0 : i32} : tensor<2x32xf32>
    %1 = lpu.mul %x, %y {lpu.chip = 1 : i32} : tensor<2x32xf32>
    %2 = lpu.concat %0, %1 axis = 0 {lpu.chip = 2 : i32} : tensor<2x32xf32>, tensor<2x32xf32> -> tensor<4x32xf32>
    return %2 : tensor<4x32xf32>
  }
}

// -----

// On lpu-v1 (220 MiB per chip) the slice's source is replicated on chip 1
// first, as before (whole plane-rows, with relays: no blocks).
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.chips = 2 : i32}
// CHECK: lpuhw.tensor @c1_t{{[0-9]+}} {{.*}}chip = 1 : i32
// CHECK-NOT: lpuhw.after_send
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<4x640xf32>, %y: tensor<4x640xf32>) -> tensor<4x320xf32> {
    %0 = lpu.add %x, %y {lpu.chip = 0 : i32} : tensor<4x640xf32>
    %1 = lpu.slice %0 starts [0, 320] steps [1, 1] {lpu.chip = 1 : i32} : tensor<4x640xf32> -> tensor<4x320xf32>
    return %1 : tensor<4x320xf32>
  }
}
