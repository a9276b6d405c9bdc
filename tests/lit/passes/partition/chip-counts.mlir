// RUN: not lpuc-opt %s --lpu-partition="chips=20000" 2>&1 | FileCheck %s --check-prefix=BIG
// RUN: not lpuc-opt %s --lpu-partition="chips=2" 2>&1 | FileCheck %s --check-prefix=FEW

// More chips than the target's topology wires; more chips than the model
// has ops to spread (a one-row op cannot be split by rows).
// BIG: lpu-partition: 20000 chips of lpu-v1: its topology wires at most 10440
// FEW: lpu-partition: 2 chips asked but the model has only 1 ops to spread
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<1x64xf32>) -> tensor<1x64xf32> {
    %0 = lpu.relu %x : tensor<1x64xf32>
    return %0 : tensor<1x64xf32>
  }
}
