//===- Isa.h - LPU instruction set shared by compiler and runtime -*- C++
//-*-===//
//
// The one description of the LPU instruction set: opcodes, the fixed 40-byte
// encoding, and the meaning of every field. The compiler's lpuhw lowering,
// scheduler, verifier and emitter and the runtime's loader and emulator all
// use this header; timing lives in Machine.h, derived from the target file.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_RUNTIME_ISA_ISA_H
#define LPUC_RUNTIME_ISA_ISA_H

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace lpuc::isa {

// Element types on the chip. Values equal lpuc.schema.DType.
enum class DType : uint8_t {
  Invalid = 0,
  F32 = 1,
  F16 = 2,
  BF16 = 3,
  I8 = 4,
  I32 = 5,
  // 6 and 7 are lpuc.schema.DType's I64 and BOOL (host-side only).
  FP8E4M3 = 8, // OCP e4m3 ("E4M3FN"): bias 7, max 448, no inf, NaN S.1111.111
};

/// Bytes per element; a vector of this type travels on this many streams
/// (byte planes, little-endian: stream s+k carries byte k of every lane).
unsigned widthBytes(DType t);
const char *dtypeName(DType t);
bool parseDType(const std::string &name, DType &out);

enum class Opcode : uint8_t {
  Nop = 0,        // a = cycles the queue waits (>= 1)
  MemRead = 1,    // a = bank, b = row; out = stream; tag
  MemWrite = 2,   // a = bank, b = row; in0 = stream, expect0
  MxmLoad = 3,    // dtype; in0 = first of mxm_weight_streams streams; expect0;
                  // a = tile rows (<= lanes); rest of the tile is zero
  MxmInstall = 4, // swap the plane's shadow and active weights
  MxmMul = 5,     // dtype (of activations); in0 = group; expect0;
                  // a = accumulator row; flags: kAccumulate, kEmit;
                  // out = group of 4 streams (f32 or i32); tag
  Vxm = 6,        // fn = AluOp; dtype; in0, in1 groups; out group; imm;
                  // Cast: b = destination DType
  SxmPermute = 7, // dtype; in0 = group; in1 = optional base group;
                  // a = lane map index; out group; tag
  MemReadWrite = 8,  // one read and one write of a slice in one issue, to
                     // different banks: a = read bank, b = read row, out =
                     // read stream, tag; fn = write bank, c = write row, in0
                     // = write stream, expect0. Timing of each half as the
                     // separate MemRead / MemWrite (the emitter merges a
                     // read and a write scheduled on one slice in one cycle).
  SxmShift = 9,      // dtype; in0 group; a = n lanes; flags kShiftDown;
                     // out group; tag. Up: out[i] = in[i - n], down:
                     // out[i] = in[i + n]; lanes shifted in are 0
  SxmRotate = 10,    // as SxmShift, lanes wrap around (n mod lanes)
  SxmTranspose = 11, // in0 = first of 16 streams, out = first of 16; tag:
                     // per superlane g, out stream j lane 16g + i = in
                     // stream i lane 16g + j (bytes; lanes % 16 == 0)
  Repeat = 12,       // a = n, b = stride, c = interval: the previous
                     // non-NOP instruction of this queue (not a control
                     // instruction) issues n more times, every
                     // c cycles from this one's issue, its row address(es)
                     // + stride each time (expanded when loaded); tag,
                     // expect0, expect1, expect2 = what the k-th repetition
                     // adds k times to the instruction's tag and expected
                     // tags (mod 2^32; 0 keeps them)
  Notify = 13,       // a = flag: sets the chip's flag a in this cycle
  Sync = 14,         // a = flag, b = wait: holds the queue b cycles; the
                     // flag must have been set exactly in cycle t + b - 1
                     // (and is consumed then)
  VxmChain = 15,     // dtype; in0 group (the chain's input); in1 group
                     // (optional, kNoStream if no step reads it); a =
                     // first step in the chip's chain table, b = steps
                     // (1 .. kMaxChainSteps), c = total latency (the sum of
                     // the steps' ALU latencies, checked); out group; tag
  C2cSend = 16,      // on the queue of link l: in0 = one stream (a
                     // 320-B vector), expect0; a = destination chip. The
                     // vector travels the minimal route of isa::Topology
                     // from this chip to a, leaving on link l (the route's
                     // first hop); each hop holds its directed link for
                     // c2c_vector_cycles and adds c2c_link_latency_cycles
  C2cRecv = 17,      // on the queue of link m: a = source chip; expect0 =
                     // the tag the vector had when sent (0 = any); out =
                     // one stream, tag. Must issue exactly when a vector
                     // from a arrives on link m; the vector is on `out`
                     // at the link's edge c2c_receive_latency later
  // 18 .. 23 are reserved.
};
constexpr uint8_t kLastOpcode = uint8_t(Opcode::C2cRecv);

const char *opcodeName(Opcode op);

enum class AluOp : uint8_t {
  Add = 0,
  Sub = 1,
  Mul = 2,
  Max = 3,
  Min = 4,
  Neg = 5,
  AddImm = 6, // in0 + imm
  MulImm = 7, // in0 * imm
  MaxImm = 8, // max(in0, imm): relu is MaxImm 0
  Cast = 9,   // in0 (dtype) -> b (destination dtype)
  Copy = 10,
  Exp = 11,   // transcendental (float dtypes only)
  Rsqrt = 12, // transcendental: 1 / sqrt(x) (float dtypes only)
  Tanh = 13,  // transcendental (float dtypes only)
  Abs = 14,
  Eq = 15, // compare in0 with in1: 1 if true else 0, in the operand dtype
  Ne = 16,
  Lt = 17,
  Le = 18,
  Gt = 19,
  Ge = 20,
  Select = 21,  // in0 != 0 ? in1 : in2 (three groups of dtype)
  SubImm = 22,  // in0 - imm
  MinImm = 23,  // min(in0, imm)
  RsubImm = 24, // imm - in0
};
constexpr uint8_t kLastAluOp = uint8_t(AluOp::RsubImm);

/// One step of a VXM chain: acc = fn(acc, in1 or imm). Binary ops (add, sub,
/// mul, max, min, compares) take in1 and need kStepIn1; *_imm ops take imm;
/// unary ops (neg, abs, exp, rsqrt, tanh, copy) take neither. Cast and
/// select cannot be chained. Each step's result is rounded to the chain's
/// dtype, as on the stream between two ALUs.
struct ChainStep {
  AluOp fn = AluOp::Copy;
  uint8_t flags = 0;
  float imm = 0.0f;
};
constexpr uint8_t kStepIn1 = 1;
constexpr uint32_t kMaxChainSteps = 16;
constexpr size_t kChainStepBytes = 8;
/// Little-endian: fn, flags, two zero bytes, imm (binary32 bits).
void encodeChainStep(const ChainStep &s, uint8_t out[kChainStepBytes]);
ChainStep decodeChainStep(const uint8_t in[kChainStepBytes]);
const char *aluOpName(AluOp op);
bool parseAluOp(const std::string &name, AluOp &out);
/// Number of stream-group inputs the ALU operation reads (1, 2 or 3).
unsigned aluOperandCount(AluOp op);
/// True for exp, rsqrt and tanh (latency vxm_transcendental_latency).
bool aluIsTranscendental(AluOp op);
/// True for eq, ne, lt, le, gt, ge.
bool aluIsCompare(AluOp op);

constexpr uint8_t kNoStream = 0xFF;
constexpr uint8_t kAccumulate = 1; // MxmMul: add to the accumulator row
constexpr uint8_t kEmit = 2;       // MxmMul: put the accumulator on `out`
constexpr uint8_t kShiftDown = 1;  // SxmShift/SxmRotate: toward lane 0
/// SxmTranspose: streams in and out, and the block edge in lanes.
constexpr unsigned kTransposeStreams = 16;

/// One instruction. Stream ids: 0 .. S-1 eastward, S .. 2S-1 westward, with S
/// = streams_per_direction; a group of width w is w consecutive ids in one
/// direction. Tags are compiler-assigned ids carried with every stream value
/// (a modelling aid, not a hardware field): a reading instruction names the
/// tag it expects (0 = any) so that a mis-timed read is an error, never a
/// silently wrong number.
struct Instruction {
  Opcode op = Opcode::Nop;
  DType dtype = DType::Invalid;
  uint8_t fn = 0;
  uint8_t flags = 0;
  uint8_t in0 = kNoStream;
  uint8_t in1 = kNoStream;
  uint8_t out = kNoStream;
  uint8_t in2 = 0; // Vxm select only: third input group (else 0)
  uint32_t expect0 = 0;
  uint32_t expect1 = 0;
  uint32_t tag = 0;
  uint32_t a = 0;
  uint32_t b = 0;
  uint32_t c = 0;
  float imm = 0.0f;
  uint32_t expect2 = 0; // Vxm select only: tag expected on in2 (else 0)

  bool operator==(const Instruction &o) const;
};

constexpr size_t kInstructionBytes = 40;

/// Little-endian, fixed-size encoding (deterministic: reserved bytes are 0).
void encode(const Instruction &inst, uint8_t out[kInstructionBytes]);
Instruction decode(const uint8_t in[kInstructionBytes]);
void encodeAll(const std::vector<Instruction> &insts,
               std::vector<uint8_t> &out);

/// Human-readable one-line form, used in diagnostics and `--emit asm`.
std::string toString(const Instruction &inst);

/// A byte count for reports: "1.25 MiB", "8.0 KiB" or "320 B".
std::string humanBytes(uint64_t bytes);

} // namespace lpuc::isa

#endif
