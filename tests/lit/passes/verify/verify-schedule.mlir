// RUN: lpuc-opt %s --lpuhw-verify-schedule --split-input-file --verify-diagnostics | FileCheck %s

// Hand-scheduled programs for lpu-v1 (ARCH.md section 6): MEM-W0 (slice 0)
// is at position 45, MEM-W1 at 44, MEM-W43 at 2, VXM at 46, MEM-E0 (slice
// 44) at 47, MXM-W at 0. Streams 0..31 go east, 32..63 west. A mem_read
// issued at t puts its row on the stream at t + 2; a VXM result is out at
// t + 1; an MXM result at t + 20.

// A copy (read MEM-W0, write MEM-E0) and an add of two rows: correct.
// CHECK-LABEL: module attributes {lpuhw.cycles = 7 : i64}
// CHECK: lpuhw.vxm "add"
module attributes {lpuhw.cycles = 7 : i64} {
  func.func @main() {
    %a = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 0 : i32}
    lpuhw.mem_write %a slice 44 bank 0 row 0 {cycle = 4 : i64}
    %x = lpuhw.mem_read slice 0 bank 0 row 1 {cycle = 1 : i64, stream = 1 : i32}
    %y = lpuhw.mem_read slice 1 bank 0 row 0 {cycle = 0 : i64, stream = 2 : i32}
    %s = lpuhw.vxm "add" i8 (%x, %y) {alu = 0 : i32, cycle = 4 : i64, stream = 3 : i32} : !lpuhw.stream
    lpuhw.mem_write %s slice 44 bank 1 row 0 {cycle = 6 : i64}
    return
  }
}

// -----

// A matmul on MXM plane 0: load, install, multiply, four result planes
// written on their way east: correct.
// CHECK-LABEL: module attributes {lpuhw.cycles = 75 : i64}
// CHECK: lpuhw.mxm_mul
module attributes {lpuhw.cycles = 75 : i64} {
  func.func @main() {
    %w = lpuhw.mem_read slice 0 bank 0 row 2 {cycle = 0 : i64, stream = 32 : i32}
    lpuhw.mxm_load plane 0 i8 rows 1 (%w) {cycle = 47 : i64}
    lpuhw.mxm_install plane 0 {cycle = 48 : i64}
    %x = lpuhw.mem_read slice 0 bank 0 row 3 {cycle = 2 : i64, stream = 33 : i32}
    %r:4 = lpuhw.mxm_mul plane 0 i8 acc 0 (%x) {emit, cycle = 49 : i64, stream = 0 : i32} : !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream
    lpuhw.mem_write %r#0 slice 43 bank 0 row 0 {cycle = 71 : i64}
    lpuhw.mem_write %r#1 slice 42 bank 0 row 0 {cycle = 72 : i64}
    lpuhw.mem_write %r#2 slice 41 bank 0 row 0 {cycle = 73 : i64}
    lpuhw.mem_write %r#3 slice 40 bank 0 row 0 {cycle = 74 : i64}
    return
  }
}

// -----

// The consumer issues one cycle before its operand reaches it.
module attributes {lpuhw.cycles = 4 : i64} {
  func.func @main() {
    %a = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 1 : i32}
    // expected-error @+1 {{VXM ALU 0 at cycle 2: operand 0 (stream 1) does not pass position 46 at cycle 2: its producer mem.read (MEM-W0 at cycle 0) puts it at position 45 in cycle 2, so it passes position 46 in cycle 3}}
    %c = lpuhw.vxm "copy" i8 (%a) {alu = 0 : i32, cycle = 2 : i64, stream = 3 : i32} : !lpuhw.stream
    return
  }
}

// -----

// Two ALUs put their results on stream 3 at the VXM in the same cycle.
module attributes {lpuhw.cycles = 5 : i64} {
  func.func @main() {
    %a = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 1 : i32}
    %c = lpuhw.vxm "copy" i8 (%a) {alu = 0 : i32, cycle = 3 : i64, stream = 3 : i32} : !lpuhw.stream
    // expected-error @+1 {{VXM ALU 1 at cycle 3: result 0 is put on stream 3 at position 46 in cycle 4, where vxm (VXM ALU 0 at cycle 3) also puts a value in the same cycle}}
    %d = lpuhw.vxm "copy" i8 (%a) {alu = 1 : i32, cycle = 3 : i64, stream = 3 : i32} : !lpuhw.stream
    return
  }
}

// -----

// Two clashes, each followed in the verifier's sorted puts by a value that
// is kept (stream 3 then 4, a third ALU on stream 5): each error names its
// own instruction and the one it clashes with.
module attributes {lpuhw.cycles = 5 : i64} {
  func.func @main() {
    %a = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 1 : i32}
    %c = lpuhw.vxm "copy" i8 (%a) {alu = 0 : i32, cycle = 3 : i64, stream = 3 : i32} : !lpuhw.stream
    // expected-error @+1 {{VXM ALU 1 at cycle 3: result 0 is put on stream 3 at position 46 in cycle 4, where vxm (VXM ALU 0 at cycle 3) also puts a value in the same cycle}}
    %d = lpuhw.vxm "copy" i8 (%a) {alu = 1 : i32, cycle = 3 : i64, stream = 3 : i32} : !lpuhw.stream
    %e = lpuhw.vxm "copy" i8 (%a) {alu = 2 : i32, cycle = 3 : i64, stream = 4 : i32} : !lpuhw.stream
    // expected-error @+1 {{VXM ALU 3 at cycle 3: result 0 is put on stream 4 at position 46 in cycle 4, where vxm (VXM ALU 2 at cycle 3) also puts a value in the same cycle}}
    %f = lpuhw.vxm "copy" i8 (%a) {alu = 3 : i32, cycle = 3 : i64, stream = 4 : i32} : !lpuhw.stream
    %g = lpuhw.vxm "copy" i8 (%a) {alu = 4 : i32, cycle = 3 : i64, stream = 5 : i32} : !lpuhw.stream
    return
  }
}

// -----

// The VXM puts a value on stream 1 where the row read from MEM-W0 passes on
// its way to MEM-E0: the row is ended before it is written.
module attributes {lpuhw.cycles = 7 : i64} {
  func.func @main() {
    %a = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 2 : i64, stream = 1 : i32}
    %b = lpuhw.mem_read slice 1 bank 0 row 0 {cycle = 0 : i64, stream = 2 : i32}
    %c = lpuhw.vxm "copy" i8 (%b) {alu = 0 : i32, cycle = 4 : i64, stream = 1 : i32} : !lpuhw.stream
    // expected-error @+1 {{MEM-E0 at cycle 6: operand 0 (stream 1) is ended before it is read: vxm (VXM ALU 0 at cycle 4) puts another value on stream 1 at position 46 in cycle 5, on its way from mem.read (MEM-W0 at cycle 2) at position 45 to position 47}}
    lpuhw.mem_write %a slice 44 bank 0 row 0 {cycle = 6 : i64}
    return
  }
}

// -----

// A read of bank 1 and a write of bank 0 of one slice in one cycle: one
// read port and one write port per slice, different banks: correct.
// CHECK-LABEL: module attributes {lpuhw.cycles = 6 : i64}
// CHECK: lpuhw.mem_write %{{.*}} slice 0 bank 0 row 5 {cycle = 3 : i64}
module attributes {lpuhw.cycles = 6 : i64} {
  func.func @main() {
    %b = lpuhw.mem_read slice 1 bank 0 row 0 {cycle = 0 : i64, stream = 2 : i32}
    lpuhw.mem_write %b slice 0 bank 0 row 5 {cycle = 3 : i64}
    %c = lpuhw.mem_read slice 0 bank 1 row 0 {cycle = 3 : i64, stream = 3 : i32}
    return
  }
}

// -----

// Two writes of one slice in one cycle (different banks): one write port.
module attributes {lpuhw.cycles = 5 : i64} {
  func.func @main() {
    %a = lpuhw.mem_read slice 1 bank 0 row 0 {cycle = 1 : i64, stream = 2 : i32}
    %b = lpuhw.mem_read slice 2 bank 0 row 0 {cycle = 0 : i64, stream = 3 : i32}
    lpuhw.mem_write %a slice 0 bank 0 row 5 {cycle = 4 : i64}
    // expected-error @+1 {{MEM-W0 at cycle 4: second write of the slice in one cycle}}
    lpuhw.mem_write %b slice 0 bank 1 row 5 {cycle = 4 : i64}
    return
  }
}

// -----

// Two reads of one slice in one cycle.
module attributes {lpuhw.cycles = 3 : i64} {
  func.func @main() {
    %a = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 1 : i32}
    // expected-error @+1 {{MEM-W0 at cycle 0: second read of the slice in one cycle (also reading: mem.read (MEM-W0 at cycle 0) of bank 0 row 0); a slice serves at most one read per cycle}}
    %b = lpuhw.mem_read slice 0 bank 1 row 1 {cycle = 0 : i64, stream = 2 : i32}
    return
  }
}

// -----

// A read and a write of bank 0 of one slice in one cycle.
module attributes {lpuhw.cycles = 6 : i64} {
  func.func @main() {
    %b = lpuhw.mem_read slice 1 bank 0 row 0 {cycle = 0 : i64, stream = 2 : i32}
    lpuhw.mem_write %b slice 0 bank 0 row 5 {cycle = 3 : i64}
    // expected-error @+1 {{MEM-W0 at cycle 3: read and write of bank 0 in one cycle (mem.write (MEM-W0 at cycle 3))}}
    %a = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 3 : i64, stream = 1 : i32}
    return
  }
}

// -----

// A row beyond the bank.
module attributes {lpuhw.cycles = 3 : i64} {
  func.func @main() {
    // expected-error @+1 {{MEM-W0 at cycle 0: row 4096 out of range (bank has 4096 rows)}}
    %a = lpuhw.mem_read slice 0 bank 0 row 4096 {cycle = 0 : i64, stream = 1 : i32}
    return
  }
}

// -----

// A multiply on a plane that has no installed tile.
module attributes {lpuhw.cycles = 48 : i64} {
  func.func @main() {
    %x = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 32 : i32}
    // expected-error @+1 {{MXM plane 0 (compute) at cycle 47: multiply on plane 0 with no installed tile (no mxm_install before it)}}
    lpuhw.mxm_mul plane 0 i8 acc 0 (%x) {cycle = 47 : i64}
    return
  }
}

// -----

// An install in the cycle the tile is still being loaded.
module attributes {lpuhw.cycles = 48 : i64} {
  func.func @main() {
    %w = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 32 : i32}
    lpuhw.mxm_load plane 0 i8 rows 1 (%w) {cycle = 47 : i64}
    // expected-error @+1 {{MXM plane 0 (compute) at cycle 47: install before mxm.load_weights (MXM plane 0 (weights) at cycle 47) completes: the tile is loaded at cycle 48}}
    lpuhw.mxm_install plane 0 {cycle = 47 : i64}
    return
  }
}

// -----

// The module's length is wrong: the write is busy until cycle 5.
// expected-error @+1 {{`lpuhw.cycles` is 4 but the program is busy until cycle 5 (mem.write on MEM-E0 issued at cycle 4 is busy for 1 cycles)}}
module attributes {lpuhw.cycles = 4 : i64} {
  func.func @main() {
    %a = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 0 : i32}
    lpuhw.mem_write %a slice 44 bank 0 row 0 {cycle = 4 : i64}
    return
  }
}

// -----

// A westward value never reaches a slice east of its producer.
module attributes {lpuhw.cycles = 5 : i64} {
  func.func @main() {
    %a = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 32 : i32}
    // expected-error @+1 {{MEM-E0 at cycle 4: operand 0 (stream 32, westward) never passes position 47: its producer mem.read (MEM-W0 at cycle 0) puts it at position 45}}
    lpuhw.mem_write %a slice 44 bank 0 row 0 {cycle = 4 : i64}
    return
  }
}

// -----

// The two planes of an f16 operand are not on consecutive streams.
module attributes {lpuhw.cycles = 6 : i64} {
  func.func @main() {
    %a = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 1 : i64, stream = 1 : i32}
    %b = lpuhw.mem_read slice 1 bank 0 row 0 {cycle = 0 : i64, stream = 3 : i32}
    // expected-error @+1 {{VXM ALU 0 at cycle 4: operand 1 is on stream 3 but its group reads it from stream 2}}
    %c:2 = lpuhw.vxm "copy" f16 (%a, %b) {alu = 0 : i32, cycle = 4 : i64, stream = 5 : i32} : !lpuhw.stream, !lpuhw.stream
    return
  }
}

// -----

// An unscheduled instruction.
module attributes {lpuhw.cycles = 3 : i64} {
  func.func @main() {
    // expected-error @+1 {{instruction has no `cycle`: run lpuhw-schedule first}}
    %a = lpuhw.mem_read slice 0 bank 0 row 0 {stream = 1 : i32}
    return
  }
}

// -----

// A read scheduled before the write that precedes it in program order.
module attributes {lpuhw.cycles = 6 : i64} {
  func.func @main() {
    %a = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 0 : i32}
    lpuhw.mem_write %a slice 44 bank 0 row 0 {cycle = 4 : i64}
    // expected-error @+1 {{MEM-E0 at cycle 3: reads bank 0 row 0 before the earlier mem.write (MEM-E0 at cycle 4) has written it (the row holds the value from cycle 5)}}
    %b = lpuhw.mem_read slice 44 bank 0 row 0 {cycle = 3 : i64, stream = 40 : i32}
    return
  }
}

// -----

// Accumulating into an accumulator row that holds no value.
module attributes {lpuhw.cycles = 50 : i64} {
  func.func @main() {
    %w = lpuhw.mem_read slice 0 bank 0 row 2 {cycle = 0 : i64, stream = 32 : i32}
    lpuhw.mxm_load plane 0 i8 rows 1 (%w) {cycle = 47 : i64}
    lpuhw.mxm_install plane 0 {cycle = 48 : i64}
    %x = lpuhw.mem_read slice 0 bank 0 row 3 {cycle = 2 : i64, stream = 33 : i32}
    // expected-error @+1 {{MXM plane 0 (compute) at cycle 49: accumulates into accumulator row 0 of plane 0, which no earlier multiply wrote}}
    lpuhw.mxm_mul plane 0 i8 acc 0 (%x) {accumulate, cycle = 49 : i64}
    return
  }
}

// -----

// An i8 multiply holds its plane for the i8 issue interval (1 cycle): after
// an install of an f32 tile, an f32 multiply may issue 2 cycles later (the
// f32 interval binds the multiply after it, as in the emulator).
// CHECK-LABEL: module attributes {lpuhw.cycles = 55 : i64}
// CHECK: lpuhw.mxm_mul plane 0 f32
module attributes {lpuhw.cycles = 55 : i64} {
  func.func @main() {
    %w = lpuhw.mem_read slice 0 bank 0 row 2 {cycle = 0 : i64, stream = 32 : i32}
    lpuhw.mxm_load plane 0 i8 rows 1 (%w) {cycle = 47 : i64}
    lpuhw.mxm_install plane 0 {cycle = 48 : i64}
    %x = lpuhw.mem_read slice 4 bank 0 row 3 {cycle = 6 : i64, stream = 33 : i32}
    lpuhw.mxm_mul plane 0 i8 acc 0 (%x) {cycle = 49 : i64}
    %v0 = lpuhw.mem_read slice 0 bank 0 row 4 {cycle = 2 : i64, stream = 36 : i32}
    %v1 = lpuhw.mem_read slice 1 bank 0 row 4 {cycle = 3 : i64, stream = 37 : i32}
    %v2 = lpuhw.mem_read slice 2 bank 0 row 4 {cycle = 4 : i64, stream = 38 : i32}
    %v3 = lpuhw.mem_read slice 3 bank 0 row 4 {cycle = 5 : i64, stream = 39 : i32}
    lpuhw.mxm_load plane 0 f32 rows 1 (%v0, %v1, %v2, %v3) {cycle = 49 : i64}
    lpuhw.mxm_install plane 0 {cycle = 50 : i64}
    %a0 = lpuhw.mem_read slice 0 bank 0 row 5 {cycle = 4 : i64, stream = 40 : i32}
    %a1 = lpuhw.mem_read slice 1 bank 0 row 5 {cycle = 5 : i64, stream = 41 : i32}
    %a2 = lpuhw.mem_read slice 2 bank 0 row 5 {cycle = 6 : i64, stream = 42 : i32}
    %a3 = lpuhw.mem_read slice 3 bank 0 row 5 {cycle = 7 : i64, stream = 43 : i32}
    lpuhw.mxm_mul plane 0 f32 acc 1 (%a0, %a1, %a2, %a3) {cycle = 51 : i64}
    return
  }
}

// -----

// The same, with a second f32 multiply 2 cycles after the first: too soon.
module attributes {lpuhw.cycles = 57 : i64} {
  func.func @main() {
    %w = lpuhw.mem_read slice 0 bank 0 row 2 {cycle = 0 : i64, stream = 32 : i32}
    lpuhw.mxm_load plane 0 i8 rows 1 (%w) {cycle = 47 : i64}
    lpuhw.mxm_install plane 0 {cycle = 48 : i64}
    %x = lpuhw.mem_read slice 4 bank 0 row 3 {cycle = 6 : i64, stream = 33 : i32}
    lpuhw.mxm_mul plane 0 i8 acc 0 (%x) {cycle = 49 : i64}
    %v0 = lpuhw.mem_read slice 0 bank 0 row 4 {cycle = 2 : i64, stream = 36 : i32}
    %v1 = lpuhw.mem_read slice 1 bank 0 row 4 {cycle = 3 : i64, stream = 37 : i32}
    %v2 = lpuhw.mem_read slice 2 bank 0 row 4 {cycle = 4 : i64, stream = 38 : i32}
    %v3 = lpuhw.mem_read slice 3 bank 0 row 4 {cycle = 5 : i64, stream = 39 : i32}
    lpuhw.mxm_load plane 0 f32 rows 1 (%v0, %v1, %v2, %v3) {cycle = 49 : i64}
    lpuhw.mxm_install plane 0 {cycle = 50 : i64}
    %a0 = lpuhw.mem_read slice 0 bank 0 row 5 {cycle = 4 : i64, stream = 40 : i32}
    %a1 = lpuhw.mem_read slice 1 bank 0 row 5 {cycle = 5 : i64, stream = 41 : i32}
    %a2 = lpuhw.mem_read slice 2 bank 0 row 5 {cycle = 6 : i64, stream = 42 : i32}
    %a3 = lpuhw.mem_read slice 3 bank 0 row 5 {cycle = 7 : i64, stream = 43 : i32}
    lpuhw.mxm_mul plane 0 f32 acc 1 (%a0, %a1, %a2, %a3) {cycle = 51 : i64}
    %b0 = lpuhw.mem_read slice 0 bank 0 row 6 {cycle = 6 : i64, stream = 44 : i32}
    %b1 = lpuhw.mem_read slice 1 bank 0 row 6 {cycle = 7 : i64, stream = 45 : i32}
    %b2 = lpuhw.mem_read slice 2 bank 0 row 6 {cycle = 8 : i64, stream = 46 : i32}
    %b3 = lpuhw.mem_read slice 3 bank 0 row 6 {cycle = 9 : i64, stream = 47 : i32}
    // expected-error @+2 {{MXM plane 0 (compute) at cycle 53: queue is busy until cycle 55 with mxm.multiply (MXM plane 0 (compute) at cycle 51)}}
    // expected-error @+1 {{MXM plane 0 (compute) at cycle 53: multiply within the issue interval of the earlier mxm.multiply (MXM plane 0 (compute) at cycle 51) (next multiply from cycle 55)}}
    lpuhw.mxm_mul plane 0 f32 acc 2 (%b0, %b1, %b2, %b3) {cycle = 53 : i64}
    return
  }
}

// -----

// A write into a weight's rows: weights (and inputs) are in SRAM before the
// first instruction, so the write destroys them even though it issues
// before their first read. Writing an output's rows is what outputs are for.
module attributes {lpuhw.cycles = 8 : i64} {
  lpuhw.tensor @w {kind = "weight", dtype = i8, shape = array<i64: 2, 320>, slices = array<i32: 0>, bank = 0 : i32, base_row = 4 : i32, value = dense<1> : tensor<2x320xi8>}
  lpuhw.tensor @y {kind = "output", onnx_name = "y", dtype = i8, shape = array<i64: 1, 320>, slices = array<i32: 44>, bank = 0 : i32, base_row = 0 : i32}
  func.func @main() {
    %a = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 0 : i32}
    lpuhw.mem_write %a slice 44 bank 0 row 0 {cycle = 4 : i64}
    %b = lpuhw.mem_read slice 44 bank 1 row 0 {cycle = 0 : i64, stream = 32 : i32}
    // expected-error @+1 {{writes slice 0 bank 0 row 5, which holds weight @w (loaded before the program starts; rows 4..6 of its slices)}}
    lpuhw.mem_write %b slice 0 bank 0 row 5 {cycle = 4 : i64}
    %c = lpuhw.mem_read slice 0 bank 0 row 5 {cycle = 5 : i64, stream = 1 : i32}
    return
  }
}

// -----

// An issue cycle at 2^30 or later is beyond the checker's packed tables.
module attributes {lpuhw.cycles = 1073741827 : i64} {
  func.func @main() {
    // expected-error @+1 {{MEM-W0 at cycle 1073741824: program too long or too wide for the checker}}
    %a = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 1073741824 : i64, stream = 0 : i32}
    return
  }
}

// -----

// From 2^31 the cycle does not fit the checker's instruction records.
module attributes {lpuhw.cycles = 2147483651 : i64} {
  func.func @main() {
    // expected-error @+1 {{cycle 2147483648 is beyond the schedule checker's range (below 2^31)}}
    %a = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 2147483648 : i64, stream = 0 : i32}
    return
  }
}
