#include "runtime/emulator/ProgramBuilder.h"

#include <limits>

namespace lpuc::emu {

using isa::Instruction;
using isa::Opcode;

ProgramBuilder::ProgramBuilder(const isa::Machine &machine)
    : machine_(machine), next_(machine.numQueues(), 0) {
  program_.queues.resize(machine.numQueues());
}

uint64_t ProgramBuilder::nextFree(uint32_t queue) const {
  return queue < next_.size() ? next_[queue] : 0;
}

absl::Status ProgramBuilder::at(uint32_t queue, uint64_t cycle,
                                const Instruction &inst) {
  if (queue >= next_.size())
    return absl::InvalidArgumentError("queue " + std::to_string(queue) +
                                      " out of range");
  if (cycle < next_[queue])
    return absl::InvalidArgumentError(
        machine_.queueName(queue) + ": cycle " + std::to_string(cycle) +
        " is before the queue's next free cycle " +
        std::to_string(next_[queue]));
  std::vector<Instruction> &q = program_.queues[queue];
  uint64_t gap = cycle - next_[queue];
  while (gap > 0) {
    uint32_t n =
        uint32_t(std::min<uint64_t>(gap, std::numeric_limits<uint32_t>::max()));
    q.push_back(nop(n));
    gap -= n;
  }
  q.push_back(inst);
  next_[queue] = cycle + machine_.queueCycles(inst);
  return absl::OkStatus();
}

uint32_t ProgramBuilder::addLaneMap(std::vector<int16_t> map) {
  program_.laneMaps.push_back(std::move(map));
  return uint32_t(program_.laneMaps.size() - 1);
}

uint32_t
ProgramBuilder::addChainSteps(const std::vector<isa::ChainStep> &steps) {
  uint32_t first = uint32_t(program_.chainSteps.size());
  program_.chainSteps.insert(program_.chainSteps.end(), steps.begin(),
                             steps.end());
  return first;
}

Instruction nop(uint32_t cycles) {
  Instruction i;
  i.op = Opcode::Nop;
  i.a = cycles;
  return i;
}

Instruction memRead(uint32_t bank, uint32_t row, uint8_t out, uint32_t tag) {
  Instruction i;
  i.op = Opcode::MemRead;
  i.a = bank;
  i.b = row;
  i.out = out;
  i.tag = tag;
  return i;
}

Instruction memWrite(uint8_t in, uint32_t expect, uint32_t bank, uint32_t row) {
  Instruction i;
  i.op = Opcode::MemWrite;
  i.in0 = in;
  i.expect0 = expect;
  i.a = bank;
  i.b = row;
  return i;
}

Instruction memReadWrite(uint32_t readBank, uint32_t readRow, uint8_t out,
                         uint32_t tag, uint8_t in, uint32_t expect,
                         uint32_t writeBank, uint32_t writeRow) {
  Instruction i;
  i.op = Opcode::MemReadWrite;
  i.a = readBank;
  i.b = readRow;
  i.out = out;
  i.tag = tag;
  i.in0 = in;
  i.expect0 = expect;
  i.fn = uint8_t(writeBank);
  i.c = writeRow;
  return i;
}

Instruction vxmChain(const isa::Machine &m, isa::DType dtype, uint32_t first,
                     const std::vector<isa::ChainStep> &steps, uint8_t in0,
                     uint32_t expect0, uint8_t in1, uint32_t expect1,
                     uint8_t out, uint32_t tag) {
  Instruction i;
  i.op = Opcode::VxmChain;
  i.dtype = dtype;
  i.in0 = in0;
  i.expect0 = expect0;
  i.in1 = in1;
  i.expect1 = expect1;
  i.a = first;
  i.b = uint32_t(steps.size());
  i.c = m.chainLatency(steps.data(), uint32_t(steps.size()));
  i.out = out;
  i.tag = tag;
  return i;
}

Instruction mxmLoad(isa::DType dtype, uint32_t rows, uint8_t in,
                    uint32_t expect) {
  Instruction i;
  i.op = Opcode::MxmLoad;
  i.dtype = dtype;
  i.a = rows;
  i.in0 = in;
  i.expect0 = expect;
  return i;
}

Instruction mxmInstall() {
  Instruction i;
  i.op = Opcode::MxmInstall;
  return i;
}

Instruction mxmMul(isa::DType dtype, uint8_t in, uint32_t expect,
                   uint32_t accRow, uint8_t flags, uint8_t out, uint32_t tag) {
  Instruction i;
  i.op = Opcode::MxmMul;
  i.dtype = dtype;
  i.in0 = in;
  i.expect0 = expect;
  i.a = accRow;
  i.flags = flags;
  i.out = out;
  i.tag = tag;
  return i;
}

Instruction vxm(isa::AluOp op, isa::DType dtype, uint8_t in0, uint32_t expect0,
                uint8_t in1, uint32_t expect1, uint8_t out, uint32_t tag,
                float imm) {
  Instruction i;
  i.op = Opcode::Vxm;
  i.fn = uint8_t(op);
  i.dtype = dtype;
  i.in0 = in0;
  i.expect0 = expect0;
  i.in1 = in1;
  i.expect1 = expect1;
  i.out = out;
  i.tag = tag;
  i.imm = imm;
  return i;
}

Instruction vxmCast(isa::DType from, isa::DType to, uint8_t in, uint32_t expect,
                    uint8_t out, uint32_t tag) {
  Instruction i =
      vxm(isa::AluOp::Cast, from, in, expect, isa::kNoStream, 0, out, tag);
  i.b = uint32_t(to);
  return i;
}

Instruction sxmPermute(isa::DType dtype, uint8_t in0, uint32_t expect0,
                       uint32_t map, uint8_t in1, uint32_t expect1, uint8_t out,
                       uint32_t tag) {
  Instruction i;
  i.op = Opcode::SxmPermute;
  i.dtype = dtype;
  i.in0 = in0;
  i.expect0 = expect0;
  i.a = map;
  i.in1 = in1;
  i.expect1 = expect1;
  i.out = out;
  i.tag = tag;
  return i;
}

Instruction c2cSend(uint8_t in, uint32_t expect, uint32_t dst) {
  Instruction i;
  i.op = Opcode::C2cSend;
  i.in0 = in;
  i.expect0 = expect;
  i.a = dst;
  return i;
}

Instruction c2cReceive(uint32_t src, uint32_t expect, uint8_t out,
                       uint32_t tag) {
  Instruction i;
  i.op = Opcode::C2cRecv;
  i.a = src;
  i.expect0 = expect;
  i.out = out;
  i.tag = tag;
  return i;
}

} // namespace lpuc::emu
