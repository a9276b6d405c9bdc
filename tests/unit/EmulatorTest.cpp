// Emulator: each instruction's values and timing, and each hazard rule.
#include "RuntimeTestUtil.h"

#include "runtime/emulator/Emulator.h"
#include "runtime/emulator/ProgramBuilder.h"
#include "runtime/format/Lpubin.h"
#include "runtime/isa/Numerics.h"
#include "runtime/loader/Loader.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>

using namespace lpuc;
using isa::AluOp;
using isa::DType;
using testutil::collect;
using testutil::drain;
using testutil::f32Bits;
using testutil::feed;
using testutil::toPlanes;

namespace {

class EmulatorTest : public ::testing::Test {
protected:
  EmulatorTest() : m(testutil::v1Target()), emu(m, 1), b(m) {}

  absl::StatusOr<emu::RunStats> run() {
    program = b.program();
    absl::Status s = emu.setProgram(0, b.take());
    if (!s.ok())
      return s;
    return emu.run();
  }
  /// Runs and expects an error containing every fragment.
  void expectError(std::initializer_list<const char *> fragments) {
    absl::StatusOr<emu::RunStats> r = run();
    ASSERT_FALSE(r.ok()) << "expected an error";
    std::string msg(r.status().message());
    for (const char *f : fragments)
      EXPECT_NE(msg.find(f), std::string::npos)
          << "'" << f << "' not in: " << msg;
  }
  emu::Sram &sram() { return emu.sram(0); }

  std::vector<float> ramp(float scale, float offset) {
    std::vector<float> v(m.lanes());
    for (uint32_t i = 0; i < m.lanes(); ++i)
      v[i] = scale * float(int(i % 37) - 18) + offset;
    return v;
  }

  isa::Machine m;
  emu::Emulator emu;
  emu::ProgramBuilder b;
  emu::ChipProgram program;
};

// West slices 0..7 sit at positions 45..38, east slices 44..51 at 47..54.
const std::vector<uint32_t> kWestA = {0, 1, 2, 3}, kWestB = {4, 5, 6, 7},
                            kEast = {44, 45, 46, 47};

} // namespace

TEST_F(EmulatorTest, MemReadWriteCopyExactCycles) {
  std::vector<uint8_t> row(m.lanes());
  for (uint32_t i = 0; i < m.lanes(); ++i)
    row[i] = uint8_t(i * 3 + 1);
  std::memcpy(sram().mutableRow(0, 0, 5), row.data(), m.lanes());
  // MEM-W0 (position 45) reads at 0: s0 holds the row at 45 in cycle 2, at
  // MEM-E0 (position 47) in cycle 4.
  ASSERT_EQ(m.memPosition(0), 45);
  ASSERT_EQ(m.memPosition(44), 47);
  ASSERT_TRUE(b.at(m.memQueue(0), 0, emu::memRead(0, 5, 0, 7)).ok());
  ASSERT_TRUE(b.at(m.memQueue(44), 4, emu::memWrite(0, 7, 1, 9)).ok());
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(0, std::memcmp(sram().row(44, 1, 9), row.data(), m.lanes()));
  // read: 0 + (2 + 1); write: 4 + max(1, write latency 1).
  EXPECT_EQ(r->cycles, 5u);
  EXPECT_EQ(r->cycles, testutil::expectedCycles(m, program));
  EXPECT_EQ(r->instructions, 2u);
  EXPECT_EQ(r->units[0].busyCycles, 2u);
  EXPECT_EQ(r->units[0].queues, 88u);
  EXPECT_DOUBLE_EQ(r->units[0].utilisation, 2.0 / (5.0 * 88));
}

TEST_F(EmulatorTest, WestwardStreamAndWriteLatency) {
  // East slice 44 (position 47) reads onto westward s32 at 0: at 47 in cycle
  // 2, at slice 1 (position 44) in cycle 5, written there; the row holds it
  // from cycle 6, when slice 1 reads it back onto s33 (at 44 in cycle 8,
  // at slice 2, position 43, in cycle 9).
  std::vector<uint8_t> row(m.lanes(), 0xAB), old(m.lanes(), 0x11);
  std::memcpy(sram().mutableRow(44, 0, 0), row.data(), m.lanes());
  std::memcpy(sram().mutableRow(1, 0, 3), old.data(), m.lanes());
  ASSERT_TRUE(b.at(m.memQueue(44), 0, emu::memRead(0, 0, 32, 1)).ok());
  ASSERT_TRUE(b.at(m.memQueue(1), 5, emu::memWrite(32, 1, 0, 3)).ok());
  ASSERT_TRUE(b.at(m.memQueue(1), 6, emu::memRead(0, 3, 33, 2)).ok());
  ASSERT_TRUE(b.at(m.memQueue(2), 9, emu::memWrite(33, 2, 1, 0)).ok());
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(0, std::memcmp(sram().row(1, 0, 3), row.data(), m.lanes()));
  EXPECT_EQ(0, std::memcmp(sram().row(2, 1, 0), row.data(), m.lanes()));
  EXPECT_EQ(r->cycles, 10u);
}

namespace {
struct VxmCase {
  const char *name;
  AluOp op;
  float imm;
  std::function<float(float, float)> f;
};
} // namespace

TEST_F(EmulatorTest, VxmOpsF32) {
  std::vector<VxmCase> cases = {
      {"add", AluOp::Add, 0, [](float x, float y) { return x + y; }},
      {"sub", AluOp::Sub, 0, [](float x, float y) { return x - y; }},
      {"mul", AluOp::Mul, 0, [](float x, float y) { return x * y; }},
      {"max", AluOp::Max, 0, [](float x, float y) { return x > y ? x : y; }},
      {"max_imm", AluOp::MaxImm, 0.0f,
       [](float x, float) { return x > 0.0f ? x : 0.0f; }},
      {"mul_imm", AluOp::MulImm, 0.37f,
       [](float x, float) { return x * 0.37f; }},
      {"add_imm", AluOp::AddImm, -1.25f,
       [](float x, float) { return x + -1.25f; }},
      {"neg", AluOp::Neg, 0, [](float x, float) { return -x; }},
  };
  for (const VxmCase &c : cases) {
    SCOPED_TRACE(c.name);
    emu::Emulator e(m, 1);
    emu::ProgramBuilder pb(m);
    std::vector<float> x = ramp(0.1f, 0.05f), y = ramp(-0.3f, 1.0f);
    int vxm = m.vxmPosition();
    feed(m, pb, e.sram(0), toPlanes(f32Bits(x), 4, m.lanes()), 0, vxm, 20, 11,
         kWestA, 0, 0);
    bool binary = isa::aluOperandCount(c.op) == 2;
    if (binary)
      feed(m, pb, e.sram(0), toPlanes(f32Bits(y), 4, m.lanes()), 4, vxm, 20, 12,
           kWestB, 0, 0);
    ASSERT_TRUE(
        pb.at(m.vxmQueue(0), 20,
              emu::vxm(c.op, DType::F32, 0, 11, binary ? 4 : isa::kNoStream,
                       binary ? 12 : 0, 8, 13, c.imm))
            .ok());
    drain(m, pb, 4, 8, vxm, 21, 13, kEast, 1, 2);
    emu::ChipProgram prog = pb.take();
    uint64_t want = testutil::expectedCycles(m, prog);
    ASSERT_TRUE(e.setProgram(0, std::move(prog)).ok());
    absl::StatusOr<emu::RunStats> r = e.run();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->cycles, want);
    // Last write: slice 47 at position 50, 21 + 4 = 25, + 1.
    EXPECT_EQ(r->cycles, 26u);
    std::vector<uint32_t> got = collect(e.sram(0), 4, kEast, 1, 2);
    for (uint32_t i = 0; i < m.lanes(); ++i)
      ASSERT_EQ(got[i], isa::floatBits(c.f(x[i], y[i]))) << "lane " << i;
  }
}

TEST_F(EmulatorTest, CopyOfARowOverwrittenBeforeTheCopyIsWritten) {
  // The replay forwards a VXM copy: the copy's reader reads the copied
  // value, here a MEM read of kWestA row 0. That row is written again (by y,
  // passing east) after the copy but before the copy's result is written
  // (plane 3: row written in cycle 21, result in 25), so the read must keep
  // the old bytes (not point at the row).
  std::vector<float> x = ramp(0.1f, 0.05f), y = ramp(-0.3f, 1.0f);
  int vxm = m.vxmPosition();
  feed(m, b, sram(), toPlanes(f32Bits(x), 4, m.lanes()), 0, vxm, 20, 11, kWestA,
       0, 0);
  ASSERT_TRUE(b.at(m.vxmQueue(0), 20,
                   emu::vxm(AluOp::Copy, DType::F32, 0, 11, isa::kNoStream, 0,
                            8, 13, 0.0f))
                  .ok());
  // y on s4..s7 from kWestB row 1, at the VXM in cycle 25: slice j of
  // kWestA (position 45 - j) writes it in cycle 24 - j.
  feed(m, b, sram(), toPlanes(f32Bits(y), 4, m.lanes()), 4, vxm, 25, 12, kWestB,
       0, 1);
  for (uint32_t j = 0; j < 4; ++j)
    ASSERT_TRUE(b.at(m.memQueue(kWestA[j]), 24 - j,
                     emu::memWrite(uint8_t(4 + j), 12, 0, 0))
                    .ok());
  drain(m, b, 4, 8, vxm, 21, 13, kEast, 1, 2);
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->cycles, testutil::expectedCycles(m, program));
  std::vector<uint32_t> copied = collect(sram(), 4, kEast, 1, 2);
  std::vector<uint32_t> over = collect(sram(), 4, kWestA, 0, 0);
  for (uint32_t i = 0; i < m.lanes(); ++i) {
    ASSERT_EQ(copied[i], isa::floatBits(x[i])) << "lane " << i;
    ASSERT_EQ(over[i], isa::floatBits(y[i])) << "lane " << i;
  }
}

namespace {
/// A VXM result written to east slices 48..51 (bank 1, row 2) while the old
/// bytes of slice 48's row are read in between (after the VXM op, before
/// the write) and written one or four slices west: the replay writes a
/// value straight into its row only when nothing reads the row between.
void runReadOfRowBeforeItsWrite(const isa::Machine &m, emu::Emulator &e,
                                emu::ProgramBuilder &b, uint32_t westBy) {
  std::vector<float> x(m.lanes());
  for (uint32_t i = 0; i < m.lanes(); ++i)
    x[i] = 0.25f * float(i % 23) - 2.0f;
  const std::vector<uint32_t> far = {48, 49, 50, 51};
  std::vector<uint8_t> old(m.lanes());
  for (uint32_t i = 0; i < m.lanes(); ++i)
    old[i] = uint8_t(i * 7 + 3);
  for (uint32_t s : far)
    std::memcpy(e.sram(0).mutableRow(s, 1, 2), old.data(), m.lanes());
  int vxm = m.vxmPosition();
  feed(m, b, e.sram(0), toPlanes(f32Bits(x), 4, m.lanes()), 0, vxm, 20, 11,
       kWestA, 0, 0);
  ASSERT_TRUE(b.at(m.vxmQueue(0), 20,
                   emu::vxm(AluOp::AddImm, DType::F32, 0, 11, isa::kNoStream, 0,
                            8, 13, 1.0f))
                  .ok());
  // Slice 48 writes the result in cycle 21 + (pos 51 - vxm); its old bytes
  // are read in cycle 22 onto westward s32 and written `westBy` slices
  // west (before the result's write for 1, after it for 4).
  uint64_t commit = 21 + uint64_t(m.memPosition(48) - vxm);
  uint64_t at = 22 + m.target().mem_read_latency();
  ASSERT_TRUE(b.at(m.memQueue(48), 22, emu::memRead(1, 2, 32, 20)).ok());
  uint32_t to = 48 - westBy;
  uint64_t put = at + uint64_t(m.memPosition(48) - m.memPosition(to));
  ASSERT_EQ(put < commit, westBy == 1);
  ASSERT_TRUE(b.at(m.memQueue(to), put, emu::memWrite(32, 20, 0, 7)).ok());
  drain(m, b, 4, 8, vxm, 21, 13, far, 1, 2);
  emu::ChipProgram prog = b.take();
  uint64_t want = testutil::expectedCycles(m, prog);
  ASSERT_TRUE(e.setProgram(0, std::move(prog)).ok());
  absl::StatusOr<emu::RunStats> r = e.run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->cycles, want);
  EXPECT_EQ(0, std::memcmp(e.sram(0).row(to, 0, 7), old.data(), m.lanes()));
  std::vector<uint32_t> got = collect(e.sram(0), 4, far, 1, 2);
  for (uint32_t i = 0; i < m.lanes(); ++i)
    ASSERT_EQ(got[i], isa::floatBits(x[i] + 1.0f)) << "lane " << i;
}
} // namespace

TEST_F(EmulatorTest, RowReadInPlaceBeforeAResultIsWrittenIntoIt) {
  // The old bytes' only reader comes before the result's write: the read
  // is read in place, so the result must not reach the row before it.
  runReadOfRowBeforeItsWrite(m, emu, b, 1);
}

TEST_F(EmulatorTest, RowCopiedBeforeAResultIsWrittenIntoIt) {
  // The old bytes' reader comes after the result's write: the read copies
  // the row, so the result must not reach the row before the copy.
  runReadOfRowBeforeItsWrite(m, emu, b, 4);
}

TEST_F(EmulatorTest, VxmCastF32ToF16AndF16Add) {
  std::vector<float> x = ramp(0.0123f, 0.001f);
  int vxm = m.vxmPosition();
  feed(m, b, sram(), toPlanes(f32Bits(x), 4, m.lanes()), 0, vxm, 10, 1, kWestA,
       0, 0);
  ASSERT_TRUE(
      b.at(m.vxmQueue(0), 10, emu::vxmCast(DType::F32, DType::F16, 0, 1, 8, 2))
          .ok());
  // The f16 result (s8, s9) is at the VXM in cycle 11 only: add it to itself
  // there on ALU 1.
  ASSERT_TRUE(b.at(m.vxmQueue(1), 11,
                   emu::vxm(AluOp::Add, DType::F16, 8, 2, 8, 2, 12, 3))
                  .ok());
  drain(m, b, 2, 8, vxm, 11, 2, {44, 45}, 1, 0);
  drain(m, b, 2, 12, vxm, 12, 3, {46, 47}, 1, 0);
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<uint32_t> half = collect(sram(), 2, {44, 45}, 1, 0);
  std::vector<uint32_t> sum = collect(sram(), 2, {46, 47}, 1, 0);
  for (uint32_t i = 0; i < m.lanes(); ++i) {
    uint16_t h = isa::floatToHalf(x[i]);
    ASSERT_EQ(half[i], h);
    float s = isa::halfToFloat(h) + isa::halfToFloat(h);
    ASSERT_EQ(sum[i], isa::floatToHalf(s));
  }
}

TEST_F(EmulatorTest, VxmCastF16ToF32ReadAsFloats) {
  // f16 planes read from SRAM, cast to f32 (the replay decodes them
  // straight into the cast's float store: only an f32 VXM op reads it), then
  // multiplied by themselves in f32. Halves: NaNs with payloads, infinities,
  // subnormals, signed zeros, ordinary values.
  const uint16_t special[] = {0x7e01, 0xfd00, 0x7c00, 0xfc00, 0x8000,
                              0x0000, 0x0001, 0x83ff, 0x3c01, 0x7bff};
  std::vector<uint32_t> halves(m.lanes());
  for (uint32_t i = 0; i < m.lanes(); ++i)
    halves[i] = i % 5 == 0 ? special[(i / 5) % 10]
                           : isa::floatToHalf(0.0123f * float(int(i) - 150));
  int vxm = m.vxmPosition();
  feed(m, b, sram(), toPlanes(halves, 2, m.lanes()), 0, vxm, 10, 1, kWestA, 0,
       0);
  ASSERT_TRUE(
      b.at(m.vxmQueue(0), 10, emu::vxmCast(DType::F16, DType::F32, 0, 1, 8, 2))
          .ok());
  ASSERT_TRUE(b.at(m.vxmQueue(1), 11,
                   emu::vxm(AluOp::Mul, DType::F32, 8, 2, 8, 2, 12, 3))
                  .ok());
  drain(m, b, 4, 12, vxm, 12, 3, kEast, 1, 0);
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<uint32_t> got = collect(sram(), 4, kEast, 1, 0);
  for (uint32_t i = 0; i < m.lanes(); ++i) {
    float x = isa::halfToFloat(uint16_t(halves[i]));
    ASSERT_EQ(got[i], isa::floatBits(x * x)) << "lane " << i;
  }
}

TEST_F(EmulatorTest, VxmResultsPassedAsFloatsExact) {
  // A replay passes a float VXM result to the VXM ops that read it as
  // floats (no byte planes between them when nothing else reads them):
  // f32 -> f16 cast, f16 multiply by itself, f16 add to the cast, f16 ->
  // f32 cast, f32 multiply by the input; only the last is written (and the
  // f16 product, read as bytes too). Lanes: NaNs with payloads, infinities,
  // f16 overflow and subnormals, signed zeros, ordinary values.
  std::vector<float> x = ramp(0.37f, 0.011f);
  const uint32_t special[] = {0x7fc00001u, 0xffa00000u, 0x7f800000u,
                              0xff800000u, 0x80000000u, 0x00000000u,
                              0x477ff000u, 0x47800000u, 0x33800001u,
                              0x38000000u, 0xb8ffffffu, 0x387fc000u};
  for (uint32_t i = 0; i < 12 * 8; ++i)
    std::memcpy(&x[i * 3], &special[i % 12], 4);
  int vxm = m.vxmPosition();
  feed(m, b, sram(), toPlanes(f32Bits(x), 4, m.lanes()), 0, vxm, 10, 1, kWestA,
       0, 0);
  ASSERT_TRUE(
      b.at(m.vxmQueue(0), 10, emu::vxmCast(DType::F32, DType::F16, 0, 1, 8, 2))
          .ok());
  ASSERT_TRUE(b.at(m.vxmQueue(1), 11,
                   emu::vxm(AluOp::Mul, DType::F16, 8, 2, 8, 2, 12, 3))
                  .ok());
  ASSERT_TRUE(b.at(m.vxmQueue(2), 12,
                   emu::vxm(AluOp::Add, DType::F16, 12, 3, 12, 3, 16, 4))
                  .ok());
  ASSERT_TRUE(b.at(m.vxmQueue(3), 13,
                   emu::vxmCast(DType::F16, DType::F32, 16, 4, 20, 5))
                  .ok());
  // x again, at the VXM in cycle 14 (kWestB row 1).
  feed(m, b, sram(), toPlanes(f32Bits(x), 4, m.lanes()), 4, vxm, 14, 6, kWestB,
       0, 1);
  ASSERT_TRUE(b.at(m.vxmQueue(4), 14,
                   emu::vxm(AluOp::Mul, DType::F32, 20, 5, 4, 6, 24, 7))
                  .ok());
  drain(m, b, 2, 12, vxm, 12, 3, {44, 45}, 1, 0);
  drain(m, b, 4, 24, vxm, 15, 7, kEast, 1, 2);
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->cycles, testutil::expectedCycles(m, program));
  std::vector<uint32_t> prod = collect(sram(), 2, {44, 45}, 1, 0);
  std::vector<uint32_t> got = collect(sram(), 4, kEast, 1, 2);
  auto f16 = [](float v) { return isa::halfToFloat(isa::floatToHalf(v)); };
  for (uint32_t i = 0; i < m.lanes(); ++i) {
    float h = f16(x[i]);
    float p = f16(h * h);
    ASSERT_EQ(prod[i], isa::floatToHalf(p)) << "lane " << i;
    float want = f16(p + p) * x[i];
    ASSERT_EQ(got[i], isa::floatBits(want)) << "lane " << i;
  }
}

TEST_F(EmulatorTest, SxmPermuteWithAndWithoutBase) {
  // SXM-W unit 0 at position 1; inputs on westward streams from west slices;
  // outputs eastward to west slices 43, 42 (positions 2, 3).
  int sxm = m.sxmPosition(0);
  ASSERT_EQ(sxm, 1);
  std::vector<int16_t> map(m.lanes());
  for (uint32_t i = 0; i < m.lanes(); ++i)
    map[i] = i % 5 == 0 ? -1 : int16_t(m.lanes() - 1 - i);
  uint32_t mapId = b.addLaneMap(map);
  std::vector<uint8_t> x(m.lanes()), base(m.lanes());
  for (uint32_t i = 0; i < m.lanes(); ++i) {
    x[i] = uint8_t(i);
    base[i] = uint8_t(200 + i % 50);
  }
  feed(m, b, sram(), {x}, 32, sxm, 60, 1, {0}, 0, 0);
  feed(m, b, sram(), {base}, 33, sxm, 60, 2, {1}, 0, 0);
  ASSERT_TRUE(
      b.at(m.sxmQueue(0), 60,
           emu::sxmPermute(DType::I8, 32, 1, mapId, isa::kNoStream, 0, 0, 3))
          .ok());
  ASSERT_TRUE(b.at(m.sxmQueue(1), 60,
                   emu::sxmPermute(DType::I8, 32, 1, mapId, 33, 2, 1, 4))
                  .ok());
  drain(m, b, 1, 0, sxm, 64, 3, {43}, 1, 0);
  drain(m, b, 1, 1, sxm, 64, 4, {42}, 1, 0);
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  const uint8_t *noBase = sram().row(43, 1, 0),
                *withBase = sram().row(42, 1, 0);
  for (uint32_t i = 0; i < m.lanes(); ++i) {
    uint8_t src = map[i] >= 0 ? x[map[i]] : 0;
    ASSERT_EQ(noBase[i], src) << i;
    ASSERT_EQ(withBase[i], map[i] >= 0 ? x[map[i]] : base[i]) << i;
  }
}

namespace {
/// Weight tile rows (k) of `lanes` values each.
std::vector<std::vector<float>> tile(uint32_t rows, uint32_t lanes, float s) {
  std::vector<std::vector<float>> w(rows, std::vector<float>(lanes));
  for (uint32_t k = 0; k < rows; ++k)
    for (uint32_t n = 0; n < lanes; ++n)
      w[k][n] = s * float(int((k * 7 + n * 3) % 11) - 5) / 4.0f;
  return w;
}
} // namespace

/// Element bits of `v` in type `d` (i8: round(4 v), so the test's quarter
/// steps become small integers).
static uint32_t encodeElem(DType d, float v) {
  switch (d) {
  case DType::F32:
    return isa::floatBits(v);
  case DType::F16:
    return isa::floatToHalf(v);
  case DType::BF16:
    return isa::floatToBF16(v);
  case DType::FP8E4M3:
    return isa::floatToFp8E4M3(v);
  default:
    return uint8_t(int8_t(std::lrint(v * 4.0f)));
  }
}
/// The value the chip sees for `v` (i8: the integer).
static float roundElem(DType d, float v) {
  uint32_t b = encodeElem(d, v);
  switch (d) {
  case DType::F32:
    return isa::bitsFloat(b);
  case DType::F16:
    return isa::halfToFloat(uint16_t(b));
  case DType::BF16:
    return isa::bf16ToFloat(uint16_t(b));
  case DType::FP8E4M3:
    return isa::fp8E4M3ToFloat(uint8_t(b));
  default:
    return float(int8_t(b));
  }
}

/// Feeds a tile to plane 0's load_weights at `t` on westward streams
/// 32..47 from west slices 0..15 (bank 0, rows `row0`..).
static void feedTile(const isa::Machine &m, emu::ProgramBuilder &b,
                     emu::Sram &sram, const std::vector<std::vector<float>> &w,
                     DType d, uint64_t t, uint32_t tag, uint32_t row0) {
  unsigned width = isa::widthBytes(d);
  uint32_t S = m.target().mxm_weight_streams();
  uint32_t planeRows = uint32_t(w.size()) * width;
  for (uint32_t q = 0; q < planeRows; ++q) {
    uint32_t k = q / S, i = q % S;
    const std::vector<float> &r = w[q / width];
    std::vector<uint32_t> bits(m.lanes());
    for (uint32_t n = 0; n < m.lanes(); ++n)
      bits[n] = encodeElem(d, r[n]);
    auto planes = toPlanes(bits, width, m.lanes());
    feed(m, b, sram, {planes[q % width]}, uint8_t(32 + i), m.mxmPosition(0),
         t + k, tag, {i}, 0, row0 + k);
  }
}

static void mxmTwoTiles(EmulatorTest *, const isa::Machine &m, DType d,
                        bool timingOnly = false) {
  emu::Emulator e(m, 1);
  e.setTimingOnly(timingOnly);
  emu::ProgramBuilder b(m);
  const uint32_t R = 8; // rows of each tile
  auto w1 = tile(R, m.lanes(), 1.0f), w2 = tile(R, m.lanes(), -0.5f);
  unsigned width = isa::widthBytes(d);
  uint32_t L = m.mxmLoadCycles(d, R);
  uint32_t lq = m.mxmLoadQueue(0), cq = m.mxmMulQueue(0);
  std::vector<float> x(m.lanes(), 0.0f), x2(m.lanes(), 0.0f);
  for (uint32_t k = 0; k < R; ++k) {
    x[k] = float(k + 1) * 0.25f;
    x2[k] = 1.5f - float(k) * 0.125f;
  }
  auto act = [&](const std::vector<float> &v) {
    std::vector<uint32_t> bits(m.lanes());
    for (uint32_t n = 0; n < m.lanes(); ++n)
      bits[n] = encodeElem(d, v[n]);
    return toPlanes(bits, width, m.lanes());
  };
  // Tile 1: load at 50, install at 50 + L, multiply at 60 into acc 0.
  feedTile(m, b, e.sram(0), w1, d, 50, 1, 0);
  ASSERT_TRUE(b.at(lq, 50, emu::mxmLoad(d, R, 32, 1)).ok());
  ASSERT_TRUE(b.at(cq, 50 + L, emu::mxmInstall()).ok());
  feed(m, b, e.sram(0), act(x), 48, 0, 60, 2, {16, 17, 18, 19}, 0, 0);
  ASSERT_TRUE(
      b.at(cq, 60, emu::mxmMul(d, 48, 2, 0, 0, isa::kNoStream, 0)).ok());
  // Tile 2 loads while tile 1 is active; install at 70; accumulate + emit.
  feedTile(m, b, e.sram(0), w2, d, 61, 3, 10);
  ASSERT_TRUE(b.at(lq, 61, emu::mxmLoad(d, R, 32, 3)).ok());
  ASSERT_TRUE(b.at(cq, 70, emu::mxmInstall()).ok());
  feed(m, b, e.sram(0), act(x2), 52, 0, 72, 4, {20, 21, 22, 23}, 0, 0);
  ASSERT_TRUE(
      b.at(cq, 72,
           emu::mxmMul(d, 52, 4, 0, isa::kAccumulate | isa::kEmit, 0, 5))
          .ok());
  uint64_t put = 72 + m.target().mxm_result_latency();
  drain(m, b, 4, 0, 0, put, 5, {43, 42, 41, 40}, 1, 0);
  emu::ChipProgram prog = b.take();
  uint64_t want = testutil::expectedCycles(m, prog);
  ASSERT_TRUE(e.setProgram(0, std::move(prog)).ok());
  absl::StatusOr<emu::RunStats> r = e.run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->cycles, want);
  EXPECT_EQ(r->cycles, put + 5 + 1); // last write at position 5
  if (timingOnly)
    return;
  std::vector<uint32_t> got = collect(e.sram(0), 4, {43, 42, 41, 40}, 1, 0);
  auto rd = [&](float v) { return roundElem(d, v); };
  for (uint32_t n = 0; n < m.lanes(); ++n) {
    if (d == DType::I8) {
      // int8 x int8 products accumulated in int32.
      int32_t r = 0;
      for (uint32_t k = 0; k < R; ++k)
        r += int32_t(rd(x[k])) * int32_t(rd(w1[k][n])) +
             int32_t(rd(x2[k])) * int32_t(rd(w2[k][n]));
      ASSERT_EQ(got[n], uint32_t(r)) << "lane " << n;
      continue;
    }
    float r1 = 0, r2 = 0;
    for (uint32_t k = 0; k < m.lanes(); ++k) {
      float a1 = rd(x[k]), a2 = rd(x2[k]);
      float b1 = k < R ? rd(w1[k][n]) : 0.0f, b2 = k < R ? rd(w2[k][n]) : 0.0f;
      // Narrow products are exact in fp32: the product of the doubles is
      // the same number.
      ASSERT_EQ(double(a1 * b1), double(a1) * double(b1));
      r1 += a1 * b1;
      r2 += a2 * b2;
    }
    ASSERT_EQ(got[n], isa::floatBits(r1 + r2)) << "lane " << n;
  }
}

TEST_F(EmulatorTest, MxmF32AccumulateAcrossTwoTiles) {
  mxmTwoTiles(this, m, DType::F32);
}
TEST_F(EmulatorTest, MxmF16AccumulateAcrossTwoTiles) {
  mxmTwoTiles(this, m, DType::F16);
}
TEST_F(EmulatorTest, MxmBf16AccumulateAcrossTwoTiles) {
  mxmTwoTiles(this, m, DType::BF16);
}
TEST_F(EmulatorTest, MxmFp8AccumulateAcrossTwoTiles) {
  mxmTwoTiles(this, m, DType::FP8E4M3);
}
TEST_F(EmulatorTest, MxmInt8AccumulatesInInt32) {
  mxmTwoTiles(this, m, DType::I8);
}
TEST_F(EmulatorTest, MxmTimingOnlySameCycles) {
  mxmTwoTiles(this, m, DType::F16, true);
}

TEST_F(EmulatorTest, TimingOnlyStillFindsHazards) {
  emu.setTimingOnly(true);
  ASSERT_TRUE(b.at(m.memQueue(0), 0, emu::memRead(0, 5, 0, 7)).ok());
  ASSERT_TRUE(b.at(m.memQueue(44), 3, emu::memWrite(0, 7, 1, 9)).ok());
  expectError({"MEM-E0", "cycle 3", "holds no value"});
}

//===----------------------------------------------------------------------===//
// Hazards
//===----------------------------------------------------------------------===//

TEST_F(EmulatorTest, ReadOfEmptyStreamOneCycleEarly) {
  ASSERT_TRUE(b.at(m.memQueue(0), 0, emu::memRead(0, 5, 0, 7)).ok());
  ASSERT_TRUE(b.at(m.memQueue(44), 3, emu::memWrite(0, 7, 1, 9)).ok());
  expectError({"chip 0", "MEM-E0", "cycle 3", "mem.write s0",
               "holds no value at position 47 in cycle 3"});
}

TEST_F(EmulatorTest, ReadOfValueThatHasPassed) {
  ASSERT_TRUE(b.at(m.memQueue(0), 0, emu::memRead(0, 5, 0, 7)).ok());
  ASSERT_TRUE(b.at(m.memQueue(44), 5, emu::memWrite(0, 7, 1, 9)).ok());
  expectError({"MEM-E0", "cycle 5", "holds no value"});
}

TEST_F(EmulatorTest, ReadAgainstTheDirection) {
  // s0 flows east: slice 1 (position 44) is west of slice 0 (45).
  ASSERT_TRUE(b.at(m.memQueue(0), 0, emu::memRead(0, 5, 0, 7)).ok());
  ASSERT_TRUE(b.at(m.memQueue(1), 3, emu::memWrite(0, 7, 1, 9)).ok());
  expectError({"MEM-W1", "holds no value"});
}

TEST_F(EmulatorTest, TagMismatch) {
  ASSERT_TRUE(b.at(m.memQueue(0), 0, emu::memRead(0, 5, 0, 7)).ok());
  ASSERT_TRUE(b.at(m.memQueue(44), 4, emu::memWrite(0, 8, 1, 9)).ok());
  expectError({"MEM-E0", "cycle 4", "holds tag 7, expected tag 8"});
}

TEST_F(EmulatorTest, LaterPutEndsTheEarlierValue) {
  // Slice 0 (45) puts tag 1 on s0 in cycle 4; it would pass 46 in cycle 5,
  // where the VXM puts tag 2 on s0: from 46 on that value is ended, so
  // MEM-E0 (47) sees tag 2 in cycle 6.
  std::vector<uint8_t> five(m.lanes(), 5), one(m.lanes(), 1);
  std::memcpy(sram().mutableRow(1, 0, 0), five.data(), m.lanes());
  std::memcpy(sram().mutableRow(0, 0, 0), one.data(), m.lanes());
  ASSERT_TRUE(b.at(m.memQueue(1), 0, emu::memRead(0, 0, 1, 9)).ok());
  ASSERT_TRUE(b.at(m.memQueue(0), 2, emu::memRead(0, 0, 0, 1)).ok());
  ASSERT_TRUE(
      b.at(m.vxmQueue(0), 4,
           emu::vxm(AluOp::Copy, DType::I8, 1, 9, isa::kNoStream, 0, 0, 2))
          .ok());
  ASSERT_TRUE(b.at(m.memQueue(44), 6, emu::memWrite(0, 2, 1, 0)).ok());
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(0, std::memcmp(sram().row(44, 1, 0), five.data(), m.lanes()));
}

TEST_F(EmulatorTest, DoublePutOnOneStream) {
  feed(m, b, sram(), {std::vector<uint8_t>(m.lanes(), 1)}, 0, m.vxmPosition(),
       10, 1, {0}, 0, 0);
  auto copy = emu::vxm(AluOp::Copy, DType::I8, 0, 1, isa::kNoStream, 0, 8, 2);
  ASSERT_TRUE(b.at(m.vxmQueue(0), 10, copy).ok());
  ASSERT_TRUE(b.at(m.vxmQueue(1), 10, copy).ok());
  expectError({"VXM ALU 1", "cycle 10",
               "a second value put on stream s8 at position 46 in cycle 11"});
}

TEST_F(EmulatorTest, MemPortRules) {
  // One queue per slice issues at most one instruction per cycle, so the
  // emulator's port table cannot be driven into these through a program; it
  // is checked directly.
  emu::MemPorts p(4);
  EXPECT_EQ(p.claimRead(2, 0, 5), "");
  EXPECT_NE(p.claimRead(2, 1, 5).find("second MEM read"), std::string::npos);
  EXPECT_NE(p.claimWrite(2, 0, 5).find("read and a write to bank 0"),
            std::string::npos);
  EXPECT_EQ(p.claimWrite(2, 1, 5), "");
  EXPECT_NE(p.claimWrite(2, 1, 5).find("second MEM write"), std::string::npos);
  EXPECT_EQ(p.claimRead(3, 0, 5), "");
  EXPECT_EQ(p.claimRead(2, 0, 6), "");
}

TEST_F(EmulatorTest, MemReadWriteOneIssueTwoBanks) {
  // MEM-W1 (position 44) reads bank 0 row 2 onto eastward s1 at cycle 1: at
  // 44 in cycle 3, at 45 in cycle 4. MEM-W0 (position 45), in one issue at
  // cycle 4, writes s1 into bank 1 row 9 and reads bank 0 row 5 onto s0 (at
  // 45 in cycle 6, at MEM-E0, position 47, in cycle 8, written there).
  std::vector<uint8_t> a(m.lanes()), c(m.lanes());
  for (uint32_t i = 0; i < m.lanes(); ++i) {
    a[i] = uint8_t(i * 3 + 1);
    c[i] = uint8_t(200 - i);
  }
  std::memcpy(sram().mutableRow(0, 0, 5), a.data(), m.lanes());
  std::memcpy(sram().mutableRow(1, 0, 2), c.data(), m.lanes());
  ASSERT_EQ(m.memPosition(1), 44);
  ASSERT_TRUE(b.at(m.memQueue(1), 1, emu::memRead(0, 2, 1, 3)).ok());
  ASSERT_TRUE(
      b.at(m.memQueue(0), 4, emu::memReadWrite(0, 5, 0, 7, 1, 3, 1, 9)).ok());
  ASSERT_TRUE(b.at(m.memQueue(44), 8, emu::memWrite(0, 7, 0, 0)).ok());
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(0, std::memcmp(sram().row(0, 1, 9), c.data(), m.lanes()));
  EXPECT_EQ(0, std::memcmp(sram().row(44, 0, 0), a.data(), m.lanes()));
  // Timing of the pair: queue 1, input read at issue, output at +2, write
  // visible at +1: busy = max(1, 2 + 1, 1) = 3.
  isa::Instruction rw = emu::memReadWrite(0, 5, 0, 7, 1, 3, 1, 9);
  EXPECT_EQ(m.queueCycles(rw), 1u);
  EXPECT_EQ(m.inputCycles(rw), 1u);
  EXPECT_EQ(m.outputLatency(rw), 2u);
  EXPECT_EQ(m.outputWidth(rw), 1u);
  EXPECT_EQ(m.inputWidth(rw, 0), 1u);
  EXPECT_EQ(m.inputWidth(rw, 1), 0u);
  EXPECT_EQ(m.busyCycles(rw), 3u);
  // Last effect: the write at 8 + 1.
  EXPECT_EQ(r->cycles, 9u);
  EXPECT_EQ(r->cycles, testutil::expectedCycles(m, program));
  EXPECT_EQ(r->instructions, 3u);
  EXPECT_EQ(r->units[0].busyCycles, 3u);
  EXPECT_EQ(isa::toString(rw),
            "mem.read_write bank 0 row 5 -> s0 tag 7; s1 (tag 3) -> bank 1 "
            "row 9");
  uint8_t bytes[isa::kInstructionBytes];
  isa::encode(rw, bytes);
  EXPECT_TRUE(isa::decode(bytes) == rw);
  EXPECT_EQ(bytes[0], 8);
}

TEST_F(EmulatorTest, MemReadWriteSameBankIsAnError) {
  ASSERT_TRUE(b.at(m.memQueue(1), 1, emu::memRead(0, 2, 1, 3)).ok());
  ASSERT_TRUE(
      b.at(m.memQueue(0), 4, emu::memReadWrite(1, 5, 0, 7, 1, 3, 1, 9)).ok());
  expectError({"chip 0", "MEM-W0", "cycle 4", "mem.read_write",
               "a MEM read and a write to bank 1 of this slice in the same "
               "cycle"});
}

TEST_F(EmulatorTest, MemReadWriteBankOutOfRange) {
  ASSERT_TRUE(b.at(m.memQueue(1), 1, emu::memRead(0, 2, 1, 3)).ok());
  ASSERT_TRUE(
      b.at(m.memQueue(0), 4, emu::memReadWrite(0, 5, 0, 7, 1, 3, 2, 9)).ok());
  expectError({"MEM-W0", "cycle 4", "bank 2 row 9 out of range"});
}

TEST_F(EmulatorTest, RowOutOfRange) {
  ASSERT_TRUE(b.at(m.memQueue(3), 7, emu::memRead(0, 4096, 0, 1)).ok());
  expectError({"MEM-W3", "cycle 7", "bank 0 row 4096 out of range"});
}

TEST_F(EmulatorTest, BankOutOfRange) {
  ASSERT_TRUE(b.at(m.memQueue(3), 0, emu::memRead(2, 0, 0, 1)).ok());
  expectError({"bank 2 row 0 out of range"});
}

TEST_F(EmulatorTest, MultiplyWithoutInstall) {
  feed(m, b, sram(), toPlanes(f32Bits(ramp(1, 0)), 4, m.lanes()), 32, 0, 50, 1,
       kWestA, 0, 0);
  ASSERT_TRUE(b.at(m.mxmMulQueue(0), 50,
                   emu::mxmMul(DType::F32, 32, 1, 0, isa::kEmit, 0, 2))
                  .ok());
  expectError({"MXM plane 0 (compute)", "cycle 50",
               "multiply with no installed weights"});
}

TEST_F(EmulatorTest, InstallDuringLoad) {
  auto w = tile(16, m.lanes(), 1.0f);
  feedTile(m, b, sram(), w, DType::F32, 50, 1, 0);
  ASSERT_TRUE(
      b.at(m.mxmLoadQueue(0), 50, emu::mxmLoad(DType::F32, 16, 32, 1)).ok());
  // 16 rows x 4 planes / 16 streams = 4 cycles: complete from cycle 54.
  ASSERT_EQ(m.mxmLoadCycles(DType::F32, 16), 4u);
  ASSERT_TRUE(b.at(m.mxmMulQueue(0), 53, emu::mxmInstall()).ok());
  expectError({"cycle 53", "still loading", "complete at cycle 54"});
}

TEST_F(EmulatorTest, InstallWithNothingLoaded) {
  ASSERT_TRUE(b.at(m.mxmMulQueue(2), 3, emu::mxmInstall()).ok());
  expectError({"MXM plane 2 (compute)", "no weights loaded"});
}

TEST_F(EmulatorTest, LoadReadsEmptyStream) {
  // Feed only the first cycle of a two-cycle load.
  auto w = tile(4, m.lanes(), 1.0f);
  feedTile(m, b, sram(), w, DType::F32, 50, 1, 0);
  ASSERT_TRUE(
      b.at(m.mxmLoadQueue(0), 50, emu::mxmLoad(DType::F32, 8, 32, 1)).ok());
  expectError({"MXM plane 0 (weights)", "cycle 51", "holds no value"});
}

TEST_F(EmulatorTest, AccumulateIntoEmptyRow) {
  auto w = tile(4, m.lanes(), 1.0f);
  feedTile(m, b, sram(), w, DType::F32, 50, 1, 0);
  ASSERT_TRUE(
      b.at(m.mxmLoadQueue(0), 50, emu::mxmLoad(DType::F32, 4, 32, 1)).ok());
  ASSERT_TRUE(b.at(m.mxmMulQueue(0), 51, emu::mxmInstall()).ok());
  feed(m, b, sram(), toPlanes(f32Bits(ramp(1, 0)), 4, m.lanes()), 48, 0, 52, 2,
       {16, 17, 18, 19}, 0, 0);
  ASSERT_TRUE(b.at(m.mxmMulQueue(0), 52,
                   emu::mxmMul(DType::F32, 48, 2, 3, isa::kAccumulate, 0, 2))
                  .ok());
  expectError({"accumulate into accumulator row 3, which holds no value"});
}

TEST_F(EmulatorTest, WideTileOnOddPlane) {
  ASSERT_TRUE(
      b.at(m.mxmLoadQueue(1), 0, emu::mxmLoad(DType::F16, 4, 32, 0)).ok());
  expectError({"MXM plane 1 (weights)", "even/odd plane pair"});
}

TEST_F(EmulatorTest, StaticChecks) {
  {
    emu::ProgramBuilder pb(m);
    ASSERT_TRUE(pb.at(m.vxmQueue(0), 0, emu::memRead(0, 0, 0, 0)).ok());
    absl::Status s = emu.setProgram(0, pb.take());
    EXPECT_NE(s.message().find("cannot issue on this queue"), std::string::npos)
        << s;
  }
  {
    emu::ProgramBuilder pb(m);
    ASSERT_TRUE(
        pb.at(m.mxmLoadQueue(0), 0, emu::mxmLoad(DType::F32, 321, 32, 0)).ok());
    absl::Status s = emu.setProgram(0, pb.take());
    EXPECT_NE(s.message().find("rows must be in [1, 320]"), std::string::npos)
        << s;
  }
  {
    emu::ChipProgram p;
    p.queues.resize(m.numQueues());
    isa::Instruction bad;
    bad.op = isa::Opcode(42);
    p.queues[0].push_back(bad);
    absl::Status s = emu.setProgram(0, p);
    EXPECT_NE(s.message().find("unknown opcode 42"), std::string::npos) << s;
    p.queues[0][0] = emu::vxm(AluOp(99), DType::F32, 0, 0, 4, 0, 8, 0);
    p.queues[m.vxmQueue(0)].push_back(p.queues[0][0]);
    p.queues[0].clear();
    s = emu.setProgram(0, p);
    EXPECT_NE(s.message().find("unknown ALU op 99"), std::string::npos) << s;
    p.queues[m.vxmQueue(0)][0] =
        emu::vxm(AluOp::Add, DType::F32, 30, 0, 4, 0, 8, 0); // 30..33 crosses
    s = emu.setProgram(0, p);
    EXPECT_NE(s.message().find("not a valid group"), std::string::npos) << s;
  }
}

TEST_F(EmulatorTest, PermuteMapOutOfRange) {
  std::vector<int16_t> map(m.lanes(), 0);
  map[7] = 320;
  uint32_t id = b.addLaneMap(map);
  feed(m, b, sram(), {std::vector<uint8_t>(m.lanes(), 1)}, 32, 1, 60, 1, {0}, 0,
       0);
  ASSERT_TRUE(
      b.at(m.sxmQueue(0), 60,
           emu::sxmPermute(DType::I8, 32, 1, id, isa::kNoStream, 0, 0, 3))
          .ok());
  expectError({"SXM 0", "entry 7 = 320 is out of range"});
}

TEST_F(EmulatorTest, CyclesFollowBusyFormulaAndAreDeterministic) {
  // A mixed program: copies between many slices with NOP gaps.
  for (uint32_t s = 0; s < 8; ++s) {
    std::vector<uint8_t> row(m.lanes(), uint8_t(s + 1));
    std::memcpy(sram().mutableRow(s, 0, s), row.data(), m.lanes());
    ASSERT_TRUE(
        b.at(m.memQueue(s), 3 * s, emu::memRead(0, s, uint8_t(s), s + 1)).ok());
    // Slice s at 45 - s; slice 44 + s at 47 + s: distance 2 + 2s.
    ASSERT_TRUE(b.at(m.memQueue(44 + s), 3 * s + 2 + 2 + 2 * s,
                     emu::memWrite(uint8_t(s), s + 1, 1, s))
                    .ok());
  }
  emu::ChipProgram copy = b.program();
  absl::StatusOr<emu::RunStats> r1 = run();
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_EQ(r1->cycles, testutil::expectedCycles(m, program));
  emu::Emulator e2(m, 1);
  for (uint32_t s = 0; s < 8; ++s) {
    std::vector<uint8_t> row(m.lanes(), uint8_t(s + 1));
    std::memcpy(e2.sram(0).mutableRow(s, 0, s), row.data(), m.lanes());
  }
  ASSERT_TRUE(e2.setProgram(0, copy).ok());
  absl::StatusOr<emu::RunStats> r2 = e2.run();
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r1->cycles, r2->cycles);
  for (uint32_t s = 0; s < 8; ++s)
    EXPECT_EQ(0, std::memcmp(sram().row(44 + s, 1, s),
                             e2.sram(0).row(44 + s, 1, s), m.lanes()));
  EXPECT_EQ(sram().row(44 + 3, 1, 3)[0], 4);
}

TEST_F(EmulatorTest, EmptyProgramHasZeroCycles) {
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cycles, 0u);
  EXPECT_EQ(r->instructions, 0u);
}

TEST(Sram, LazyPages) {
  emu::Sram s(88, 2, 4096, 320);
  EXPECT_EQ(s.capacityBytes(), 88ull * 2 * 4096 * 320);
  EXPECT_EQ(s.allocatedBytes(), 0u);
  EXPECT_EQ(s.row(5, 1, 4000)[17], 0);
  EXPECT_EQ(s.allocatedBytes(), 0u);
  s.mutableRow(5, 1, 4000)[17] = 9;
  EXPECT_EQ(s.row(5, 1, 4000)[17], 9);
  EXPECT_EQ(s.allocatedBytes(), uint64_t(emu::Sram::kPageRows) * 320);
  s.mutableRow(5, 1, 4001)[0] = 1; // same page
  EXPECT_EQ(s.allocatedBytes(), uint64_t(emu::Sram::kPageRows) * 320);
  // A whole emulator of 220 MiB chips costs only what is touched.
  isa::Machine m(testutil::v1Target());
  emu::Emulator e(m, 4);
  EXPECT_EQ(e.sram(3).allocatedBytes(), 0u);
}

TEST_F(EmulatorTest, SustainedF16MultiplyStream) {
  // One f16 multiply per cycle for N cycles: activations read from two west
  // slices every cycle, results emitted and written to four west slices
  // every cycle. Checks a few rows and reports the emulator's speed.
  const uint32_t R = 32, N = 2000;
  auto w = tile(R, m.lanes(), 0.25f);
  feedTile(m, b, sram(), w, DType::F16, 50, 1, 0);
  ASSERT_TRUE(
      b.at(m.mxmLoadQueue(0), 50, emu::mxmLoad(DType::F16, R, 32, 1)).ok());
  uint32_t L = m.mxmLoadCycles(DType::F16, R);
  ASSERT_TRUE(b.at(m.mxmMulQueue(0), 50 + L, emu::mxmInstall()).ok());
  uint64_t t0 = 100;
  std::vector<std::vector<float>> acts;
  for (uint32_t i = 0; i < N; ++i) {
    std::vector<float> x(m.lanes(), 0.0f);
    for (uint32_t k = 0; k < R; ++k)
      x[k] = float(int((i + k * 5) % 13) - 6) * 0.125f;
    std::vector<uint32_t> bits(m.lanes());
    for (uint32_t n = 0; n < m.lanes(); ++n)
      bits[n] = isa::floatToHalf(x[n]);
    feed(m, b, sram(), toPlanes(bits, 2, m.lanes()), 48, 0, t0 + i, 1000 + i,
         {20, 21}, 1, i % 4096);
    ASSERT_TRUE(b.at(m.mxmMulQueue(0), t0 + i,
                     emu::mxmMul(DType::F16, 48, 1000 + i, i % 8, isa::kEmit, 0,
                                 5000 + i))
                    .ok());
    drain(m, b, 4, 0, 0, t0 + i + m.target().mxm_result_latency(), 5000 + i,
          {43, 42, 41, 40}, 1, i % 4096);
    acts.push_back(x);
  }
  emu::ChipProgram prog = b.take();
  uint64_t want = testutil::expectedCycles(m, prog);
  ASSERT_TRUE(emu.setProgram(0, std::move(prog)).ok());
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<emu::RunStats> r = emu.run();
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->cycles, want);
  std::printf("[ info ] %u f16 multiplies, %llu cycles, %llu instructions in "
              "%.3f s (%.0f instructions/s)\n",
              N, (unsigned long long)r->cycles,
              (unsigned long long)r->instructions, secs,
              double(r->instructions) / secs);
  for (uint32_t i : {0u, 1u, 777u, N - 1}) {
    std::vector<uint32_t> got =
        collect(sram(), 4, {43, 42, 41, 40}, 1, i % 4096);
    for (uint32_t n = 0; n < m.lanes(); n += 53) {
      float acc = 0;
      for (uint32_t k = 0; k < m.lanes(); ++k) {
        float a = isa::halfToFloat(isa::floatToHalf(acts[i][k]));
        float bw = k < R ? isa::halfToFloat(isa::floatToHalf(w[k][n])) : 0.0f;
        acc += a * bw;
      }
      ASSERT_EQ(got[n], isa::floatBits(acc))
          << "multiply " << i << " lane " << n;
    }
  }
}

//===----------------------------------------------------------------------===//
// The full VXM ALU set, casts and the narrow number formats
//===----------------------------------------------------------------------===//

namespace {

/// Runs one vxm instruction issued at cycle 20 on ALU 0: input group g (of
/// `inst.dtype`, element bits per lane) arrives at the VXM on eastward
/// streams 4g.. from west slices 4g..4g+3; the result (group s16..) is
/// written to east slices 44.. (bank 1, row 2). Checks the program length
/// (last write + 1) against the latency `lat` and returns the result bits.
std::vector<uint32_t>
runOneVxm(const isa::Machine &m, isa::Instruction inst,
          const std::vector<std::vector<uint32_t>> &groups, uint32_t lat,
          const std::vector<isa::ChainStep> &chain = {}) {
  emu::Emulator e(m, 1);
  emu::ProgramBuilder pb(m);
  pb.addChainSteps(chain);
  int vxm = m.vxmPosition();
  unsigned w = isa::widthBytes(inst.dtype);
  uint8_t *ins[3] = {&inst.in0, &inst.in1, &inst.in2};
  uint32_t *exp[3] = {&inst.expect0, &inst.expect1, &inst.expect2};
  for (unsigned g = 0; g < groups.size(); ++g) {
    std::vector<uint32_t> slices;
    for (unsigned k = 0; k < w; ++k)
      slices.push_back(4 * g + k);
    feed(m, pb, e.sram(0), toPlanes(groups[g], w, m.lanes()), uint8_t(4 * g),
         vxm, 20, 11 + g, slices, 0, 0);
    *ins[g] = uint8_t(4 * g);
    *exp[g] = 11 + g;
  }
  inst.out = 16;
  inst.tag = 20;
  EXPECT_EQ(m.outputLatency(inst), lat);
  EXPECT_EQ(m.queueCycles(inst),
            inst.op == isa::Opcode::VxmChain ? inst.b : 1u);
  EXPECT_EQ(m.inputCycles(inst), 1u);
  for (unsigned g = 0; g < 3; ++g)
    EXPECT_EQ(m.inputWidth(inst, g), g < groups.size() ? w : 0u);
  unsigned ow = m.outputWidth(inst);
  EXPECT_TRUE(pb.at(m.vxmQueue(0), 20, inst).ok());
  std::vector<uint32_t> out = {44, 45, 46, 47};
  out.resize(ow);
  drain(m, pb, ow, 16, vxm, 20 + lat, 20, out, 1, 2);
  emu::ChipProgram prog = pb.take();
  uint64_t want = testutil::expectedCycles(m, prog);
  absl::Status s = e.setProgram(0, std::move(prog));
  EXPECT_TRUE(s.ok()) << s;
  absl::StatusOr<emu::RunStats> r = e.run();
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok())
    return {};
  EXPECT_EQ(r->cycles, want);
  // Last write: slice 44 + ow - 1 at position 47 + ow - 1, one hop per
  // position from the VXM (46), then + 1 for the write.
  EXPECT_EQ(r->cycles, 20u + lat + ow + 1);
  return collect(e.sram(0), ow, out, 1, 2);
}

isa::Instruction vxmInst(AluOp op, DType d, float imm = 0, DType to = {}) {
  isa::Instruction i;
  i.op = isa::Opcode::Vxm;
  i.fn = uint8_t(op);
  i.dtype = d;
  i.imm = imm;
  i.b = uint32_t(to);
  return i;
}

} // namespace

TEST_F(EmulatorTest, MxmBatchedMultipliesMatchScalarSums) {
  // Back-to-back f16 multiplies of one full 320-row tile whose columns past
  // 200 are zero, chained through four accumulator rows, each emitted: the
  // emulator computes them in batches (docs/emulator.md, Speed notes), with
  // a vector holding inf among them (its products go one by one). Every
  // emitted lane must have the bits of the scalar k-order fp32 sums.
  const uint32_t R = m.lanes(), N = 45, kCols = 200;
  // Values with full f16 mantissas, so that the fp32 sums round and their
  // order shows in the bits.
  std::vector<std::vector<float>> w(R, std::vector<float>(m.lanes(), 0.0f));
  for (uint32_t k = 0; k < R; ++k)
    for (uint32_t n = 0; n < kCols; ++n)
      w[k][n] = float(int((k * 13 + n * 29) % 997) - 498) / 777.0f;
  feedTile(m, b, sram(), w, DType::F16, 50, 1, 0);
  ASSERT_TRUE(
      b.at(m.mxmLoadQueue(0), 50, emu::mxmLoad(DType::F16, R, 32, 1)).ok());
  uint32_t L = m.mxmLoadCycles(DType::F16, R);
  uint64_t t0 = 50 + L + 10;
  ASSERT_TRUE(b.at(m.mxmMulQueue(0), 50 + L, emu::mxmInstall()).ok());
  std::vector<std::vector<float>> acts;
  for (uint32_t i = 0; i < N; ++i) {
    std::vector<float> x(m.lanes());
    for (uint32_t k = 0; k < m.lanes(); ++k)
      x[k] = float(int((i * 37 + k * 101) % 1000) - 500) / 333.0f;
    if (i == 7)
      x[3] = INFINITY;
    std::vector<uint32_t> bits(m.lanes());
    for (uint32_t n = 0; n < m.lanes(); ++n)
      bits[n] = isa::floatToHalf(x[n]);
    feed(m, b, sram(), toPlanes(bits, 2, m.lanes()), 48, 0, t0 + i, 1000 + i,
         {20, 21}, 1, i);
    uint8_t flags = isa::kEmit | (i >= 4 ? isa::kAccumulate : 0);
    ASSERT_TRUE(
        b.at(m.mxmMulQueue(0), t0 + i,
             emu::mxmMul(DType::F16, 48, 1000 + i, i % 4, flags, 0, 5000 + i))
            .ok());
    drain(m, b, 4, 0, 0, t0 + i + m.target().mxm_result_latency(), 5000 + i,
          {43, 42, 41, 40}, 1, i);
    acts.push_back(x);
  }
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<std::vector<float>> acc(4, std::vector<float>(m.lanes(), 0.0f));
  for (uint32_t i = 0; i < N; ++i) {
    std::vector<uint32_t> got = collect(sram(), 4, {43, 42, 41, 40}, 1, i);
    for (uint32_t n = 0; n < m.lanes(); ++n) {
      float sum = 0.0f;
      for (uint32_t k = 0; k < m.lanes(); ++k) {
        float a = isa::halfToFloat(isa::floatToHalf(acts[i][k]));
        float bw = isa::halfToFloat(isa::floatToHalf(w[k][n]));
        sum += a * bw;
      }
      float &row = acc[i % 4][n];
      row = i >= 4 ? row + sum : sum;
      ASSERT_EQ(got[n], isa::floatBits(row))
          << "multiply " << i << " lane " << n;
    }
  }
}

TEST_F(EmulatorTest, MxmInfiniteWeightsMeetZeroActivationRows) {
  // Rows of a tile where every activation is +-0 are left out of the sums
  // only when the tile's weights are finite: here row 3 holds +inf in
  // column 5 and -inf in column 300 (past 256: the AVX-512 widening's last
  // step), and both multiplies have +0 or -0 at k = 3 (and 6), so those
  // columns are NaN (0 * inf) and the rest the finite sums. No NaN weight:
  // those send every product through the one-vector kernel. For f16 (found
  // on the halves) and f32 tiles.
  for (DType d : {DType::F16, DType::F32}) {
    SCOPED_TRACE(d == DType::F16 ? "f16" : "f32");
    emu::Emulator e(m, 1);
    emu::ProgramBuilder pb(m);
    const uint32_t R = 8;
    std::vector<std::vector<float>> w(R, std::vector<float>(m.lanes(), 0.0f));
    for (uint32_t k = 0; k < R; ++k)
      for (uint32_t n = 0; n < m.lanes(); ++n)
        w[k][n] = float(int((k * 7 + n * 3) % 19) - 9) * 0.125f;
    w[3][5] = INFINITY;
    w[3][300] = -INFINITY;
    feedTile(m, pb, e.sram(0), w, d, 50, 1, 0);
    ASSERT_TRUE(pb.at(m.mxmLoadQueue(0), 50, emu::mxmLoad(d, R, 32, 1)).ok());
    uint32_t L = m.mxmLoadCycles(d, R);
    uint64_t t0 = 50 + L + 10;
    ASSERT_TRUE(pb.at(m.mxmMulQueue(0), 50 + L, emu::mxmInstall()).ok());
    unsigned width = isa::widthBytes(d);
    std::vector<std::vector<float>> acts;
    for (uint32_t i = 0; i < 2; ++i) {
      std::vector<float> x(m.lanes(), 0.0f);
      for (uint32_t k = 0; k < R; ++k)
        x[k] = float(k + 1 + i) * 0.5f;
      x[3] = i ? -0.0f : 0.0f;
      x[6] = -0.0f;
      std::vector<uint32_t> bits(m.lanes());
      for (uint32_t n = 0; n < m.lanes(); ++n)
        bits[n] = encodeElem(d, x[n]);
      uint64_t at = t0 + 8 * i; // an f32 multiply holds the queue longer
      feed(m, pb, e.sram(0), toPlanes(bits, width, m.lanes()), 48, 0, at,
           1000 + i, {20, 21, 22, 23}, 1, i);
      absl::Status st =
          pb.at(m.mxmMulQueue(0), at,
                emu::mxmMul(d, 48, 1000 + i, i, isa::kEmit, 0, 5000 + i));
      ASSERT_TRUE(st.ok()) << st;
      drain(m, pb, 4, 0, 0, at + m.target().mxm_result_latency(), 5000 + i,
            {43, 42, 41, 40}, 1, i);
      acts.push_back(x);
    }
    ASSERT_TRUE(e.setProgram(0, pb.take()).ok());
    absl::StatusOr<emu::RunStats> r = e.run();
    ASSERT_TRUE(r.ok()) << r.status();
    for (uint32_t i = 0; i < 2; ++i) {
      std::vector<uint32_t> got = collect(e.sram(0), 4, {43, 42, 41, 40}, 1, i);
      for (uint32_t n = 0; n < m.lanes(); ++n) {
        float v = isa::bitsFloat(got[n]);
        if (n == 5 || n == 300) {
          ASSERT_TRUE(std::isnan(v)) << "multiply " << i << " lane " << n;
          continue;
        }
        float sum = 0.0f;
        for (uint32_t k = 0; k < R; ++k)
          sum += acts[i][k] * w[k][n];
        ASSERT_EQ(got[n], isa::floatBits(sum))
            << "multiply " << i << " lane " << n;
      }
    }
  }
}

TEST_F(EmulatorTest, MxmUniformColumnsSumOnce) {
  // A tile whose rows are constant across the columns (each column the same
  // weights: lpuc's layer norms sum the lanes with a tile of ones) computes
  // one column and copies it; a tile that differs from uniform in one
  // weight of its last row must not. Both against the scalar k-order sums,
  // for several batched f16 multiplies with full-mantissa activations.
  const uint32_t R = 40;
  for (int variant = 0; variant < 3; ++variant) {
    SCOPED_TRACE(variant);
    emu::Emulator e(m, 1);
    emu::ProgramBuilder pb(m);
    std::vector<std::vector<float>> w(R, std::vector<float>(m.lanes(), 0.0f));
    for (uint32_t k = 0; k < R; ++k)
      for (uint32_t n = 0; n < m.lanes(); ++n)
        w[k][n] = variant == 0 ? 1.0f : float(int(k % 7) - 3) * 0.375f;
    if (variant == 2)
      w[R - 1][m.lanes() - 1] = 2.5f; // not uniform
    feedTile(m, pb, e.sram(0), w, DType::F16, 50, 1, 0);
    ASSERT_TRUE(
        pb.at(m.mxmLoadQueue(0), 50, emu::mxmLoad(DType::F16, R, 32, 1)).ok());
    uint32_t L = m.mxmLoadCycles(DType::F16, R);
    uint64_t t0 = 50 + L + 10;
    ASSERT_TRUE(pb.at(m.mxmMulQueue(0), 50 + L, emu::mxmInstall()).ok());
    const uint32_t N = 6;
    std::vector<std::vector<float>> acts;
    for (uint32_t i = 0; i < N; ++i) {
      std::vector<float> x(m.lanes(), 0.0f);
      for (uint32_t k = 0; k < R; ++k)
        x[k] = isa::halfToFloat(isa::floatToHalf(
            float(int((i * 37 + k * 101) % 1000) - 500) / 333.0f));
      std::vector<uint32_t> bits(m.lanes());
      for (uint32_t n = 0; n < m.lanes(); ++n)
        bits[n] = isa::floatToHalf(x[n]);
      feed(m, pb, e.sram(0), toPlanes(bits, 2, m.lanes()), 48, 0, t0 + i,
           1000 + i, {20, 21}, 1, i);
      ASSERT_TRUE(pb.at(m.mxmMulQueue(0), t0 + i,
                        emu::mxmMul(DType::F16, 48, 1000 + i, i, isa::kEmit, 0,
                                    5000 + i))
                      .ok());
      drain(m, pb, 4, 0, 0, t0 + i + m.target().mxm_result_latency(), 5000 + i,
            {43, 42, 41, 40}, 1, i);
      acts.push_back(x);
    }
    ASSERT_TRUE(e.setProgram(0, pb.take()).ok());
    absl::StatusOr<emu::RunStats> r = e.run();
    ASSERT_TRUE(r.ok()) << r.status();
    for (uint32_t i = 0; i < N; ++i) {
      std::vector<uint32_t> got = collect(e.sram(0), 4, {43, 42, 41, 40}, 1, i);
      for (uint32_t n = 0; n < m.lanes(); ++n) {
        float sum = 0.0f;
        for (uint32_t k = 0; k < R; ++k)
          sum += acts[i][k] * isa::halfToFloat(isa::floatToHalf(w[k][n]));
        ASSERT_EQ(got[n], isa::floatBits(sum))
            << "multiply " << i << " lane " << n;
      }
    }
  }
}

// f32/i32 byte planes <-> words (SSE2 16 lanes at a time, the rest by the
// scalar loop): every length 0..100 at offsets 0..3 and lpu-v1's 320 lanes,
// random words (NaNs, infinities, subnormals and -0 among them, and set
// explicitly), against the byte loops.
TEST(Emulator, PlaneWordTransposesExact) {
  std::mt19937 rng(11);
  std::vector<uint32_t> words(400);
  for (uint32_t &w : words)
    w = uint32_t(rng());
  const uint32_t special[] = {0x7fc00000u, 0xffc00001u, 0x7f800000u,
                              0xff800000u, 0x00000001u, 0x807fffffu,
                              0x80000000u, 0x00000000u, 0x7f7fffffu};
  for (size_t k = 0; k < std::size(special); ++k)
    words[17 * k + 3] = special[k];
  std::vector<uint8_t> planes(4 * 420);
  for (uint32_t n : {0u, 1u, 15u, 16u, 17u, 31u, 33u, 63u, 64u, 100u, 320u})
    for (uint32_t off = 0; off < 4; ++off) {
      for (uint8_t &b : planes)
        b = uint8_t(rng());
      uint8_t *p[4];
      for (int b = 0; b < 4; ++b)
        p[b] = planes.data() + b * 420 + off;
      std::vector<uint8_t> before(planes);
      emu::wordsToPlanes(words.data() + off, n, p);
      for (uint32_t i = 0; i < 420 - off; ++i)
        for (int b = 0; b < 4; ++b)
          ASSERT_EQ(p[b][i], i < n ? uint8_t(words[off + i] >> (8 * b))
                                   : before[b * 420 + off + i])
              << "n " << n << " lane " << i << " plane " << b;
      std::vector<uint32_t> back(n + 1, 0xdeadbeefu);
      const uint8_t *cp[4] = {p[0], p[1], p[2], p[3]};
      emu::planesToWords(cp, n, back.data());
      for (uint32_t i = 0; i < n; ++i)
        ASSERT_EQ(back[i], words[off + i]) << "n " << n << " lane " << i;
      EXPECT_EQ(back[n], 0xdeadbeefu); // nothing written past n
      // Two planes from the low halves (the high halves hold random bits).
      for (uint8_t &b : planes)
        b = uint8_t(rng());
      std::vector<uint8_t> before2(planes);
      emu::halfWordsToPlanes(words.data() + off, n, p[0], p[1]);
      for (uint32_t i = 0; i < 420 - off; ++i)
        for (int b = 0; b < 2; ++b)
          ASSERT_EQ(p[b][i], i < n ? uint8_t(words[off + i] >> (8 * b))
                                   : before2[b * 420 + off + i])
              << "halves: n " << n << " lane " << i << " plane " << b;
    }
}

namespace {
// Whether expFloat and tanhFloat give libm's bits for the float with bits
// x (NaN payloads included).
::testing::AssertionResult expTanhExact(uint32_t x) {
  float f = isa::bitsFloat(x);
  uint32_t e = isa::floatBits(emu::expFloat(f)),
           we = isa::floatBits(float(std::exp(double(f))));
  uint32_t t = isa::floatBits(emu::tanhFloat(f)),
           wt = isa::floatBits(float(std::tanh(double(f))));
  if (e == we && t == wt)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "float bits " << x << ": exp " << e << " (libm " << we << "), tanh "
         << t << " (libm " << wt << ")";
}
} // namespace

// exp and tanh skip libm where the float result is known (exp <= -104 -> 0,
// >= 89 -> inf; |tanh| >= 10 -> +-1, < 2^-13 -> x). Checked on every f16
// value, every float within 2^18 ulps of each cut-off (both signs), every
// subnormal step of 2^10 and a stride over all floats; the exhaustive check
// is DISABLED_ExpTanhAllFloats (about a minute).
TEST(Emulator, ExpTanhCutOffsExact) {
  for (uint32_t h = 0; h < 65536; ++h)
    ASSERT_TRUE(expTanhExact(isa::floatBits(isa::halfToFloat(uint16_t(h)))));
  for (float cut : {104.0f, 89.0f, 10.0f, 0x1p-13f})
    for (uint32_t sign : {0u, 0x80000000u}) {
      uint32_t c = isa::floatBits(cut);
      for (uint32_t x = c - (1u << 18); x <= c + (1u << 18); ++x)
        ASSERT_TRUE(expTanhExact(x | sign));
    }
  for (uint32_t x = 0; x < 0x00800000u; x += 1024)
    ASSERT_TRUE(expTanhExact(x));
  for (uint64_t x = 0; x < (uint64_t(1) << 32); x += 65537)
    ASSERT_TRUE(expTanhExact(uint32_t(x)));
  for (uint32_t x : {0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc12345u,
                     0x7f800001u, 0x80000000u, 0x00000000u})
    ASSERT_TRUE(expTanhExact(x));
}

TEST(Emulator, DISABLED_ExpTanhAllFloats) {
  for (uint64_t x = 0; x < (uint64_t(1) << 32); ++x)
    ASSERT_TRUE(expTanhExact(uint32_t(x)));
}

TEST(Emulator, F16cConversionsExact) {
  // Every binary16 widens to isa::halfToFloat's bits (NaNs included).
  std::vector<uint8_t> lo(65536), hi(65536);
  for (uint32_t h = 0; h < 65536; ++h) {
    lo[h] = uint8_t(h);
    hi[h] = uint8_t(h >> 8);
  }
  std::vector<float> f(65536);
  emu::halvesToFloats(lo.data(), hi.data(), 65536, f.data());
  for (uint32_t h = 0; h < 65536; ++h)
    ASSERT_EQ(isa::floatBits(f[h]), isa::floatBits(isa::halfToFloat(h)))
        << "half " << h;
  // Lengths that leave tails for the scalar loop after the 32-wide
  // (AVX-512) or 8-wide one, at 16 offsets, through the infinities and NaNs.
  for (uint32_t off = 0; off < 16; ++off)
    for (uint32_t n : {1u, 7u, 8u, 9u, 15u, 16u, 23u, 31u, 32u, 33u, 63u, 64u,
                       320u, 1000u}) {
      std::vector<float> g(n + 1, -7.0f);
      emu::halvesToFloats(lo.data() + 31744 + off * 61,
                          hi.data() + 31744 + off * 61, n, g.data());
      for (uint32_t k = 0; k < n; ++k) {
        uint32_t h = 31744 + off * 61 + k; // from +inf through the NaNs
        ASSERT_EQ(isa::floatBits(g[k]), isa::floatBits(isa::halfToFloat(h)))
            << "half " << h << " n " << n;
      }
      ASSERT_EQ(g[n], -7.0f); // nothing past n
    }
  // Narrowing: every float at and next to each rounding boundary between
  // two halves, and a stride over all 2^32 bit patterns (the exhaustive
  // check is DISABLED_F16cNarrowingAllFloats).
  std::vector<float> v;
  for (uint32_t h = 0; h < 0x7C00; ++h) {
    float a = isa::halfToFloat(uint16_t(h)),
          c = isa::halfToFloat(uint16_t(h + 1));
    uint32_t mid = isa::floatBits(a + (c - a) / 2);
    for (uint32_t d : {mid - 1, mid, mid + 1})
      for (uint32_t sign : {0u, 0x80000000u})
        v.push_back(isa::bitsFloat(d | sign));
  }
  for (uint64_t x = 0; x < (uint64_t(1) << 32); x += 9973)
    v.push_back(isa::bitsFloat(uint32_t(x)));
  std::vector<uint32_t> bits(v.size());
  emu::floatsToHalves(v.data(), uint32_t(v.size()), bits.data());
  for (size_t i = 0; i < v.size(); ++i)
    ASSERT_EQ(bits[i], isa::floatToHalf(v[i]))
        << "float bits " << isa::floatBits(v[i]);
  // Straight into planes: the same floats, and lengths that leave tails
  // after the 16-wide steps at 8 offsets (NaN payloads among the floats).
  std::vector<uint8_t> p0(v.size() + 1, 0xa5), p1(v.size() + 1, 0x5a);
  emu::floatsToHalfPlanes(v.data(), uint32_t(v.size()), p0.data(), p1.data());
  for (size_t i = 0; i < v.size(); ++i)
    ASSERT_EQ(uint32_t(p0[i] | p1[i] << 8), isa::floatToHalf(v[i]))
        << "float bits " << isa::floatBits(v[i]);
  ASSERT_EQ(p0[v.size()], 0xa5);
  ASSERT_EQ(p1[v.size()], 0x5a);
  for (uint32_t off = 0; off < 8; ++off)
    for (uint32_t n : {1u, 15u, 16u, 17u, 31u, 33u, 320u}) {
      const float *f = v.data() + 0x7B00 * 6 + 1000 * off; // near the top
      std::fill(p0.begin(), p0.begin() + n + 1, 0xa5);
      std::fill(p1.begin(), p1.begin() + n + 1, 0x5a);
      emu::floatsToHalfPlanes(f, n, p0.data(), p1.data());
      for (uint32_t i = 0; i < n; ++i)
        ASSERT_EQ(uint32_t(p0[i] | p1[i] << 8), isa::floatToHalf(f[i]))
            << "n " << n << " float bits " << isa::floatBits(f[i]);
      ASSERT_EQ(p0[n], 0xa5);
      ASSERT_EQ(p1[n], 0x5a);
    }
}

TEST(Emulator, DISABLED_F16cNarrowingAllFloats) {
  std::vector<float> v(1 << 20);
  std::vector<uint32_t> bits(v.size());
  std::vector<uint8_t> p0(v.size()), p1(v.size());
  for (uint64_t base = 0; base < (uint64_t(1) << 32); base += v.size()) {
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = isa::bitsFloat(uint32_t(base + i));
    emu::floatsToHalves(v.data(), uint32_t(v.size()), bits.data());
    emu::floatsToHalfPlanes(v.data(), uint32_t(v.size()), p0.data(), p1.data());
    for (size_t i = 0; i < v.size(); ++i) {
      ASSERT_EQ(bits[i], isa::floatToHalf(v[i]))
          << "float bits " << isa::floatBits(v[i]);
      ASSERT_EQ(uint32_t(p0[i] | p1[i] << 8), bits[i])
          << "planes, float bits " << isa::floatBits(v[i]);
    }
  }
}

TEST_F(EmulatorTest, VxmFullAluSetF32) {
  std::vector<float> x = ramp(0.1f, 0.05f), y = ramp(-0.3f, 1.0f);
  // Equal lanes, NaN and signed zeros for the compares.
  x[0] = y[0] = 2.5f;
  x[1] = std::nanf("");
  x[2] = -0.0f;
  y[2] = 0.0f;
  std::vector<float> c(m.lanes());
  for (uint32_t i = 0; i < m.lanes(); ++i)
    c[i] = i % 3 == 0 ? 0.0f : (i % 3 == 1 ? -2.0f : std::nanf(""));
  c[3] = -0.0f;
  using F = std::function<float(float, float)>;
  struct Case {
    AluOp op;
    float imm;
    F f;
    uint32_t lat;
  };
  std::vector<Case> cases = {
      {AluOp::Min, 0,
       [](float a, float b) { return a != a ? a : (a < b ? a : b); }, 1},
      {AluOp::Abs, 0, [](float a, float) { return std::fabs(a); }, 1},
      {AluOp::SubImm, 0.75f, [](float a, float) { return a - 0.75f; }, 1},
      {AluOp::RsubImm, 1.0f, [](float a, float) { return 1.0f - a; }, 1},
      {AluOp::MinImm, 0.5f,
       [](float a, float) { return a != a ? a : (a < 0.5f ? a : 0.5f); }, 1},
      {AluOp::Exp, 0, [](float a, float) { return float(std::exp(double(a))); },
       3},
      {AluOp::Rsqrt, 0,
       [](float a, float) { return float(1.0 / std::sqrt(double(a))); }, 3},
      {AluOp::Tanh, 0,
       [](float a, float) { return float(std::tanh(double(a))); }, 3},
      {AluOp::Eq, 0, [](float a, float b) { return a == b ? 1.0f : 0.0f; }, 1},
      {AluOp::Ne, 0, [](float a, float b) { return a != b ? 1.0f : 0.0f; }, 1},
      {AluOp::Lt, 0, [](float a, float b) { return a < b ? 1.0f : 0.0f; }, 1},
      {AluOp::Le, 0, [](float a, float b) { return a <= b ? 1.0f : 0.0f; }, 1},
      {AluOp::Gt, 0, [](float a, float b) { return a > b ? 1.0f : 0.0f; }, 1},
      {AluOp::Ge, 0, [](float a, float b) { return a >= b ? 1.0f : 0.0f; }, 1},
  };
  for (const Case &k : cases) {
    SCOPED_TRACE(isa::aluOpName(k.op));
    unsigned n = isa::aluOperandCount(k.op);
    std::vector<std::vector<uint32_t>> in = {f32Bits(x)};
    if (n == 2)
      in.push_back(f32Bits(y));
    std::vector<uint32_t> got =
        runOneVxm(m, vxmInst(k.op, DType::F32, k.imm), in, k.lat);
    ASSERT_EQ(got.size(), m.lanes());
    for (uint32_t i = 0; i < m.lanes(); ++i) {
      float want = k.f(x[i], y[i]);
      if (want != want)
        ASSERT_TRUE(std::isnan(isa::bitsFloat(got[i]))) << "lane " << i;
      else
        ASSERT_EQ(got[i], isa::floatBits(want)) << "lane " << i;
    }
  }
  // Named values: NaN compares unequal, -0 == +0, exp(0) = 1, rsqrt(4) = .5.
  std::vector<uint32_t> ne =
      runOneVxm(m, vxmInst(AluOp::Ne, DType::F32), {f32Bits(x), f32Bits(y)}, 1);
  EXPECT_EQ(ne[1], isa::floatBits(1.0f));
  EXPECT_EQ(ne[2], isa::floatBits(0.0f));
  EXPECT_EQ(ne[0], isa::floatBits(0.0f));
  std::vector<float> v = {0.0f, 4.0f, -1.0f, 0.0f};
  v.resize(m.lanes(), 1.0f);
  EXPECT_EQ(runOneVxm(m, vxmInst(AluOp::Exp, DType::F32), {f32Bits(v)}, 3)[0],
            isa::floatBits(1.0f));
  std::vector<uint32_t> rs =
      runOneVxm(m, vxmInst(AluOp::Rsqrt, DType::F32), {f32Bits(v)}, 3);
  EXPECT_EQ(rs[1], isa::floatBits(0.5f));
  EXPECT_TRUE(std::isnan(isa::bitsFloat(rs[2]))); // rsqrt(-1)
  EXPECT_EQ(rs[0], isa::floatBits(INFINITY));     // rsqrt(+0)
  // select: c != 0 ? x : y, bytes passed unchanged (NaN selects x).
  std::vector<uint32_t> sel =
      runOneVxm(m, vxmInst(AluOp::Select, DType::F32),
                {f32Bits(c), f32Bits(x), f32Bits(y)}, 1);
  ASSERT_EQ(sel.size(), m.lanes());
  for (uint32_t i = 0; i < m.lanes(); ++i)
    ASSERT_EQ(sel[i], isa::floatBits(c[i] != 0.0f ? x[i] : y[i])) << i;
  EXPECT_EQ(sel[3], isa::floatBits(y[3])); // -0 is zero
}

TEST_F(EmulatorTest, VxmNarrowFloatsRoundEachResult) {
  // f16, bf16 and fp8: the fp32 result of the operation on the decoded
  // inputs, rounded to nearest even in the type (fp8 saturating).
  std::vector<float> x = ramp(0.37f, 0.11f), y = ramp(-0.73f, 0.4f);
  struct Fmt {
    DType d;
    std::function<uint32_t(float)> enc;
    std::function<float(uint32_t)> dec;
  };
  std::vector<Fmt> fmts = {
      {DType::F16, [](float f) { return uint32_t(isa::floatToHalf(f)); },
       [](uint32_t b) { return isa::halfToFloat(uint16_t(b)); }},
      {DType::BF16, [](float f) { return uint32_t(isa::floatToBF16(f)); },
       [](uint32_t b) { return isa::bf16ToFloat(uint16_t(b)); }},
      {DType::FP8E4M3, [](float f) { return uint32_t(isa::floatToFp8E4M3(f)); },
       [](uint32_t b) { return isa::fp8E4M3ToFloat(uint8_t(b)); }},
  };
  for (const Fmt &f : fmts) {
    SCOPED_TRACE(isa::dtypeName(f.d));
    std::vector<uint32_t> xb, yb;
    for (uint32_t i = 0; i < m.lanes(); ++i) {
      xb.push_back(f.enc(x[i] * 40.0f));
      yb.push_back(f.enc(y[i] * 40.0f));
    }
    std::vector<uint32_t> mul =
        runOneVxm(m, vxmInst(AluOp::Mul, f.d), {xb, yb}, 1);
    std::vector<uint32_t> ex = runOneVxm(m, vxmInst(AluOp::Exp, f.d), {xb}, 3);
    std::vector<uint32_t> lt =
        runOneVxm(m, vxmInst(AluOp::Lt, f.d), {xb, yb}, 1);
    ASSERT_EQ(mul.size(), m.lanes());
    for (uint32_t i = 0; i < m.lanes(); ++i) {
      float a = f.dec(xb[i]), b = f.dec(yb[i]);
      ASSERT_EQ(mul[i], f.enc(a * b)) << i;
      ASSERT_EQ(ex[i], f.enc(float(std::exp(double(a))))) << i;
      ASSERT_EQ(lt[i], f.enc(a < b ? 1.0f : 0.0f)) << i;
    }
  }
  // fp8 products saturate at 448 (no infinity): 20 * 30 -> 448.
  std::vector<uint32_t> a(m.lanes(), isa::floatToFp8E4M3(20.0f)),
      b(m.lanes(), isa::floatToFp8E4M3(-30.0f));
  std::vector<uint32_t> p =
      runOneVxm(m, vxmInst(AluOp::Mul, DType::FP8E4M3), {a, b}, 1);
  EXPECT_EQ(p[0], 0xFEu);
}

TEST_F(EmulatorTest, VxmIntegerOpsAndCompares) {
  std::vector<uint32_t> x, y, c;
  for (uint32_t i = 0; i < m.lanes(); ++i) {
    x.push_back(uint32_t(int32_t(i * 7919) - 1000000));
    y.push_back(uint32_t(int32_t(i % 13) * 100000 - 600000));
    c.push_back(i % 4 == 0 ? 0u : uint32_t(-int32_t(i)));
  }
  x[0] = uint32_t(INT32_MIN);
  y[1] = x[1];
  struct Case {
    AluOp op;
    std::function<int64_t(int64_t, int64_t)> f;
  };
  std::vector<Case> cases = {
      {AluOp::Min, [](int64_t a, int64_t b) { return std::min(a, b); }},
      {AluOp::Abs, [](int64_t a, int64_t) { return a < 0 ? -a : a; }},
      {AluOp::Eq, [](int64_t a, int64_t b) { return int64_t(a == b); }},
      {AluOp::Ne, [](int64_t a, int64_t b) { return int64_t(a != b); }},
      {AluOp::Lt, [](int64_t a, int64_t b) { return int64_t(a < b); }},
      {AluOp::Le, [](int64_t a, int64_t b) { return int64_t(a <= b); }},
      {AluOp::Gt, [](int64_t a, int64_t b) { return int64_t(a > b); }},
      {AluOp::Ge, [](int64_t a, int64_t b) { return int64_t(a >= b); }},
      {AluOp::SubImm, [](int64_t a, int64_t) { return a - 3; }},
      {AluOp::RsubImm, [](int64_t a, int64_t) { return 3 - a; }},
      {AluOp::MinImm,
       [](int64_t a, int64_t) { return std::min<int64_t>(a, 3); }},
  };
  for (const Case &k : cases) {
    SCOPED_TRACE(isa::aluOpName(k.op));
    std::vector<std::vector<uint32_t>> in = {x};
    if (isa::aluOperandCount(k.op) == 2)
      in.push_back(y);
    std::vector<uint32_t> got =
        runOneVxm(m, vxmInst(k.op, DType::I32, 3.0f), in, 1);
    ASSERT_EQ(got.size(), m.lanes());
    for (uint32_t i = 0; i < m.lanes(); ++i)
      ASSERT_EQ(got[i], uint32_t(k.f(int32_t(x[i]), int32_t(y[i])))) << i;
  }
  // abs(INT32_MIN) wraps to INT32_MIN.
  EXPECT_EQ(runOneVxm(m, vxmInst(AluOp::Abs, DType::I32), {x}, 1)[0],
            uint32_t(INT32_MIN));
  std::vector<uint32_t> sel =
      runOneVxm(m, vxmInst(AluOp::Select, DType::I32), {c, x, y}, 1);
  for (uint32_t i = 0; i < m.lanes(); ++i)
    ASSERT_EQ(sel[i], c[i] ? x[i] : y[i]) << i;
  // i8: compare gives 1, wraps like the other i8 ops.
  std::vector<uint32_t> a8(m.lanes(), 0x80), b8(m.lanes(), 0x7F);
  EXPECT_EQ(runOneVxm(m, vxmInst(AluOp::Lt, DType::I8), {a8, b8}, 1)[0], 1u);
  EXPECT_EQ(runOneVxm(m, vxmInst(AluOp::Abs, DType::I8), {a8}, 1)[0], 0x80u);
}

TEST_F(EmulatorTest, VxmCastsAmongAllTypes) {
  // Each (from, to) pair on values that exercise rounding, saturation and
  // NaN; expected bits written out by hand.
  struct Case {
    DType from, to;
    uint32_t in, want;
  };
  uint32_t nan = 0x7FC00000u;
  std::vector<Case> cases = {
      // f32 -> fp8: RNE (1.0625 ties to 1.0, 1.1875 to 1.25), saturation,
      // infinity saturates, NaN -> 0x7F, subnormal 2^-9, 2^-10 ties to 0.
      {DType::F32, DType::FP8E4M3, isa::floatBits(1.0625f), 0x38},
      {DType::F32, DType::FP8E4M3, isa::floatBits(1.1875f), 0x3A},
      {DType::F32, DType::FP8E4M3, isa::floatBits(-1000.0f), 0xFE},
      {DType::F32, DType::FP8E4M3, isa::floatBits(INFINITY), 0x7E},
      {DType::F32, DType::FP8E4M3, nan, 0x7F},
      {DType::F32, DType::FP8E4M3, isa::floatBits(0.001953125f), 0x01},
      {DType::F32, DType::FP8E4M3, isa::floatBits(0.0009765625f), 0x00},
      // fp8 -> f32/f16/bf16 exact; NaN stays NaN.
      {DType::FP8E4M3, DType::F32, 0x7E, isa::floatBits(448.0f)},
      {DType::FP8E4M3, DType::F32, 0x81, isa::floatBits(-0.001953125f)},
      {DType::FP8E4M3, DType::F16, 0x77, isa::floatToHalf(240.0f)},
      {DType::FP8E4M3, DType::BF16, 0xFF, 0xFFC0},
      // f16 -> fp8 rounds once from the exact value.
      {DType::F16, DType::FP8E4M3, isa::floatToHalf(17.0f), 0x58},
      // float -> int: RNE, saturating, NaN -> 0.
      {DType::F32, DType::I8, isa::floatBits(2.5f), 2},
      {DType::F32, DType::I8, isa::floatBits(-3.5f), 0xFC},
      {DType::F32, DType::I8, isa::floatBits(300.0f), 0x7F},
      {DType::F32, DType::I8, nan, 0},
      {DType::BF16, DType::I32, 0xCF80 /* -2^32 */, 0x80000000u},
      {DType::FP8E4M3, DType::I8, 0x7E, 0x7F},
      // int -> int saturates.
      {DType::I32, DType::I8, uint32_t(-1000), 0x80},
      {DType::I32, DType::I8, 100, 100},
      {DType::I8, DType::I32, 0xF6, uint32_t(-10)},
      // int -> float: correctly rounded (no double rounding via f32).
      {DType::I32, DType::BF16, (1u << 25) + (1u << 17) + 1, 0x4C01},
      {DType::I32, DType::F16, 2049, isa::floatToHalf(2048.0f)},
      {DType::I32, DType::F16, 100000, 0x7C00},
      {DType::I32, DType::FP8E4M3, 17, 0x58},
      {DType::I8, DType::FP8E4M3, 0x81 /* -127 -> -128 */, 0xF0},
      {DType::I32, DType::F32, 16777217, isa::floatBits(16777216.0f)},
  };
  for (const Case &k : cases) {
    SCOPED_TRACE(std::string(isa::dtypeName(k.from)) + " -> " +
                 isa::dtypeName(k.to) + " of " + std::to_string(k.in));
    std::vector<uint32_t> in(m.lanes(), k.in);
    std::vector<uint32_t> got =
        runOneVxm(m, vxmInst(AluOp::Cast, k.from, 0, k.to), {in}, 1);
    ASSERT_EQ(got.size(), m.lanes());
    EXPECT_EQ(got[0], k.want);
    EXPECT_EQ(got[m.lanes() - 1], k.want);
  }
}

TEST(Numerics, Fp8E4M3) {
  EXPECT_EQ(isa::floatToFp8E4M3(0.0f), 0x00);
  EXPECT_EQ(isa::floatToFp8E4M3(-0.0f), 0x80);
  EXPECT_EQ(isa::floatToFp8E4M3(1.0f), 0x38);
  EXPECT_EQ(isa::floatToFp8E4M3(448.0f), 0x7E);
  EXPECT_EQ(isa::floatToFp8E4M3(463.9f), 0x7E);
  EXPECT_EQ(isa::floatToFp8E4M3(-INFINITY), 0xFE);
  EXPECT_EQ(isa::floatToFp8E4M3(-std::nanf("")), 0xFF);
  EXPECT_EQ(isa::floatToFp8E4M3(240.0f), 0x77);
  EXPECT_EQ(isa::floatToFp8E4M3(0.013671875f), 0x07);  // 7 * 2^-9
  EXPECT_EQ(isa::floatToFp8E4M3(0.0146484375f), 0x08); // 7.5 * 2^-9 -> 2^-6
  EXPECT_EQ(isa::floatToFp8E4M3(0.0029296875f), 0x02); // 1.5 * 2^-9 -> 2
  EXPECT_FLOAT_EQ(isa::fp8E4M3ToFloat(0x08), 0.015625f);
  EXPECT_TRUE(std::isnan(isa::fp8E4M3ToFloat(0x7F)));
  EXPECT_TRUE(std::isnan(isa::fp8E4M3ToFloat(0xFF)));
  EXPECT_EQ(isa::fp8E4M3ToFloat(0xFE), -448.0f);
  // Every non-NaN code round-trips; codes are monotonic in value.
  for (unsigned c = 0; c < 256; ++c) {
    if ((c & 0x7F) == 0x7F)
      continue;
    float f = isa::fp8E4M3ToFloat(uint8_t(c));
    EXPECT_EQ(isa::floatToFp8E4M3(f), c) << c;
    if ((c & 0x7F) > 0 && c < 0x7F)
      EXPECT_LT(isa::fp8E4M3ToFloat(uint8_t(c - 1)), f);
  }
}

TEST(Numerics, Bf16AndRoundToOdd) {
  EXPECT_EQ(isa::floatToBF16(1.00390625f), 0x3F80); // 1 + 2^-8 ties to even
  EXPECT_EQ(isa::floatToBF16(1.01171875f), 0x3F82); // 1 + 3 * 2^-8 ties up
  EXPECT_EQ(isa::floatToBF16(3.4e38f), 0x7F80);     // overflow to inf
  EXPECT_EQ(isa::floatToBF16(std::nanf("")) & 0x7FC0, 0x7FC0);
  EXPECT_EQ(isa::doubleToFloatRoundOdd(1.0), 1.0f);
  // 2^24 + 1 is between 2^24 and 2^24 + 2: round-to-odd takes the odd one.
  EXPECT_EQ(isa::floatBits(isa::doubleToFloatRoundOdd(16777217.0)),
            isa::floatBits(16777218.0f));
  EXPECT_EQ(isa::floatBits(isa::doubleToFloatRoundOdd(-16777217.0)),
            isa::floatBits(-16777218.0f));
  EXPECT_EQ(isa::floatBits(isa::doubleToFloatRoundOdd(16777219.0)),
            isa::floatBits(16777218.0f));
}

TEST_F(EmulatorTest, TranscendentalOnIntegerIsAStaticError) {
  isa::Instruction i = vxmInst(AluOp::Exp, DType::I32);
  i.in0 = 0;
  i.out = 4;
  ASSERT_TRUE(b.at(m.vxmQueue(2), 3, i).ok());
  expectError(
      {"chip 0", "VXM ALU 2", "cycle 3", "vxm.exp", "exp needs a float dtype"});
}

TEST_F(EmulatorTest, SelectThirdInputReadEarly) {
  // The select's third group arrives one cycle after the issue: the error
  // names the third input's stream.
  std::vector<uint32_t> v(m.lanes(), 0);
  int vxm = m.vxmPosition();
  feed(m, b, sram(), toPlanes(v, 4, m.lanes()), 0, vxm, 20, 1, kWestA, 0, 0);
  feed(m, b, sram(), toPlanes(v, 4, m.lanes()), 4, vxm, 20, 2, kWestB, 0, 0);
  feed(m, b, sram(), toPlanes(v, 4, m.lanes()), 8, vxm, 21, 3, {8, 9, 10, 11},
       0, 0);
  isa::Instruction i = vxmInst(AluOp::Select, DType::F32);
  i.in0 = 0;
  i.expect0 = 1;
  i.in1 = 4;
  i.expect1 = 2;
  i.in2 = 8;
  i.expect2 = 3;
  i.out = 16;
  ASSERT_TRUE(b.at(m.vxmQueue(0), 20, i).ok());
  expectError({"chip 0", "VXM ALU 0", "cycle 20", "vxm.select",
               "stream s8 holds no value at position 46 in cycle 20"});
}

//===----------------------------------------------------------------------===//
// SXM shift, rotate, transpose, distribute
//===----------------------------------------------------------------------===//

namespace {
isa::Instruction sxmOp(isa::Opcode op, DType d, uint8_t in, uint32_t expect,
                       uint32_t n, bool down, uint8_t out, uint32_t tag) {
  isa::Instruction i;
  i.op = op;
  i.dtype = d;
  i.in0 = in;
  i.expect0 = expect;
  i.a = n;
  i.flags = down ? isa::kShiftDown : 0;
  i.out = out;
  i.tag = tag;
  return i;
}
} // namespace

TEST_F(EmulatorTest, SxmShiftAndRotateF16) {
  // f16 group (2 planes) from west slices 0, 1 on westward s32, s33 to SXM-W
  // (position 1) in cycle 60; results put in 64 on eastward s0.. and written
  // at west slices 43, 42 (positions 2, 3) and 41, 40 (4, 5), etc.
  int sxm = m.sxmPosition(0);
  uint32_t L = m.lanes();
  std::vector<uint32_t> x(L);
  for (uint32_t i = 0; i < L; ++i)
    x[i] = isa::floatToHalf(float(i) + 0.5f);
  feed(m, b, sram(), toPlanes(x, 2, L), 32, sxm, 60, 1, {0, 1}, 0, 0);
  using isa::Opcode;
  struct Case {
    Opcode op;
    uint32_t n;
    bool down;
    std::vector<uint32_t> slices;
  };
  std::vector<Case> cases = {{Opcode::SxmShift, 5, false, {43, 42}},
                             {Opcode::SxmShift, 7, true, {41, 40}},
                             {Opcode::SxmRotate, 3, false, {39, 38}},
                             {Opcode::SxmRotate, L + 2, true, {37, 36}}};
  for (uint32_t k = 0; k < cases.size(); ++k) {
    const Case &c = cases[k];
    isa::Instruction i =
        sxmOp(c.op, DType::F16, 32, 1, c.n, c.down, uint8_t(2 * k), 10 + k);
    EXPECT_EQ(m.outputLatency(i), 4u);
    EXPECT_EQ(m.outputWidth(i), 2u);
    EXPECT_EQ(m.inputWidth(i, 0), 2u);
    EXPECT_EQ(m.busyCycles(i), 5u);
    ASSERT_TRUE(b.at(m.sxmQueue(k), 60, i).ok());
    drain(m, b, 2, uint8_t(2 * k), sxm, 64, 10 + k, c.slices, 1, 0);
  }
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  // Last write: slice 36 at position 9 in 64 + 8, + 1.
  EXPECT_EQ(r->cycles, 73u);
  EXPECT_EQ(r->cycles, testutil::expectedCycles(m, program));
  auto at = [&](int64_t j) { return j >= 0 && j < int64_t(L) ? x[j] : 0u; };
  std::vector<std::vector<uint32_t>> got;
  for (const Case &c : cases)
    got.push_back(collect(sram(), 2, c.slices, 1, 0));
  for (uint32_t i = 0; i < L; ++i) {
    ASSERT_EQ(got[0][i], at(int64_t(i) - 5)) << i;
    ASSERT_EQ(got[1][i], at(int64_t(i) + 7)) << i;
    ASSERT_EQ(got[2][i], x[(i + L - 3) % L]) << i;
    ASSERT_EQ(got[3][i], x[(i + 2) % L]) << i;
  }
}

TEST_F(EmulatorTest, SxmTranspose16x16) {
  // 16 byte streams (westward s32..s47 from west slices 0..15) transposed
  // per superlane; the 16 results go east (s0..s15) to slices 43..28.
  int sxm = m.sxmPosition(0);
  uint32_t L = m.lanes();
  std::vector<std::vector<uint8_t>> in(16, std::vector<uint8_t>(L));
  for (unsigned s = 0; s < 16; ++s)
    for (uint32_t i = 0; i < L; ++i)
      in[s][i] = uint8_t(s * 16 + i % 16 + i / 16 * 7);
  for (unsigned s = 0; s < 16; ++s)
    feed(m, b, sram(), {in[s]}, uint8_t(32 + s), sxm, 60, 1, {s}, 0, 0);
  isa::Instruction t;
  t.op = isa::Opcode::SxmTranspose;
  t.in0 = 32;
  t.expect0 = 1;
  t.out = 0;
  t.tag = 2;
  EXPECT_EQ(m.inputWidth(t, 0), 16u);
  EXPECT_EQ(m.outputWidth(t), 16u);
  EXPECT_EQ(m.outputLatency(t), 4u);
  ASSERT_TRUE(b.at(m.sxmQueue(0), 60, t).ok());
  std::vector<uint32_t> outSlices;
  for (unsigned s = 0; s < 16; ++s)
    outSlices.push_back(43 - s);
  for (unsigned s = 0; s < 16; ++s)
    drain(m, b, 1, uint8_t(s), sxm, 64, 2, {outSlices[s]}, 1, 0);
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  // Last write: slice 28 at position 17 in 64 + 16, + 1.
  EXPECT_EQ(r->cycles, 81u);
  for (unsigned j = 0; j < 16; ++j) {
    const uint8_t *o = sram().row(outSlices[j], 1, 0);
    for (uint32_t g = 0; g < L; g += 16)
      for (unsigned i = 0; i < 16; ++i)
        ASSERT_EQ(o[g + i], in[i][g + j])
            << "stream " << j << " lane " << g + i;
  }
}

TEST_F(EmulatorTest, SxmDistributeIsAPermuteMap) {
  // distribute = broadcast of lane k: the lane map with every entry k.
  int sxm = m.sxmPosition(0);
  std::vector<uint8_t> x(m.lanes());
  for (uint32_t i = 0; i < m.lanes(); ++i)
    x[i] = uint8_t(i * 5);
  feed(m, b, sram(), {x}, 32, sxm, 60, 1, {0}, 0, 0);
  uint32_t map = b.addLaneMap(std::vector<int16_t>(m.lanes(), 17));
  ASSERT_TRUE(
      b.at(m.sxmQueue(0), 60,
           emu::sxmPermute(DType::I8, 32, 1, map, isa::kNoStream, 0, 0, 3))
          .ok());
  drain(m, b, 1, 0, sxm, 64, 3, {43}, 1, 0);
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  for (uint32_t i = 0; i < m.lanes(); ++i)
    ASSERT_EQ(sram().row(43, 1, 0)[i], x[17]);
}

TEST_F(EmulatorTest, SxmShiftReadOfWrongTag) {
  int sxm = m.sxmPosition(0);
  std::vector<uint8_t> x(m.lanes(), 1);
  feed(m, b, sram(), {x}, 32, sxm, 60, 1, {0}, 0, 0);
  ASSERT_TRUE(
      b.at(m.sxmQueue(3), 60,
           sxmOp(isa::Opcode::SxmShift, DType::I8, 32, 9, 1, false, 0, 2))
          .ok());
  expectError({"chip 0", "SXM 3", "cycle 60", "sxm.shift",
               "holds tag 1, expected tag 9"});
}

//===----------------------------------------------------------------------===//
// Queue control: repeat, notify, sync
//===----------------------------------------------------------------------===//

namespace {
isa::Instruction ctl(isa::Opcode op, uint32_t a, uint32_t b = 0,
                     uint32_t c = 0) {
  isa::Instruction i;
  i.op = op;
  i.a = a;
  i.b = b;
  i.c = c;
  return i;
}
} // namespace

TEST_F(EmulatorTest, RepeatWithStrideCopiesRows) {
  // MEM-W0 reads rows 0, 2, 4, 6 (a read and `repeat 3 stride 2 every 2`);
  // MEM-E0 writes them to rows 10, 11, 12, 13 (`repeat 3 stride 1 every 2`).
  for (uint32_t r = 0; r < 8; ++r)
    std::memset(sram().mutableRow(0, 0, r), int(r + 1), m.lanes());
  using isa::Opcode;
  ASSERT_TRUE(b.at(m.memQueue(0), 0, emu::memRead(0, 0, 0, 7)).ok());
  ASSERT_TRUE(b.at(m.memQueue(0), 2, ctl(Opcode::Repeat, 3, 2, 2)).ok());
  ASSERT_TRUE(b.at(m.memQueue(44), 4, emu::memWrite(0, 7, 1, 10)).ok());
  ASSERT_TRUE(b.at(m.memQueue(44), 6, ctl(Opcode::Repeat, 3, 1, 2)).ok());
  EXPECT_EQ(m.queueCycles(ctl(Opcode::Repeat, 3, 1, 2)), 6u);
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  for (uint32_t k = 0; k < 4; ++k)
    EXPECT_EQ(sram().row(44, 1, 10 + k)[5], 2 * k + 1) << k;
  // The last write issues at 10 (+1): same as the explicit program.
  EXPECT_EQ(r->cycles, 11u);
  EXPECT_EQ(r->instructions, 8u);
  emu::ChipProgram expanded = program;
  emu::expandRepeats(m, expanded);
  EXPECT_EQ(r->cycles, testutil::expectedCycles(m, expanded));
  // read, nop 1, then (read, nop 1) x 3.
  ASSERT_EQ(expanded.queues[0].size(), 8u);
}

TEST_F(EmulatorTest, RepeatAdvancesTagsAndExpectedTags) {
  // The reads carry tags 7, 8, 9, 10 (`tags +1`), the writes expect them
  // (`expect +1`): each repetition checks its own value's tag.
  for (uint32_t r = 0; r < 4; ++r)
    std::memset(sram().mutableRow(0, 0, r), int(r + 1), m.lanes());
  using isa::Opcode;
  isa::Instruction rep = ctl(Opcode::Repeat, 3, 1, 2);
  rep.tag = 1;
  isa::Instruction repW = ctl(Opcode::Repeat, 3, 1, 2);
  repW.expect0 = 1;
  EXPECT_EQ(isa::toString(repW),
            "repeat 3 stride 1 every 2 tags +0 expect +1 +0 +0");
  ASSERT_TRUE(b.at(m.memQueue(0), 0, emu::memRead(0, 0, 0, 7)).ok());
  ASSERT_TRUE(b.at(m.memQueue(0), 2, rep).ok());
  ASSERT_TRUE(b.at(m.memQueue(44), 4, emu::memWrite(0, 7, 1, 10)).ok());
  ASSERT_TRUE(b.at(m.memQueue(44), 6, repW).ok());
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  for (uint32_t k = 0; k < 4; ++k)
    EXPECT_EQ(sram().row(44, 1, 10 + k)[5], k + 1) << k;
  emu::ChipProgram expanded = program;
  emu::expandRepeats(m, expanded);
  EXPECT_EQ(expanded.queues[m.memQueue(0)][4].tag, 9u);
}

// expandRepeats works in place, from the back, when the queue's capacity
// holds expandedSize instructions (the loader reserves it), else it grows
// the queue first; both give the forward expansion written out here: two
// repeats (one with an interval gap, one without), NOPs before and between
// them, and the instructions around them.
TEST_F(EmulatorTest, RepeatsExpandInPlaceAsForward) {
  using isa::Opcode;
  isa::Instruction rd = emu::memRead(0, 0, 3, 7);
  isa::Instruction rep1 = ctl(Opcode::Repeat, 3, 2, 5); // gap 4
  rep1.tag = 1;
  isa::Instruction wr = emu::memReadWrite(0, 20, 1, 0, 2, 5, 1, 40);
  isa::Instruction rep2 =
      ctl(Opcode::Repeat, 2, 1, m.queueCycles(wr)); // no gap
  rep2.expect0 = 1;
  std::vector<isa::Instruction> q = {emu::nop(2), rd,   emu::nop(3), rep1,
                                     wr,          rep2, emu::nop(1), rd};
  std::vector<isa::Instruction> want = {emu::nop(2), rd, emu::nop(3)};
  for (uint32_t k = 1; k <= 3; ++k) {
    isa::Instruction x = rd;
    x.b += 2 * k;
    x.tag += k;
    want.push_back(x);
    want.push_back(emu::nop(5 - m.queueCycles(rd)));
  }
  want.push_back(wr);
  for (uint32_t k = 1; k <= 2; ++k) {
    isa::Instruction x = wr;
    x.b += k;
    x.c += k;
    x.expect0 += k;
    want.push_back(x);
  }
  want.push_back(emu::nop(1));
  want.push_back(rd);
  ASSERT_LT(m.queueCycles(rd), 5u);
  EXPECT_EQ(emu::expandedSize(m, q), want.size());
  for (bool reserved : {false, true}) {
    emu::ChipProgram p;
    p.queues.resize(m.numQueues());
    p.queues[m.memQueue(0)] = q;
    if (reserved)
      p.queues[m.memQueue(0)].reserve(emu::expandedSize(m, q));
    else
      p.queues[m.memQueue(0)].shrink_to_fit();
    const isa::Instruction *before = p.queues[m.memQueue(0)].data();
    emu::expandRepeats(m, p);
    EXPECT_EQ(p.queues[m.memQueue(0)], want) << "reserved " << reserved;
    if (reserved) // in place: no new array
      EXPECT_EQ(p.queues[m.memQueue(0)].data(), before);
  }
}

TEST_F(EmulatorTest, RepeatWithTheWrongExpectStepIsCaught) {
  // The writes expect 7, 9, 11, 13 but the values carry 7, 8, 9, 10: the
  // second write names its tag mismatch.
  using isa::Opcode;
  isa::Instruction rep = ctl(Opcode::Repeat, 3, 1, 2);
  rep.tag = 1;
  isa::Instruction repW = ctl(Opcode::Repeat, 3, 1, 2);
  repW.expect0 = 2;
  ASSERT_TRUE(b.at(m.memQueue(0), 0, emu::memRead(0, 0, 0, 7)).ok());
  ASSERT_TRUE(b.at(m.memQueue(0), 2, rep).ok());
  ASSERT_TRUE(b.at(m.memQueue(44), 4, emu::memWrite(0, 7, 1, 10)).ok());
  ASSERT_TRUE(b.at(m.memQueue(44), 6, repW).ok());
  expectError({"chip 0", "MEM-E0", "cycle 6", "tag 8"});
}

TEST_F(EmulatorTest, RepeatOfANopIsAStaticError) {
  ASSERT_TRUE(b.at(m.memQueue(2), 5, ctl(isa::Opcode::Repeat, 3, 0, 1)).ok());
  expectError({"chip 0", "MEM-W2", "cycle 5", "repeat 3 stride 0 every 1",
               "repeat must follow the instruction it repeats"});
}

TEST_F(EmulatorTest, RepeatIntervalShorterThanTheInstruction) {
  isa::Instruction load = emu::mxmLoad(DType::F16, 32, 32, 1); // 4 cycles
  ASSERT_TRUE(b.at(m.mxmLoadQueue(0), 0, load).ok());
  ASSERT_TRUE(
      b.at(m.mxmLoadQueue(0), 4, ctl(isa::Opcode::Repeat, 1, 0, 3)).ok());
  expectError({"MXM plane 0 (weights)", "cycle 4",
               "repeat interval 3 is shorter than the 4 cycles"});
}

TEST_F(EmulatorTest, RepeatStrideOnANonMemInstruction) {
  ASSERT_TRUE(b.at(m.mxmMulQueue(0), 0, emu::mxmInstall()).ok());
  ASSERT_TRUE(
      b.at(m.mxmMulQueue(0), 1, ctl(isa::Opcode::Repeat, 1, 4, 1)).ok());
  expectError(
      {"MXM plane 0 (compute)", "cycle 1", "a stride needs a MEM instruction"});
}

TEST_F(EmulatorTest, NotifyReleasesSyncAtTheStaticCycle) {
  // VXM ALU 3 notifies flag 5 in cycle 9; MEM-W0 syncs on it from cycle 4,
  // waiting 6 cycles: it resumes in 10 and reads there.
  using isa::Opcode;
  std::memset(sram().mutableRow(0, 0, 1), 42, m.lanes());
  ASSERT_TRUE(b.at(m.vxmQueue(3), 9, ctl(Opcode::Notify, 5)).ok());
  isa::Instruction sync = ctl(Opcode::Sync, 5, 6);
  EXPECT_EQ(m.queueCycles(sync), 6u);
  EXPECT_EQ(m.busyCycles(sync), 6u);
  EXPECT_EQ(m.busyCycles(ctl(Opcode::Notify, 5)), 1u);
  ASSERT_TRUE(b.at(m.memQueue(0), 4, sync).ok());
  ASSERT_TRUE(b.at(m.memQueue(0), 10, emu::memRead(0, 1, 0, 7)).ok());
  ASSERT_TRUE(b.at(m.memQueue(44), 14, emu::memWrite(0, 7, 1, 0)).ok());
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(sram().row(44, 1, 0)[3], 42);
  EXPECT_EQ(r->cycles, 15u);
  EXPECT_EQ(r->cycles, testutil::expectedCycles(m, program));
}

TEST_F(EmulatorTest, SyncWithoutNotifyWaitsPastItsBound) {
  ASSERT_TRUE(b.at(m.memQueue(0), 4, ctl(isa::Opcode::Sync, 5, 6)).ok());
  expectError({"chip 0", "MEM-W0", "cycle 4", "sync flag 5 wait 6",
               "no notify of flag 5 by cycle 9"});
}

TEST_F(EmulatorTest, SyncReleasedAtAnotherCycleThanExpected) {
  ASSERT_TRUE(b.at(m.vxmQueue(0), 7, ctl(isa::Opcode::Notify, 5)).ok());
  ASSERT_TRUE(b.at(m.memQueue(0), 4, ctl(isa::Opcode::Sync, 5, 6)).ok());
  expectError({"MEM-W0", "cycle 4",
               "flag 5 was notified in cycle 7, the sync expects cycle 9"});
}

TEST_F(EmulatorTest, NotifyOfAFlagStillSet) {
  ASSERT_TRUE(b.at(m.vxmQueue(0), 2, ctl(isa::Opcode::Notify, 1)).ok());
  ASSERT_TRUE(b.at(m.vxmQueue(1), 3, ctl(isa::Opcode::Notify, 1)).ok());
  expectError({"chip 0", "VXM ALU 1", "cycle 3", "notify flag 1",
               "flag 1 is still set by the notify of cycle 2"});
}

//===----------------------------------------------------------------------===//
// VXM chains
//===----------------------------------------------------------------------===//

TEST_F(EmulatorTest, VxmChainLatencyIsTheSumOfItsSteps) {
  // f32: ((x * 2 + y) -> exp) max 1: latency 1 + 1 + 3 + 1 = 6, the ALU
  // queue held 4 cycles (one issue slot per step).
  using isa::ChainStep;
  std::vector<ChainStep> steps = {{AluOp::MulImm, 0, 2.0f},
                                  {AluOp::Add, isa::kStepIn1, 0.0f},
                                  {AluOp::Exp, 0, 0.0f},
                                  {AluOp::MaxImm, 0, 1.0f}};
  std::vector<float> x = ramp(0.05f, 0.0f), y = ramp(-0.02f, 0.1f);
  isa::Instruction c =
      emu::vxmChain(m, DType::F32, 0, steps, 0, 0, 4, 0, 16, 20);
  EXPECT_EQ(c.c, 6u);
  EXPECT_EQ(m.outputLatency(c), 6u);
  EXPECT_EQ(m.busyCycles(c), 7u);
  std::vector<uint32_t> got =
      runOneVxm(m, c, {f32Bits(x), f32Bits(y)}, 6, steps);
  ASSERT_EQ(got.size(), m.lanes());
  for (uint32_t i = 0; i < m.lanes(); ++i) {
    float v = float(std::exp(double(x[i] * 2.0f + y[i])));
    ASSERT_EQ(got[i], isa::floatBits(v > 1.0f ? v : 1.0f)) << i;
  }
  // f16: each step rounds to f16 (as between two ALUs): x * 3 - 1 != the
  // fp32 value rounded once, for some lanes.
  std::vector<ChainStep> s16 = {{AluOp::MulImm, 0, 3.0f},
                                {AluOp::SubImm, 0, 1.0f}};
  std::vector<uint32_t> h;
  for (uint32_t i = 0; i < m.lanes(); ++i)
    h.push_back(isa::floatToHalf(1000.0f + float(i) * 0.37f));
  isa::Instruction c16 =
      emu::vxmChain(m, DType::F16, 0, s16, 0, 0, isa::kNoStream, 0, 16, 20);
  std::vector<uint32_t> g16 = runOneVxm(m, c16, {h}, 2, s16);
  ASSERT_EQ(g16.size(), m.lanes());
  int differ = 0;
  for (uint32_t i = 0; i < m.lanes(); ++i) {
    float a = isa::halfToFloat(uint16_t(h[i]));
    float step = isa::halfToFloat(isa::floatToHalf(a * 3.0f));
    ASSERT_EQ(g16[i], isa::floatToHalf(step - 1.0f)) << i;
    differ += g16[i] != isa::floatToHalf(a * 3.0f - 1.0f);
  }
  EXPECT_GT(differ, 0);
  // i32: wraps at each step.
  std::vector<ChainStep> si = {{AluOp::MulImm, 0, 65536.0f},
                               {AluOp::MulImm, 0, 65536.0f},
                               {AluOp::AddImm, 0, 5.0f}};
  std::vector<uint32_t> v(m.lanes(), 7);
  isa::Instruction ci =
      emu::vxmChain(m, DType::I32, 0, si, 0, 0, isa::kNoStream, 0, 16, 20);
  EXPECT_EQ(runOneVxm(m, ci, {v}, 3, si)[0], 5u);
}

TEST_F(EmulatorTest, VxmChainStaticErrors) {
  using isa::ChainStep;
  auto tryChain = [&](const std::vector<ChainStep> &steps, uint8_t in1,
                      uint32_t latency, const char *msg) {
    emu::ProgramBuilder pb(m);
    pb.addChainSteps(steps);
    isa::Instruction c =
        emu::vxmChain(m, DType::F32, 0, steps, 0, 0, in1, 0, 16, 20);
    if (latency)
      c.c = latency;
    EXPECT_TRUE(pb.at(m.vxmQueue(5), 8, c).ok());
    emu::Emulator e(m, 1);
    absl::Status s = e.setProgram(0, pb.take());
    ASSERT_FALSE(s.ok()) << msg;
    std::string text(s.message());
    for (const char *f : {"chip 0", "VXM ALU 5", "cycle 8", "vxm.chain", msg})
      EXPECT_NE(text.find(f), std::string::npos) << f << " not in " << text;
  };
  tryChain({{AluOp::Add, isa::kStepIn1, 0}}, isa::kNoStream, 0,
           "chain step 0: add reads in1, which the chain does not name");
  tryChain({{AluOp::Add, 0, 0}}, 4, 0,
           "chain step 0: add needs in1 (flag kStepIn1)");
  tryChain({{AluOp::Exp, 0, 0}, {AluOp::Select, 0, 0}}, 4, 0,
           "chain step 1: select cannot be chained");
  tryChain({{AluOp::Exp, 0, 0}}, isa::kNoStream, 1,
           "chain latency field is 1, its steps take 3 cycles");
  // Steps beyond the table.
  emu::ProgramBuilder pb(m);
  isa::Instruction c = emu::vxmChain(m, DType::F32, 2, {{AluOp::Neg, 0, 0}}, 0,
                                     0, isa::kNoStream, 0, 16, 20);
  EXPECT_TRUE(pb.at(m.vxmQueue(0), 0, c).ok());
  emu::Emulator e(m, 1);
  absl::Status s = e.setProgram(0, pb.take());
  EXPECT_NE(std::string(s.message())
                .find("chain steps 2..2 outside the chain table (0 steps)"),
            std::string::npos)
      << s;
}

TEST(Isa, ChainStepEncoding) {
  isa::ChainStep st{AluOp::MinImm, isa::kStepIn1, -2.5f};
  uint8_t bytes[isa::kChainStepBytes];
  isa::encodeChainStep(st, bytes);
  EXPECT_EQ(bytes[0], 23);
  EXPECT_EQ(bytes[1], 1);
  EXPECT_EQ(bytes[2], 0);
  EXPECT_EQ(bytes[7], 0xC0); // -2.5f = 0xC0200000
  isa::ChainStep back = isa::decodeChainStep(bytes);
  EXPECT_EQ(back.fn, AluOp::MinImm);
  EXPECT_EQ(back.flags, 1);
  EXPECT_EQ(back.imm, -2.5f);
}

TEST(Isa, ChainSegmentThroughTheFileAndLoader) {
  // A one-chip file with a vxm.chain and its VXM_CHAINS segment: the reader
  // accepts it and the loader decodes the steps; a segment that is not a
  // whole number of steps is rejected.
  isa::Machine m(testutil::v1Target());
  std::vector<isa::ChainStep> steps = {{AluOp::MulImm, 0, 3.0f},
                                       {AluOp::Tanh, 0, 0.0f}};
  schema::Manifest man;
  *man.mutable_target() = m.target();
  man.set_chip_count(1);
  man.add_chips()->set_chip(0);
  std::vector<format::SegmentData> segs(2);
  segs[0].info.set_kind(schema::Segment::INSTRUCTIONS);
  segs[0].info.set_queue(m.vxmQueue(0));
  segs[0].info.set_instructions(1);
  isa::encodeAll(
      {emu::vxmChain(m, DType::F16, 0, steps, 0, 0, isa::kNoStream, 0, 4, 1)},
      segs[0].bytes);
  segs[1].info.set_kind(schema::Segment::VXM_CHAINS);
  for (const isa::ChainStep &s : steps) {
    uint8_t b[isa::kChainStepBytes];
    isa::encodeChainStep(s, b);
    segs[1].bytes.insert(segs[1].bytes.end(), b, b + isa::kChainStepBytes);
  }
  absl::StatusOr<format::Lpubin> f =
      format::readLpubin(format::writeLpubin(man, segs));
  ASSERT_TRUE(f.ok()) << f.status();
  absl::StatusOr<std::vector<std::shared_ptr<const emu::ChipProgram>>> p =
      loader::decodePrograms(*f, m);
  ASSERT_TRUE(p.ok()) << p.status();
  const emu::ChipProgram &chip0 = *(*p)[0];
  ASSERT_EQ(chip0.chainSteps.size(), 2u);
  EXPECT_EQ(chip0.chainSteps[1].fn, AluOp::Tanh);
  EXPECT_EQ(chip0.chainSteps[0].imm, 3.0f);
  EXPECT_EQ(chip0.queues[m.vxmQueue(0)][0].c, 4u); // 1 + 3
  segs[1].bytes.pop_back();
  absl::StatusOr<format::Lpubin> bad =
      format::readLpubin(format::writeLpubin(man, segs));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message())
                .find("chain segment has 15 bytes, not a multiple of 8"),
            std::string::npos)
      << bad.status();
}

TEST(EmulatorThreads, SameResultsAndCyclesForOneAndTwoThreads) {
  isa::Machine m(testutil::v1Target());
  auto build = [&](uint32_t threads, bool breakSome,
                   std::vector<std::vector<uint32_t>> &outs)
      -> absl::StatusOr<emu::RunStats> {
    const uint32_t chips = 5;
    emu::Emulator e(m, chips);
    e.setThreads(threads);
    for (uint32_t c = 0; c < chips; ++c) {
      emu::ProgramBuilder b(m);
      std::vector<float> x(m.lanes());
      for (uint32_t i = 0; i < m.lanes(); ++i)
        x[i] = float(int(i % 23) - 11) * 0.01f * float(c + 1);
      int vxm = m.vxmPosition();
      uint64_t at = 10 + 3 * c; // chip-dependent timing
      feed(m, b, e.sram(c), toPlanes(f32Bits(x), 4, m.lanes()), 0, vxm, at, 1,
           {0, 1, 2, 3}, 0, 0);
      EXPECT_TRUE(b.at(m.vxmQueue(c), at,
                       emu::vxm(AluOp::Exp, DType::F32, 0,
                                breakSome && c % 2 == 1 ? 9 : 1, isa::kNoStream,
                                0, 8, 2))
                      .ok());
      drain(m, b, 4, 8, vxm, at + 3, 2, {44, 45, 46, 47}, 1, 0);
      EXPECT_TRUE(e.setProgram(c, b.take()).ok());
    }
    absl::StatusOr<emu::RunStats> r = e.run();
    outs.clear();
    for (uint32_t c = 0; c < chips; ++c)
      outs.push_back(collect(e.sram(c), 4, {44, 45, 46, 47}, 1, 0));
    return r;
  };
  std::vector<std::vector<uint32_t>> o1, o2;
  absl::StatusOr<emu::RunStats> r1 = build(1, false, o1);
  absl::StatusOr<emu::RunStats> r2 = build(2, false, o2);
  ASSERT_TRUE(r1.ok()) << r1.status();
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ(o1, o2);
  EXPECT_NE(o1[0], o1[1]);
  EXPECT_EQ(r1->cycles, r2->cycles);
  EXPECT_EQ(r1->cycles, 10u + 3 * 4 + 3 + 4 + 1); // chip 4 is last
  EXPECT_EQ(r1->instructions, r2->instructions);
  EXPECT_EQ(r1->instructions, 5u * 9);
  for (int u = 0; u < 5; ++u) {
    EXPECT_EQ(r1->units[u].busyCycles, r2->units[u].busyCycles);
    EXPECT_EQ(r1->units[u].utilisation, r2->units[u].utilisation);
  }
  // Chips 1 and 3 break: both runs report chip 1.
  absl::StatusOr<emu::RunStats> b1 = build(1, true, o1);
  absl::StatusOr<emu::RunStats> b2 = build(2, true, o2);
  ASSERT_FALSE(b1.ok());
  ASSERT_FALSE(b2.ok());
  EXPECT_EQ(b1.status().message(), b2.status().message());
  EXPECT_NE(std::string(b1.status().message()).find("chip 1, VXM ALU 1"),
            std::string::npos)
      << b1.status();
}

//===----------------------------------------------------------------------===//
// MXM hazards not covered above
//===----------------------------------------------------------------------===//

namespace {
/// Loads a 4-row f32 tile on plane 0 at 50 and installs it at 51.
void installF32Tile(const isa::Machine &m, emu::ProgramBuilder &b,
                    emu::Sram &sram) {
  feedTile(m, b, sram, tile(4, m.lanes(), 1.0f), DType::F32, 50, 1, 0);
  ASSERT_TRUE(
      b.at(m.mxmLoadQueue(0), 50, emu::mxmLoad(DType::F32, 4, 32, 1)).ok());
  ASSERT_TRUE(b.at(m.mxmMulQueue(0), 51, emu::mxmInstall()).ok());
}
} // namespace

TEST_F(EmulatorTest, AccumulatorRowOutOfRange) {
  installF32Tile(m, b, sram());
  uint32_t rows = m.target().mxm_accumulator_rows();
  feed(m, b, sram(), toPlanes(f32Bits(ramp(1, 0)), 4, m.lanes()), 48, 0, 52, 2,
       {16, 17, 18, 19}, 0, 0);
  ASSERT_TRUE(
      b.at(m.mxmMulQueue(0), 52, emu::mxmMul(DType::F32, 48, 2, rows, 0, 0, 2))
          .ok());
  expectError(
      {"chip 0", "MXM plane 0 (compute)", "cycle 52", "mxm.multiply",
       ("accumulator row " + std::to_string(rows) + " out of range").c_str()});
}

TEST_F(EmulatorTest, ActivationTypeDiffersFromTile) {
  installF32Tile(m, b, sram());
  feed(m, b, sram(),
       toPlanes(std::vector<uint32_t>(m.lanes(), 0x3C00), 2, m.lanes()), 48, 0,
       52, 2, {16, 17}, 0, 0);
  ASSERT_TRUE(
      b.at(m.mxmMulQueue(0), 52, emu::mxmMul(DType::F16, 48, 2, 0, 0, 0, 2))
          .ok());
  expectError({"chip 0", "MXM plane 0 (compute)", "cycle 52",
               "activations are f16 but the installed tile is f32"});
}

TEST_F(EmulatorTest, OddPlaneWhileEvenHoldsAWideTile) {
  installF32Tile(m, b, sram());
  ASSERT_TRUE(
      b.at(m.mxmLoadQueue(1), 53, emu::mxmLoad(DType::I8, 4, 40, 0)).ok());
  expectError({"chip 0", "MXM plane 1 (weights)", "cycle 53",
               "mxm.load_weights i8",
               "plane 1 is paired with plane 0, which holds a 16/32-bit tile"});
}

TEST_F(EmulatorTest, AccumulateMixesIntegerAndFloat) {
  installF32Tile(m, b, sram());
  feed(m, b, sram(), toPlanes(f32Bits(ramp(1, 0)), 4, m.lanes()), 48, 0, 52, 2,
       {16, 17, 18, 19}, 0, 0);
  ASSERT_TRUE(
      b.at(m.mxmMulQueue(0), 52, emu::mxmMul(DType::F32, 48, 2, 0, 0, 0, 0))
          .ok());
  // An i8 tile (4 rows: one load cycle) replaces it; accumulating its i32
  // result into the f32 row 0 is an error.
  feedTile(m, b, sram(), tile(4, m.lanes(), 1.0f), DType::I8, 53, 3, 10);
  ASSERT_TRUE(
      b.at(m.mxmLoadQueue(0), 53, emu::mxmLoad(DType::I8, 4, 32, 3)).ok());
  // The f32 multiply holds the compute queue 4 cycles (52 .. 55).
  ASSERT_TRUE(b.at(m.mxmMulQueue(0), 56, emu::mxmInstall()).ok());
  feed(m, b, sram(), {std::vector<uint8_t>(m.lanes(), 1)}, 52, 0, 57, 4, {20},
       0, 0);
  ASSERT_TRUE(b.at(m.mxmMulQueue(0), 57,
                   emu::mxmMul(DType::I8, 52, 4, 0, isa::kAccumulate, 0, 0))
                  .ok());
  expectError({"chip 0", "MXM plane 0 (compute)", "cycle 57",
               "accumulate mixes integer and float results in row 0"});
}

TEST_F(EmulatorTest, MxmZeroRowsStillMeetInfinities) {
  // A 4-row tile: rows 4.. are zero. An infinite activation at k = 100 makes
  // every result NaN (0 * inf), as the full sum over k requires; finite
  // activations there leave the sum of the 4 rows.
  installF32Tile(m, b, sram());
  std::vector<float> x(m.lanes(), 0.5f);
  x[100] = INFINITY;
  feed(m, b, sram(), toPlanes(f32Bits(x), 4, m.lanes()), 48, 0, 52, 2,
       {16, 17, 18, 19}, 0, 0);
  ASSERT_TRUE(b.at(m.mxmMulQueue(0), 52,
                   emu::mxmMul(DType::F32, 48, 2, 0, isa::kEmit, 0, 5))
                  .ok());
  std::vector<float> y(m.lanes(), 0.5f);
  feed(m, b, sram(), toPlanes(f32Bits(y), 4, m.lanes()), 52, 0, 56, 3,
       {20, 21, 22, 23}, 0, 0);
  ASSERT_TRUE(b.at(m.mxmMulQueue(0), 56,
                   emu::mxmMul(DType::F32, 52, 3, 1, isa::kEmit, 4, 6))
                  .ok());
  uint64_t put = 52 + m.target().mxm_result_latency();
  drain(m, b, 4, 0, 0, put, 5, {43, 42, 41, 40}, 1, 0);
  drain(m, b, 4, 4, 0, put + 4, 6, {39, 38, 37, 36}, 1, 0);
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<uint32_t> inf = collect(sram(), 4, {43, 42, 41, 40}, 1, 0);
  std::vector<uint32_t> fin = collect(sram(), 4, {39, 38, 37, 36}, 1, 0);
  auto w = tile(4, m.lanes(), 1.0f);
  for (uint32_t n = 0; n < m.lanes(); ++n) {
    ASSERT_TRUE(std::isnan(isa::bitsFloat(inf[n]))) << n;
    float s = 0;
    for (uint32_t k = 0; k < 4; ++k)
      s += 0.5f * w[k][n];
    ASSERT_EQ(fin[n], isa::floatBits(s)) << n;
  }
}

namespace {

/// The MXM float arithmetic spelled out: per lane, a product rounded to
/// fp32 then an add, k in order from +0.
#pragma clang fp contract(off)
void mxmReference(const std::vector<float> &A, size_t lda, uint32_t M,
                  const std::vector<float> &W, size_t ldw, uint32_t rows,
                  uint32_t vBegin, uint32_t vEnd, std::vector<float> &C,
                  size_t ldc) {
  for (uint32_t i = 0; i < M; ++i)
    for (uint32_t n = 16 * vBegin; n < 16 * vEnd; ++n) {
      float acc = 0.0f;
      for (uint32_t k = 0; k < rows; ++k) {
        volatile float p = A[i * lda + k] * W[k * ldw + n];
        acc = acc + p;
      }
      C[i * ldc + n] = acc;
    }
}

/// A random binary16 value widened to f32: any finite pattern (subnormals
/// and zeros of both signs included), with `specialPct` percent infinities
/// or (with `nan`) NaNs.
float randomHalf(std::mt19937 &rng, int specialPct, bool nan) {
  uint32_t r = uint32_t(rng());
  if (int(r % 100) < specialPct) {
    uint16_t sign = uint16_t((r >> 8) & 1) << 15;
    if (nan && (r >> 9) % 2)
      return isa::halfToFloat(uint16_t(sign | 0x7c00 | (1 + (r >> 10) % 1023)));
    return isa::halfToFloat(uint16_t(sign | 0x7c00));
  }
  uint16_t h = uint16_t(r >> 16);
  if ((h & 0x7c00) == 0x7c00) // inf/NaN: make it the largest finite value
    h = uint16_t((h & 0x8000) | 0x7bff);
  // Small magnitudes often (exponent field 0 is subnormal): products span
  // fp32's range without underflowing.
  if ((r >> 3) % 4 == 0)
    h = uint16_t(h & 0x83ff);
  return isa::halfToFloat(h);
}

/// zeroPct: percent of the tile rows k where every activation is +-0 (the
/// rows mxmNeededRows leaves out unless the weights there hold an inf).
void checkMxmGemm(uint32_t seed, int specialPct, bool nan, bool fp32,
                  int zeroPct = 0) {
  std::mt19937 rng(seed);
  const uint32_t L = 320, ldw = 320;
  std::normal_distribution<float> normal(0.0f, 3.0f);
  auto value = [&] {
    return fp32 ? normal(rng) * std::ldexp(1.0f, int(rng() % 40) - 20)
                : randomHalf(rng, specialPct, nan);
  };
  for (uint32_t rows : {0u, 1u, 17u, 63u, 64u, 65u, 129u, 320u})
    for (uint32_t M : {1u, 3u, 4u, 5u, 7u, 8u, 9u, 12u, 15u, 64u}) {
      std::vector<float> A(size_t(M) * L), W(size_t(L) * ldw);
      for (float &a : A)
        a = value();
      for (float &w : W)
        w = value();
      for (uint32_t k = 0; k < L; ++k)
        if (int(rng() % 100) < zeroPct)
          for (uint32_t i = 0; i < M; ++i)
            A[i * L + k] = rng() % 2 ? 0.0f : -0.0f;
      std::vector<uint32_t> ks(rows + 1, 0xdeadbeefu);
      uint32_t nk = emu::mxmNeededRows(A.data(), L, M, W.data(), ldw, rows, ldw,
                                       ks.data());
      ASSERT_LE(nk, rows);
      EXPECT_EQ(ks[rows], 0xdeadbeefu); // nothing written past rows
      for (uint32_t kk = 0; kk < nk; ++kk)
        ASSERT_TRUE(kk == 0 || ks[kk] > ks[kk - 1]);
      if (zeroPct == 0 && !fp32)
        EXPECT_EQ(nk, rows); // a zero column of 1+ random halves is rare
      if (zeroPct > 0 && specialPct == 0 && rows >= 17)
        EXPECT_LT(nk, rows);
      uint32_t vBegin = rng() % 3, vEnd = vBegin + 1 + rng() % (20 - vBegin);
      std::vector<float> want(size_t(M) * ldw, -5.0f);
      mxmReference(A, L, M, W, ldw, rows, vBegin, vEnd, want, ldw);
      for (emu::MxmProducts mode :
           {emu::MxmProducts::Exact, emu::MxmProducts::Inexact,
            emu::MxmProducts::Generic}) {
        if (fp32 && mode == emu::MxmProducts::Exact)
          continue; // fp32 products are not exact: never used so
        std::vector<float> got(size_t(M) * ldw, -5.0f);
        emu::mxmGemmF32(A.data(), L, M, W.data(), ldw, nullptr, rows, vBegin,
                        vEnd, got.data(), ldw, mode);
        std::vector<float> list(size_t(M) * ldw, -5.0f);
        emu::mxmGemmF32(A.data(), L, M, W.data(), ldw, ks.data(), nk, vBegin,
                        vEnd, list.data(), ldw, mode);
        for (uint32_t i = 0; i < M; ++i)
          for (uint32_t n = 0; n < ldw; ++n) {
            float g = got[i * ldw + n], w = want[i * ldw + n];
            float l = list[i * ldw + n];
            // NaN inputs: which NaN an add or FMA passes on is the CPU's
            // choice (the emulator sends such vectors through the
            // one-vector kernel); every other lane has the exact bits,
            // NaNs made from inf * 0 or inf - inf included.
            if (nan && std::isnan(w)) {
              ASSERT_TRUE(std::isnan(g) && std::isnan(l))
                  << "mode " << int(mode) << " rows " << rows << " M " << M
                  << " row " << i << " lane " << n;
            } else {
              ASSERT_EQ(isa::floatBits(g), isa::floatBits(w))
                  << "mode " << int(mode) << " rows " << rows << " M " << M
                  << " row " << i << " lane " << n << ": " << g << " vs " << w;
              ASSERT_EQ(isa::floatBits(l), isa::floatBits(w))
                  << "rows list: mode " << int(mode) << " rows " << rows
                  << " M " << M << " row " << i << " lane " << n << ": " << l
                  << " vs " << w;
            }
          }
      }
    }
}

} // namespace

// The batched kernel (fused multiply-adds on fp16 products where the CPU
// has AVX-512 and FMA, multiplies and adds otherwise) against the plain
// loop: the same bits, for every block shape and remainder, rows across
// the k blocks, column ranges not starting at 0.
TEST(Emulator, MxmGemmFmaExactOnHalves) {
  checkMxmGemm(1, 0, false, false);
  checkMxmGemm(2, 2, false, false); // infinities: inf, NaN from inf * 0
  checkMxmGemm(3, 30, false, false);
  checkMxmGemm(4, 3, true, false); // NaN inputs
}

TEST(Emulator, MxmGemmExactOnFloats) { checkMxmGemm(5, 0, false, true); }

// Tile rows where every activation is +-0 are left out unless a weight
// there is infinite (0 * inf = NaN must reach the sum): the same bits.
TEST(Emulator, MxmGemmSkipsZeroActivationRows) {
  checkMxmGemm(6, 0, false, false, 40);
  checkMxmGemm(7, 3, false, false, 40); // infinite weights in zero rows
  checkMxmGemm(8, 0, false, true, 70);
}

// exp goes through a memo of (input bits, result) pairs per chip run:
// repeated lanes (hits), lanes whose bits share a memo slot (replaced
// entries), +0 (the key every entry starts with) and -0, NaNs with other
// payloads: every lane has expFloat's bits.
TEST_F(EmulatorTest, VxmExpMemoExact) {
  std::vector<uint32_t> x(m.lanes());
  auto slot = [](uint32_t b) { return (b * 0x9e3779b1u) >> 17; };
  // Two inputs in [1, 2) that share a slot (found by search).
  uint32_t a = isa::floatBits(1.25f), b = a + 1;
  while (slot(b) != slot(a))
    ++b;
  ASSERT_LT(isa::bitsFloat(b), 2.0f);
  const uint32_t special[] = {0x00000000u,           0x80000000u,
                              0x7fc00000u,           0x7fc00123u,
                              0xffc00456u,           0x7f800000u,
                              0xff800000u,           isa::floatBits(-104.0f),
                              isa::floatBits(89.0f), isa::floatBits(88.5f)};
  for (uint32_t i = 0; i < m.lanes(); ++i) {
    if (i < std::size(special))
      x[i] = special[i];
    else if (i % 4 == 0)
      x[i] = i % 8 == 0 ? a : b; // alternating: each evicts the other
    else
      x[i] = isa::floatBits(float(int(i % 13) - 6) * 0.37f); // repeats
  }
  std::vector<uint32_t> got =
      runOneVxm(m, vxmInst(AluOp::Exp, DType::F32), {x}, 3);
  ASSERT_EQ(got.size(), m.lanes());
  for (uint32_t i = 0; i < m.lanes(); ++i)
    ASSERT_EQ(got[i], isa::floatBits(emu::expFloat(isa::bitsFloat(x[i]))))
        << "lane " << i << " input " << std::hex << x[i];
}

namespace {

/// tanhFloats against tanhFloat on the floats [from, to) with `step`
/// (bit patterns, both signs), in blocks of 4096 at odd offsets.
void checkTanhFloats(uint32_t from, uint32_t to, uint32_t step,
                     uint64_t *checked) {
  std::vector<float> x(4099), r(4099);
  for (uint32_t sign : {0u, 0x80000000u}) {
    uint32_t b = from;
    while (b < to) {
      uint32_t n = 0;
      for (; n < 4096 && b < to; ++n, b += step)
        x[3 + n] = isa::bitsFloat(b | sign);
      emu::tanhFloats(x.data() + 3, n, r.data() + 3);
      for (uint32_t i = 0; i < n; ++i)
        ASSERT_EQ(isa::floatBits(r[3 + i]),
                  isa::floatBits(emu::tanhFloat(x[3 + i])))
            << "x " << x[3 + i] << " bits " << std::hex
            << isa::floatBits(x[3 + i]);
      *checked += n;
    }
  }
}

} // namespace

// Every 61st float over the range the vector path computes (2^-13 <= |x|
// < 10) and the specials around it: tanhFloat's bits.
TEST(Emulator, TanhFloatsExact) {
  uint64_t checked = 0;
  checkTanhFloats(isa::floatBits(0x1p-13f) - 100, isa::floatBits(10.0f) + 100,
                  61, &checked);
  EXPECT_GT(checked, 4000000u);
  std::vector<float> x = {0.0f,      -0.0f,         0x1p-13f,
                          -0x1p-13f, 0x1p-14f,      10.0f,
                          -10.0f,    9.999999f,     INFINITY,
                          -INFINITY, std::nanf(""), isa::bitsFloat(0x7fc00123u),
                          1e-40f,    0.625f,        0.62499994f,
                          88.0f,     1e30f,         -1e-30f};
  std::vector<float> r(x.size());
  emu::tanhFloats(x.data(), uint32_t(x.size()), r.data());
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_EQ(isa::floatBits(r[i]), isa::floatBits(emu::tanhFloat(x[i])))
        << x[i];
}

// The one-off proof that the vector path gives libm's bits on every float
// it computes (about 2.8e8 inputs; run with
// --gtest_also_run_disabled_tests --gtest_filter='*TanhFloatsExhaustive').
TEST(Emulator, DISABLED_TanhFloatsExhaustive) {
  uint64_t checked = 0;
  checkTanhFloats(isa::floatBits(0x1p-13f), isa::floatBits(10.0f), 1, &checked);
  std::printf("checked %llu floats\n", (unsigned long long)checked);
}

// rsqrt is float(1 / sqrt(double(x))) bit for bit, NaN results included
// (negative inputs, NaN payloads), on every lane of vectorised code.
TEST_F(EmulatorTest, VxmRsqrtBitsOfLibm) {
  std::mt19937 rng(12);
  std::vector<uint32_t> x(m.lanes());
  const uint32_t special[] = {0x00000000u, 0x80000000u, 0x00000001u,
                              0x807fffffu, 0x7f800000u, 0xff800000u,
                              0x7fc00000u, 0x7fa00001u, 0xffc00123u,
                              0xbf800000u, 0x7f7fffffu};
  for (uint32_t i = 0; i < m.lanes(); ++i)
    x[i] = i < std::size(special) ? special[i] : uint32_t(rng());
  std::vector<uint32_t> got =
      runOneVxm(m, vxmInst(AluOp::Rsqrt, DType::F32), {x}, 3);
  ASSERT_EQ(got.size(), m.lanes());
  for (uint32_t i = 0; i < m.lanes(); ++i) {
    volatile double d = double(isa::bitsFloat(x[i]));
    float want = float(1.0 / std::sqrt(d));
    ASSERT_EQ(got[i], isa::floatBits(want))
        << "lane " << i << " input " << std::hex << x[i];
  }
}
