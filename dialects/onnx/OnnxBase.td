//===- OnnxBase.td - onnx dialect definition ---------------*- tablegen -*-===//
//
// The `onnx` dialect is the thin, total image of an ONNX graph that the
// importer (compiler/import/onnx) produces: one generic op per ONNX node,
// one constant per initializer, and a `none` value for absent optional
// inputs. Conversions to `lpu` key their patterns on (op type, opset).
//
//===----------------------------------------------------------------------===//

#ifndef LPUC_DIALECTS_ONNX_ONNXBASE_TD
#define LPUC_DIALECTS_ONNX_ONNXBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Onnx_Dialect : Dialect {
  let name = "onnx";
  let summary = "ONNX graphs as imported, one generic op per node";
  let description = [{
    The `onnx` dialect holds an ONNX model exactly as the importer read it:
    `onnx.node` carries a node's op type, domain, the model's opset version
    for that domain and the node's attributes; `onnx.constant` carries an
    initializer (normally a `dense_resource` that references the model's
    bytes without copying them); `onnx.none` stands for an absent optional
    input. Value types come from ONNX shape inference; an element type that
    inference could not determine is `!onnx.unknown`.
  }];
  // C++ namespace `lpuc::onnxir`: `lpuc::onnx` would clash with protobuf's
  // `::onnx` in code that sees both.
  let cppNamespace = "::lpuc::onnxir";
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let useDefaultTypePrinterParser = 1;
}

class Onnx_Op<string mnemonic, list<Trait> traits = []>
    : Op<Onnx_Dialect, mnemonic, traits>;

def Onnx_UnknownType : TypeDef<Onnx_Dialect, "Unknown"> {
  let mnemonic = "unknown";
  let summary = "element type that ONNX shape inference could not determine";
  let description = [{
    Used as the element type of `tensor<*x!onnx.unknown>` for node results
    whose type ONNX shape inference could not infer.
  }];
}

#endif // LPUC_DIALECTS_ONNX_ONNXBASE_TD
