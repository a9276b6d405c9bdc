// RUN: lpuc-opt %s --split-input-file --lpuhw-schedule --verify-diagnostics

// %a reaches the VXM in cycle t + 3 (read latency 2, one hop), but the copy
// of %a is only on its stream a cycle later: the add cannot read both.
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %a = lpuhw.mem_read slice 0 bank 0 row 0
    %c = lpuhw.vxm "copy" i8 (%a) : !lpuhw.stream
    // expected-error @+1 {{inconsistent bundle: operand #1 passes this op's position 1 cycle(s) after the issue cycle that its other stream edges fix}}
    %s = lpuhw.vxm "add" i8 (%a, %c) : !lpuhw.stream
    lpuhw.mem_write %s slice 44 bank 0 row 0
    return
  }
}

// -----

// A value read both east and west of its producer: the lowering must copy it.
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    // expected-error @+1 {{result #0 at position 45 is read on both sides (positions 44 and 47)}}
    %a = lpuhw.mem_read slice 0 bank 0 row 0
    lpuhw.mem_write %a slice 1 bank 0 row 0
    lpuhw.mem_write %a slice 44 bank 0 row 0
    return
  }
}

// -----

// Two operands of one add from the same slice would need the slice's queue
// twice in one cycle.
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %a = lpuhw.mem_read slice 0 bank 0 row 0
    // expected-error @+1 {{bundle needs MEM-W0 twice in one cycle}}
    %b = lpuhw.mem_read slice 0 bank 0 row 1
    %s = lpuhw.vxm "add" i8 (%a, %b) : !lpuhw.stream
    lpuhw.mem_write %s slice 44 bank 0 row 0
    return
  }
}

// -----

// The planes of one f16 operand group must be on consecutive streams in
// order; here the same value is plane 0 of one group and plane 1 of another.
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %a = lpuhw.mem_read slice 0 bank 0 row 0
    %b = lpuhw.mem_read slice 1 bank 0 row 0
    // expected-error @+1 {{operand #3 must be on stream base+1 of its input group}}
    %s:2 = lpuhw.vxm "add" f16 (%a, %b, %b, %a) : !lpuhw.stream, !lpuhw.stream
    lpuhw.mem_write %s#0 slice 44 bank 0 row 0
    lpuhw.mem_write %s#1 slice 45 bank 0 row 0
    return
  }
}

// -----

// expected-error @+1 {{no func.func @main}}
module attributes {lpu.target = "lpu-v1"} {
}

// -----

// lpuhw.after_send ties a send to the previous send of its chip to the same
// chip (a block of transfers); there is none here (the earlier send goes to
// chip 2).
module attributes {lpu.target = "lpu-tiny", lpuhw.chips = 4 : i32} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0 {chip = 0 : i32}
    %1 = lpuhw.c2c_send %0 to 2 {chip = 0 : i32}
    %2 = lpuhw.c2c_recv %1 {chip = 2 : i32}
    lpuhw.mem_write %2 slice 4 bank 0 row 0 {chip = 2 : i32}
    %3 = lpuhw.mem_read slice 0 bank 0 row 1 {chip = 0 : i32}
    // expected-error @+1 {{lpuhw-schedule: lpuhw.after_send without an earlier send of chip 0 to chip 1}}
    %4 = lpuhw.c2c_send %3 to 1 {chip = 0 : i32, lpuhw.after_send}
    %5 = lpuhw.c2c_recv %4 {chip = 1 : i32}
    lpuhw.mem_write %5 slice 4 bank 0 row 0 {chip = 1 : i32}
    return
  }
}
