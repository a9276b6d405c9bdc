#include "runtime/isa/Isa.h"

#include <cstdio>

namespace lpuc::isa {

unsigned widthBytes(DType t) {
  switch (t) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::I8:
  case DType::FP8E4M3:
    return 1;
  case DType::Invalid:
    break;
  }
  return 0;
}

const char *dtypeName(DType t) {
  switch (t) {
  case DType::F32:
    return "f32";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::I8:
    return "i8";
  case DType::I32:
    return "i32";
  case DType::FP8E4M3:
    return "fp8e4m3";
  case DType::Invalid:
    break;
  }
  return "invalid";
}

bool parseDType(const std::string &name, DType &out) {
  for (DType t : {DType::F32, DType::F16, DType::BF16, DType::I8, DType::I32,
                  DType::FP8E4M3})
    if (name == dtypeName(t)) {
      out = t;
      return true;
    }
  return false;
}

const char *opcodeName(Opcode op) {
  switch (op) {
  case Opcode::Nop:
    return "nop";
  case Opcode::MemRead:
    return "mem.read";
  case Opcode::MemWrite:
    return "mem.write";
  case Opcode::MxmLoad:
    return "mxm.load_weights";
  case Opcode::MxmInstall:
    return "mxm.install";
  case Opcode::MxmMul:
    return "mxm.multiply";
  case Opcode::Vxm:
    return "vxm";
  case Opcode::SxmPermute:
    return "sxm.permute";
  case Opcode::MemReadWrite:
    return "mem.read_write";
  case Opcode::SxmShift:
    return "sxm.shift";
  case Opcode::SxmRotate:
    return "sxm.rotate";
  case Opcode::SxmTranspose:
    return "sxm.transpose";
  case Opcode::Repeat:
    return "repeat";
  case Opcode::Notify:
    return "notify";
  case Opcode::Sync:
    return "sync";
  case Opcode::VxmChain:
    return "vxm.chain";
  case Opcode::C2cSend:
    return "c2c.send";
  case Opcode::C2cRecv:
    return "c2c.receive";
  }
  return "invalid";
}

static const char *const kAluNames[] = {
    "add",     "sub",     "mul",     "max",     "min", "neg",   "add_imm",
    "mul_imm", "max_imm", "cast",    "copy",    "exp", "rsqrt", "tanh",
    "abs",     "eq",      "ne",      "lt",      "le",  "gt",    "ge",
    "select",  "sub_imm", "min_imm", "rsub_imm"};
static_assert(sizeof(kAluNames) / sizeof(kAluNames[0]) == kLastAluOp + 1,
              "one name per ALU op");

const char *aluOpName(AluOp op) {
  unsigned i = unsigned(op);
  return i < sizeof(kAluNames) / sizeof(kAluNames[0]) ? kAluNames[i]
                                                      : "invalid";
}

bool parseAluOp(const std::string &name, AluOp &out) {
  for (unsigned i = 0; i < sizeof(kAluNames) / sizeof(kAluNames[0]); ++i)
    if (name == kAluNames[i]) {
      out = AluOp(i);
      return true;
    }
  return false;
}

unsigned aluOperandCount(AluOp op) {
  switch (op) {
  case AluOp::Add:
  case AluOp::Sub:
  case AluOp::Mul:
  case AluOp::Max:
  case AluOp::Min:
  case AluOp::Eq:
  case AluOp::Ne:
  case AluOp::Lt:
  case AluOp::Le:
  case AluOp::Gt:
  case AluOp::Ge:
    return 2;
  case AluOp::Select:
    return 3;
  default:
    return 1;
  }
}

bool aluIsTranscendental(AluOp op) {
  return op == AluOp::Exp || op == AluOp::Rsqrt || op == AluOp::Tanh;
}

bool aluIsCompare(AluOp op) { return op >= AluOp::Eq && op <= AluOp::Ge; }

bool Instruction::operator==(const Instruction &o) const {
  uint8_t x[kInstructionBytes], y[kInstructionBytes];
  encode(*this, x);
  encode(o, y);
  return std::memcmp(x, y, kInstructionBytes) == 0;
}

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = uint8_t(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
         uint32_t(p[3]) << 24;
}

void encode(const Instruction &i, uint8_t out[kInstructionBytes]) {
  out[0] = uint8_t(i.op);
  out[1] = uint8_t(i.dtype);
  out[2] = i.fn;
  out[3] = i.flags;
  out[4] = i.in0;
  out[5] = i.in1;
  out[6] = i.out;
  out[7] = i.in2;
  put32(out + 8, i.expect0);
  put32(out + 12, i.expect1);
  put32(out + 16, i.tag);
  put32(out + 20, i.a);
  put32(out + 24, i.b);
  put32(out + 28, i.c);
  uint32_t bits;
  std::memcpy(&bits, &i.imm, 4);
  put32(out + 32, bits);
  put32(out + 36, i.expect2);
}

Instruction decode(const uint8_t in[kInstructionBytes]) {
  Instruction i;
  i.op = Opcode(in[0]);
  i.dtype = DType(in[1]);
  i.fn = in[2];
  i.flags = in[3];
  i.in0 = in[4];
  i.in1 = in[5];
  i.out = in[6];
  i.in2 = in[7];
  i.expect0 = get32(in + 8);
  i.expect1 = get32(in + 12);
  i.tag = get32(in + 16);
  i.a = get32(in + 20);
  i.b = get32(in + 24);
  i.c = get32(in + 28);
  uint32_t bits = get32(in + 32);
  std::memcpy(&i.imm, &bits, 4);
  i.expect2 = get32(in + 36);
  return i;
}

void encodeChainStep(const ChainStep &s, uint8_t out[kChainStepBytes]) {
  out[0] = uint8_t(s.fn);
  out[1] = s.flags;
  out[2] = out[3] = 0;
  uint32_t bits;
  std::memcpy(&bits, &s.imm, 4);
  put32(out + 4, bits);
}

ChainStep decodeChainStep(const uint8_t in[kChainStepBytes]) {
  ChainStep s;
  s.fn = AluOp(in[0]);
  s.flags = in[1];
  uint32_t bits = get32(in + 4);
  std::memcpy(&s.imm, &bits, 4);
  return s;
}

void encodeAll(const std::vector<Instruction> &insts,
               std::vector<uint8_t> &out) {
  size_t base = out.size();
  out.resize(base + insts.size() * kInstructionBytes);
  for (size_t k = 0; k < insts.size(); ++k)
    encode(insts[k], out.data() + base + k * kInstructionBytes);
}

static std::string streamStr(uint8_t s) {
  if (s == kNoStream)
    return "-";
  return "s" + std::to_string(s);
}

std::string toString(const Instruction &i) {
  char buf[256];
  switch (i.op) {
  case Opcode::Nop:
    std::snprintf(buf, sizeof buf, "nop %u", i.a);
    break;
  case Opcode::MemRead:
    std::snprintf(buf, sizeof buf, "mem.read bank %u row %u -> %s tag %u", i.a,
                  i.b, streamStr(i.out).c_str(), i.tag);
    break;
  case Opcode::MemWrite:
    std::snprintf(buf, sizeof buf, "mem.write %s (tag %u) -> bank %u row %u",
                  streamStr(i.in0).c_str(), i.expect0, i.a, i.b);
    break;
  case Opcode::MemReadWrite:
    std::snprintf(buf, sizeof buf,
                  "mem.read_write bank %u row %u -> %s tag %u; %s (tag %u) -> "
                  "bank %u row %u",
                  i.a, i.b, streamStr(i.out).c_str(), i.tag,
                  streamStr(i.in0).c_str(), i.expect0, unsigned(i.fn), i.c);
    break;
  case Opcode::MxmLoad:
    std::snprintf(buf, sizeof buf,
                  "mxm.load_weights %s rows %u from %s (tag %u)",
                  dtypeName(i.dtype), i.a, streamStr(i.in0).c_str(), i.expect0);
    break;
  case Opcode::MxmInstall:
    std::snprintf(buf, sizeof buf, "mxm.install");
    break;
  case Opcode::MxmMul:
    std::snprintf(
        buf, sizeof buf, "mxm.multiply %s %s (tag %u) acc %u%s%s -> %s tag %u",
        dtypeName(i.dtype), streamStr(i.in0).c_str(), i.expect0, i.a,
        (i.flags & kAccumulate) ? " accumulate" : "",
        (i.flags & kEmit) ? " emit" : "", streamStr(i.out).c_str(), i.tag);
    break;
  case Opcode::Vxm: {
    AluOp fn = AluOp(i.fn);
    char third[64] = "";
    if (fn == AluOp::Select)
      std::snprintf(third, sizeof third, ", %s (tag %u)",
                    streamStr(i.in2).c_str(), i.expect2);
    std::snprintf(
        buf, sizeof buf,
        "vxm.%s %s %s (tag %u), %s (tag %u)%s imm %g%s%s -> %s tag %u",
        aluOpName(fn), dtypeName(i.dtype), streamStr(i.in0).c_str(), i.expect0,
        streamStr(i.in1).c_str(), i.expect1, third, double(i.imm),
        fn == AluOp::Cast ? " to " : "",
        fn == AluOp::Cast ? dtypeName(DType(i.b)) : "",
        streamStr(i.out).c_str(), i.tag);
    break;
  }
  case Opcode::SxmPermute:
    std::snprintf(
        buf, sizeof buf,
        "sxm.permute %s %s (tag %u) map %u base %s (tag %u) -> %s tag %u",
        dtypeName(i.dtype), streamStr(i.in0).c_str(), i.expect0, i.a,
        streamStr(i.in1).c_str(), i.expect1, streamStr(i.out).c_str(), i.tag);
    break;
  case Opcode::SxmShift:
  case Opcode::SxmRotate:
    std::snprintf(buf, sizeof buf, "%s %s %s (tag %u) %s %u -> %s tag %u",
                  opcodeName(i.op), dtypeName(i.dtype),
                  streamStr(i.in0).c_str(), i.expect0,
                  (i.flags & kShiftDown) ? "down" : "up", i.a,
                  streamStr(i.out).c_str(), i.tag);
    break;
  case Opcode::SxmTranspose:
    std::snprintf(buf, sizeof buf, "sxm.transpose %s (tag %u) -> %s tag %u",
                  streamStr(i.in0).c_str(), i.expect0, streamStr(i.out).c_str(),
                  i.tag);
    break;
  case Opcode::VxmChain:
    std::snprintf(buf, sizeof buf,
                  "vxm.chain %s %s (tag %u), %s (tag %u) steps %u..%u latency "
                  "%u -> %s tag %u",
                  dtypeName(i.dtype), streamStr(i.in0).c_str(), i.expect0,
                  streamStr(i.in1).c_str(), i.expect1, i.a, i.a + i.b - 1, i.c,
                  streamStr(i.out).c_str(), i.tag);
    break;
  case Opcode::Repeat:
    std::snprintf(buf, sizeof buf, "repeat %u stride %u every %u", i.a, i.b,
                  i.c);
    if (i.tag || i.expect0 || i.expect1 || i.expect2) {
      size_t len = std::strlen(buf);
      std::snprintf(buf + len, sizeof buf - len, " tags +%u expect +%u +%u +%u",
                    i.tag, i.expect0, i.expect1, i.expect2);
    }
    break;
  case Opcode::Notify:
    std::snprintf(buf, sizeof buf, "notify flag %u", i.a);
    break;
  case Opcode::Sync:
    std::snprintf(buf, sizeof buf, "sync flag %u wait %u", i.a, i.b);
    break;
  case Opcode::C2cSend:
    std::snprintf(buf, sizeof buf, "c2c.send %s (tag %u) to chip %u",
                  streamStr(i.in0).c_str(), i.expect0, i.a);
    break;
  case Opcode::C2cRecv:
    std::snprintf(buf, sizeof buf,
                  "c2c.receive from chip %u (tag %u) -> %s tag %u", i.a,
                  i.expect0, streamStr(i.out).c_str(), i.tag);
    break;
  default:
    std::snprintf(buf, sizeof buf, "invalid opcode %u", unsigned(i.op));
  }
  return buf;
}

std::string humanBytes(uint64_t b) {
  char buf[64];
  if (b >= (uint64_t(1) << 20))
    std::snprintf(buf, sizeof buf, "%.2f MiB", double(b) / double(1 << 20));
  else if (b >= 1024)
    std::snprintf(buf, sizeof buf, "%.1f KiB", double(b) / 1024.0);
  else
    std::snprintf(buf, sizeof buf, "%llu B", (unsigned long long)b);
  return buf;
}

} // namespace lpuc::isa
