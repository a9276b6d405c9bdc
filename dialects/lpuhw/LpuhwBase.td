//===- LpuhwBase.td - lpuhw dialect: instructions per unit -*- tablegen -*-===//
#ifndef LPUC_DIALECTS_LPUHW_BASE
#define LPUC_DIALECTS_LPUHW_BASE

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Lpuhw_Dialect : Dialect {
  let name = "lpuhw";
  let cppNamespace = "::lpuc::lpuhw";
  let summary = "LPU instructions: one op per instruction on one queue";
  let description = [{
    `lpuhw` is the instruction level of lpuc. Every operation inside a
    function is one instruction of `runtime/isa/Isa.h` on one queue of one
    chip (MEM slice, VXM ALU, MXM plane, SXM unit). SSA values of type
    `!lpuhw.stream` are byte planes travelling on stream registers: a value
    of a 4-byte type is 4 stream values. An edge from producer to consumer
    is an exact timing constraint (the consumer must issue when the value
    passes its position); SRAM addresses and MXM planes order the rest.
    In a program of several chips every instruction and tensor names its
    chip (`chip`, default 0) and `!lpuhw.link_vector` values carry vectors
    between chips (`c2c_send` to `c2c_recv`).

    Before `lpuhw-schedule` the ops carry no `cycle` and no `stream`; after it
    every op has its issue cycle and every result its stream id, and
    `lpuhw-verify-schedule` checks them with the hazard rules of the emulator.
    Module-level `lpuhw.tensor` ops declare where each tensor (input, output,
    weight, activation) lives in SRAM.
  }];
  let useDefaultTypePrinterParser = 1;
}

class Lpuhw_Op<string mnemonic, list<Trait> traits = []>
    : Op<Lpuhw_Dialect, mnemonic, traits>;

def Lpuhw_StreamType : TypeDef<Lpuhw_Dialect, "Stream"> {
  let mnemonic = "stream";
  let summary = "one byte plane of a vector on a stream register";
}

def Lpuhw_LinkVectorType : TypeDef<Lpuhw_Dialect, "LinkVector"> {
  let mnemonic = "link_vector";
  let summary = "one 320-byte vector on its way over C2C links";
  let description = [{
    The result of `lpuhw.c2c_send`, used by exactly one `lpuhw.c2c_recv` on
    the destination chip: the receive issues exactly when the vector
    arrives (send cycle + c2c_link_latency_cycles per hop).
  }];
}

#endif
