// Helpers shared by the runtime unit tests.
#ifndef LPUC_TESTS_UNIT_RUNTIMETESTUTIL_H
#define LPUC_TESTS_UNIT_RUNTIMETESTUTIL_H

#include "runtime/emulator/ProgramBuilder.h"
#include "runtime/isa/Machine.h"
#include "runtime/isa/Numerics.h"

#include <gtest/gtest.h>

#include <cstring>

namespace lpuc::testutil {

inline schema::Target v1Target() {
  absl::StatusOr<schema::Target> t = isa::loadTarget("lpu-v1");
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

/// Splits lane values (bits per element) into `w` byte planes.
inline std::vector<std::vector<uint8_t>>
toPlanes(const std::vector<uint32_t> &bits, unsigned w, uint32_t lanes) {
  std::vector<std::vector<uint8_t>> p(w, std::vector<uint8_t>(lanes, 0));
  for (uint32_t i = 0; i < bits.size() && i < lanes; ++i)
    for (unsigned b = 0; b < w; ++b)
      p[b][i] = uint8_t(bits[i] >> (8 * b));
  return p;
}

inline std::vector<uint32_t> f32Bits(const std::vector<float> &v) {
  std::vector<uint32_t> r;
  for (float f : v)
    r.push_back(isa::floatBits(f));
  return r;
}

/// Places `planes` in SRAM (slice slices[k], bank, row) and schedules MEM
/// reads so that plane k is on stream first+k at position `pos` in cycle
/// `arrive`.
inline void feed(const isa::Machine &m, emu::ProgramBuilder &b, emu::Sram &sram,
                 const std::vector<std::vector<uint8_t>> &planes, uint8_t first,
                 int pos, uint64_t arrive, uint32_t tag,
                 const std::vector<uint32_t> &slices, uint32_t bank,
                 uint32_t row) {
  for (size_t k = 0; k < planes.size(); ++k) {
    uint32_t slice = slices[k];
    int from = m.memPosition(slice);
    uint8_t s = uint8_t(first + k);
    int dist = m.direction(s) == isa::Direction::East ? pos - from : from - pos;
    ASSERT_GE(dist, 0);
    std::memcpy(sram.mutableRow(slice, bank, row), planes[k].data(), m.lanes());
    uint64_t read = arrive - dist - m.target().mem_read_latency();
    absl::Status st =
        b.at(m.memQueue(slice), read, emu::memRead(bank, row, s, tag));
    ASSERT_TRUE(st.ok()) << st;
  }
}

/// Schedules MEM writes of the group first..first+w-1, put at `pos` in
/// cycle `put`, into (slices[k], bank, row). Returns the writes' cycles.
inline void drain(const isa::Machine &m, emu::ProgramBuilder &b, unsigned w,
                  uint8_t first, int pos, uint64_t put, uint32_t tag,
                  const std::vector<uint32_t> &slices, uint32_t bank,
                  uint32_t row) {
  for (unsigned k = 0; k < w; ++k) {
    uint8_t s = uint8_t(first + k);
    int to = m.memPosition(slices[k]);
    int dist = m.direction(s) == isa::Direction::East ? to - pos : pos - to;
    ASSERT_GE(dist, 0);
    absl::Status st = b.at(m.memQueue(slices[k]), put + dist,
                           emu::memWrite(s, tag, bank, row));
    ASSERT_TRUE(st.ok()) << st;
  }
}

/// Reassembles `w`-byte elements from SRAM rows.
inline std::vector<uint32_t> collect(const emu::Sram &sram, unsigned w,
                                     const std::vector<uint32_t> &slices,
                                     uint32_t bank, uint32_t row) {
  std::vector<uint32_t> r(sram.lanes(), 0);
  for (unsigned k = 0; k < w; ++k) {
    const uint8_t *p = sram.row(slices[k], bank, row);
    for (uint32_t i = 0; i < sram.lanes(); ++i)
      r[i] |= uint32_t(p[i]) << (8 * k);
  }
  return r;
}

/// The program length rule, computed independently of the emulator.
inline uint64_t expectedCycles(const isa::Machine &m,
                               const emu::ChipProgram &p) {
  uint64_t cycles = 0;
  for (const auto &q : p.queues) {
    uint64_t t = 0;
    for (const isa::Instruction &i : q) {
      if (i.op != isa::Opcode::Nop)
        cycles = std::max(cycles, t + m.busyCycles(i));
      t += m.queueCycles(i);
    }
  }
  return cycles;
}

} // namespace lpuc::testutil

#endif
