// RUN: lpuc-opt %s --lpuhw-verify-schedule --split-input-file --verify-diagnostics | FileCheck %s

// lpu-v1: SXM-W units 0..7 at position 1, MEM-W43 (slice 43) at 2;
// mem_read_latency 2, sxm_latency 4. Streams 0..31 go east, 32..63 west.

// Read, shift on SXM 0, write back: correct (as lpuhw-schedule places it).
// CHECK-LABEL: module attributes {lpuhw.cycles = 9 : i64}
// CHECK: lpuhw.sxm_shift i8 down 3
module attributes {lpuhw.cycles = 9 : i64} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 43 bank 0 row 0 {cycle = 0 : i64, stream = 32 : i32}
    %1 = lpuhw.sxm_shift i8 down 3 (%0) {cycle = 3 : i64, stream = 0 : i32, unit = 0 : i32} : !lpuhw.stream
    lpuhw.mem_write %1 slice 43 bank 1 row 0 {cycle = 8 : i64}
    return
  }
}

// -----

// The shift one cycle early: its operand is not yet at the SXM.
module attributes {lpuhw.cycles = 8 : i64} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 43 bank 0 row 0 {cycle = 0 : i64, stream = 32 : i32}
    // expected-error @+1 {{SXM 0 at cycle 2: operand 0 (stream 32) does not pass position 1 at cycle 2: its producer mem.read (MEM-W43 at cycle 0) puts it at position 2 in cycle 2, so it passes position 1 in cycle 3}}
    %1 = lpuhw.sxm_shift i8 up 3 (%0) {cycle = 2 : i64, stream = 0 : i32, unit = 0 : i32} : !lpuhw.stream
    lpuhw.mem_write %1 slice 43 bank 1 row 0 {cycle = 7 : i64}
    return
  }
}

// -----

// The write one cycle early: the rotate's result is 4 cycles after issue.
module attributes {lpuhw.cycles = 8 : i64} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 43 bank 0 row 0 {cycle = 0 : i64, stream = 32 : i32}
    %1 = lpuhw.sxm_rotate i8 down 3 (%0) {cycle = 3 : i64, stream = 0 : i32, unit = 0 : i32} : !lpuhw.stream
    // expected-error @+1 {{MEM-W43 at cycle 7: operand 0 (stream 0) does not pass position 2 at cycle 7: its producer sxm.rotate (SXM 0 at cycle 3) puts it at position 1 in cycle 7, so it passes position 2 in cycle 8}}
    lpuhw.mem_write %1 slice 43 bank 1 row 0 {cycle = 7 : i64}
    return
  }
}

// -----

// Unscheduled: no unit.
module attributes {lpuhw.cycles = 9 : i64} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 43 bank 0 row 0 {cycle = 0 : i64, stream = 32 : i32}
    // expected-error @+1 {{sxm_rotate has no `unit`: run lpuhw-schedule}}
    %1 = lpuhw.sxm_rotate i8 down 3 (%0) {cycle = 3 : i64, stream = 0 : i32} : !lpuhw.stream
    lpuhw.mem_write %1 slice 43 bank 1 row 0 {cycle = 8 : i64}
    return
  }
}
