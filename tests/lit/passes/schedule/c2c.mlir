// RUN: lpuc-opt %s --split-input-file --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s

// One vector from chip 0 to chip 1 (one node of lpu-v1: link 0 of chip 0
// reaches chip 1, arriving on its link 6; both links are at the west edge,
// position 0). MEM-W0 (position 45) reads at 0: the row is on a westward
// stream at 45 in cycle 2 and at the edge in cycle 47, where the send takes
// it. It arrives 216 cycles later: the receive issues in cycle 263, puts the
// vector on an eastward stream at position 0 in cycle 264, and MEM-E0
// (position 47) writes it in cycle 311. Two sends in a row on one link are
// c2c_vector_cycles (23) apart.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.chips = 2 : i32, lpuhw.cycles = 335 : i64
// CHECK: %[[R:.*]] = lpuhw.mem_read slice 0 bank 0 row 0 {chip = 0 : i32, cycle = 0 : i64, stream = 32 : i32}
// CHECK: %[[V:.*]] = lpuhw.c2c_send %[[R]] to 1 {chip = 0 : i32, cycle = 47 : i64, link = 0 : i32}
// CHECK: %[[P:.*]] = lpuhw.c2c_recv %[[V]] {chip = 1 : i32, cycle = 263 : i64, link = 6 : i32, stream = 0 : i32}
// CHECK: lpuhw.mem_write %[[P]] slice 44 bank 0 row 0 {chip = 1 : i32, cycle = 311 : i64}
// CHECK: lpuhw.c2c_send %{{.*}} to 1 {chip = 0 : i32, cycle = 70 : i64, link = 0 : i32}
// CHECK: lpuhw.c2c_recv %{{.*}} {chip = 1 : i32, cycle = 286 : i64, link = 6 : i32
module attributes {lpu.target = "lpu-v1", lpuhw.chips = 2 : i32} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0 {chip = 0 : i32}
    %1 = lpuhw.c2c_send %0 to 1 {chip = 0 : i32}
    %2 = lpuhw.c2c_recv %1 {chip = 1 : i32}
    lpuhw.mem_write %2 slice 44 bank 0 row 0 {chip = 1 : i32}
    %3 = lpuhw.mem_read slice 0 bank 0 row 1 {chip = 0 : i32}
    %4 = lpuhw.c2c_send %3 to 1 {chip = 0 : i32}
    %5 = lpuhw.c2c_recv %4 {chip = 1 : i32}
    lpuhw.mem_write %5 slice 44 bank 0 row 1 {chip = 1 : i32}
    return
  }
}

// -----

// lpu-tiny nodes are hypercubes: chip 0 reaches chip 3 in two hops (through
// chip 1), so the receive is 432 cycles after the send.
// CHECK-LABEL: module attributes {lpu.target = "lpu-tiny", lpuhw.chips = 4 : i32
// CHECK: lpuhw.c2c_send %{{.*}} to 3 {chip = 0 : i32, cycle = [[S:[0-9]+]] : i64, link = 0 : i32}
// CHECK: lpuhw.c2c_recv %{{.*}} {chip = 3 : i32, cycle = {{[0-9]+}} : i64, link = 1 : i32
module attributes {lpu.target = "lpu-tiny", lpuhw.chips = 4 : i32} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0 {chip = 0 : i32}
    %1 = lpuhw.c2c_send %0 to 3 {chip = 0 : i32}
    %2 = lpuhw.c2c_recv %1 {chip = 3 : i32}
    lpuhw.mem_write %2 slice 4 bank 0 row 0 {chip = 3 : i32}
    return
  }
}

// -----

// A block of transfers (lpuhw.after_send, from lpu-to-lpuhw on small
// targets): each tied send issues c2c_vector_cycles (3 on lpu-tiny) after
// the previous send of chip 0 to chip 1, and its receive 216 cycles after
// it; the reads and writes follow at the same interval, so the emitter folds
// each queue's run into an instruction and a repeat. The second vector is
// read in slice 15, the farthest from the link: the whole block starts
// later so that it reaches the edge in time (without the tie the first
// send would go at once and the second when its vector arrives).
// CHECK-LABEL: module attributes {lpu.target = "lpu-tiny", lpuhw.chips = 2 : i32
// CHECK: lpuhw.c2c_send %{{.*}} to 1 {chip = 0 : i32, cycle = [[#B:]] : i64, link = 0 : i32}
// CHECK: lpuhw.c2c_recv %{{.*}} {chip = 1 : i32, cycle = [[#B+216]] : i64
// CHECK: lpuhw.c2c_send %{{.*}} to 1 {chip = 0 : i32, cycle = [[#B+3]] : i64, link = 0 : i32, lpuhw.after_send}
// CHECK: lpuhw.c2c_recv %{{.*}} {chip = 1 : i32, cycle = [[#B+219]] : i64
// CHECK: lpuhw.c2c_send %{{.*}} to 1 {chip = 0 : i32, cycle = [[#B+6]] : i64, link = 0 : i32, lpuhw.after_send}
// CHECK: lpuhw.c2c_recv %{{.*}} {chip = 1 : i32, cycle = [[#B+222]] : i64
module attributes {lpu.target = "lpu-tiny", lpuhw.chips = 2 : i32} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0 {chip = 0 : i32}
    %1 = lpuhw.c2c_send %0 to 1 {chip = 0 : i32}
    %2 = lpuhw.c2c_recv %1 {chip = 1 : i32}
    lpuhw.mem_write %2 slice 4 bank 0 row 0 {chip = 1 : i32}
    %3 = lpuhw.mem_read slice 15 bank 0 row 0 {chip = 0 : i32}
    %4 = lpuhw.c2c_send %3 to 1 {chip = 0 : i32, lpuhw.after_send}
    %5 = lpuhw.c2c_recv %4 {chip = 1 : i32}
    lpuhw.mem_write %5 slice 5 bank 0 row 0 {chip = 1 : i32}
    %6 = lpuhw.mem_read slice 2 bank 0 row 0 {chip = 0 : i32}
    %7 = lpuhw.c2c_send %6 to 1 {chip = 0 : i32, lpuhw.after_send}
    %8 = lpuhw.c2c_recv %7 {chip = 1 : i32}
    lpuhw.mem_write %8 slice 6 bank 0 row 0 {chip = 1 : i32}
    return
  }
}
