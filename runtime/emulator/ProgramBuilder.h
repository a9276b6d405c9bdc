//===- ProgramBuilder.h - Build emulator programs by cycle -----*- C++ -*-===//
//
// Places instructions on queues at given issue cycles, inserting NOPs for
// the gaps, so tests (the runtime's and the compiler's) can write programs
// as "this instruction at that cycle". Also small constructors for each
// instruction kind.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_RUNTIME_EMULATOR_PROGRAMBUILDER_H
#define LPUC_RUNTIME_EMULATOR_PROGRAMBUILDER_H

#include "runtime/emulator/Emulator.h"

namespace lpuc::emu {

class ProgramBuilder {
public:
  explicit ProgramBuilder(const isa::Machine &machine);

  /// Issues `inst` on `queue` at `cycle`; inserts NOPs from the queue's
  /// next free cycle. Error if `cycle` is earlier than that.
  absl::Status at(uint32_t queue, uint64_t cycle, const isa::Instruction &inst);
  /// The first cycle at which `queue` can issue its next instruction.
  uint64_t nextFree(uint32_t queue) const;
  /// Adds an SXM lane map; returns its index.
  uint32_t addLaneMap(std::vector<int16_t> map);
  /// Appends VXM chain steps; returns the index of the first.
  uint32_t addChainSteps(const std::vector<isa::ChainStep> &steps);

  const ChipProgram &program() const { return program_; }
  ChipProgram take() { return std::move(program_); }

private:
  const isa::Machine &machine_;
  ChipProgram program_;
  std::vector<uint64_t> next_;
};

// Instruction constructors (fields as documented in runtime/isa/Isa.h).
isa::Instruction nop(uint32_t cycles);
isa::Instruction memRead(uint32_t bank, uint32_t row, uint8_t out,
                         uint32_t tag);
isa::Instruction memWrite(uint8_t in, uint32_t expect, uint32_t bank,
                          uint32_t row);
/// Read (readBank, readRow) -> out and write in -> (writeBank, writeRow) in
/// one issue (Opcode::MemReadWrite).
isa::Instruction memReadWrite(uint32_t readBank, uint32_t readRow, uint8_t out,
                              uint32_t tag, uint8_t in, uint32_t expect,
                              uint32_t writeBank, uint32_t writeRow);
isa::Instruction mxmLoad(isa::DType dtype, uint32_t rows, uint8_t in,
                         uint32_t expect);
isa::Instruction mxmInstall();
isa::Instruction mxmMul(isa::DType dtype, uint8_t in, uint32_t expect,
                        uint32_t accRow, uint8_t flags, uint8_t out,
                        uint32_t tag);
isa::Instruction vxm(isa::AluOp op, isa::DType dtype, uint8_t in0,
                     uint32_t expect0, uint8_t in1, uint32_t expect1,
                     uint8_t out, uint32_t tag, float imm = 0.0f);
isa::Instruction vxmCast(isa::DType from, isa::DType to, uint8_t in,
                         uint32_t expect, uint8_t out, uint32_t tag);
/// vxm.chain over steps [first, first + steps.size()) of the chain table
/// (latency computed from the steps).
isa::Instruction vxmChain(const isa::Machine &m, isa::DType dtype,
                          uint32_t first,
                          const std::vector<isa::ChainStep> &steps, uint8_t in0,
                          uint32_t expect0, uint8_t in1, uint32_t expect1,
                          uint8_t out, uint32_t tag);
/// c2c.send of one stream to chip `dst` (on the queue of the route's first
/// link) and c2c.receive of a vector from chip `src` expected with tag
/// `expect`.
isa::Instruction c2cSend(uint8_t in, uint32_t expect, uint32_t dst);
isa::Instruction c2cReceive(uint32_t src, uint32_t expect, uint8_t out,
                            uint32_t tag);
isa::Instruction sxmPermute(isa::DType dtype, uint8_t in0, uint32_t expect0,
                            uint32_t map, uint8_t in1, uint32_t expect1,
                            uint8_t out, uint32_t tag);

} // namespace lpuc::emu

#endif
