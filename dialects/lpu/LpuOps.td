//===- LpuOps.td - lpu dialect operations ------------------*- tablegen -*-===//

#ifndef LPUC_DIALECTS_LPU_LPUOPS_TD
#define LPUC_DIALECTS_LPU_LPUOPS_TD

include "dialects/lpu/LpuBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/EnumAttr.td"
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

def Lpu_DivOp : Lpu_BinaryElementwiseOp<"div", "lhs[i...] / rhs[i...]"> {
  let description = [{
    `result[i...] = lhs[i...] / rhs[i...]` on operands and a result of one
    static tensor type. Floats: IEEE division (x / 0 is +-inf or NaN).
    Integers: signed division truncating toward zero (as C and
    onnxruntime); division by zero is undefined (not folded). The VXM has
    no divider: the lowering multiplies by a reciprocal for floats.
    Broadcasting is explicit. Folds constants.

    ```mlir
    %0 = lpu.div %a, %b : tensor<2x3xf32>
    ```
  }];
}
def Lpu_PowOp : Lpu_BinaryElementwiseOp<"pow", "pow(lhs[i...], rhs[i...])"> {
  let description = [{
    `result[i...] = pow(lhs[i...], rhs[i...])`. The exponent has the base's
    type (ONNX `Pow` with an exponent of another type gets an `lpu.cast` of
    the exponent first). Floats: C `pow` (a negative base with a
    non-integer exponent gives NaN). Integers (signed): repeated
    multiplication, wrapping on overflow, for exponents >= 0; a negative
    exponent is undefined (not folded). Lowering may special-case constant
    exponents 2 (`x * x`), 0.5 (`sqrt`), 1 and -1 (`recip`); they are exact
    for 2 and 1 and within the unit's rounding for the others. Broadcasting
    is explicit. Folds constants.

    ```mlir
    %0 = lpu.pow %x, %two : tensor<2x3xf32>
    %1 = lpu.pow %n, %e : tensor<3xi64>
    ```
  }];
}

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

    Folds to its operand when the types are equal, to a splat constant
    when the operand is a splat constant, and to a `dense` constant when the
    operand is an integer or bool constant and the result has at most 4096
    elements (shape arithmetic). Float constants stay broadcasts: the chip
    broadcasts on the fly instead of storing copies. A broadcast that only
    adds or expands size-1 dimensions (same element count, e.g. a matmul
    weight broadcast to a batch of 1) canonicalizes to `lpu.reshape`, which
    keeps a weight a weight instead of copying it into an activation.

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
  let hasCanonicalizer = 1;
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
  let summary = "element type conversion";
  let description = [{
    Converts every element to the result's element type; the shapes are
    equal. Element types are floats, signless integers (read as signed) and
    `i1` (bool):

    | from -> to | rule |
    |---|---|
    | float -> float | round to nearest, ties to even (`APFloat::convert`, `rmNearestTiesToEven`) |
    | int -> float | nearest representable value, ties to even |
    | float -> int | truncate toward zero; NaN and out-of-range values are undefined (ONNX leaves them undefined too) |
    | int -> int | sign-extend or truncate (two's complement) |
    | float/int -> i1 | `x != 0` (NaN gives 1) |
    | i1 -> float/int | 0 or 1 |

    Used by precision lowering and by ONNX `Cast`. Folds the identity and
    `dense` constants.

    ```mlir
    %0 = lpu.cast %x : tensor<2x3xf32> to tensor<2x3xbf16>
    %1 = lpu.cast %mask : tensor<1x8xi1> to tensor<1x8xf32>
    ```
  }];
  let arguments = (ins Lpu_Tensor:$input);
  let results = (outs Lpu_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Unary elementwise
//===----------------------------------------------------------------------===//

class Lpu_UnaryOp<string mnemonic, string expr, Type tensor = Lpu_FloatTensor>
    : Lpu_Op<mnemonic, [Pure, Elementwise, SameOperandsAndResultType]> {
  let summary = "elementwise `" # expr # "`";
  let description = [{
    `result[i...] = }] # expr # [{` on an operand and a result of one static
    tensor type. Folds constant operands (computed in double precision, then
    rounded to nearest, ties to even, to the element type).

    ```mlir
    %0 = lpu.}] # mnemonic # [{ %x : tensor<2x3xf32>
    ```
  }];
  let arguments = (ins tensor:$input);
  let results = (outs tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasFolder = 1;
}

def Lpu_NegOp : Lpu_UnaryOp<"neg", "-input[i...]", Lpu_Tensor>;
def Lpu_ExpOp : Lpu_UnaryOp<"exp", "exp(input[i...])">;
def Lpu_ErfOp : Lpu_UnaryOp<"erf", "erf(input[i...])">;
def Lpu_TanhOp : Lpu_UnaryOp<"tanh", "tanh(input[i...])">;
def Lpu_SigmoidOp : Lpu_UnaryOp<"sigmoid", "1 / (1 + exp(-input[i...]))">;
def Lpu_SqrtOp : Lpu_UnaryOp<"sqrt", "sqrt(input[i...])">;
def Lpu_RsqrtOp : Lpu_UnaryOp<"rsqrt", "1 / sqrt(input[i...])">;
def Lpu_RecipOp : Lpu_UnaryOp<"recip", "1 / input[i...]">;
def Lpu_CosOp : Lpu_UnaryOp<"cos", "cos(input[i...])">;
def Lpu_SinOp : Lpu_UnaryOp<"sin", "sin(input[i...])">;

def Lpu_NotOp : Lpu_Op<"not", [Pure, Elementwise, SameOperandsAndResultType]> {
  let summary = "elementwise logical not";
  let description = [{
    `result[i...] = !input[i...]` on `i1` (bool) tensors. Folds constants
    and `not(not(x))`.

    ```mlir
    %0 = lpu.not %m : tensor<4x4xi1>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[I1]>:$input);
  let results = (outs StaticShapeTensorOf<[I1]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasFolder = 1;
}

def Lpu_ComparePredicate : I32EnumAttr<"ComparePredicate",
    "comparison predicate", [
      I32EnumAttrCase<"eq", 0>, I32EnumAttrCase<"lt", 1>
    ]> {
  let cppNamespace = "::lpuc::lpu";
}

def Lpu_CompareOp : Lpu_Op<"compare", [Pure, Elementwise,
    SameTypeOperands, SameOperandsAndResultShape]> {
  let summary = "elementwise comparison to a bool tensor";
  let description = [{
    `result[i...] = lhs[i...] P rhs[i...]` with `P` one of `eq` (`==`) and
    `lt` (`<`). Operands have one static type; the result has their shape
    and element type `i1`. Floats compare as IEEE (any comparison with NaN
    is false); integers compare as signed. Folds constants.

    ```mlir
    %0 = lpu.compare lt %a, %b : tensor<2x3xf32> -> tensor<2x3xi1>
    ```
  }];
  let arguments = (ins Lpu_ComparePredicate:$predicate, Lpu_Tensor:$lhs,
                   Lpu_Tensor:$rhs);
  let results = (outs StaticShapeTensorOf<[I1]>:$result);
  let assemblyFormat = [{
    $predicate $lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)
  }];
  let hasFolder = 1;
}

def Lpu_SelectOp : Lpu_Op<"select", [Pure, Elementwise,
    AllTypesMatch<["on_true", "on_false", "result"]>,
    AllShapesMatch<["condition", "result"]>]> {
  let summary = "elementwise choice by a bool tensor";
  let description = [{
    `result[i...] = condition[i...] ? on_true[i...] : on_false[i...]`. All
    operands have one static shape (broadcasting is explicit); `condition`
    is `i1`. Folds a constant condition (splat: to one operand; `dense`: with
    constant operands, element by element) and equal operands.

    ```mlir
    %0 = lpu.select %mask, %scores, %neg_inf : tensor<8x8xi1>, tensor<8x8xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[I1]>:$condition,
                   Lpu_Tensor:$on_true, Lpu_Tensor:$on_false);
  let results = (outs Lpu_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:` type($condition) `,`
    type($result)
  }];
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

def Lpu_ReduceKind : I32EnumAttr<"ReduceKind", "reduction kind", [
      I32EnumAttrCase<"sum", 0>, I32EnumAttrCase<"mean", 1>,
      I32EnumAttrCase<"max", 2>
    ]> {
  let cppNamespace = "::lpuc::lpu";
}

def Lpu_ReduceOp : Lpu_Op<"reduce", [Pure, SameOperandsAndResultElementType]> {
  let summary = "sum, mean or max over some dimensions (kept as size 1)";
  let description = [{
    Reduces `input` over the dimensions in `axes` (strictly increasing,
    each in `[0, rank)`, at least one). The result has the input's rank,
    with every reduced dimension of size 1 (ONNX `keepdims = 0` is an
    `lpu.reshape` after it):

    * `sum`: `result[i...] = sum over the reduced indices of input[...]`;
    * `mean`: that sum divided by the number of reduced elements (product
      of the reduced dimension sizes);
    * `max`: the largest element (NaN if any element is NaN, as ONNX).

    The order of additions is not specified (the MXM sums rows with a ones
    tile, the VXM in a tree); float results may differ from a sequential
    sum by rounding. An empty reduction (a reduced dimension of size 0)
    gives 0 for `sum`, NaN for `mean` and -inf (or the smallest integer)
    for `max`.

    ```mlir
    %0 = lpu.reduce mean %x [2] : tensor<2x8x64xf32> -> tensor<2x8x1xf32>
    %1 = lpu.reduce max %s [0, 1] : tensor<4x4xi64> -> tensor<1x1xi64>
    ```
  }];
  let arguments = (ins Lpu_ReduceKind:$kind, Lpu_Tensor:$input,
                   DenseI64ArrayAttr:$axes);
  let results = (outs Lpu_Tensor:$result);
  let assemblyFormat = [{
    $kind $input $axes attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

class Lpu_SoftmaxBase<string mnemonic>
    : Lpu_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let arguments = (ins Lpu_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Lpu_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axis` `=` $axis attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def Lpu_SoftmaxOp : Lpu_SoftmaxBase<"softmax"> {
  let summary = "softmax along one dimension";
  let description = [{
    `result[i...] = exp(x[i...] - m) / sum_j exp(x[..j..] - m)` where the
    sum and the maximum `m` run over dimension `axis` (in `[0, rank)`) with
    the other indices fixed. Subtracting the maximum is part of the
    semantics (no overflow for large inputs); a row of all -inf gives NaN.
    ONNX `Softmax` before opset 13 (2-D coercion) is converted into
    reshapes around this op.

    ```mlir
    %0 = lpu.softmax %scores axis = 3 : tensor<1x12x64x64xf32>
    ```
  }];
}

def Lpu_LogSoftmaxOp : Lpu_SoftmaxBase<"log_softmax"> {
  let summary = "log of softmax along one dimension";
  let description = [{
    `result[i...] = x[i...] - m - log(sum_j exp(x[..j..] - m))` where the
    sum and the maximum `m` run over dimension `axis` (in `[0, rank)`).

    ```mlir
    %0 = lpu.log_softmax %logits axis = 1 : tensor<4x8192xf32>
    ```
  }];
}

def Lpu_LayerNormOp : Lpu_Op<"layer_norm", [Pure, AttrSizedOperandSegments]> {
  let summary = "layer normalization over the trailing dimensions";
  let description = [{
    Normalizes over dimensions `[axis, rank)` (`axis` in `[0, rank)`): with
    `mean` and `var = mean((x - mean)^2)` (biased) over those dimensions,

    `result = (x - mean) / sqrt(var + epsilon) * scale + bias`

    `scale` and `bias` are optional (absent: 1 and 0) and have exactly the
    normalized shape `input.shape[axis:]` (broadcasting is explicit). All
    element types are equal and float; `epsilon` is an `f32` attribute
    converted to the element type. ONNX `LayerNormalization`'s optional
    `Mean` and `InvStdDev` outputs are not produced.

    ```mlir
    %0 = lpu.layer_norm %x scale %g bias %b axis = 2 epsilon = 1.0e-05
        : tensor<1x64x768xf32>, tensor<768xf32>, tensor<768xf32> -> tensor<1x64x768xf32>
    ```
  }];
  let arguments = (ins Lpu_FloatTensor:$input,
                   Optional<Lpu_FloatTensor>:$scale,
                   Optional<Lpu_FloatTensor>:$bias, I64Attr:$axis,
                   F32Attr:$epsilon);
  let results = (outs Lpu_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`scale` $scale^)? (`bias` $bias^)? `axis` `=` $axis
    `epsilon` `=` $epsilon attr-dict `:` type($input)
    (`,` type($scale)^)? (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Indexing and data movement
//===----------------------------------------------------------------------===//

def Lpu_GatherOp : Lpu_Op<"gather", [Pure]> {
  let summary = "selects slices of one dimension by index (embeddings)";
  let description = [{
    With `q = rank(indices)` and `axis` in `[0, rank(data))`:

    `result[a..., j..., b...] = data[a..., idx(indices[j...]), b...]`

    where `a...` are the `axis` leading indices, `j...` the `q` indices
    into `indices`, and `idx(v) = v < 0 ? v + n : v` with `n` the size of
    dimension `axis` (ONNX allows negative indices). The result shape is
    `data.shape[:axis] + indices.shape + data.shape[axis+1:]`; the element
    type is the data's. `indices` are signless integers read as signed
    (`i32` or `i64`). An index outside `[-n, n)` is undefined behaviour: the
    compiler checks constant indices; runtime indices (token ids) must be
    checked or clamped by the lowering.

    Folds constant `data` and `indices` (also a `dense_resource` table,
    e.g. position embeddings with constant positions).

    ```mlir
    %0 = lpu.gather %wte[%ids] axis = 0
        : tensor<8192x768xf32>, tensor<1x64xi64> -> tensor<1x64x768xf32>
    %1 = lpu.gather %shape[%c2] axis = 0 : tensor<3xi64>, tensor<i64> -> tensor<i64>
    ```
  }];
  let arguments = (ins Lpu_Tensor:$data,
                   StaticShapeTensorOf<[AnySignlessInteger]>:$indices,
                   I64Attr:$axis);
  let results = (outs Lpu_Tensor:$result);
  let assemblyFormat = [{
    $data `[` $indices `]` `axis` `=` $axis attr-dict `:` type($data) `,`
    type($indices) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Lpu_SliceOp : Lpu_Op<"slice", [Pure, SameOperandsAndResultElementType]> {
  let summary = "strided static slice";
  let description = [{
    `result[i...] = input[starts[d] + i[d] * steps[d] for every d]`. One
    entry of `starts` and `steps` per dimension; the result shape gives the
    number of elements taken per dimension. Every step is non-zero
    (negative steps walk backwards); every index read is in range, which
    the verifier checks (ONNX `Slice` clamping is resolved by the
    conversion). Folds the identity and constants.

    ```mlir
    // x[:, 1:5:2] and x reversed along dimension 0
    %0 = lpu.slice %x starts [0, 1] steps [1, 2] : tensor<4x8xf32> -> tensor<4x2xf32>
    %1 = lpu.slice %x starts [3, 0] steps [-1, 1] : tensor<4x8xf32> -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Lpu_Tensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$steps);
  let results = (outs Lpu_Tensor:$result);
  let assemblyFormat = [{
    $input `starts` $starts `steps` $steps attr-dict `:` type($input) `->`
    type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Lpu_ConcatOp : Lpu_Op<"concat", [Pure, SameOperandsAndResultElementType]> {
  let summary = "concatenation along one dimension";
  let description = [{
    Joins the operands (at least one, all of the result's rank and element
    type, equal in every dimension but `axis`) along dimension `axis` in
    `[0, rank)`, in operand order. Folds a single operand and constant
    operands.

    ```mlir
    %0 = lpu.concat %past, %new axis = 2
        : tensor<1x12x63x64xf32>, tensor<1x12x1x64xf32> -> tensor<1x12x64x64xf32>
    ```
  }];
  let arguments = (ins Variadic<Lpu_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Lpu_Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` `=` $axis attr-dict `:` type($inputs) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Lpu_TriluOp : Lpu_Op<"trilu", [Pure, SameOperandsAndResultType]> {
  let summary = "keeps the upper or lower triangle of the last two dimensions";
  let description = [{
    For an input of rank >= 2 with row index `r` and column index `c` in the
    last two dimensions: with `upper`, `result = c - r >= k ? input : 0`;
    without it (lower), `result = c - r <= k ? input : 0`. `k` is the
    diagonal offset (ONNX `Trilu`'s `k` input). Folds constants.

    ```mlir
    %0 = lpu.trilu upper %ones k = 1 : tensor<64x64xf32>
    %1 = lpu.trilu %m k = 0 : tensor<2x4x4xi1>
    ```
  }];
  let arguments = (ins Lpu_Tensor:$input, UnitAttr:$upper, I64Attr:$k);
  let results = (outs Lpu_Tensor:$result);
  let assemblyFormat = [{
    (`upper` $upper^)? $input `k` `=` $k attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}


//===----------------------------------------------------------------------===//
// Fusion
//===----------------------------------------------------------------------===//

def Lpu_FusedOp : Lpu_Op<"fused", [Pure, IsolatedFromAbove,
    SingleBlock]> {
  let summary = "a DAG of elementwise ops evaluated as one VXM chain";
  let description = [{
    Made by `lpu-fuse` (docs/passes/lpu-fuse.md). The body's block has one
    argument per input (same types) and computes the result with elementwise
    `lpu` ops (`add sub mul div pow neg exp erf tanh sigmoid sqrt rsqrt recip
    relu select compare not`), splat `arith.constant`s and `lpu.broadcast`s
    of two kinds:

    * a *row broadcast* of an argument that keeps the last dimension (a bias
      or a weight of shape `[N]` to `[B, T, N]`, cos/sin tables broadcast
      over heads): lowered as reads of the argument's rows, nothing copied;
    * a *lane broadcast* `[..., 1] -> [..., N]` (same leading dimensions) of
      an argument or of values computed in the body on `[..., 1]` (the
      per-row part of a normalisation, e.g. `rsqrt(mean + eps)`): evaluated
      once per row and spread over the lanes.

    The result is `yield`ed. `lpu-to-lpuhw` evaluates the body per output
    vector as one chain of VXM operations: only the inputs are read from
    SRAM and only the result is written. `pattern` names what the body
    computes (`gelu_tanh`, `gelu_erf`, `silu`, `swiglu`, `rmsnorm_scale`,
    `layernorm_scale`, `layernorm_center`, `softmax_mask`, `rope`, or
    `elementwise`); it is a label for reports and tests, never semantics.

    ```mlir
    %y = lpu.fused "silu" (%x) : (tensor<1x8x176xf32>) -> tensor<1x8x176xf32> {
    ^bb0(%a: tensor<1x8x176xf32>):
      %s = lpu.sigmoid %a : tensor<1x8x176xf32>
      %m = lpu.mul %a, %s : tensor<1x8x176xf32>
      lpu.yield %m : tensor<1x8x176xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<Lpu_Tensor>:$inputs, StrAttr:$pattern);
  let results = (outs Lpu_Tensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $pattern `(` $inputs `)` attr-dict `:` functional-type($inputs, $result)
    $body
  }];
  let hasVerifier = 1;
}

def Lpu_YieldOp : Lpu_Op<"yield", [Pure, Terminator, HasParent<"FusedOp">]> {
  let summary = "the result of an `lpu.fused` body";
  let description = [{
    Ends the body of `lpu.fused` with its result (of the fused op's result
    type).

    ```mlir
    lpu.yield %m : tensor<1x8x176xf32>
    ```
  }];
  let arguments = (ins Lpu_Tensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

#endif // LPUC_DIALECTS_LPU_LPUOPS_TD
