// lpu-precision on the transformer ops: only float computations narrow.
// Integer index arithmetic (lpu.sub on i64), gather indices, bool masks and
// compare results stay as they are; float constants are rounded at compile
// time (fp16(0.1) = 0.0999755859375, bf16(0.1) = 0.10009765625,
// bf16(-10000) = -9984); a bool ->
// float cast produces the narrow type directly; f32 leaves at the interface.
// RUN: lpuc-opt %s --lpu-precision=precision=fp16 --split-input-file | FileCheck %s --check-prefix=FP16
// RUN: lpuc-opt %s --lpu-precision=precision=bf16 --split-input-file | FileCheck %s --check-prefix=BF16

// FP16-LABEL: func.func @attention_bits
// FP16-SAME: (%[[IDS:.*]]: tensor<1x4xi64>, %[[X:.*]]: tensor<1x4x8xf32>, %[[M:.*]]: tensor<4x4xi1>)
// FP16-NEXT: %[[XH:.*]] = lpu.cast %[[X]] : tensor<1x4x8xf32> to tensor<1x4x8xf16>
// FP16-NEXT: %[[W:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00], [9.997550e-02, {{.*}}]]> : tensor<2x8xf16>
// FP16-NEXT: %[[ONE:.*]] = arith.constant dense<1> : tensor<1x4xi64>
// FP16-NEXT: %[[I:.*]] = lpu.sub %[[IDS]], %[[ONE]] : tensor<1x4xi64>
// FP16-NEXT: %[[E:.*]] = lpu.gather %[[W]][%[[I]]] axis = 0 : tensor<2x8xf16>, tensor<1x4xi64> -> tensor<1x4x8xf16>
// FP16-NEXT: %[[H:.*]] = lpu.add %[[E]], %[[XH]] : tensor<1x4x8xf16>
// FP16-NEXT: %[[G:.*]] = arith.constant dense<1.000000e+00> : tensor<8xf16>
// FP16-NEXT: %[[N:.*]] = lpu.layer_norm %[[H]] scale %[[G]] axis = 2 epsilon = 9.99999974E-6 : tensor<1x4x8xf16>, tensor<8xf16> -> tensor<1x4x8xf16>
// FP16-NEXT: %[[NF:.*]] = lpu.cast %[[N]] : tensor<1x4x8xf16> to tensor<1x4x8xf32>
// FP16-NEXT: %[[NEG:.*]] = arith.constant dense<-1.000000e+04> : tensor<4x4xf16>
// FP16-NEXT: %[[S:.*]] = arith.constant dense<9.997550e-02> : tensor<4x4xf16>
// FP16-NEXT: %[[SEL:.*]] = lpu.select %[[M]], %[[S]], %[[NEG]] : tensor<4x4xi1>, tensor<4x4xf16>
// FP16-NEXT: %[[LT:.*]] = lpu.compare lt %[[SEL]], %[[S]] : tensor<4x4xf16> -> tensor<4x4xi1>
// FP16-NEXT: %[[MF:.*]] = lpu.cast %[[M]] : tensor<4x4xi1> to tensor<4x4xf16>
// FP16-NEXT: %[[SM:.*]] = lpu.softmax %[[MF]] axis = 1 : tensor<4x4xf16>
// FP16-NEXT: %[[SMF:.*]] = lpu.cast %[[SM]] : tensor<4x4xf16> to tensor<4x4xf32>
// FP16-NEXT: return %[[NF]], %[[SMF]], %[[I]], %[[LT]] : tensor<1x4x8xf32>, tensor<4x4xf32>, tensor<1x4xi64>, tensor<4x4xi1>

// BF16-LABEL: func.func @attention_bits
// BF16: lpu.sub %{{.*}}, %{{.*}} : tensor<1x4xi64>
// BF16: arith.constant dense<-9.984000e+03> : tensor<4x4xbf16>
// BF16-NEXT: arith.constant dense<1.000980e-01> : tensor<4x4xbf16>
// BF16: lpu.compare lt %{{.*}}, %{{.*}} : tensor<4x4xbf16> -> tensor<4x4xi1>
func.func @attention_bits(%ids: tensor<1x4xi64>, %x: tensor<1x4x8xf32>, %m: tensor<4x4xi1>) -> (tensor<1x4x8xf32>, tensor<4x4xf32>, tensor<1x4xi64>, tensor<4x4xi1>) {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]]> : tensor<2x8xf32>
  %c1 = arith.constant dense<1> : tensor<1x4xi64>
  %i = lpu.sub %ids, %c1 : tensor<1x4xi64>
  %e = lpu.gather %w[%i] axis = 0 : tensor<2x8xf32>, tensor<1x4xi64> -> tensor<1x4x8xf32>
  %h = lpu.add %e, %x : tensor<1x4x8xf32>
  %g = arith.constant dense<1.0> : tensor<8xf32>
  %n = lpu.layer_norm %h scale %g axis = 2 epsilon = 1.0e-05 : tensor<1x4x8xf32>, tensor<8xf32> -> tensor<1x4x8xf32>
  %neg = arith.constant dense<-1.0e+04> : tensor<4x4xf32>
  %s = arith.constant dense<0.1> : tensor<4x4xf32>
  %sel = lpu.select %m, %s, %neg : tensor<4x4xi1>, tensor<4x4xf32>
  %lt = lpu.compare lt %sel, %s : tensor<4x4xf32> -> tensor<4x4xi1>
  %mf = lpu.cast %m : tensor<4x4xi1> to tensor<4x4xf32>
  %sm = lpu.softmax %mf axis = 1 : tensor<4x4xf32>
  return %n, %sm, %i, %lt : tensor<1x4x8xf32>, tensor<4x4xf32>, tensor<1x4xi64>, tensor<4x4xi1>
}

// -----

// An ONNX Cast f32 -> f16 in the model becomes the identity once the
// computation is fp16, and disappears; a Cast to i64 takes the narrow value.
// FP16-LABEL: func.func @casts
// FP16-NEXT: %[[XH:.*]] = lpu.cast %{{.*}} : tensor<4xf32> to tensor<4xf16>
// FP16-NEXT: %[[E:.*]] = lpu.exp %[[XH]] : tensor<4xf16>
// FP16-NEXT: %[[I:.*]] = lpu.cast %[[E]] : tensor<4xf16> to tensor<4xi64>
// FP16-NEXT: return %[[E]], %[[I]] : tensor<4xf16>, tensor<4xi64>
func.func @casts(%x: tensor<4xf32>) -> (tensor<4xf16>, tensor<4xi64>) {
  %0 = lpu.exp %x : tensor<4xf32>
  %1 = lpu.cast %0 : tensor<4xf32> to tensor<4xf16>
  %2 = lpu.cast %0 : tensor<4xf32> to tensor<4xi64>
  return %1, %2 : tensor<4xf16>, tensor<4xi64>
}
