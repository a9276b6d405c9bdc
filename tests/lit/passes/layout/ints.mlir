// RUN: lpuc-opt %s --lpu-to-lpuhw | FileCheck %s
// RUN: lpuc-opt %s --lpu-to-lpuhw --lpuhw-schedule --lpuhw-verify-schedule | FileCheck %s --check-prefix=SCHED

// Integers and bools are held as f32 (`dtype = f32`); graph inputs and
// outputs keep their type in `host_dtype` for the runtime. Integer
// constants become f32 weights. compare -> a VXM compare (0/1), not ->
// 1 - x, select with a runtime condition -> a VXM select (a splat operand
// is read from a one-row constant), cast float -> int -> truncation
// toward zero in f32.
// CHECK-LABEL: module attributes {lpu.target = "lpu-v1"}
// CHECK: lpuhw.tensor @a {{{.*}}dtype = f32, host_dtype = i64, kind = "input"
// CHECK: lpuhw.tensor @m {{{.*}}dtype = f32, host_dtype = i1, kind = "input"
// CHECK: lpuhw.tensor @w0 {{{.*}}dtype = f32, kind = "weight"{{.*}}value = dense<3.000000e+00> : tensor<2x8xf32>}
// CHECK: lpuhw.tensor @s {{{.*}}dtype = f32, host_dtype = i64, kind = "output"
// CHECK: lpuhw.tensor @lt {{{.*}}dtype = f32, host_dtype = i1, kind = "output"
// CHECK: lpuhw.tensor @splatm1000000000p000000_f32 {{{.*}}shape = array<i64: 1, 8>{{.*}}value = dense<-1.000000e+09> : tensor<1x8xf32>}
// CHECK: func.func @main() {
// CHECK: lpuhw.vxm "add" f32
// CHECK: lpuhw.vxm "copy" f32
// CHECK: lpuhw.vxm "lt" f32
// CHECK: lpuhw.vxm "rsub_imm" f32({{.*}}) {imm = 1.000000e+00 : f32}
// CHECK: lpuhw.vxm "select" f32
// Truncation: |x|, then (|x| + 2^23) - 2^23.
// CHECK: lpuhw.vxm "neg" f32
// CHECK: lpuhw.vxm "max" f32
// CHECK: lpuhw.vxm "add_imm" f32({{.*}}) {imm = 0x4B000000 : f32}
// CHECK-NEXT: lpuhw.vxm "add_imm" f32({{.*}}) {imm = 0xCB000000 : f32}
// CHECK: return
// SCHED: module attributes {lpu.target = "lpu-v1", lpuhw.cycles = {{[0-9]+}} : i64
module attributes {lpu.target = "lpu-v1"} {
  func.func @main(%a: tensor<2x8xi64> {onnx.name = "a"},
                  %x: tensor<2x8xf32> {onnx.name = "x"},
                  %m: tensor<2x8xi1> {onnx.name = "m"})
      -> (tensor<2x8xi1> {onnx.name = "lt"}, tensor<2x8xi1> {onnx.name = "nm"},
          tensor<2x8xf32> {onnx.name = "w"}, tensor<2x8xi64> {onnx.name = "t"},
          tensor<2x8xi64> {onnx.name = "s"}) {
    %c = arith.constant dense<3> : tensor<2x8xi64>
    %s = lpu.add %a, %c : tensor<2x8xi64>
    %af = lpu.cast %a : tensor<2x8xi64> to tensor<2x8xf32>
    %lt = lpu.compare lt %af, %x : tensor<2x8xf32> -> tensor<2x8xi1>
    %nm = lpu.not %m : tensor<2x8xi1>
    %z = arith.constant dense<-1.0e+09> : tensor<2x8xf32>
    %w = lpu.select %m, %x, %z : tensor<2x8xi1>, tensor<2x8xf32>
    %t = lpu.cast %x : tensor<2x8xf32> to tensor<2x8xi64>
    return %lt, %nm, %w, %t, %s : tensor<2x8xi1>, tensor<2x8xi1>, tensor<2x8xf32>, tensor<2x8xi64>, tensor<2x8xi64>
  }
}
