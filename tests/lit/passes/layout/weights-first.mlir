// RUN: lpuc-opt %s --lpu-to-lpuhw | FileCheck %s
// RUN: lpuc-opt %s --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// Weights are in SRAM before the first instruction, so they are placed before
// any activation (lpu-to-lpuhw lowers twice: the first lowering finds the
// weights, the second places them first). Here the weight is first read by
// the last op, after nine [32, 32] activations (half a slot each on
// lpu-tiny) have filled and released every slot: placed at its first use it
// could only take rows an activation had written earlier in the program
// (wrong numbers), or not fit. It takes the lower half of the slot of its
// turn (group 0, bank 1); the activation of that turn takes the upper half
// and no activation ever takes its rows (the verifier rejects any write into
// a weight's rows).
// CHECK: lpuhw.tensor @x {bank = 0 : i32, base_row = 0 : i32, {{.*}}kind = "input"{{.*}}slices = array<i32: 0, 1, 2, 3>}
// CHECK: lpuhw.tensor @t3 {bank = 1 : i32, base_row = 32 : i32, {{.*}}slices = array<i32: 0, 1, 2, 3>}
// CHECK-NOT: lpuhw.tensor @t{{[0-9]+}} {bank = 1 : i32, base_row = 0 : i32, {{.*}}slices = array<i32: 0, 1, 2, 3>}
// CHECK: lpuhw.tensor @w0 {bank = 1 : i32, base_row = 0 : i32, {{.*}}kind = "weight"{{.*}}slices = array<i32: 0, 1, 2, 3>
// CHECK: lpuhw.tensor @y {{.*}}kind = "output"
// SCHED: func.func @main()
// SCHED: lpuhw.mxm_load
module attributes {lpu.target = "lpu-tiny"} {
  func.func @main(%x: tensor<32x32xf32> {onnx.name = "x"}) -> (tensor<32x32xf32> {onnx.name = "y"}) {
    %w = arith.constant dense<0.5> : tensor<32x32xf32>
    %a0 = lpu.relu %x : tensor<32x32xf32>
    %a1 = lpu.relu %a0 : tensor<32x32xf32>
    %a2 = lpu.relu %a1 : tensor<32x32xf32>
    %a3 = lpu.relu %a2 : tensor<32x32xf32>
    %a4 = lpu.relu %a3 : tensor<32x32xf32>
    %a5 = lpu.relu %a4 : tensor<32x32xf32>
    %a6 = lpu.relu %a5 : tensor<32x32xf32>
    %a7 = lpu.relu %a6 : tensor<32x32xf32>
    %a8 = lpu.relu %a7 : tensor<32x32xf32>
    %s0 = lpu.add %a8, %a0 : tensor<32x32xf32>
    %s1 = lpu.add %s0, %a1 : tensor<32x32xf32>
    %s2 = lpu.add %s1, %a2 : tensor<32x32xf32>
    %s3 = lpu.add %s2, %a3 : tensor<32x32xf32>
    %s4 = lpu.add %s3, %a4 : tensor<32x32xf32>
    %s5 = lpu.add %s4, %a5 : tensor<32x32xf32>
    %s6 = lpu.add %s5, %a6 : tensor<32x32xf32>
    %s7 = lpu.add %s6, %a7 : tensor<32x32xf32>
    %r0 = lpu.relu %s7 : tensor<32x32xf32>
    %r1 = lpu.relu %r0 : tensor<32x32xf32>
    %y = lpu.matmul %r1, %w : tensor<32x32xf32>, tensor<32x32xf32> -> tensor<32x32xf32>
    return %y : tensor<32x32xf32>
  }
}
