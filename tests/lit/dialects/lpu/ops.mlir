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

// The ops added for transformers.
// CHECK-LABEL: func.func @transformer_ops
func.func @transformer_ops(%x: tensor<2x8x16xf32>, %g: tensor<16xf32>,
                           %m: tensor<8x8xi1>, %s: tensor<8x8xf32>,
                           %ids: tensor<1x4xi64>, %w: tensor<32x16xf32>,
                           %k: tensor<2x8xi64>) {
  // CHECK: lpu.div %{{.*}}, %{{.*}} : tensor<2x8x16xf32>
  %0 = lpu.div %x, %x : tensor<2x8x16xf32>
  // CHECK: lpu.pow %{{.*}}, %{{.*}} : tensor<2x8x16xf32>
  %1 = lpu.pow %x, %x : tensor<2x8x16xf32>
  // CHECK: lpu.neg %{{.*}} : tensor<2x8xi64>
  %2 = lpu.neg %k : tensor<2x8xi64>
  // CHECK: lpu.exp %{{.*}} : tensor<2x8x16xf32>
  %3 = lpu.exp %x : tensor<2x8x16xf32>
  // CHECK: lpu.erf
  %4 = lpu.erf %x : tensor<2x8x16xf32>
  // CHECK: lpu.tanh
  %5 = lpu.tanh %x : tensor<2x8x16xf32>
  // CHECK: lpu.sigmoid
  %6 = lpu.sigmoid %x : tensor<2x8x16xf32>
  // CHECK: lpu.sqrt
  %7 = lpu.sqrt %x : tensor<2x8x16xf32>
  // CHECK: lpu.rsqrt
  %8 = lpu.rsqrt %x : tensor<2x8x16xf32>
  // CHECK: lpu.recip
  %9 = lpu.recip %x : tensor<2x8x16xf32>
  // CHECK: lpu.cos
  %10 = lpu.cos %x : tensor<2x8x16xf32>
  // CHECK: lpu.sin
  %11 = lpu.sin %x : tensor<2x8x16xf32>
  // CHECK: lpu.not %{{.*}} : tensor<8x8xi1>
  %12 = lpu.not %m : tensor<8x8xi1>
  // CHECK: lpu.compare lt %{{.*}}, %{{.*}} : tensor<8x8xf32> -> tensor<8x8xi1>
  %13 = lpu.compare lt %s, %s : tensor<8x8xf32> -> tensor<8x8xi1>
  // CHECK: lpu.compare eq %{{.*}}, %{{.*}} : tensor<2x8xi64> -> tensor<2x8xi1>
  %14 = lpu.compare eq %k, %k : tensor<2x8xi64> -> tensor<2x8xi1>
  // CHECK: lpu.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<8x8xi1>, tensor<8x8xf32>
  %15 = lpu.select %m, %s, %s : tensor<8x8xi1>, tensor<8x8xf32>
  // CHECK: lpu.reduce mean %{{.*}} [2] : tensor<2x8x16xf32> -> tensor<2x8x1xf32>
  %16 = lpu.reduce mean %x [2] : tensor<2x8x16xf32> -> tensor<2x8x1xf32>
  // CHECK: lpu.reduce max %{{.*}} [0, 1] : tensor<2x8xi64> -> tensor<1x1xi64>
  %17 = lpu.reduce max %k [0, 1] : tensor<2x8xi64> -> tensor<1x1xi64>
  // CHECK: lpu.softmax %{{.*}} axis = 1 : tensor<8x8xf32>
  %18 = lpu.softmax %s axis = 1 : tensor<8x8xf32>
  // CHECK: lpu.log_softmax %{{.*}} axis = 0 : tensor<8x8xf32>
  %19 = lpu.log_softmax %s axis = 0 : tensor<8x8xf32>
  // CHECK: lpu.layer_norm %{{.*}} scale %{{.*}} bias %{{.*}} axis = 2 epsilon = 9.99999974E-6 : tensor<2x8x16xf32>, tensor<16xf32>, tensor<16xf32> -> tensor<2x8x16xf32>
  %20 = lpu.layer_norm %x scale %g bias %g axis = 2 epsilon = 1.0e-05 : tensor<2x8x16xf32>, tensor<16xf32>, tensor<16xf32> -> tensor<2x8x16xf32>
  // CHECK: lpu.layer_norm %{{.*}} axis = 2 epsilon = 9.99999974E-6 : tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  %21 = lpu.layer_norm %x axis = 2 epsilon = 1.0e-05 : tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  // CHECK: lpu.gather %{{.*}}[%{{.*}}] axis = 0 : tensor<32x16xf32>, tensor<1x4xi64> -> tensor<1x4x16xf32>
  %22 = lpu.gather %w[%ids] axis = 0 : tensor<32x16xf32>, tensor<1x4xi64> -> tensor<1x4x16xf32>
  // CHECK: lpu.slice %{{.*}} starts [0, 7, 1] steps [1, -1, 2] : tensor<2x8x16xf32> -> tensor<2x8x8xf32>
  %23 = lpu.slice %x starts [0, 7, 1] steps [1, -1, 2] : tensor<2x8x16xf32> -> tensor<2x8x8xf32>
  // CHECK: lpu.concat %{{.*}}, %{{.*}} axis = 0 : tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<4x8x16xf32>
  %24 = lpu.concat %x, %x axis = 0 : tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<4x8x16xf32>
  // CHECK: lpu.trilu upper %{{.*}} k = 1 : tensor<8x8xf32>
  %25 = lpu.trilu upper %s k = 1 : tensor<8x8xf32>
  // CHECK: lpu.trilu %{{.*}} k = 0 : tensor<8x8xi1>
  %26 = lpu.trilu %m k = 0 : tensor<8x8xi1>
  // CHECK: lpu.cast %{{.*}} : tensor<8x8xi1> to tensor<8x8xf32>
  %27 = lpu.cast %m : tensor<8x8xi1> to tensor<8x8xf32>
  return
}

// GENERIC: "lpu.compare"(%{{.*}}, %{{.*}}) <{predicate = 1 : i32}> : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xi1>
// GENERIC: "lpu.reduce"(%{{.*}}) <{axes = array<i64: 2>, kind = 1 : i32}> : (tensor<2x8x16xf32>) -> tensor<2x8x1xf32>
// GENERIC: "lpu.layer_norm"(%{{.*}}, %{{.*}}, %{{.*}}) <{axis = 2 : i64, epsilon = 9.99999974E-6 : f32, operandSegmentSizes = array<i32: 1, 1, 1>}>
// GENERIC: "lpu.trilu"(%{{.*}}) <{k = 1 : i64, upper}> : (tensor<8x8xf32>) -> tensor<8x8xf32>
