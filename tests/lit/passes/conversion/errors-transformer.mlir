// Conversion errors of the transformer op set, at the node.
// RUN: lpuc-opt %s --onnx-to-lpu --split-input-file --verify-diagnostics

func.func @einsum_diagonal(%x: tensor<3x3xf32>) -> tensor<*x!onnx.unknown> {
  // expected-error @+1 {{Einsum '<unnamed>': equation 'ii->i' is not supported: a label repeats within one term (diagonal) (supported: transposes such as 'ij->ji' and matmul forms such as 'bij,bjk->bik', 'bhid,bhjd->bhij', with or without '...')}}
  %0 = onnx.node "Einsum"(%x) {attrs = {equation = "ii->i"}, opset = 12 : i64} : (tensor<3x3xf32>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

// Ellipsis dimensions that broadcast (2 against 1) are not supported; the
// message shows the labels the ellipsis got.
func.func @einsum_ellipsis_broadcast(%a: tensor<2x3x4xf32>, %b: tensor<1x4x5xf32>) -> tensor<*x!onnx.unknown> {
  // expected-error @+1 {{equation '...ij,...jk->...ik' is not supported: label 'A' has sizes 2 and 1 (no broadcasting) (with the ellipsis expanded: 'Aij,Ajk->Aik')}}
  %0 = onnx.node "Einsum"(%a, %b) {attrs = {equation = "...ij,...jk->...ik"}, opset = 12 : i64} : (tensor<2x3x4xf32>, tensor<1x4x5xf32>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @einsum_sizes(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<*x!onnx.unknown> {
  // expected-error @+1 {{equation 'ij,jk->ik' is not supported: label 'j' has sizes 3 and 4 (no broadcasting)}}
  %0 = onnx.node "Einsum"(%a, %b) {attrs = {equation = "ij,jk->ik"}, opset = 12 : i64} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @slice_runtime_starts(%x: tensor<4x8xf32>, %s: tensor<1xi64> {onnx.name = "start"}) -> tensor<*x!onnx.unknown> {
  %e = onnx.constant "e" dense<[4]> : tensor<1xi64>
  // expected-error @+1 {{Slice '<unnamed>': input 'starts' must be a compile-time constant but is computed at run time; freeze it with --freeze start=FILE}}
  %0 = onnx.node "Slice"(%x, %s, %e) {opset = 13 : i64} : (tensor<4x8xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

// A graph input whose symbolic dimension --dim did not bind.
func.func @unbound_dim(%x: tensor<1x?xi64> {onnx.name = "input_ids"}) -> tensor<*x!onnx.unknown> attributes {onnx.dim_params = {input_ids = ["", "sequence"]}} {
  %w = onnx.constant "wte" dense<1.0> : tensor<16x8xf32>
  // expected-error @+1 {{Gather '<unnamed>': dimension #1 of graph input 'input_ids' is the symbolic dimension 'sequence'; give it a value with --dim sequence=VALUE}}
  %0 = onnx.node "Gather"(%w, %x) {opset = 13 : i64} : (tensor<16x8xf32>, tensor<1x?xi64>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @layernorm_scale(%x: tensor<2x8xf32>, %g: tensor<3xf32>) -> tensor<*x!onnx.unknown> {
  // expected-error @+1 {{LayerNormalization '<unnamed>': Scale of type 'tensor<3xf32>' does not broadcast to the normalized shape [8]}}
  %0 = onnx.node "LayerNormalization"(%x, %g) {opset = 17 : i64} : (tensor<2x8xf32>, tensor<3xf32>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @split_sizes(%x: tensor<2x6xf32>) -> (tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>) {
  %s = onnx.constant "s" dense<[2, 3]> : tensor<2xi64>
  // expected-error @+1 {{Split '<unnamed>': split sizes [2, 3] for 2 outputs do not add up to dimension 6}}
  %0:2 = onnx.node "Split"(%x, %s) {attrs = {axis = 1 : i64}, opset = 13 : i64} : (tensor<2x6xf32>, tensor<2xi64>) -> (tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>)
  return %0#0, %0#1 : tensor<*x!onnx.unknown>, tensor<*x!onnx.unknown>
}

// -----

func.func @gather_out_of_range(%x: tensor<4x8xf32>) -> tensor<*x!onnx.unknown> {
  %i = onnx.constant "i" dense<[1, -5]> : tensor<2xi64>
  // expected-error @+1 {{Gather '<unnamed>': index -5 is outside [-4, 4)}}
  %0 = onnx.node "Gather"(%x, %i) {opset = 13 : i64} : (tensor<4x8xf32>, tensor<2xi64>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @cast_string(%x: tensor<4xf32>) -> tensor<*x!onnx.unknown> {
  // expected-error @+1 {{Cast '<unnamed>': unsupported target type 'to' = 8}}
  %0 = onnx.node "Cast"(%x) {attrs = {to = 8 : i64}, opset = 13 : i64} : (tensor<4xf32>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @softmax_int(%x: tensor<4xi64>) -> tensor<*x!onnx.unknown> {
  // expected-error @+1 {{Softmax '<unnamed>': element type 'i64' is not supported (float only)}}
  %0 = onnx.node "Softmax"(%x) {opset = 13 : i64} : (tensor<4xi64>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @squeeze_not_one(%x: tensor<2x3xf32>) -> tensor<*x!onnx.unknown> {
  %a = onnx.constant "a" dense<[0]> : tensor<1xi64>
  // expected-error @+1 {{Squeeze '<unnamed>': dimension #0 of [2, 3] has size 2, not 1}}
  %0 = onnx.node "Squeeze"(%x, %a) {opset = 13 : i64} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

func.func @where_broadcast(%c: tensor<3xi1>, %x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<*x!onnx.unknown> {
  // expected-error @+1 {{Where '<unnamed>': shapes [3], [4], [4] do not broadcast}}
  %0 = onnx.node "Where"(%c, %x, %y) {opset = 16 : i64} : (tensor<3xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}

// -----

// ReduceMean 18 takes axes as an input; a runtime one cannot be compiled.
func.func @reduce_runtime_axes(%x: tensor<2x3xf32>, %a: tensor<1xi64> {onnx.name = "axes"}) -> tensor<*x!onnx.unknown> {
  // expected-error @+1 {{ReduceMean '<unnamed>': input 'axes' must be a compile-time constant but is computed at run time; freeze it with --freeze axes=FILE}}
  %0 = onnx.node "ReduceMean"(%x, %a) {opset = 18 : i64} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<*x!onnx.unknown>
  return %0 : tensor<*x!onnx.unknown>
}
