// RUN: lpuc-opt %s --split-input-file --lpuhw-schedule | FileCheck %s

// i8 add of a row from MEM-W1 (position 44, 2 hops east to the VXM at 46)
// and one from MEM-E0 (position 47, 1 hop west): the east read must issue a
// cycle before the west one so both pass the VXM when the add issues
// (0 + 2 + 2 = 1 + 2 + 1 = 4). The sum goes west to MEM-W3 (position 42):
// put in cycle 4 + 1 at 46, 4 hops, written in cycle 9.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 10 : i64
// CHECK: lpuhw.mem_read slice 1 bank 0 row 0 {cycle = 0 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_read slice 44 bank 0 row 0 {cycle = 1 : i64, stream = 32 : i32}
// CHECK: lpuhw.vxm "add" i8({{.*}}) {alu = 0 : i32, cycle = 4 : i64, stream = 32 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 3 bank 0 row 0 {cycle = 9 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %a = lpuhw.mem_read slice 1 bank 0 row 0
    %b = lpuhw.mem_read slice 44 bank 0 row 0
    %s = lpuhw.vxm "add" i8 (%a, %b) : !lpuhw.stream
    lpuhw.mem_write %s slice 3 bank 0 row 0
    return
  }
}

// -----

// f16 add: each operand group is 2 consecutive streams (planes in order),
// the second group from the east hemisphere on westward streams. The result
// (2 planes) goes east to MEM-E2/E3 on the lowest free eastward group: the
// first operand's streams 0-1 are on another diagonal, so 0-1 again.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 10 : i64
// CHECK: lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 1 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_read slice 1 bank 0 row 0 {cycle = 0 : i64, stream = 1 : i32}
// CHECK: lpuhw.mem_read slice 44 bank 0 row 0 {cycle = 1 : i64, stream = 32 : i32}
// CHECK: lpuhw.mem_read slice 45 bank 0 row 0 {cycle = 0 : i64, stream = 33 : i32}
// CHECK: lpuhw.vxm "add" f16({{.*}}) {alu = 0 : i32, cycle = 4 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 46 bank 0 row 0 {cycle = 8 : i64}
// CHECK: lpuhw.mem_write %{{.*}} slice 47 bank 0 row 0 {cycle = 9 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %a0 = lpuhw.mem_read slice 0 bank 0 row 0
    %a1 = lpuhw.mem_read slice 1 bank 0 row 0
    %b0 = lpuhw.mem_read slice 44 bank 0 row 0
    %b1 = lpuhw.mem_read slice 45 bank 0 row 0
    %s:2 = lpuhw.vxm "add" f16 (%a0, %a1, %b0, %b1) : !lpuhw.stream, !lpuhw.stream
    lpuhw.mem_write %s#0 slice 46 bank 0 row 0
    lpuhw.mem_write %s#1 slice 47 bank 0 row 0
    return
  }
}

// -----

// Independent adds (two rows of an elementwise op) overlap: both issue in
// cycle 4 on different ALUs; their reads (MEM-W1/E0 and MEM-W0/E1) all
// issue in cycles 0 and 1. The second add writes farther west (MEM-W4, 5
// hops) so it has the longer critical path and is placed first, on the
// lowest streams and ALU 0. The first add's operand from MEM-W1 would pass
// MEM-W0 in the cycle the other read puts its value there (same diagonal),
// so it takes stream 1; likewise its west operand and sum take stream 33.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 11 : i64
// CHECK: lpuhw.mem_read slice 1 bank 0 row 0 {cycle = 0 : i64, stream = 1 : i32}
// CHECK: lpuhw.mem_read slice 44 bank 0 row 0 {cycle = 1 : i64, stream = 33 : i32}
// CHECK: lpuhw.vxm "add" i8({{.*}}) {alu = 1 : i32, cycle = 4 : i64, stream = 33 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 3 bank 0 row 0 {cycle = 9 : i64}
// CHECK: lpuhw.mem_read slice 0 bank 0 row 1 {cycle = 1 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_read slice 45 bank 0 row 1 {cycle = 0 : i64, stream = 32 : i32}
// CHECK: lpuhw.vxm "add" i8({{.*}}) {alu = 0 : i32, cycle = 4 : i64, stream = 32 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 4 bank 0 row 0 {cycle = 10 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %a = lpuhw.mem_read slice 1 bank 0 row 0
    %b = lpuhw.mem_read slice 44 bank 0 row 0
    %s = lpuhw.vxm "add" i8 (%a, %b) : !lpuhw.stream
    lpuhw.mem_write %s slice 3 bank 0 row 0
    %c = lpuhw.mem_read slice 0 bank 0 row 1
    %d = lpuhw.mem_read slice 45 bank 0 row 1
    %t = lpuhw.vxm "add" i8 (%c, %d) : !lpuhw.stream
    lpuhw.mem_write %t slice 4 bank 0 row 0
    return
  }
}

// -----

// select (three input groups: cond, a, b) and exp (transcendental: 3
// cycles). The three select operands pass the VXM in cycle 5 (MEM-W2 at 43
// reads at 0: 0 + 2 + 3; MEM-W1 at 1: 1 + 2 + 2; MEM-W0 at 2: 2 + 2 + 1);
// its result is at 46 in 6, at MEM-E0 (47) in 7. exp issues at 7 on the same
// ALU; its f16 result is put at 7 + 3 = 10 and written at 48 and 49 in 12
// and 13.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 14 : i64
// CHECK: lpuhw.vxm "select" i8({{.*}}) {alu = 0 : i32, cycle = 5 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 44 bank 0 row 0 {cycle = 7 : i64}
// CHECK: lpuhw.vxm "exp" f16({{.*}}) {alu = 0 : i32, cycle = 7 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_write %{{.*}} slice 45 bank 0 row 0 {cycle = 12 : i64}
// CHECK: lpuhw.mem_write %{{.*}} slice 46 bank 0 row 0 {cycle = 13 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %c = lpuhw.mem_read slice 0 bank 0 row 0
    %a = lpuhw.mem_read slice 1 bank 0 row 0
    %b = lpuhw.mem_read slice 2 bank 0 row 0
    %s = lpuhw.vxm "select" i8 (%c, %a, %b) : !lpuhw.stream
    lpuhw.mem_write %s slice 44 bank 0 row 0
    %x0 = lpuhw.mem_read slice 3 bank 0 row 0
    %x1 = lpuhw.mem_read slice 4 bank 0 row 0
    %e:2 = lpuhw.vxm "exp" f16 (%x0, %x1) : !lpuhw.stream, !lpuhw.stream
    lpuhw.mem_write %e#0 slice 45 bank 0 row 0
    lpuhw.mem_write %e#1 slice 46 bank 0 row 0
    return
  }
}
