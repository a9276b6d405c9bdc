// RUN: lpuc-opt %s --split-input-file --lpuhw-schedule | FileCheck %s

// A 20-row i8 tile for plane 0 (MXM-W, position 0) from MEM-W0..W15: operand
// i is read i / 16 cycles after the load issues, on stream base + i % 16
// (westward: 32..47). MEM-W0 (position 45) is farthest: 2 + 45 hops, so the
// load issues in cycle 47 with W0's first read in cycle 0 and its second
// (operand 16) in cycle 1. The load takes ceil(20 / 16) = 2 cycles, so the
// install waits until cycle 49 and the multiply until 50; its activation from
// MEM-W20 (position 25) is read in cycle 50 - 2 - 25 = 23. The emitted i32
// result (4 planes, eastward streams 0..3) leaves position 0 in cycle
// 50 + 20 and reaches MEM-E0..E3 (positions 47..50) in cycles 117..120.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 121 : i64
// CHECK: lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 32 : i32}
// CHECK: lpuhw.mem_read slice 1 bank 0 row 0 {cycle = 1 : i64, stream = 33 : i32}
// CHECK: lpuhw.mem_read slice 15 bank 0 row 0 {cycle = 15 : i64, stream = 47 : i32}
// CHECK: lpuhw.mem_read slice 0 bank 0 row 1 {cycle = 1 : i64, stream = 32 : i32}
// CHECK: lpuhw.mem_read slice 3 bank 0 row 1 {cycle = 4 : i64, stream = 35 : i32}
// CHECK: lpuhw.mxm_load plane 0 i8 rows 20({{.*}}) {cycle = 47 : i64}
// CHECK: lpuhw.mxm_install plane 0 {cycle = 49 : i64}
// CHECK: lpuhw.mem_read slice 20 bank 0 row 0 {cycle = 23 : i64, stream = 32 : i32}
// CHECK: lpuhw.mxm_mul plane 0 i8 acc 0(%{{.*}}) {cycle = 50 : i64, emit, stream = 0 : i32}
// CHECK: lpuhw.mem_write %{{.*}}#0 slice 44 bank 0 row 0 {cycle = 117 : i64}
// CHECK: lpuhw.mem_write %{{.*}}#1 slice 45 bank 0 row 0 {cycle = 118 : i64}
// CHECK: lpuhw.mem_write %{{.*}}#2 slice 46 bank 0 row 0 {cycle = 119 : i64}
// CHECK: lpuhw.mem_write %{{.*}}#3 slice 47 bank 0 row 0 {cycle = 120 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %w0 = lpuhw.mem_read slice 0 bank 0 row 0
    %w1 = lpuhw.mem_read slice 1 bank 0 row 0
    %w2 = lpuhw.mem_read slice 2 bank 0 row 0
    %w3 = lpuhw.mem_read slice 3 bank 0 row 0
    %w4 = lpuhw.mem_read slice 4 bank 0 row 0
    %w5 = lpuhw.mem_read slice 5 bank 0 row 0
    %w6 = lpuhw.mem_read slice 6 bank 0 row 0
    %w7 = lpuhw.mem_read slice 7 bank 0 row 0
    %w8 = lpuhw.mem_read slice 8 bank 0 row 0
    %w9 = lpuhw.mem_read slice 9 bank 0 row 0
    %w10 = lpuhw.mem_read slice 10 bank 0 row 0
    %w11 = lpuhw.mem_read slice 11 bank 0 row 0
    %w12 = lpuhw.mem_read slice 12 bank 0 row 0
    %w13 = lpuhw.mem_read slice 13 bank 0 row 0
    %w14 = lpuhw.mem_read slice 14 bank 0 row 0
    %w15 = lpuhw.mem_read slice 15 bank 0 row 0
    %w16 = lpuhw.mem_read slice 0 bank 0 row 1
    %w17 = lpuhw.mem_read slice 1 bank 0 row 1
    %w18 = lpuhw.mem_read slice 2 bank 0 row 1
    %w19 = lpuhw.mem_read slice 3 bank 0 row 1
    lpuhw.mxm_load plane 0 i8 rows 20 (%w0, %w1, %w2, %w3, %w4, %w5, %w6, %w7, %w8, %w9, %w10, %w11, %w12, %w13, %w14, %w15, %w16, %w17, %w18, %w19)
    lpuhw.mxm_install plane 0
    %a = lpuhw.mem_read slice 20 bank 0 row 0
    %r:4 = lpuhw.mxm_mul plane 0 i8 acc 0 (%a) {emit} : !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream
    lpuhw.mem_write %r#0 slice 44 bank 0 row 0
    lpuhw.mem_write %r#1 slice 45 bank 0 row 0
    lpuhw.mem_write %r#2 slice 46 bank 0 row 0
    lpuhw.mem_write %r#3 slice 47 bank 0 row 0
    return
  }
}

// -----

// Double buffering with 1-row tiles (1 cycle to load). Tile A from MEM-W10
// (35 hops + 2): load 37, install 38, then three multiplies stream one per
// cycle (39, 40, 41; mxm_issue_interval_8bit = 1). Tile B's load only waits
// for A's install (the shadow is free again), so it runs in cycle 39, during
// A's multiplies; B's install waits for the last multiply of A (42), and
// B's multiply follows (43).
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"
// CHECK: lpuhw.mxm_load plane 0 i8 rows 1(%{{.*}}) {cycle = 37 : i64}
// CHECK: lpuhw.mxm_install plane 0 {cycle = 38 : i64}
// CHECK: lpuhw.mxm_mul plane 0 i8 acc 0(%{{.*}}) {cycle = 39 : i64}
// CHECK: lpuhw.mxm_mul plane 0 i8 acc 1(%{{.*}}) {cycle = 40 : i64}
// CHECK: lpuhw.mxm_mul plane 0 i8 acc 2(%{{.*}}) {cycle = 41 : i64}
// CHECK: lpuhw.mxm_load plane 0 i8 rows 1(%{{.*}}) {cycle = 39 : i64}
// CHECK: lpuhw.mxm_install plane 0 {cycle = 42 : i64}
// CHECK: lpuhw.mxm_mul plane 0 i8 acc 0(%{{.*}}) {accumulate, cycle = 43 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %wa = lpuhw.mem_read slice 10 bank 0 row 0
    lpuhw.mxm_load plane 0 i8 rows 1 (%wa)
    lpuhw.mxm_install plane 0
    %a0 = lpuhw.mem_read slice 20 bank 0 row 0
    lpuhw.mxm_mul plane 0 i8 acc 0 (%a0)
    %a1 = lpuhw.mem_read slice 21 bank 0 row 0
    lpuhw.mxm_mul plane 0 i8 acc 1 (%a1)
    %a2 = lpuhw.mem_read slice 22 bank 0 row 0
    lpuhw.mxm_mul plane 0 i8 acc 2 (%a2)
    %wb = lpuhw.mem_read slice 11 bank 0 row 0
    lpuhw.mxm_load plane 0 i8 rows 1 (%wb)
    lpuhw.mxm_install plane 0
    %a3 = lpuhw.mem_read slice 23 bank 0 row 0
    lpuhw.mxm_mul plane 0 i8 acc 0 (%a3) {accumulate}
    return
  }
}

// -----

// f32 on plane 2 (MXM-E, position 92; the pair 2-3): the weights come east
// over 4 consecutive streams, and multiplies issue every
// mxm_issue_interval_32bit = 4 cycles. The activations from MEM-W4..W7 are
// 51..48 hops away, so their reads issue in cycles 3..0 and the first
// multiply in 56; the second's (MEM-W8..W11, 4 hops farther) in 60. The
// results go west on streams 32..35 to MEM-W20..W23 (positions 25..22).
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 151 : i64
// CHECK: lpuhw.mxm_load plane 2 f32 rows 1({{.*}}) {cycle = 52 : i64}
// CHECK: lpuhw.mxm_install plane 2 {cycle = 53 : i64}
// CHECK: lpuhw.mem_read slice 4 bank 0 row 1 {cycle = 3 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_read slice 7 bank 0 row 1 {cycle = 0 : i64, stream = 3 : i32}
// CHECK: lpuhw.mxm_mul plane 2 f32 acc 0({{.*}}) {cycle = 56 : i64, emit, stream = 32 : i32}
// CHECK: lpuhw.mxm_mul plane 2 f32 acc 1({{.*}}) {cycle = 60 : i64, emit, stream = 32 : i32}
// CHECK: lpuhw.mem_write %{{.*}}#0 slice 20 bank 1 row 0 {cycle = 143 : i64}
// CHECK: lpuhw.mem_write %{{.*}}#3 slice 23 bank 1 row 1 {cycle = 150 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %w0 = lpuhw.mem_read slice 0 bank 0 row 0
    %w1 = lpuhw.mem_read slice 1 bank 0 row 0
    %w2 = lpuhw.mem_read slice 2 bank 0 row 0
    %w3 = lpuhw.mem_read slice 3 bank 0 row 0
    lpuhw.mxm_load plane 2 f32 rows 1 (%w0, %w1, %w2, %w3)
    lpuhw.mxm_install plane 2
    %a0 = lpuhw.mem_read slice 4 bank 0 row 1
    %a1 = lpuhw.mem_read slice 5 bank 0 row 1
    %a2 = lpuhw.mem_read slice 6 bank 0 row 1
    %a3 = lpuhw.mem_read slice 7 bank 0 row 1
    %r:4 = lpuhw.mxm_mul plane 2 f32 acc 0 (%a0, %a1, %a2, %a3) {emit} : !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream
    %b0 = lpuhw.mem_read slice 8 bank 0 row 1
    %b1 = lpuhw.mem_read slice 9 bank 0 row 1
    %b2 = lpuhw.mem_read slice 10 bank 0 row 1
    %b3 = lpuhw.mem_read slice 11 bank 0 row 1
    %s:4 = lpuhw.mxm_mul plane 2 f32 acc 1 (%b0, %b1, %b2, %b3) {emit} : !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream
    lpuhw.mem_write %r#0 slice 20 bank 1 row 0
    lpuhw.mem_write %r#1 slice 21 bank 1 row 0
    lpuhw.mem_write %r#2 slice 22 bank 1 row 0
    lpuhw.mem_write %r#3 slice 23 bank 1 row 0
    lpuhw.mem_write %s#0 slice 20 bank 1 row 1
    lpuhw.mem_write %s#1 slice 21 bank 1 row 1
    lpuhw.mem_write %s#2 slice 22 bank 1 row 1
    lpuhw.mem_write %s#3 slice 23 bank 1 row 1
    return
  }
}
