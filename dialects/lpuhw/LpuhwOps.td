//===- LpuhwOps.td - lpuhw instructions --------------------*- tablegen -*-===//
#ifndef LPUC_DIALECTS_LPUHW_OPS
#define LPUC_DIALECTS_LPUHW_OPS

include "dialects/lpuhw/LpuhwBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Lpuhw_Streams : Variadic<Lpuhw_StreamType>;

// Every instruction may carry its issue cycle and (if it produces values)
// the id of its first output stream, both set by lpuhw-schedule, and the chip
// it runs on (set by lpu-to-lpuhw; absent = chip 0).
class Lpuhw_Inst<string mnemonic, list<Trait> traits = []>
    : Lpuhw_Op<mnemonic, traits> {
  dag schedArgs = (ins OptionalAttr<I64Attr>:$cycle,
                       OptionalAttr<I32Attr>:$stream,
                       OptionalAttr<I32Attr>:$chip);
}

def Lpuhw_TensorOp : Lpuhw_Op<"tensor", [Symbol]> {
  let summary = "a tensor's place in SRAM";
  let description = [{
    Declares a tensor and its layout (runtime/isa/Layout.h): plane-row
    `q = ((v * rows + r) * width + b)` is in slice `slices[q % size]`, row
    `base_row + q / size` of `bank`. `kind` is `input`, `output`, `weight`
    (with `value`, already in `dtype`) or `activation`. `onnx_name` names
    graph inputs and outputs. `host_dtype` is the graph's element type of an
    input or output the chip holds in another type: integers and bools
    (`i64`, `i32`, `i1`) live on the chip as `f32` (exact for |v| <= 2^24;
    bools as 0 and 1), and the runtime converts at the boundary.
    `kv_cache` marks the inputs and outputs that are a decode step's past
    and present keys and values (an input concatenated into an output); the
    SRAM report counts them as KV cache. `chip` is the chip whose SRAM holds
    the tensor (absent = chip 0).

    ```mlir
    lpuhw.tensor @x {kind = "input", onnx_name = "x", dtype = f32,
                     shape = array<i64: 3, 4>, slices = array<i32: 0, 1, 2, 3>,
                     bank = 0, base_row = 0}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrAttr:$kind,
      OptionalAttr<StrAttr>:$onnx_name, TypeAttr:$dtype,
      DenseI64ArrayAttr:$shape, DenseI32ArrayAttr:$slices,
      I32Attr:$bank, I32Attr:$base_row, OptionalAttr<ElementsAttr>:$value,
      OptionalAttr<TypeAttr>:$host_dtype, UnitAttr:$kv_cache,
      OptionalAttr<I32Attr>:$chip);
  let assemblyFormat = "$sym_name attr-dict";
  let hasVerifier = 1;
}

def Lpuhw_MemReadOp : Lpuhw_Inst<"mem_read"> {
  let summary = "MEM read: one SRAM row onto a stream";
  let description = [{
    Reads row `row` of `bank` in MEM slice `slice`; the 320 bytes are on the
    result stream at the slice's position `mem_read_latency` cycles after
    issue.

    ```mlir
    %p = lpuhw.mem_read slice 3 bank 0 row 17 {cycle = 5 : i64, stream = 40 : i32}
    ```
  }];
  let arguments = !con((ins I32Attr:$slice, I32Attr:$bank, I32Attr:$row),
                       schedArgs);
  let results = (outs Lpuhw_StreamType:$result);
  let assemblyFormat = "`slice` $slice `bank` $bank `row` $row attr-dict";
}

def Lpuhw_MemWriteOp : Lpuhw_Inst<"mem_write"> {
  let summary = "MEM write: a stream value into an SRAM row";
  let description = [{
    Takes the value passing the slice at issue; the row holds it from
    `mem_write_latency` cycles later.

    ```mlir
    lpuhw.mem_write %p slice 47 bank 1 row 0
    ```
  }];
  let arguments = !con((ins Lpuhw_StreamType:$value, I32Attr:$slice,
                            I32Attr:$bank, I32Attr:$row), schedArgs);
  let assemblyFormat = "$value `slice` $slice `bank` $bank `row` $row attr-dict";
}

def Lpuhw_MxmLoadOp : Lpuhw_Inst<"mxm_load"> {
  let summary = "MXM load_weights into a plane's shadow buffer";
  let description = [{
    Streams the `rows` x lanes tile of `dtype` (rows >= `rows` are zero) into
    the shadow buffer of `plane`. Operand `i` is tile plane-row `i` (tile row
    `i / width`, byte plane `i % width`); it is read `i / W` cycles after
    issue on stream `base + i % W`, where `W` is the target's
    `mxm_weight_streams`. There are exactly `rows * width` operands.

    ```mlir
    lpuhw.mxm_load plane 0 f32 rows 4 (%p0, ..., %p15)
    ```
  }];
  let arguments = !con((ins I32Attr:$plane, TypeAttr:$dtype, I32Attr:$rows,
                            Lpuhw_Streams:$tile), schedArgs);
  let assemblyFormat = "`plane` $plane $dtype `rows` $rows `(` $tile `)` attr-dict";
  let hasVerifier = 1;
}

def Lpuhw_MxmInstallOp : Lpuhw_Inst<"mxm_install"> {
  let summary = "MXM: swap the plane's shadow and active weights";
  let description = [{
    ```mlir
    lpuhw.mxm_install plane 0
    ```
  }];
  let arguments = !con((ins I32Attr:$plane), schedArgs);
  let assemblyFormat = "`plane` $plane attr-dict";
}

def Lpuhw_MxmMulOp : Lpuhw_Inst<"mxm_mul"> {
  let summary = "MXM multiply one activation vector by the active tile";
  let description = [{
    `acc[acc_row] (+)= act · W` over the plane's active lanes x lanes tile,
    accumulated in f32 (float types) or i32 (i8). With `accumulate` the
    product is added to the accumulator row, else it replaces it. With
    `emit`, the accumulator row is put on 4 result streams (f32/i32 byte
    planes) `mxm_result_latency` cycles after issue. `act` has `width(dtype)`
    planes.

    ```mlir
    %r:4 = lpuhw.mxm_mul plane 0 f32 acc 3 (%a0, %a1, %a2, %a3) {accumulate, emit}
    ```
  }];
  let arguments = !con((ins I32Attr:$plane, TypeAttr:$dtype, I32Attr:$acc_row,
                            UnitAttr:$accumulate, UnitAttr:$emit,
                            Lpuhw_Streams:$act), schedArgs);
  let results = (outs Lpuhw_Streams:$results);
  let assemblyFormat = [{
    `plane` $plane $dtype `acc` $acc_row `(` $act `)` attr-dict (`:` type($results)^)?
  }];
  let hasVerifier = 1;
}

def Lpuhw_VxmOp : Lpuhw_Inst<"vxm"> {
  let summary = "VXM ALU operation, lane-wise";
  let description = [{
    `fn` is an ALU operation of runtime/isa/Isa.h (`add`, `sub`, `mul`, `max`,
    `min`, `neg`, `add_imm`, `mul_imm`, `max_imm`, `cast`, `copy`). Operands
    are `width(dtype)` planes per input (two inputs for binary operations);
    results are `width(to)` planes where `to` is `to_dtype` for `cast` and
    `dtype` otherwise. `imm` is the scalar of the `*_imm` forms. `alu` picks
    the ALU (queue); the scheduler assigns it when absent.

    ```mlir
    %s:4 = lpuhw.vxm "add" f32 (%a0, %a1, %a2, %a3, %b0, %b1, %b2, %b3) : !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream
    %h:2 = lpuhw.vxm "cast" f32 (%a0, %a1, %a2, %a3) {to_dtype = f16} : !lpuhw.stream, !lpuhw.stream
    ```
  }];
  let arguments = !con((ins StrAttr:$fn, TypeAttr:$dtype,
                            OptionalAttr<TypeAttr>:$to_dtype,
                            DefaultValuedAttr<F32Attr, "0.0f">:$imm,
                            OptionalAttr<I32Attr>:$alu,
                            Lpuhw_Streams:$inputs), schedArgs);
  let results = (outs Lpuhw_Streams:$results);
  let assemblyFormat = [{
    $fn $dtype `(` $inputs `)` attr-dict `:` type($results)
  }];
  let hasVerifier = 1;
}

def Lpuhw_SxmPermuteOp : Lpuhw_Inst<"sxm_permute"> {
  let summary = "SXM lane permutation with optional base";
  let description = [{
    `out[i] = map[i] >= 0 ? in[map[i]] : (has_base ? base[i] : 0)` for each
    lane `i`; `map` has one entry per lane. Operands: `width(dtype)` planes of
    `in`, then (if `has_base`) `width(dtype)` planes of `base`. Chained
    permutes gather lanes from several vectors (reshape, transpose,
    broadcast). `unit` picks the SXM (assigned by the scheduler if absent).

    ```mlir
    %o:4 = lpuhw.sxm_permute f32 map [0, 0, 0, 0] (%a0, %a1, %a2, %a3) : !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream
    ```
  }];
  let arguments = !con((ins TypeAttr:$dtype, DenseI32ArrayAttr:$map,
                            UnitAttr:$has_base, OptionalAttr<I32Attr>:$unit,
                            Lpuhw_Streams:$inputs), schedArgs);
  let results = (outs Lpuhw_Streams:$results);
  let assemblyFormat = [{
    $dtype `map` $map `(` $inputs `)` attr-dict `:` type($results)
  }];
  let hasVerifier = 1;
}

// Shift and rotate move every byte plane of a vector across lanes.
class Lpuhw_SxmMoveOp<string mnemonic, string what, string edge>
    : Lpuhw_Inst<mnemonic> {
  let summary = "SXM lane " # what;
  let description = [{
    Moves the lanes of every byte plane by `amount`: `up`
    `out[i] = in[i - amount]`, `down` `out[i] = in[i + amount]`; }] # edge # [{
    Operands and results are `width(dtype)` planes; the results are on the
    streams `sxm_latency` cycles after issue. `unit` picks the SXM
    (assigned by the scheduler if absent). Opcode `sxm.}] # what # [{` of
    runtime/isa/Isa.h.

    ```mlir
    %o:4 = lpuhw.sxm_}] # what # [{ f32 up 3 (%a0, %a1, %a2, %a3) : !lpuhw.stream, !lpuhw.stream, !lpuhw.stream, !lpuhw.stream
    ```
  }];
  let arguments = !con((ins TypeAttr:$dtype, StrAttr:$direction,
                            I32Attr:$amount, OptionalAttr<I32Attr>:$unit,
                            Lpuhw_Streams:$inputs), schedArgs);
  let results = (outs Lpuhw_Streams:$results);
  let assemblyFormat = [{
    $dtype custom<Direction>($direction) $amount ` ` `(` $inputs `)` attr-dict `:` type($results)
  }];
  let hasVerifier = 1;
}

def Lpuhw_SxmShiftOp : Lpuhw_SxmMoveOp<"sxm_shift", "shift", [{lanes
    shifted in are 0 (an `amount` of at least the lane count gives zeros).
}]>;

def Lpuhw_SxmRotateOp : Lpuhw_SxmMoveOp<"sxm_rotate", "rotate", [{lanes
    wrap around (indices modulo the lane count).
}]>;

def Lpuhw_SxmTransposeOp : Lpuhw_Inst<"sxm_transpose"> {
  let summary = "SXM 16 x 16 byte transpose per superlane";
  let description = [{
    Reads 16 streams and puts 16: per superlane `g` (lanes `16g .. 16g+15`),
    result `j` lane `16g + i` is operand `i` lane `16g + j`. Bytes only: a
    wider type is transposed plane by plane. The target's lane count must be
    a multiple of 16. Results are on the streams `sxm_latency` cycles after
    issue; `unit` picks the SXM (assigned by the scheduler if absent).
    Opcode `sxm.transpose` of runtime/isa/Isa.h.

    ```mlir
    %t:16 = lpuhw.sxm_transpose (%a0, ..., %a15) : !lpuhw.stream, ... (16)
    ```
  }];
  let arguments = !con((ins OptionalAttr<I32Attr>:$unit,
                            Lpuhw_Streams:$inputs), schedArgs);
  let results = (outs Lpuhw_Streams:$results);
  let assemblyFormat = [{
    ` ` `(` $inputs `)` attr-dict `:` type($results)
  }];
  let hasVerifier = 1;
}

def Lpuhw_C2cSendOp : Lpuhw_Inst<"c2c_send"> {
  let summary = "C2C send: one stream vector to another chip";
  let description = [{
    Takes the vector passing the chip's edge on the send's C2C link and sends
    it to chip `to` over the minimal route of `isa::Topology`; the link is
    the route's first hop (lpuhw-schedule sets `link`). Every hop holds its
    directed link for `c2c_vector_cycles`; the vector arrives
    `c2c_link_latency_cycles` per hop after the send. The result is used by
    exactly one `lpuhw.c2c_recv` on chip `to`. Opcode `c2c.send`.

    ```mlir
    %v = lpuhw.c2c_send %p to 1 {chip = 0 : i32}
    ```
  }];
  let arguments = !con((ins Lpuhw_StreamType:$value, I32Attr:$to,
                            OptionalAttr<I32Attr>:$link), schedArgs);
  let results = (outs Lpuhw_LinkVectorType:$vector);
  let assemblyFormat = "$value `to` $to attr-dict";
  let hasVerifier = 1;
}

def Lpuhw_C2cRecvOp : Lpuhw_Inst<"c2c_recv"> {
  let summary = "C2C receive: a vector from another chip onto a stream";
  let description = [{
    Issues on the C2C link the vector arrives on, exactly in the cycle it
    arrives, and puts it on its result stream at that link's edge
    `c2c_receive_latency` cycles later. Opcode `c2c.receive`.

    ```mlir
    %p = lpuhw.c2c_recv %v {chip = 1 : i32}
    ```
  }];
  let arguments = !con((ins Lpuhw_LinkVectorType:$vector,
                            OptionalAttr<I32Attr>:$link), schedArgs);
  let results = (outs Lpuhw_StreamType:$result);
  let assemblyFormat = "$vector attr-dict";
  let hasVerifier = 1;
}

#endif
