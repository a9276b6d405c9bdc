// RUN: lpuc-opt %s --split-input-file --verify-diagnostics | FileCheck %s

// Round trip: direction keyword, amount, width(dtype) planes in and out.
// CHECK-LABEL: func.func @ok
// CHECK: lpuhw.sxm_shift f32 up 3 (%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream
// CHECK: lpuhw.sxm_rotate i8 down 400 (%{{.*}}) {unit = 9 : i32} : !lpuhw.stream
func.func @ok() {
  %a = lpuhw.mem_read slice 0 bank 0 row 0
  %b = lpuhw.mem_read slice 1 bank 0 row 0
  %c = lpuhw.mem_read slice 2 bank 0 row 0
  %d = lpuhw.mem_read slice 3 bank 0 row 0
  %s:4 = lpuhw.sxm_shift f32 up 3 (%a, %b, %c, %d) : !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream
  %r = lpuhw.sxm_rotate i8 down 400 (%a) {unit = 9 : i32} : !lpuhw.stream
  return
}

// -----

func.func @planes_in() {
  %a = lpuhw.mem_read slice 0 bank 0 row 0
  // expected-error @+1 {{'lpuhw.sxm_shift' op expects 2 input planes, got 1}}
  %s:2 = lpuhw.sxm_shift f16 up 1 (%a) : !lpuhw.stream, !lpuhw.stream
  return
}

// -----

func.func @planes_out() {
  %a = lpuhw.mem_read slice 0 bank 0 row 0
  // expected-error @+1 {{'lpuhw.sxm_rotate' op expects 1 result planes, got 2}}
  %s:2 = lpuhw.sxm_rotate i8 up 1 (%a) : !lpuhw.stream, !lpuhw.stream
  return
}

// -----

func.func @negative() {
  %a = lpuhw.mem_read slice 0 bank 0 row 0
  // expected-error @+1 {{'lpuhw.sxm_shift' op amount must be non-negative, got -2}}
  %s = lpuhw.sxm_shift i8 up -2 (%a) : !lpuhw.stream
  return
}

// -----

func.func @direction() {
  %a = lpuhw.mem_read slice 0 bank 0 row 0
  // expected-error @+1 {{expected `up` or `down`, got `left`}}
  %s = lpuhw.sxm_shift i8 left 2 (%a) : !lpuhw.stream
  return
}

// -----

func.func @direction_generic() {
  %a = lpuhw.mem_read slice 0 bank 0 row 0
  // expected-error @+1 {{'lpuhw.sxm_rotate' op direction must be `up` or `down`, got `left`}}
  %s = "lpuhw.sxm_rotate"(%a) {dtype = i8, direction = "left", amount = 1 : i32} : (!lpuhw.stream) -> !lpuhw.stream
  return
}

// -----

func.func @dtype() {
  %a = lpuhw.mem_read slice 0 bank 0 row 0
  // expected-error @+1 {{'lpuhw.sxm_rotate' op element type 'i16' is not a chip type}}
  %s = lpuhw.sxm_rotate i16 up 1 (%a) : !lpuhw.stream
  return
}

// -----

// sxm_transpose takes and produces exactly 16 streams.
func.func @transpose_count() {
  %a = lpuhw.mem_read slice 0 bank 0 row 0
  // expected-error @+1 {{'lpuhw.sxm_transpose' op expects 16 input streams, got 2}}
  %t:16 = lpuhw.sxm_transpose (%a, %a) : !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream
  return
}

// -----

func.func @transpose_results() {
  %a = lpuhw.mem_read slice 0 bank 0 row 0
  // expected-error @+1 {{'lpuhw.sxm_transpose' op expects 16 result streams, got 1}}
  %t = lpuhw.sxm_transpose (%a, %a, %a, %a, %a, %a, %a, %a, %a, %a, %a, %a, %a, %a, %a, %a) : !lpuhw.stream
  return
}

// -----

// fp8 (e4m3, ISA dtype FP8E4M3) is a chip type: one plane.
// CHECK-LABEL: func.func @fp8
// CHECK: lpuhw.sxm_shift f8E4M3FN up 3 (%{{.*}}) : !lpuhw.stream
// CHECK: lpuhw.vxm "add" f8E4M3FN(%{{.*}}, %{{.*}}) : !lpuhw.stream
func.func @fp8() {
  %a = lpuhw.mem_read slice 0 bank 0 row 0
  %s = lpuhw.sxm_shift f8E4M3FN up 3 (%a) : !lpuhw.stream
  %v = lpuhw.vxm "add" f8E4M3FN (%a, %s) : !lpuhw.stream
  return
}

// -----

func.func @not_chip_type() {
  %a = lpuhw.mem_read slice 0 bank 0 row 0
  // expected-error @+1 {{'lpuhw.sxm_shift' op element type 'f64' is not a chip type (f32, f16, bf16, f8E4M3FN, i8, i32)}}
  %s:8 = lpuhw.sxm_shift f64 up 3 (%a) : !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream
  return
}
