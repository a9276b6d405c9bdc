// RUN: lpuc-opt %s --lpu-to-lpuhw | FileCheck %s
// RUN: lpuc-opt %s --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// Activations give their rows back after their last use. On lpu-tiny each
// [64, 32] f32 tensor fills a whole (slice group, bank) slot: 4 groups x 2
// banks = 8 slots, so the input, 12 activations and the output only fit
// because @t7 onwards reuse the slots of dead ones (without reuse: "does not
// fit in SRAM"). Rotation over the slots is kept, so an op's operands and
// result still sit in different slots.
// CHECK: lpuhw.tensor @x {bank = 0 : i32, base_row = 0 : i32, {{.*}}kind = "input"{{.*}}slices = array<i32: 0, 1, 2, 3>}
// CHECK: lpuhw.tensor @t0 {bank = 0 : i32, base_row = 0 : i32, {{.*}}kind = "activation"{{.*}}slices = array<i32: 4, 5, 6, 7>}
// CHECK: lpuhw.tensor @t1 {bank = 0 : i32, base_row = 0 : i32, {{.*}}slices = array<i32: 8, 9, 10, 11>}
// CHECK: lpuhw.tensor @t6 {bank = 1 : i32, base_row = 0 : i32, {{.*}}slices = array<i32: 12, 13, 14, 15>}
// CHECK: lpuhw.tensor @t7 {bank = 0 : i32, base_row = 0 : i32, {{.*}}slices = array<i32: 4, 5, 6, 7>}
// CHECK: lpuhw.tensor @t8 {bank = 0 : i32, base_row = 0 : i32, {{.*}}slices = array<i32: 8, 9, 10, 11>}
// CHECK: lpuhw.tensor @t11 {bank = 1 : i32, base_row = 0 : i32, {{.*}}slices = array<i32: 4, 5, 6, 7>}
// CHECK: lpuhw.tensor @y {bank = 1 : i32, base_row = 0 : i32, {{.*}}kind = "output"{{.*}}slices = array<i32: 8, 9, 10, 11>}

// The scheduler orders the reuse (a write to @t7's rows waits for the last
// read of @t0's) and the independent verifier accepts the schedule.
// SCHED: module attributes {lpu.target = "lpu-tiny", lpuhw.cycles = 1031 : i64
// SCHED: func.func @main()
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<64x32xf32> {onnx.name = "x"})
      -> (tensor<64x32xf32> {onnx.name = "y"}) {
    %0 = lpu.relu %x : tensor<64x32xf32>
    %1 = lpu.mul %0, %0 : tensor<64x32xf32>
    %2 = lpu.relu %1 : tensor<64x32xf32>
    %3 = lpu.mul %2, %2 : tensor<64x32xf32>
    %4 = lpu.relu %3 : tensor<64x32xf32>
    %5 = lpu.mul %4, %4 : tensor<64x32xf32>
    %6 = lpu.relu %5 : tensor<64x32xf32>
    %7 = lpu.mul %6, %6 : tensor<64x32xf32>
    %8 = lpu.relu %7 : tensor<64x32xf32>
    %9 = lpu.mul %8, %8 : tensor<64x32xf32>
    %10 = lpu.relu %9 : tensor<64x32xf32>
    %11 = lpu.mul %10, %10 : tensor<64x32xf32>
    %12 = lpu.relu %11 : tensor<64x32xf32>
    return %12 : tensor<64x32xf32>
  }
}
