// RUN: lpuc-opt %s --split-input-file --lpuhw-schedule=window=0 | FileCheck %s --check-prefixes=CHECK,WHOLE
// RUN: lpuc-opt %s --split-input-file --lpuhw-schedule=window=1 | FileCheck %s --check-prefixes=CHECK,WIN
// RUN: lpuc-opt %s --split-input-file --lpuhw-schedule=window=1 --lpuhw-verify-schedule | FileCheck %s --check-prefix=VALID
// RUN: lpuc-opt %s --split-input-file --lpuhw-schedule="window=1 floor-lag=2" | FileCheck %s --check-prefix=LAG
// RUN: lpuc-opt %s --split-input-file --lpuhw-schedule="window=1 floor-lag=2" --lpuhw-verify-schedule | FileCheck %s --check-prefix=LAGVALID
// RUN: not lpuc-opt %s --split-input-file --lpuhw-schedule="window=1 floor-lag=-1" 2>&1 | FileCheck %s --check-prefix=NEG
// NEG: error: lpuhw-schedule: floor-lag must be at least 0, got -1

// Windows: with window=N the program is scheduled N instructions at a time
// (more until no stream value is live), over one reservation table.

// A read-after-write across windows. window=1 cuts after the first copy
// (its write is the last user of the read's value) and the second window
// starts with the read of slice 44: it is released at the write's cycle (4)
// + mem_write_latency, the bound an edge gives in the whole program. The
// critical path runs through both windows (mem only, no wait).
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 10 : i64, lpuhw.path = {{\[\[}}"(unnamed)", "mem", 10]]}
// CHECK: lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 44 bank 0 row 0 {cycle = 4 : i64}
// CHECK: lpuhw.mem_read slice 44 bank 0 row 0 {cycle = 5 : i64, stream = 32 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 0 bank 0 row 1 {cycle = 9 : i64}
// VALID: lpuhw.cycles = 10
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0
    lpuhw.mem_write %0 slice 44 bank 0 row 0
    %1 = lpuhw.mem_read slice 44 bank 0 row 0
    lpuhw.mem_write %1 slice 0 bank 0 row 1
    return
  }
}

// -----

// What a window gives up: two copies out of slice 5 whose reads would meet
// in one cycle. Whole, the longer copy (to slice 45) has the longer
// critical path and reads first; the shorter one waits a cycle. In windows
// of one copy, the first copy is placed before the second is seen, so the
// longer copy waits instead and the program is a cycle longer. A later
// window still fills cycles before the end of an earlier one (its read in
// cycle 1, not after the first copy ends): the table is shared.
// WHOLE-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 11 : i64
// WHOLE: lpuhw.mem_read slice 5 bank 0 row 0 {cycle = 1 : i64, stream = 0 : i32}
// WHOLE: lpuhw.mem_write %{{.*}} slice 44 bank 0 row 0 {cycle = 10 : i64}
// WHOLE: lpuhw.mem_read slice 5 bank 0 row 1 {cycle = 0 : i64, stream = 0 : i32}
// WHOLE: lpuhw.mem_write %{{.*}} slice 45 bank 0 row 0 {cycle = 10 : i64}
// WIN-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 12 : i64
// WIN: lpuhw.mem_read slice 5 bank 0 row 0 {cycle = 0 : i64, stream = 0 : i32}
// WIN: lpuhw.mem_write %{{.*}} slice 44 bank 0 row 0 {cycle = 9 : i64}
// WIN: lpuhw.mem_read slice 5 bank 0 row 1 {cycle = 1 : i64, stream = 0 : i32}
// WIN: lpuhw.mem_write %{{.*}} slice 45 bank 0 row 0 {cycle = 11 : i64}
// VALID: lpuhw.cycles = 12
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

// A window does not end while a stream value is live: with window=1 the add
// needs both reads, and the write needs the add, so all four instructions
// are one window and the schedule is the whole program's.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"
// CHECK: lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 1 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_read slice 1 bank 0 row 0 {cycle = 0 : i64, stream = 1 : i32}
// CHECK: lpuhw.vxm "add" i8(%0, %1) {alu = 0 : i32, cycle = 4 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_write %2 slice 44 bank 0 row 0 {cycle = 6 : i64}
// VALID: lpuhw.cycles
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0
    %1 = lpuhw.mem_read slice 1 bank 0 row 0
    %2 = lpuhw.vxm "add" i8 (%0, %1) : !lpuhw.stream
    lpuhw.mem_write %2 slice 44 bank 0 row 0
    return
  }
}

// -----

// The floor: a window may fill free cycles at most floor-lag cycles before
// the end of the windows before it (lpuc verifies and emits what lies
// before the floor as it goes). Three independent copies, one per window.
// With the default lag (2,048) every read is in cycle 0, as in the whole
// program; with floor-lag=2 the second window starts no earlier than 5 - 2
// (the first copy ends in cycle 5) and the third no earlier than 10 - 2.
// WHOLE-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 9 : i64
// WHOLE: lpuhw.mem_read slice 2 bank 0 row 0 {cycle = 0 : i64
// WIN-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 9 : i64
// WIN: lpuhw.mem_read slice 2 bank 0 row 0 {cycle = 0 : i64
// LAG-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 17 : i64, lpuhw.path = {{\[\[}}"(unnamed)", "wait", 8], ["(unnamed)", "mem", 9]]}
// LAG: lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64
// LAG: lpuhw.mem_read slice 1 bank 0 row 0 {cycle = 3 : i64
// LAG: lpuhw.mem_read slice 2 bank 0 row 0 {cycle = 8 : i64
// LAGVALID: lpuhw.cycles = 17
// VALID: lpuhw.cycles = 9
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0
    lpuhw.mem_write %0 slice 44 bank 0 row 0
    %1 = lpuhw.mem_read slice 1 bank 0 row 0
    lpuhw.mem_write %1 slice 45 bank 0 row 0
    %2 = lpuhw.mem_read slice 2 bank 0 row 0
    lpuhw.mem_write %2 slice 46 bank 0 row 0
    return
  }
}
