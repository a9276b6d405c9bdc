//===- OnnxOps.td - onnx dialect operations ----------------*- tablegen -*-===//

#ifndef LPUC_DIALECTS_ONNX_ONNXOPS_TD
#define LPUC_DIALECTS_ONNX_ONNXOPS_TD

include "dialects/onnx/OnnxBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Onnx_NodeOp : Onnx_Op<"node"> {
  let summary = "one ONNX node, kept generic";
  let description = [{
    One node of the ONNX graph. `op_type` and `domain` (`""` is the default
    `ai.onnx` domain, elided when printing) name the operator, `opset` is the
    model's opset version for that domain, and `attrs` holds the node's ONNX
    attributes (elided when empty):

    | ONNX attribute | MLIR attribute |
    |---|---|
    | INT | `i64` IntegerAttr |
    | FLOAT | `f32` FloatAttr |
    | STRING | StringAttr |
    | INTS | `array<i64: ...>` (DenseI64ArrayAttr) |
    | FLOATS | `array<f32: ...>` (DenseF32ArrayAttr) |
    | STRINGS | ArrayAttr of StringAttr |
    | TENSOR | ElementsAttr (`dense<...>` when small, else `dense_resource`) |
    | TENSORS | ArrayAttr of ElementsAttr |

    Operands are the node inputs in order; an absent optional input is the
    result of `onnx.none`. Results are the node outputs in order. The
    location is the node name (`loc("name")`).

    Syntax: `onnx.node "OP_TYPE"(operands) {properties} : functional-type`.

    ```mlir
    %0 = onnx.node "MatMul"(%a, %b) {opset = 13 : i64}
        : (tensor<3x4xf32>, tensor<4x3xf32>) -> tensor<3x3xf32>
    %1 = onnx.node "Gemm"(%a, %b, %c)
        {attrs = {alpha = 2.500000e-01 : f32, transA = 1 : i64}, opset = 13 : i64}
        : (tensor<4x3xf32>, tensor<5x4xf32>, tensor<1x5xf32>) -> tensor<3x5xf32>
    %2 = onnx.node "SkipLayerNormalization"(%x, %skip, %gamma, %none)
        {attrs = {epsilon = 9.99999974E-6 : f32}, domain = "com.microsoft",
         opset = 1 : i64}
        : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xf32>, none)
        -> tensor<2x8xf32>
    ```

    The verifier checks that `op_type` is not empty, `opset` is at least 1,
    and that every operand is a tensor or `none`.
  }];
  let arguments = (ins
    Variadic<AnyType>:$inputs,
    StrAttr:$op_type,
    DefaultValuedStrAttr<StrAttr, "">:$domain,
    I64Attr:$opset,
    DefaultValuedAttr<DictionaryAttr, "{}">:$attrs
  );
  let results = (outs Variadic<AnyTensor>:$outputs);
  let assemblyFormat = [{
    $op_type `(` $inputs `)` attr-dict `:` functional-type($inputs, $outputs)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The ONNX attribute `name`, or null.
    ::mlir::Attribute getOnnxAttr(::llvm::StringRef name);
    bool hasOnnxAttr(::llvm::StringRef name) { return bool(getOnnxAttr(name)); }
    /// INT attribute.
    std::optional<int64_t> getIntAttr(::llvm::StringRef name);
    /// FLOAT attribute (an INT attribute is converted too).
    std::optional<float> getFloatAttr(::llvm::StringRef name);
    /// STRING attribute.
    std::optional<::llvm::StringRef> getStringAttr(::llvm::StringRef name);
    /// INTS attribute.
    std::optional<::llvm::ArrayRef<int64_t>> getIntsAttr(::llvm::StringRef name);
    /// FLOATS attribute.
    std::optional<::llvm::ArrayRef<float>> getFloatsAttr(::llvm::StringRef name);
    /// STRINGS attribute.
    std::optional<::llvm::SmallVector<::llvm::StringRef>>
    getStringsAttr(::llvm::StringRef name);
    /// TENSOR attribute.
    ::mlir::ElementsAttr getTensorAttr(::llvm::StringRef name);
    /// The node name (the NameLoc of the op), or "".
    ::llvm::StringRef getNodeName();
    /// True when the domain is the default ai.onnx domain.
    bool isDefaultDomain() { return getDomain().empty() || getDomain() == "ai.onnx"; }
  }];
}

def Onnx_ConstantOp : Onnx_Op<"constant", [ConstantLike, Pure,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "an ONNX initializer (or frozen input)";
  let description = [{
    An initializer of the ONNX graph, or a graph input frozen with
    `lpuc --freeze NAME=FILE`. `name` is the ONNX tensor name, `value` its
    data, normally a `dense_resource` whose blob references the model file
    (or its external data file) without copying. Its type is the result type.
    Without weights (`requireWeights = false`), the resource has no blob and
    the constant only carries a shape.

    ```mlir
    %w = onnx.constant "fc.weight" dense_resource<fc.weight> : tensor<4x3xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, ElementsAttr:$value);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$name $value attr-dict";
  let hasVerifier = 1;
}

def Onnx_NoneOp : Onnx_Op<"none", [Pure]> {
  let summary = "the value of an absent optional input";
  let description = [{
    ONNX marks an absent optional input with an empty name; the importer
    passes the result of `onnx.none` in its place.

    ```mlir
    %none = onnx.none
    %0 = onnx.node "Clip"(%x, %none, %max) {opset = 13 : i64}
        : (tensor<4xf32>, none, tensor<f32>) -> tensor<4xf32>
    ```
  }];
  let results = (outs NoneType:$result);
  let assemblyFormat = "attr-dict";
}

#endif // LPUC_DIALECTS_ONNX_ONNXOPS_TD
