// RUN: lpuc-opt %s --split-input-file --lpuhw-verify-schedule --verify-diagnostics

// The receive issues one cycle before the vector arrives.
module attributes {lpu.target = "lpu-v1", lpuhw.chips = 2 : i32, lpuhw.cycles = 311 : i64} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0 {chip = 0 : i32, cycle = 0 : i64, stream = 32 : i32}
    %1 = lpuhw.c2c_send %0 to 1 {chip = 0 : i32, cycle = 47 : i64, link = 0 : i32}
    // expected-error @below {{chip 1 C2C link 6 at cycle 262: the vector sent by c2c.send (chip 0 C2C link 0 at cycle 47) of chip 0 arrives in cycle 263 (1 hop(s)); a receive must issue exactly then}}
    %2 = lpuhw.c2c_recv %1 {chip = 1 : i32, cycle = 262 : i64, link = 6 : i32, stream = 0 : i32}
    lpuhw.mem_write %2 slice 44 bank 0 row 0 {chip = 1 : i32, cycle = 310 : i64}
    return
  }
}

// -----

// The send leaves on a link that does not lead towards chip 1.
module attributes {lpu.target = "lpu-v1", lpuhw.chips = 2 : i32, lpuhw.cycles = 312 : i64} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0 {chip = 0 : i32, cycle = 0 : i64, stream = 32 : i32}
    // expected-error @below {{the route from chip 0 to chip 1 leaves on link 0, not link 1}}
    %1 = lpuhw.c2c_send %0 to 1 {chip = 0 : i32, cycle = 47 : i64, link = 1 : i32}
    %2 = lpuhw.c2c_recv %1 {chip = 1 : i32, cycle = 263 : i64, link = 6 : i32, stream = 0 : i32}
    lpuhw.mem_write %2 slice 44 bank 0 row 0 {chip = 1 : i32, cycle = 311 : i64}
    return
  }
}

// -----

// Two vectors on one link 10 cycles apart: a link carries one per 23 cycles.
module attributes {lpu.target = "lpu-v1", lpuhw.chips = 2 : i32, lpuhw.cycles = 322 : i64} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0 {chip = 0 : i32, cycle = 0 : i64, stream = 32 : i32}
    %1 = lpuhw.c2c_send %0 to 1 {chip = 0 : i32, cycle = 47 : i64, link = 0 : i32}
    %2 = lpuhw.c2c_recv %1 {chip = 1 : i32, cycle = 263 : i64, link = 6 : i32, stream = 0 : i32}
    lpuhw.mem_write %2 slice 44 bank 0 row 0 {chip = 1 : i32, cycle = 311 : i64}
    %3 = lpuhw.mem_read slice 0 bank 0 row 1 {chip = 0 : i32, cycle = 10 : i64, stream = 32 : i32}
    // expected-error @below {{busy}}
    %4 = lpuhw.c2c_send %3 to 1 {chip = 0 : i32, cycle = 57 : i64, link = 0 : i32}
    %5 = lpuhw.c2c_recv %4 {chip = 1 : i32, cycle = 273 : i64, link = 6 : i32, stream = 0 : i32}
    lpuhw.mem_write %5 slice 44 bank 0 row 1 {chip = 1 : i32, cycle = 321 : i64}
    return
  }
}

// -----

// A stream value read on another chip.
module attributes {lpu.target = "lpu-v1", lpuhw.chips = 2 : i32, lpuhw.cycles = 5 : i64} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0 {chip = 0 : i32, cycle = 0 : i64, stream = 0 : i32}
    // expected-error @below {{reads a stream value of chip 0 on chip 1 (vectors cross chips only through c2c_send and c2c_recv)}}
    lpuhw.mem_write %0 slice 44 bank 0 row 0 {chip = 1 : i32, cycle = 4 : i64}
    return
  }
}
