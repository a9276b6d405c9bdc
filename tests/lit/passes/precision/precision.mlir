// lpu-precision: f32 lpu computations in fp16 / bf16, f32 at the interface.
// RUN: lpuc-opt %s --lpu-precision=precision=fp32 | FileCheck %s --check-prefix=FP32
// RUN: lpuc-opt %s --lpu-precision | FileCheck %s --check-prefix=FP32
// RUN: lpuc-opt %s --lpu-precision=precision=fp16 | FileCheck %s --check-prefix=FP16
// RUN: lpuc-opt %s --lpu-precision=precision=bf16 | FileCheck %s --check-prefix=BF16
// RUN: not lpuc-opt %s --lpu-precision=precision=fp8 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: unknown precision 'fp8' (expected fp32, fp16 or bf16)

// FP32-LABEL: func.func @linear
// FP32-NEXT: arith.constant dense_resource<w> : tensor<2x2xf32>
// FP32-NEXT: arith.constant dense<[1.00048828, -2.000000e+00]> : tensor<2xf32>
// FP32-NEXT: lpu.matmul %{{.*}}, %{{.*}} : tensor<3x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32>
// FP32-NOT: lpu.cast
// FP32: return
// FP32: w: "0x040000000010803F00000040000040400080813F"

// The argument is cast down once at entry; the weights are rounded at compile
// time (the bias 1 + 2^-11 is a tie and rounds to the even 1.0 in fp16, and
// to 1.0 in bf16); the result is cast back to f32 before the return.
// FP16-LABEL: func.func @linear
// FP16-SAME: (%[[X:.*]]: tensor<3x2xf32>) -> tensor<3x2xf32>
// FP16-NEXT: %[[XH:.*]] = lpu.cast %[[X]] : tensor<3x2xf32> to tensor<3x2xf16>
// FP16-NEXT: %[[W:.*]] = arith.constant dense_resource<w_fp16> : tensor<2x2xf16>
// FP16-NEXT: %[[B:.*]] = arith.constant dense<[1.000000e+00, -2.000000e+00]> : tensor<2xf16>
// FP16-NEXT: %[[MM:.*]] = lpu.matmul %[[XH]], %[[W]] : tensor<3x2xf16>, tensor<2x2xf16> -> tensor<3x2xf16>
// FP16-NEXT: %[[BB:.*]] = lpu.broadcast %[[B]] : tensor<2xf16> -> tensor<3x2xf16>
// FP16-NEXT: %[[Y:.*]] = lpu.add %[[MM]], %[[BB]] : tensor<3x2xf16>
// FP16-NEXT: %[[R:.*]] = lpu.relu %[[Y]] : tensor<3x2xf16>
// FP16-NEXT: %[[RF:.*]] = lpu.cast %[[R]] : tensor<3x2xf16> to tensor<3x2xf32>
// FP16-NEXT: return %[[RF]] : tensor<3x2xf32>

// BF16-LABEL: func.func @linear
// BF16: lpu.cast %{{.*}} : tensor<3x2xf32> to tensor<3x2xbf16>
// BF16: arith.constant dense_resource<w_bf16> : tensor<2x2xbf16>
// BF16: arith.constant dense<[1.000000e+00, -2.000000e+00]> : tensor<2xbf16>
// BF16: lpu.matmul %{{.*}}, %{{.*}} : tensor<3x2xbf16>, tensor<2x2xbf16> -> tensor<3x2xbf16>
// BF16: lpu.cast %{{.*}} : tensor<3x2xbf16> to tensor<3x2xf32>
func.func @linear(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense_resource<w> : tensor<2x2xf32>
  %b = arith.constant dense<[1.00048828125, -2.0]> : tensor<2xf32>
  %0 = lpu.matmul %x, %w : tensor<3x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32>
  %1 = lpu.broadcast %b : tensor<2xf32> -> tensor<3x2xf32>
  %2 = lpu.add %0, %1 : tensor<3x2xf32>
  %3 = lpu.relu %2 : tensor<3x2xf32>
  return %3 : tensor<3x2xf32>
}

// Integer computations and values already narrow are left alone; an explicit
// cast to the narrow type disappears.
// FP16-LABEL: func.func @mixed
// FP16-SAME: (%[[I:.*]]: tensor<4xi32>, %[[H:.*]]: tensor<4xf16>, %[[F:.*]]: tensor<4xf32>)
// FP16-NEXT: %[[FH:.*]] = lpu.cast %[[F]] : tensor<4xf32> to tensor<4xf16>
// FP16-NEXT: %[[II:.*]] = lpu.add %[[I]], %[[I]] : tensor<4xi32>
// FP16-NEXT: %[[HH:.*]] = lpu.mul %[[H]], %[[FH]] : tensor<4xf16>
// FP16-NEXT: return %[[II]], %[[HH]]
func.func @mixed(%i: tensor<4xi32>, %h: tensor<4xf16>, %f: tensor<4xf32>) -> (tensor<4xi32>, tensor<4xf16>) {
  %0 = lpu.add %i, %i : tensor<4xi32>
  %c = lpu.cast %f : tensor<4xf32> to tensor<4xf16>
  %1 = lpu.mul %h, %c : tensor<4xf16>
  return %0, %1 : tensor<4xi32>, tensor<4xf16>
}

// A finite constant beyond the narrow type's range saturates to its largest
// finite value (the exporters' "most negative float" mask value, -3.4e38 =
// finfo(float32).min, would otherwise become -inf and 0 * mask NaN); an
// infinity stays one.
// FP16-LABEL: func.func @mask_min
// FP16: arith.constant dense<[-6.550400e+04, 6.550400e+04, 0xFC00]> : tensor<3xf16>
// BF16-LABEL: func.func @mask_min
// BF16: arith.constant dense<[-3.389530e+38, 9.984000e+04, 0xFF80]> : tensor<3xbf16>
func.func @mask_min(%x: tensor<3xf32>) -> tensor<3xf32> {
  %c = arith.constant dense<[-3.40282347e+38, 1.0e+05, 0xFF800000]> : tensor<3xf32>
  %0 = lpu.mul %x, %c : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// A blob is released once no op references it: `u`, only used by an lpu op,
// goes with its constant; `v` is still referenced by the f32 constant the
// return uses, so its f32 bytes stay (printed below).
// FP16-LABEL: func.func @shared_blob
// FP16: arith.constant dense_resource<v_fp16> : tensor<2x2xf16>
// FP16: arith.constant dense_resource<u_fp16> : tensor<2x2xf16>
// FP16: %[[F:.*]] = arith.constant dense_resource<v> : tensor<2x2xf32>
// FP16: return %{{.*}}, %[[F]]
func.func @shared_blob(%x: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  %v = arith.constant dense_resource<v> : tensor<2x2xf32>
  %u = arith.constant dense_resource<u> : tensor<2x2xf32>
  %v2 = arith.constant dense_resource<v> : tensor<2x2xf32>
  %0 = lpu.matmul %x, %v : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<2x2xf32>
  %1 = lpu.add %0, %u : tensor<2x2xf32>
  return %1, %v2 : tensor<2x2xf32>, tensor<2x2xf32>
}

// The converted weights (printed after all functions):
// w = [1 + 2^-11, 2, 3, 1 + 3 * 2^-8] (f32 0x3F801000 0x40000000 0x40400000
// 0x3F818000). In f16, 1 + 2^-11 is a tie and rounds to the even 0x3C00 and
// 1 + 3 * 2^-8 is exact (0x3C0C).
// FP16: w_fp16: "0x02000000003C004000420C3C"
// FP16: v: "0x040000000010803F00000040000040400080813F"
// In bf16, 1 + 2^-11 rounds down to 0x3F80 and 1 + 3 * 2^-8 is a tie between
// 0x3F81 and 0x3F82 that rounds to the even 0x3F82.
// BF16: w_bf16: "0x02000000803F00404040823F"
{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000010803F00000040000040400080813F",
      v: "0x040000000010803F00000040000040400080813F",
      u: "0x04000000000080400000A0400000C0400000E040"
    }
  }
#-}

