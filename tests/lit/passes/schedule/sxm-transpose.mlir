// RUN: lpuc-opt %s --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s

// A 16 x 16 byte transpose on the west SXM (lpu-v1: units 0..7 at position 1,
// MEM slice 43 - k at position 2 + k; mem_read_latency 2, sxm_latency 4).
// The reads of slices 43..28 are staggered so that all 16 rows pass position
// 1 in cycle 18: slice 28 (position 17) reads in cycle 0, is on the stream in
// cycle 2 and 16 hops later at the SXM; slice 43 (position 2) reads in cycle
// 15. The 16 results go east from cycle 22 and pass slice 43 - j (position
// 2 + j) in cycle 23 + j; length 38 + 1.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 39 : i64
// CHECK: lpuhw.mem_read slice 43 bank 0 row 2 {cycle = 15 : i64, stream = 32 : i32}
// CHECK: lpuhw.mem_read slice 28 bank 0 row 2 {cycle = 0 : i64, stream = 47 : i32}
// CHECK: lpuhw.sxm_transpose ({{.*}}) {cycle = 18 : i64, stream = 0 : i32, unit = 0 : i32}
// CHECK: lpuhw.mem_write %{{.*}}#0 slice 43 bank 1 row 2 {cycle = 23 : i64}
// CHECK: lpuhw.mem_write %{{.*}}#1 slice 42 bank 1 row 2 {cycle = 24 : i64}
// CHECK: lpuhw.mem_write %{{.*}}#15 slice 28 bank 1 row 2 {cycle = 38 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %a0 = lpuhw.mem_read slice 43 bank 0 row 2
    %a1 = lpuhw.mem_read slice 42 bank 0 row 2
    %a2 = lpuhw.mem_read slice 41 bank 0 row 2
    %a3 = lpuhw.mem_read slice 40 bank 0 row 2
    %a4 = lpuhw.mem_read slice 39 bank 0 row 2
    %a5 = lpuhw.mem_read slice 38 bank 0 row 2
    %a6 = lpuhw.mem_read slice 37 bank 0 row 2
    %a7 = lpuhw.mem_read slice 36 bank 0 row 2
    %a8 = lpuhw.mem_read slice 35 bank 0 row 2
    %a9 = lpuhw.mem_read slice 34 bank 0 row 2
    %a10 = lpuhw.mem_read slice 33 bank 0 row 2
    %a11 = lpuhw.mem_read slice 32 bank 0 row 2
    %a12 = lpuhw.mem_read slice 31 bank 0 row 2
    %a13 = lpuhw.mem_read slice 30 bank 0 row 2
    %a14 = lpuhw.mem_read slice 29 bank 0 row 2
    %a15 = lpuhw.mem_read slice 28 bank 0 row 2
    %t:16 = lpuhw.sxm_transpose (%a0, %a1, %a2, %a3, %a4, %a5, %a6, %a7, %a8, %a9, %a10, %a11, %a12, %a13, %a14, %a15) :
        !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream,
        !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream
    lpuhw.mem_write %t#0 slice 43 bank 1 row 2
    lpuhw.mem_write %t#1 slice 42 bank 1 row 2
    lpuhw.mem_write %t#2 slice 41 bank 1 row 2
    lpuhw.mem_write %t#3 slice 40 bank 1 row 2
    lpuhw.mem_write %t#4 slice 39 bank 1 row 2
    lpuhw.mem_write %t#5 slice 38 bank 1 row 2
    lpuhw.mem_write %t#6 slice 37 bank 1 row 2
    lpuhw.mem_write %t#7 slice 36 bank 1 row 2
    lpuhw.mem_write %t#8 slice 35 bank 1 row 2
    lpuhw.mem_write %t#9 slice 34 bank 1 row 2
    lpuhw.mem_write %t#10 slice 33 bank 1 row 2
    lpuhw.mem_write %t#11 slice 32 bank 1 row 2
    lpuhw.mem_write %t#12 slice 31 bank 1 row 2
    lpuhw.mem_write %t#13 slice 30 bank 1 row 2
    lpuhw.mem_write %t#14 slice 29 bank 1 row 2
    lpuhw.mem_write %t#15 slice 28 bank 1 row 2
    return
  }
}
