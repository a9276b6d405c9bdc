// RUN: lpuc-opt %s --split-input-file --lpu-to-lpuhw --verify-diagnostics

module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%a: tensor<3xf64> {onnx.name = "a"})
      -> (tensor<3xf64> {onnx.name = "y"}) {
    // expected-error @+1 {{element type f64 is not supported on the LPU yet}}
    %0 = lpu.add %a, %a : tensor<3xf64>
    return %0 : tensor<3xf64>
  }
}

// -----

// Integers are held as f32: a constant beyond 2^24 cannot be.
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%a: tensor<2xi64> {onnx.name = "a"})
      -> (tensor<2xi64> {onnx.name = "y"}) {
    // expected-error @+1 {{integer constant value 16777217 is outside the integers the chip holds exactly as f32 (|v| <= 2^24)}}
    %c = arith.constant dense<[1, 16777217]> : tensor<2xi64>
    %0 = lpu.add %a, %c : tensor<2xi64>
    return %0 : tensor<2xi64>
  }
}

// -----

// 1,000,000 rows of one f32 vector = 4,000,000 plane-rows over 16 slices.
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%a: tensor<320xf32> {onnx.name = "a"})
      -> (tensor<1000000x320xf32> {onnx.name = "y"}) {
    // expected-error @+1 {{does not fit in SRAM: needs 250000 rows in slice group 1 bank 0, target has 4096 rows per bank (4096 free)}}
    %0 = lpu.broadcast %a : tensor<320xf32> -> tensor<1000000x320xf32>
    return %0 : tensor<1000000x320xf32>
  }
}

// -----

// Every unsupported op is reported, not only the first.
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%a: tensor<4xf32> {onnx.name = "a"})
      -> (tensor<4xf32> {onnx.name = "y"}) {
    // expected-error @+1 {{'arith.addf' is not supported by lpu-to-lpuhw}}
    %0 = arith.addf %a, %a : tensor<4xf32>
    // expected-error @+1 {{'arith.mulf' is not supported by lpu-to-lpuhw}}
    %1 = arith.mulf %0, %0 : tensor<4xf32>
    return %1 : tensor<4xf32>
  }
}

// -----

// An unused argument of an unsupported type is reported at the argument.
module attributes {lpu.target = "lpu-v1"} {
  // expected-error @+1 {{element type f64 is not supported on the LPU yet}}
  func.func @main(%a: tensor<4xf64> {onnx.name = "a"}) {
    return
  }
}

// -----

// expected-error @+1 {{lpu-to-lpuhw: no func.func @main}}
module attributes {lpu.target = "lpu-v1"} {
  func.func @other() {
    return
  }
}

// -----

// expected-error @+1 {{unknown target}}
module attributes {lpu.target = "no-such-target"} {
  func.func @main() {
    return
  }
}
