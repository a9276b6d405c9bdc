// RUN: lpuc-opt %s --lpu-partition="chips=1x" --verify-diagnostics

// A chip count that is not a number.
// expected-error @below {{lpu-partition: chips must be `auto` or a positive number, got '1x'}}
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
    %0 = lpu.relu %x : tensor<4x64xf32>
    return %0 : tensor<4x64xf32>
  }
}
