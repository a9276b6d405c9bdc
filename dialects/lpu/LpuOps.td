//===- LpuOps.td - lpu dialect operations ------------------*- tablegen -*-===//

#ifndef LPUC_DIALECTS_LPU_LPUOPS_TD
#define LPUC_DIALECTS_LPU_LPUOPS_TD

include "dialects/lpu/LpuBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Matrix product
//===----------------------------------------------------------------------===//

def Lpu_MatmulOp : Lpu_Op<"matmul", [Pure, SameOperandsAndResultElementType]> {
  let summary = "batched matrix product";
  let description = [{
    `result[b..., m, n] = sum_k lhs[b..., m, k] * rhs[b..., k, n]` for
    operands of rank >= 2. `lhs` is `[B..., M, K]`, `rhs` is `[B..., K, N]`
    with identical batch dimensions `B...` (batch broadcasting is made
    explicit with `lpu.broadcast`), and the result is `[B..., M, N]`. Both
    operands and the result have the same element type.

    ```mlir
    %0 = lpu.matmul %a, %b : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
    %1 = lpu.matmul %x, %y : tensor<3x4x8xf16>, tensor<3x8x2xf16> -> tensor<3x4x2xf16>
    ```
  }];
  let arguments = (ins Lpu_Tensor:$lhs, Lpu_Tensor:$rhs);
  let results = (outs Lpu_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Lpu_BinaryElementwiseOp<string mnemonic, string expr,
                              list<Trait> traits = []>
    : Lpu_Op<mnemonic, !listconcat(traits, [Pure, Elementwise,
                                            SameOperandsAndResultType])> {
  let summary = "elementwise `" # expr # "`";
  let description = [{
    `result[i...] = }] # expr # [{` on operands and a result of one
    static tensor type. Broadcasting is explicit: use `lpu.broadcast` first.
    Folds when both operands are constants (splat or `dense`).

    ```mlir
    %0 = lpu.}] # mnemonic # [{ %a, %b : tensor<2x3xf32>
    ```
  }];
  let arguments = (ins Lpu_Tensor:$lhs, Lpu_Tensor:$rhs);
  let results = (outs Lpu_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
  let hasFolder = 1;
}

def Lpu_AddOp : Lpu_BinaryElementwiseOp<"add", "lhs[i...] + rhs[i...]",
                                        [Commutative]>;
def Lpu_SubOp : Lpu_BinaryElementwiseOp<"sub", "lhs[i...] - rhs[i...]">;
def Lpu_MulOp : Lpu_BinaryElementwiseOp<"mul", "lhs[i...] * rhs[i...]",
                                        [Commutative]>;

def Lpu_ReluOp : Lpu_Op<"relu", [Pure, Elementwise, SameOperandsAndResultType]> {
  let summary = "elementwise `max(x, 0)`";
  let description = [{
    `result[i...] = max(input[i...], 0)` (a NaN input gives NaN). Folds on a
    constant operand.

    ```mlir
    %0 = lpu.relu %x : tensor<2x3xf32>
    ```
  }];
  let arguments = (ins Lpu_Tensor:$input);
  let results = (outs Lpu_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Lpu_BroadcastOp : Lpu_Op<"broadcast", [Pure,
    SameOperandsAndResultElementType]> {
  let summary = "numpy-style broadcast to a static shape";
  let description = [{
    Broadcasts `input` to the result shape with numpy rules: shapes are
    aligned at the trailing dimension, the result rank is at least the input
    rank, and every input dimension is either 1 or equal to the result
    dimension. `result[i...] = input[j...]` where `j` is the trailing part of
    `i` with indices of size-1 input dimensions set to 0.

    Folds to its operand when the types are equal, and to a splat constant
    when the operand is a splat constant.

    ```mlir
    %0 = lpu.broadcast %bias : tensor<4xf32> -> tensor<3x4xf32>
    %1 = lpu.broadcast %s : tensor<1x1xf32> -> tensor<2x5x7xf32>
    ```
  }];
  let arguments = (ins Lpu_Tensor:$input);
  let results = (outs Lpu_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Lpu_TransposeOp : Lpu_Op<"transpose", [Pure,
    SameOperandsAndResultElementType]> {
  let summary = "permutes the dimensions of a tensor";
  let description = [{
    Result dimension `d` is input dimension `permutation[d]`:
    `result[i...] = input[j...]` with `j[permutation[d]] = i[d]` (as
    `numpy.transpose(input, permutation)`).
    `permutation` must be a permutation of `[0, rank)`.

    Folds the identity permutation and splat constants; two transposes in a
    row fold into one.

    ```mlir
    %0 = lpu.transpose %a [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
    %1 = lpu.transpose %x [0, 2, 1] : tensor<2x3x4xf16> -> tensor<2x4x3xf16>
    ```
  }];
  let arguments = (ins Lpu_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Lpu_Tensor:$result);
  let assemblyFormat = [{
    $input $permutation attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Lpu_ReshapeOp : Lpu_Op<"reshape", [Pure,
    SameOperandsAndResultElementType]> {
  let summary = "reinterprets a tensor with a new static shape";
  let description = [{
    Same elements in row-major order, new shape; the element counts must be
    equal. Folds the identity, a reshape of a reshape (to one reshape of the
    original input) and constants (splat and `dense`).

    ```mlir
    %0 = lpu.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
    ```
  }];
  let arguments = (ins Lpu_Tensor:$input);
  let results = (outs Lpu_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Lpu_CastOp : Lpu_Op<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "float element type conversion";
  let description = [{
    Converts every element to the result's float element type, rounding to
    nearest, ties to even (as `APFloat::convert` with
    `rmNearestTiesToEven`). Used by precision lowering; the shapes are equal.
    Folds the identity and constants (splat and `dense`).

    ```mlir
    %0 = lpu.cast %x : tensor<2x3xf32> to tensor<2x3xbf16>
    ```
  }];
  let arguments = (ins Lpu_FloatTensor:$input);
  let results = (outs Lpu_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasFolder = 1;
}

#endif // LPUC_DIALECTS_LPU_LPUOPS_TD
