// RUN: lpuc-opt %s --split-input-file --lpuhw-schedule | FileCheck %s

// A copy from MEM-W0 (position 45) to MEM-E0 (position 47): the value is on
// the stream at 45 in cycle 0 + mem_read_latency (2) and passes 47 two hops
// later, so the write issues in cycle 4 and reads an eastward stream (0).
// Program length: the write's cycle + 1.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 5 : i64
// CHECK: lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 44 bank 0 row 0 {cycle = 4 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0
    lpuhw.mem_write %0 slice 44 bank 0 row 0
    return
  }
}

// -----

// Westward: MEM-E3 (position 50) to MEM-W10 (position 35) is 15 hops; the
// stream id is in the west range (32..63).
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 18 : i64
// CHECK: lpuhw.mem_read slice 47 bank 1 row 9 {cycle = 0 : i64, stream = 32 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 10 bank 0 row 3 {cycle = 17 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 47 bank 1 row 9
    lpuhw.mem_write %0 slice 10 bank 0 row 3
    return
  }
}

// -----

// Two independent copies on different slices overlap in time: both reads
// issue in cycle 0. They may share stream 0: the value from 44 runs one
// position behind the one from 45 (different diagonals), so neither ends the
// other.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 7 : i64
// CHECK: lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 44 bank 0 row 0 {cycle = 4 : i64}
// CHECK: lpuhw.mem_read slice 1 bank 0 row 0 {cycle = 0 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 45 bank 0 row 0 {cycle = 6 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0
    lpuhw.mem_write %0 slice 44 bank 0 row 0
    %1 = lpuhw.mem_read slice 1 bank 0 row 0
    lpuhw.mem_write %1 slice 45 bank 0 row 0
    return
  }
}

// -----

// Two reads of one slice (position 40) cannot issue in the same cycle (one
// queue). The copy with the longer path (8 hops to MEM-E1) has the higher
// critical-path priority and goes first; the other follows a cycle later.
// Both values ride stream 0, one diagonal apart; both writes land in cycle 10.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 11 : i64
// CHECK: lpuhw.mem_read slice 5 bank 0 row 0 {cycle = 1 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 44 bank 0 row 0 {cycle = 10 : i64}
// CHECK: lpuhw.mem_read slice 5 bank 0 row 1 {cycle = 0 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 45 bank 0 row 0 {cycle = 10 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 5 bank 0 row 0
    lpuhw.mem_write %0 slice 44 bank 0 row 0
    %1 = lpuhw.mem_read slice 5 bank 0 row 1
    lpuhw.mem_write %1 slice 45 bank 0 row 0
    return
  }
}

// -----

// A read after a write of the same row waits for the write to land
// (mem_write_latency 1); the write after the read of its source row may not
// precede that read.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 10 : i64
// CHECK: lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 44 bank 0 row 0 {cycle = 4 : i64}
// CHECK: lpuhw.mem_read slice 44 bank 0 row 0 {cycle = 5 : i64, stream = 32 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 0 bank 0 row 0 {cycle = 9 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0
    lpuhw.mem_write %0 slice 44 bank 0 row 0
    %1 = lpuhw.mem_read slice 44 bank 0 row 0
    lpuhw.mem_write %1 slice 0 bank 0 row 0
    return
  }
}

// -----

// A MEM slice reads and writes in the same cycle when the banks differ (one
// read port and one write port per slice; the emitter issues the pair as one
// mem.read_write). Slice 0 reads rows 0..3 of bank 0 at cycles 0..3; the
// copy from slice 1 arrives at slice 0 at cycle 3 and is written to bank 1
// in that cycle, next to the read of row 3.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 8 : i64
// CHECK: lpuhw.mem_read slice 0 bank 0 row 3 {cycle = 3 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_read slice 1 bank 0 row 9 {cycle = 0 : i64, stream = 1 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 0 bank 1 row 5 {cycle = 3 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0
    lpuhw.mem_write %0 slice 44 bank 0 row 0
    %1 = lpuhw.mem_read slice 0 bank 0 row 1
    lpuhw.mem_write %1 slice 44 bank 0 row 1
    %2 = lpuhw.mem_read slice 0 bank 0 row 2
    lpuhw.mem_write %2 slice 44 bank 0 row 2
    %3 = lpuhw.mem_read slice 0 bank 0 row 3
    lpuhw.mem_write %3 slice 44 bank 0 row 3
    %4 = lpuhw.mem_read slice 1 bank 0 row 9
    lpuhw.mem_write %4 slice 0 bank 1 row 5
    return
  }
}

// -----

// The same with the write to bank 0, the bank being read at cycle 3: a bank
// serves one access per cycle, so the copy moves one cycle later.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 8 : i64
// CHECK: lpuhw.mem_read slice 0 bank 0 row 3 {cycle = 3 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_read slice 1 bank 0 row 9 {cycle = 1 : i64, stream = 1 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 0 bank 0 row 5 {cycle = 4 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0
    lpuhw.mem_write %0 slice 44 bank 0 row 0
    %1 = lpuhw.mem_read slice 0 bank 0 row 1
    lpuhw.mem_write %1 slice 44 bank 0 row 1
    %2 = lpuhw.mem_read slice 0 bank 0 row 2
    lpuhw.mem_write %2 slice 44 bank 0 row 2
    %3 = lpuhw.mem_read slice 0 bank 0 row 3
    lpuhw.mem_write %3 slice 44 bank 0 row 3
    %4 = lpuhw.mem_read slice 1 bank 0 row 9
    lpuhw.mem_write %4 slice 0 bank 0 row 5
    return
  }
}
