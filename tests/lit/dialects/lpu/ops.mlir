// Every lpu op prints and parses back to itself, in custom and generic form.
// RUN: lpuc-opt %s | lpuc-opt | FileCheck %s
// RUN: lpuc-opt %s --mlir-print-op-generic | lpuc-opt | FileCheck %s
// RUN: lpuc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// CHECK-LABEL: func.func @all
func.func @all(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>, %x: tensor<3x4x8xf16>,
               %y: tensor<3x8x2xf16>, %e: tensor<2x3xf32>, %i: tensor<2x3xi32>,
               %v: tensor<3xf32>) {
  // CHECK: lpu.matmul %{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
  %0 = lpu.matmul %a, %b : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
  // CHECK: lpu.matmul %{{.*}}, %{{.*}} : tensor<3x4x8xf16>, tensor<3x8x2xf16> -> tensor<3x4x2xf16>
  %1 = lpu.matmul %x, %y : tensor<3x4x8xf16>, tensor<3x8x2xf16> -> tensor<3x4x2xf16>
  // CHECK: lpu.add %{{.*}}, %{{.*}} : tensor<2x3xf32>
  %2 = lpu.add %e, %e : tensor<2x3xf32>
  // CHECK: lpu.sub %{{.*}}, %{{.*}} : tensor<2x3xi32>
  %3 = lpu.sub %i, %i : tensor<2x3xi32>
  // CHECK: lpu.mul %{{.*}}, %{{.*}} : tensor<2x3xf32>
  %4 = lpu.mul %e, %e : tensor<2x3xf32>
  // CHECK: lpu.relu %{{.*}} : tensor<2x3xf32>
  %5 = lpu.relu %e : tensor<2x3xf32>
  // CHECK: lpu.broadcast %{{.*}} : tensor<3xf32> -> tensor<2x5x3xf32>
  %6 = lpu.broadcast %v : tensor<3xf32> -> tensor<2x5x3xf32>
  // CHECK: lpu.transpose %{{.*}} [2, 0, 1] : tensor<3x4x8xf16> -> tensor<8x3x4xf16>
  %7 = lpu.transpose %x [2, 0, 1] : tensor<3x4x8xf16> -> tensor<8x3x4xf16>
  // CHECK: lpu.reshape %{{.*}} : tensor<3x4x8xf16> -> tensor<12x8xf16>
  %8 = lpu.reshape %x : tensor<3x4x8xf16> -> tensor<12x8xf16>
  // CHECK: lpu.cast %{{.*}} : tensor<2x3xf32> to tensor<2x3xbf16>
  %9 = lpu.cast %e : tensor<2x3xf32> to tensor<2x3xbf16>
  return
}

// GENERIC: "lpu.matmul"(%{{.*}}, %{{.*}}) : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
// GENERIC: "lpu.transpose"(%{{.*}}) <{permutation = array<i64: 2, 0, 1>}> : (tensor<3x4x8xf16>) -> tensor<8x3x4xf16>
