// RUN: lpuc-opt %s --split-input-file --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s

// lpu-v1 positions: SXM-W units 0..7 at 1, MEM-W43 (slice 43) at 2, MEM-W0
// (slice 0) at 45, MEM-E0 (slice 44) at 47, SXM-E units 8..15 at 91;
// mem_read_latency 2, sxm_latency 4, mem_write_latency 1.

// An i8 shift next to the west SXM: the row is on westward stream 32 at
// position 2 in cycle 2 and passes the SXM (1 hop) in cycle 3, where the shift
// issues. Its result is on eastward stream 0 in cycle 3 + 4 = 7 and reaches
// slice 43 one hop later: the write issues in cycle 8; length 8 + 1.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 9 : i64
// CHECK: lpuhw.mem_read slice 43 bank 0 row 0 {cycle = 0 : i64, stream = 32 : i32}
// CHECK: lpuhw.sxm_shift i8 up 3 (%{{.*}}) {cycle = 3 : i64, stream = 0 : i32, unit = 0 : i32} : !lpuhw.stream
// CHECK: lpuhw.mem_write %{{.*}} slice 43 bank 1 row 0 {cycle = 8 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 43 bank 0 row 0
    %1 = lpuhw.sxm_shift i8 up 3 (%0) : !lpuhw.stream
    lpuhw.mem_write %1 slice 43 bank 1 row 0
    return
  }
}

// -----

// An f16 rotate on the east SXM: plane 0 from slice 44 (position 47, cycle 0
// + 2) and plane 1 from slice 45 (position 48, cycle 1 + 2) both reach
// position 91 in cycle 46 (44 and 43 hops). The result is westward (stream
// 32, 33) from cycle 50 and passes 48 in cycle 93 and 47 in cycle 94.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 95 : i64
// CHECK: lpuhw.mem_read slice 44 bank 0 row 5 {cycle = 0 : i64, stream = 0 : i32}
// CHECK: lpuhw.mem_read slice 45 bank 0 row 5 {cycle = 1 : i64, stream = 1 : i32}
// CHECK: lpuhw.sxm_rotate f16 down 7 (%{{.*}}, %{{.*}}) {cycle = 46 : i64, stream = 32 : i32, unit = 8 : i32}
// CHECK: lpuhw.mem_write %{{.*}}#0 slice 44 bank 1 row 5 {cycle = 94 : i64}
// CHECK: lpuhw.mem_write %{{.*}}#1 slice 45 bank 1 row 5 {cycle = 93 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 44 bank 0 row 5
    %1 = lpuhw.mem_read slice 45 bank 0 row 5
    %2:2 = lpuhw.sxm_rotate f16 down 7 (%0, %1) : !lpuhw.stream, !lpuhw.stream
    lpuhw.mem_write %2#0 slice 44 bank 1 row 5
    lpuhw.mem_write %2#1 slice 45 bank 1 row 5
    return
  }
}

// -----

// Two moves of one value on the west SXM issue in the same cycle on two
// units (one queue each). The value of slice 0 (position 45, cycle 2) and of
// slice 1 (44, cycle 3) reach position 1 in cycle 46; the results (cycle 50,
// eastward) pass slices 3, 2, 1, 0 (positions 42..45) in cycles 91..94.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 95 : i64
// CHECK: lpuhw.sxm_shift f16 up 3 (%{{.*}}, %{{.*}}) {cycle = 46 : i64, stream = 0 : i32, unit = 0 : i32}
// CHECK: lpuhw.sxm_rotate f16 down 7 (%{{.*}}, %{{.*}}) {cycle = 46 : i64, stream = 2 : i32, unit = 1 : i32}
// CHECK: lpuhw.mem_write %{{.*}}#0 slice 0 bank 1 row 0 {cycle = 94 : i64}
// CHECK: lpuhw.mem_write %{{.*}}#1 slice 1 bank 1 row 0 {cycle = 93 : i64}
// CHECK: lpuhw.mem_write %{{.*}}#0 slice 2 bank 1 row 0 {cycle = 92 : i64}
// CHECK: lpuhw.mem_write %{{.*}}#1 slice 3 bank 1 row 0 {cycle = 91 : i64}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main() {
    %x0 = lpuhw.mem_read slice 0 bank 0 row 0
    %x1 = lpuhw.mem_read slice 1 bank 0 row 0
    %y:2 = lpuhw.sxm_shift f16 up 3 (%x0, %x1) : !lpuhw.stream, !lpuhw.stream
    %z:2 = lpuhw.sxm_rotate f16 down 7 (%x0, %x1) : !lpuhw.stream, !lpuhw.stream
    lpuhw.mem_write %y#0 slice 0 bank 1 row 0
    lpuhw.mem_write %y#1 slice 1 bank 1 row 0
    lpuhw.mem_write %z#0 slice 2 bank 1 row 0
    lpuhw.mem_write %z#1 slice 3 bank 1 row 0
    return
  }
}
