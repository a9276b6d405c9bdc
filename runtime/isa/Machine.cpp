#include "runtime/isa/Machine.h"

#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace lpuc::isa {

const char *unitName(Unit u) {
  switch (u) {
  case Unit::Mem:
    return "mem";
  case Unit::Vxm:
    return "vxm";
  case Unit::Mxm:
    return "mxm";
  case Unit::Sxm:
    return "sxm";
  case Unit::C2c:
    return "c2c";
  }
  return "?";
}

Machine::Machine(const schema::Target &target) : target_(target) {
  vxmBase_ = memSlices();
  mxmBase_ = vxmBase_ + target_.vxm_alus();
  sxmBase_ = mxmBase_ + 2 * target_.mxm_planes();
  c2cBase_ = sxmBase_ + 2 * target_.sxm_units_per_hemisphere();
  numQueues_ = c2cBase_ + target_.c2c_links();
}

int Machine::memPosition(uint32_t slice) const {
  uint32_t n = target_.mem_slices_per_hemisphere();
  return slice < n ? vxmPosition() - 1 - int(slice)
                   : vxmPosition() + 1 + int(slice - n);
}

int Machine::mxmPosition(uint32_t plane) const {
  return plane < target_.mxm_planes() / 2 ? 0 : numPositions() - 1;
}

int Machine::sxmPosition(uint32_t unit) const {
  return unit < target_.sxm_units_per_hemisphere() ? 1 : numPositions() - 2;
}

QueueInfo Machine::queue(uint32_t q) const {
  if (q < vxmBase_)
    return {Unit::Mem, q, false, memPosition(q)};
  if (q < mxmBase_)
    return {Unit::Vxm, q - vxmBase_, false, vxmPosition()};
  if (q < sxmBase_) {
    uint32_t plane = (q - mxmBase_) / 2;
    return {Unit::Mxm, plane, (q - mxmBase_) % 2 == 0, mxmPosition(plane)};
  }
  if (q < c2cBase_)
    return {Unit::Sxm, q - sxmBase_, false, sxmPosition(q - sxmBase_)};
  uint32_t link = q - c2cBase_;
  return {Unit::C2c, link, false,
          link < target_.c2c_links() / 2 ? 0 : numPositions() - 1};
}

std::string Machine::queueName(uint32_t q) const {
  if (q >= numQueues_)
    return "queue " + std::to_string(q) + " (out of range)";
  QueueInfo info = queue(q);
  switch (info.unit) {
  case Unit::Mem: {
    uint32_t n = target_.mem_slices_per_hemisphere();
    return info.index < n ? "MEM-W" + std::to_string(info.index)
                          : "MEM-E" + std::to_string(info.index - n);
  }
  case Unit::Vxm:
    return "VXM ALU " + std::to_string(info.index);
  case Unit::Mxm:
    return "MXM plane " + std::to_string(info.index) +
           (info.mxmWeights ? " (weights)" : " (compute)");
  case Unit::Sxm:
    return "SXM " + std::to_string(info.index);
  case Unit::C2c:
    return "C2C link " + std::to_string(info.index);
  }
  return "?";
}

bool Machine::opcodeAllowed(uint32_t q, Opcode op) const {
  if (q >= numQueues_)
    return false;
  if (op == Opcode::Nop || op == Opcode::Repeat || op == Opcode::Notify ||
      op == Opcode::Sync)
    return true;
  QueueInfo info = queue(q);
  switch (op) {
  case Opcode::MemRead:
  case Opcode::MemWrite:
  case Opcode::MemReadWrite:
    return info.unit == Unit::Mem;
  case Opcode::MxmLoad:
    return info.unit == Unit::Mxm && info.mxmWeights;
  case Opcode::MxmInstall:
  case Opcode::MxmMul:
    return info.unit == Unit::Mxm && !info.mxmWeights;
  case Opcode::Vxm:
  case Opcode::VxmChain:
    return info.unit == Unit::Vxm;
  case Opcode::SxmPermute:
  case Opcode::SxmShift:
  case Opcode::SxmRotate:
  case Opcode::SxmTranspose:
    return info.unit == Unit::Sxm;
  case Opcode::C2cSend:
  case Opcode::C2cRecv:
    return info.unit == Unit::C2c;
  default:
    return false;
  }
}

bool Machine::validGroup(uint8_t first, unsigned width) const {
  uint32_t s = streamsPerDirection();
  if (width == 0 || first == kNoStream || first >= 2 * s)
    return false;
  uint32_t base = first < s ? 0 : s;
  return first + width <= base + s;
}

int64_t Machine::arrival(Direction d, int fromPos, int64_t putCycle,
                         int toPos) const {
  int dist = d == Direction::East ? toPos - fromPos : fromPos - toPos;
  return dist < 0 ? -1 : putCycle + dist;
}

uint32_t Machine::mxmLoadCycles(DType dtype, uint32_t rows) const {
  uint32_t planeRows = rows * widthBytes(dtype);
  uint32_t s = target_.mxm_weight_streams();
  return (planeRows + s - 1) / s;
}

uint32_t Machine::mxmIssueInterval(DType dtype) const {
  switch (widthBytes(dtype)) {
  case 1:
    return target_.mxm_issue_interval_8bit();
  case 2:
    return target_.mxm_issue_interval_16bit();
  default:
    return target_.mxm_issue_interval_32bit();
  }
}

uint32_t Machine::queueCycles(const Instruction &inst) const {
  switch (inst.op) {
  case Opcode::Nop:
    return inst.a;
  case Opcode::Sync:
    return inst.b;
  case Opcode::Repeat:
    return inst.a * inst.c;
  case Opcode::VxmChain:
    return inst.b; // one issue slot of its ALU per step
  case Opcode::MxmLoad:
    return mxmLoadCycles(inst.dtype, inst.a);
  case Opcode::MxmMul:
    return mxmIssueInterval(inst.dtype);
  default:
    return 1;
  }
}

uint32_t Machine::outputLatency(const Instruction &inst) const {
  switch (inst.op) {
  case Opcode::MemRead:
  case Opcode::MemReadWrite:
    return target_.mem_read_latency();
  case Opcode::MxmMul:
    return target_.mxm_result_latency();
  case Opcode::Vxm:
    return aluIsTranscendental(AluOp(inst.fn))
               ? target_.vxm_transcendental_latency()
               : target_.vxm_simple_latency();
  case Opcode::VxmChain:
    return inst.c;
  case Opcode::SxmPermute:
  case Opcode::SxmShift:
  case Opcode::SxmRotate:
  case Opcode::SxmTranspose:
    return target_.sxm_latency();
  case Opcode::C2cRecv:
    return target_.c2c_receive_latency();
  default:
    return 0;
  }
}

uint32_t Machine::inputCycles(const Instruction &inst) const {
  switch (inst.op) {
  case Opcode::MxmLoad:
    return mxmLoadCycles(inst.dtype, inst.a);
  case Opcode::MemWrite:
  case Opcode::MemReadWrite:
  case Opcode::MxmMul:
  case Opcode::Vxm:
  case Opcode::VxmChain:
  case Opcode::SxmPermute:
  case Opcode::SxmShift:
  case Opcode::SxmRotate:
  case Opcode::SxmTranspose:
  case Opcode::C2cSend:
    return 1;
  default:
    return 0;
  }
}

uint32_t Machine::chainLatency(const ChainStep *steps, uint32_t n) const {
  uint32_t lat = 0;
  for (uint32_t k = 0; k < n; ++k)
    lat += aluIsTranscendental(steps[k].fn)
               ? target_.vxm_transcendental_latency()
               : target_.vxm_simple_latency();
  return lat;
}

uint32_t Machine::busyCycles(const Instruction &inst) const {
  uint32_t busy = std::max(queueCycles(inst), inputCycles(inst));
  if (outputWidth(inst) > 0)
    busy = std::max(busy, outputLatency(inst) + 1);
  if (inst.op == Opcode::MemWrite || inst.op == Opcode::MemReadWrite)
    busy = std::max(busy, memWriteLatency());
  if (inst.op == Opcode::C2cSend) // the first hop's link
    busy = std::max(busy, target_.c2c_vector_cycles());
  return busy;
}

unsigned Machine::outputWidth(const Instruction &inst) const {
  switch (inst.op) {
  case Opcode::MemRead:
  case Opcode::MemReadWrite:
    return 1;
  case Opcode::MxmMul:
    return (inst.flags & kEmit) ? 4 : 0;
  case Opcode::Vxm:
    return AluOp(inst.fn) == AluOp::Cast ? widthBytes(DType(inst.b))
                                         : widthBytes(inst.dtype);
  case Opcode::SxmPermute:
  case Opcode::SxmShift:
  case Opcode::SxmRotate:
  case Opcode::VxmChain:
    return widthBytes(inst.dtype);
  case Opcode::SxmTranspose:
    return kTransposeStreams;
  case Opcode::C2cRecv:
    return 1;
  default:
    return 0;
  }
}

unsigned Machine::inputWidth(const Instruction &inst, unsigned i) const {
  switch (inst.op) {
  case Opcode::MemWrite:
  case Opcode::MemReadWrite:
    return i == 0 ? 1 : 0;
  case Opcode::MxmLoad:
    return i == 0 ? target_.mxm_weight_streams() : 0;
  case Opcode::MxmMul:
    return i == 0 ? widthBytes(inst.dtype) : 0;
  case Opcode::Vxm:
    return i < aluOperandCount(AluOp(inst.fn)) ? widthBytes(inst.dtype) : 0;
  case Opcode::SxmPermute:
    if (i == 0)
      return widthBytes(inst.dtype);
    return inst.in1 != kNoStream ? widthBytes(inst.dtype) : 0;
  case Opcode::SxmShift:
  case Opcode::SxmRotate:
    return i == 0 ? widthBytes(inst.dtype) : 0;
  case Opcode::VxmChain:
    if (i == 0)
      return widthBytes(inst.dtype);
    return i == 1 && inst.in1 != kNoStream ? widthBytes(inst.dtype) : 0;
  case Opcode::SxmTranspose:
    return i == 0 ? kTransposeStreams : 0;
  case Opcode::C2cSend:
    return i == 0 ? 1 : 0;
  default:
    return 0;
  }
}

namespace {
struct BuiltinTarget {
  const char *name;
  const char *text;
};
#include "runtime/isa/Targets.inc"
} // namespace

std::vector<std::string> builtinTargetNames() {
  std::vector<std::string> names;
  for (const BuiltinTarget &t : kBuiltinTargets)
    names.push_back(t.name);
  return names;
}

absl::Status validateTarget(const schema::Target &t) {
  auto need = [&](bool ok, const char *what) {
    return ok ? absl::OkStatus()
              : absl::InvalidArgumentError(std::string("target '") + t.name() +
                                           "': " + what);
  };
  absl::Status s;
  if (!(s = need(t.clock_hz() > 0, "clock_hz must be positive")).ok())
    return s;
  if (!(s = need(t.lanes() >= 1 && t.lanes() <= 32767,
                 "lanes must be in [1, 32767]"))
           .ok())
    return s;
  if (!(s = need(t.mem_slices_per_hemisphere() >= 1 &&
                     t.banks_per_slice() >= 2 && t.banks_per_slice() <= 255 &&
                     t.rows_per_bank() >= 1,
                 "MEM geometry must be non-empty with 2 to 255 banks "
                 "(mem.read_write holds the write bank in one byte)"))
           .ok())
    return s;
  if (!(s = need(t.streams_per_direction() >= 4 &&
                     t.streams_per_direction() <= 127,
                 "streams_per_direction must be in [4, 127]"))
           .ok())
    return s;
  if (!(s = need(t.mxm_planes() >= 2 && t.mxm_planes() % 2 == 0 &&
                     t.mxm_weight_streams() >= 1 &&
                     t.mxm_weight_streams() <= t.streams_per_direction() &&
                     t.mxm_accumulator_rows() >= 1,
                 "MXM needs an even number of planes, weight streams <= "
                 "streams_per_direction and accumulators"))
           .ok())
    return s;
  if (!(s = need(t.mxm_issue_interval_8bit() >= 1 &&
                     t.mxm_issue_interval_16bit() >= 1 &&
                     t.mxm_issue_interval_32bit() >= 1,
                 "MXM issue intervals must be >= 1"))
           .ok())
    return s;
  if (!(s = need(t.mem_read_latency() >= 1 && t.mem_write_latency() >= 1 &&
                     t.mxm_result_latency() >= 1 &&
                     t.vxm_simple_latency() >= 1 &&
                     t.vxm_transcendental_latency() >= 1 &&
                     t.sxm_latency() >= 1 && t.c2c_receive_latency() >= 1,
                 "latencies must be >= 1"))
           .ok())
    return s;
  if (!(s = need(t.vxm_alus() >= 1 && t.sxm_units_per_hemisphere() >= 1,
                 "needs VXM ALUs and SXM units"))
           .ok())
    return s;
  if (!(s = need(
            t.layout_stripe_slices() >= 4 &&
                t.layout_stripe_slices() <= t.mem_slices_per_hemisphere(),
            "layout_stripe_slices must be in [4, mem_slices_per_hemisphere]"))
           .ok())
    return s;
  return absl::OkStatus();
}

absl::StatusOr<schema::Target> loadTarget(const std::string &nameOrPath) {
  std::string text;
  bool found = false;
  for (const BuiltinTarget &t : kBuiltinTargets)
    if (nameOrPath == t.name) {
      text = t.text;
      found = true;
    }
  if (!found) {
    std::ifstream in(nameOrPath, std::ios::binary);
    if (!in) {
      std::string names;
      for (const BuiltinTarget &t : kBuiltinTargets)
        names += std::string(names.empty() ? "" : ", ") + t.name;
      return absl::NotFoundError("unknown target '" + nameOrPath +
                                 "': not a built-in target (" + names +
                                 ") nor a readable file");
    }
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  schema::Target target;
  struct Collector : google::protobuf::io::ErrorCollector {
    std::string first;
    void AddError(int line, int column, const std::string &message) override {
      if (first.empty())
        first = "line " + std::to_string(line + 1) + ":" +
                std::to_string(column + 1) + ": " + message;
    }
  } errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &target))
    return absl::InvalidArgumentError(
        "target '" + nameOrPath +
        "' is not a valid target description: " + errors.first);
  if (absl::Status s = validateTarget(target); !s.ok())
    return s;
  return target;
}

} // namespace lpuc::isa
