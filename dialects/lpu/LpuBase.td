//===- LpuBase.td - lpu dialect definition -----------------*- tablegen -*-===//
//
// The tensor-level `lpu` dialect: what `onnx-to-lpu` produces and what the
// fusion, precision and partition passes work on. Every op has exact
// semantics and static shapes: the chip is statically scheduled.
//
//===----------------------------------------------------------------------===//

#ifndef LPUC_DIALECTS_LPU_LPUBASE_TD
#define LPUC_DIALECTS_LPU_LPUBASE_TD

include "mlir/IR/OpBase.td"

def Lpu_Dialect : Dialect {
  let name = "lpu";
  let summary = "tensor-level operations of the LPU compiler";
  let description = [{
    Tensor-level operations with exact, fully specified semantics. All
    operands and results are ranked tensors of static shape; broadcasting is
    always explicit (`lpu.broadcast`), so elementwise ops require identical
    operand and result types. Constants are `arith.constant` (`dense` or
    `dense_resource`); folders of `lpu` ops materialize `arith.constant`.
  }];
  let cppNamespace = "::lpuc::lpu";
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let hasConstantMaterializer = 1;
}

class Lpu_Op<string mnemonic, list<Trait> traits = []>
    : Op<Lpu_Dialect, mnemonic, traits>;

// Element types the tensor-level ops accept. The chip backend handles float
// types only for now; the tensor level is type-generic.
def Lpu_ElementType : AnyTypeOf<[AnyFloat, AnySignlessInteger]>;
def Lpu_Tensor : StaticShapeTensorOf<[AnyFloat, AnySignlessInteger]>;
def Lpu_FloatTensor : StaticShapeTensorOf<[AnyFloat]>;

#endif // LPUC_DIALECTS_LPU_LPUBASE_TD
