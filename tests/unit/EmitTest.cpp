//===- EmitTest.cpp - .lpubin emitter on hand-scheduled lpuhw -------------===//
#include "compiler/target/lpubin/Emit.h"
#include "dialects/lpuhw/LpuhwDialect.h"
#include "runtime/format/Lpubin.h"
#include "runtime/isa/Isa.h"
#include "runtime/isa/Layout.h"
#include "runtime/isa/Numerics.h"
#ifdef LPUC_HAVE_EMULATOR
#include "runtime/emulator/Emulator.h"
#endif

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <string>

using namespace mlir;
using namespace lpuc;

namespace {

// lpu-v1: MEM-W0/W1 (slices 0, 1) at positions 45, 44; VXM at 46; MEM-E0/E1
// (slices 44, 45) at 47, 48. An f16 add of input x (planes in slices 0, 1)
// and weight w (slices 44, 45, bank 0) into output y (slices 44, 45, bank 1).
const char *kAdd = R"mlir(
module attributes {lpuhw.cycles = 8 : i64, lpuc.frozen_inputs = ["mask"]} {
  lpuhw.tensor @x {kind = "input", onnx_name = "x", dtype = f16,
    shape = array<i64: 1, 4>, slices = array<i32: 0, 1>, bank = 0 : i32,
    base_row = 0 : i32}
  lpuhw.tensor @w {kind = "weight", dtype = f16, shape = array<i64: 1, 4>,
    slices = array<i32: 44, 45>, bank = 0 : i32, base_row = 0 : i32,
    value = dense<[[1.0, 2.0, 3.0, 4.0]]> : tensor<1x4xf16>}
  lpuhw.tensor @ones {kind = "weight", dtype = i8, shape = array<i64: 2, 3>,
    slices = array<i32: 2, 3, 4, 5>, bank = 1 : i32, base_row = 7 : i32,
    value = dense<1> : tensor<2x3xi8>}
  lpuhw.tensor @y {kind = "output", onnx_name = "y", dtype = f16,
    shape = array<i64: 1, 4>, slices = array<i32: 44, 45>, bank = 1 : i32,
    base_row = 0 : i32}
  func.func @main() {
    %p0 = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 1 : i64, stream = 1 : i32}
    %p1 = lpuhw.mem_read slice 1 bank 0 row 0 {cycle = 0 : i64, stream = 2 : i32}
    %q0 = lpuhw.mem_read slice 44 bank 0 row 0 {cycle = 1 : i64, stream = 33 : i32}
    %q1 = lpuhw.mem_read slice 45 bank 0 row 0 {cycle = 0 : i64, stream = 34 : i32}
    %s:2 = lpuhw.vxm "add" f16 (%p0, %p1, %q0, %q1) {alu = 0 : i32, cycle = 4 : i64, stream = 3 : i32} : !lpuhw.stream, !lpuhw.stream
    lpuhw.mem_write %s#0 slice 44 bank 1 row 0 {cycle = 6 : i64}
    lpuhw.mem_write %s#1 slice 45 bank 1 row 0 {cycle = 7 : i64}
    return
  }
}
)mlir";

struct Env {
  Env() {
    registry.insert<func::FuncDialect, lpuhw::LpuhwDialect>();
    ctx = std::make_unique<MLIRContext>(registry);
    ctx->loadAllAvailableDialects();
  }
  OwningOpRef<ModuleOp> parse(const std::string &text) {
    return parseSourceString<ModuleOp>(text, ctx.get());
  }
  std::vector<uint8_t> emit(ModuleOp m, EmitOptions opts = {}) {
    llvm::Expected<std::vector<uint8_t>> bytes = emitLpubin(m, opts);
    if (!bytes) {
      ADD_FAILURE() << llvm::toString(bytes.takeError());
      return {};
    }
    return *bytes;
  }
  DialectRegistry registry;
  std::unique_ptr<MLIRContext> ctx;
};

struct Fixture : ::testing::Test, Env {};

/// The decoded instructions of `queue` in a verified file.
std::vector<isa::Instruction> queueInsts(const format::Lpubin &bin,
                                         uint32_t queue) {
  std::vector<isa::Instruction> out;
  for (int i = 0; i < bin.manifest.segments_size(); ++i) {
    const schema::Segment &s = bin.manifest.segments(i);
    if (s.kind() != schema::Segment::INSTRUCTIONS || s.queue() != queue)
      continue;
    for (uint32_t k = 0; k < s.instructions(); ++k)
      out.push_back(
          isa::decode(bin.segment(size_t(i)) + k * isa::kInstructionBytes));
  }
  return out;
}

TEST_F(Fixture, DeterministicAndReadable) {
  OwningOpRef<ModuleOp> m = parse(kAdd);
  ASSERT_TRUE(m);
  EmitOptions opts;
  opts.modelName = "/some/where/add.onnx";
  std::vector<uint8_t> a = emit(*m, opts), b = emit(*m, opts);
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  // A fresh context parsing the same text gives the same bytes.
  Env other;
  OwningOpRef<ModuleOp> m2 = other.parse(kAdd);
  ASSERT_TRUE(m2);
  EXPECT_EQ(a, other.emit(*m2, opts));

  absl::StatusOr<format::Lpubin> bin = format::readLpubin(a);
  ASSERT_TRUE(bin.ok()) << bin.status().message();
  const schema::Manifest &man = bin->manifest;
  EXPECT_EQ(man.model_name(), "add.onnx");
  EXPECT_EQ(man.target().name(), "lpu-v1");
  EXPECT_EQ(man.chip_count(), 1u);
  ASSERT_EQ(man.frozen_inputs_size(), 1);
  EXPECT_EQ(man.frozen_inputs(0), "mask");
}

TEST_F(Fixture, NopGapsAndStreams) {
  OwningOpRef<ModuleOp> m = parse(kAdd);
  ASSERT_TRUE(m);
  absl::StatusOr<format::Lpubin> bin = format::readLpubin(emit(*m));
  ASSERT_TRUE(bin.ok()) << bin.status().message();

  // MEM-E0 (queue 44): nop 1, read at 1, nop 4, write at 6.
  std::vector<isa::Instruction> e0 = queueInsts(*bin, 44);
  ASSERT_EQ(e0.size(), 4u);
  EXPECT_EQ(e0[0].op, isa::Opcode::Nop);
  EXPECT_EQ(e0[0].a, 1u);
  EXPECT_EQ(e0[1].op, isa::Opcode::MemRead);
  EXPECT_EQ(e0[1].out, 33);
  EXPECT_EQ(e0[2].op, isa::Opcode::Nop);
  EXPECT_EQ(e0[2].a, 4u);
  EXPECT_EQ(e0[3].op, isa::Opcode::MemWrite);
  EXPECT_EQ(e0[3].in0, 3);
  EXPECT_EQ(e0[3].a, 1u);
  EXPECT_EQ(e0[3].b, 0u);
  // MEM-W1 (queue 1): read at 0, no nop.
  std::vector<isa::Instruction> w1 = queueInsts(*bin, 1);
  ASSERT_EQ(w1.size(), 1u);
  EXPECT_EQ(w1[0].op, isa::Opcode::MemRead);
  // VXM ALU 0 (queue 88 on lpu-v1): nop 4, add.
  std::vector<isa::Instruction> v = queueInsts(*bin, 88);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].op, isa::Opcode::Nop);
  EXPECT_EQ(v[0].a, 4u);
  EXPECT_EQ(v[1].op, isa::Opcode::Vxm);
  EXPECT_EQ(v[1].fn, uint8_t(isa::AluOp::Add));
  EXPECT_EQ(v[1].dtype, isa::DType::F16);
  EXPECT_EQ(v[1].in0, 1);
  EXPECT_EQ(v[1].in1, 33);
  EXPECT_EQ(v[1].out, 3);
}

TEST_F(Fixture, TagsSharedPerConsumerGroup) {
  OwningOpRef<ModuleOp> m = parse(kAdd);
  ASSERT_TRUE(m);
  absl::StatusOr<format::Lpubin> bin = format::readLpubin(emit(*m));
  ASSERT_TRUE(bin.ok()) << bin.status().message();
  isa::Instruction p0 = queueInsts(*bin, 0).back();
  isa::Instruction p1 = queueInsts(*bin, 1).back();
  isa::Instruction q0 = queueInsts(*bin, 44)[1];
  isa::Instruction q1 = queueInsts(*bin, 45)[0];
  isa::Instruction add = queueInsts(*bin, 88).back();
  // Components in program order: {p0, p1} = 1, {q0, q1} = 2, add = 3.
  EXPECT_EQ(p0.tag, 1u);
  EXPECT_EQ(p1.tag, 1u);
  EXPECT_EQ(q0.tag, 2u);
  EXPECT_EQ(q1.tag, 2u);
  EXPECT_EQ(add.expect0, 1u);
  EXPECT_EQ(add.expect1, 2u);
  EXPECT_EQ(add.tag, 3u);
  EXPECT_EQ(queueInsts(*bin, 44).back().expect0, 3u);
  EXPECT_EQ(queueInsts(*bin, 45).back().expect0, 3u);
}

TEST_F(Fixture, ManifestTensorsAndStats) {
  OwningOpRef<ModuleOp> m = parse(kAdd);
  ASSERT_TRUE(m);
  absl::StatusOr<format::Lpubin> bin = format::readLpubin(emit(*m));
  ASSERT_TRUE(bin.ok()) << bin.status().message();
  const schema::Manifest &man = bin->manifest;
  ASSERT_EQ(man.inputs_size(), 1);
  EXPECT_EQ(man.inputs(0).name(), "x");
  EXPECT_EQ(man.inputs(0).dtype(), schema::DTYPE_F16);
  EXPECT_EQ(man.inputs(0).placement().slices_size(), 2);
  EXPECT_EQ(man.inputs(0).placement().slices(1), 1u);
  ASSERT_EQ(man.outputs_size(), 1);
  EXPECT_EQ(man.outputs(0).name(), "y");
  EXPECT_EQ(man.outputs(0).placement().bank(), 1u);
  EXPECT_EQ(man.outputs(0).placement().slices(0), 44u);

  ASSERT_EQ(man.chips_size(), 1);
  const schema::ChipProgram &chip = man.chips(0);
  ASSERT_EQ(chip.weights_size(), 2);
  EXPECT_EQ(chip.weights(0).name(), "w");
  EXPECT_EQ(chip.weights(1).name(), "ones");
  EXPECT_EQ(chip.weights(1).placement().base_row(), 7u);
  EXPECT_EQ(chip.weights(1).placement().bank(), 1u);
  // w: 2 plane-rows; ones: 2 rows of 1 plane.
  EXPECT_EQ(chip.sram_weight_bytes(), 4u * 320);
  EXPECT_EQ(chip.sram_activation_bytes(), 4u * 320);
  EXPECT_EQ(chip.lane_maps(), 0u);

  // Weight images in plane-row order: f16 1.0 = 0x3C00, 4.0 = 0x4400.
  int found = 0;
  for (int i = 0; i < man.segments_size(); ++i) {
    const schema::Segment &s = man.segments(i);
    if (s.kind() != schema::Segment::WEIGHTS)
      continue;
    const uint8_t *d = bin->segment(size_t(i));
    if (s.tensor() == 0) {
      ASSERT_EQ(s.size(), 640u);
      EXPECT_EQ(d[0], 0x00);
      EXPECT_EQ(d[320], 0x3C);
      EXPECT_EQ(d[320 + 3], 0x44);
      EXPECT_EQ(d[320 + 4], 0x00); // padding lane
    } else {
      ASSERT_EQ(s.size(), 640u); // splat expanded
      EXPECT_EQ(d[0], 1);
      EXPECT_EQ(d[2], 1);
      EXPECT_EQ(d[3], 0);
      EXPECT_EQ(d[320 + 2], 1);
    }
    ++found;
  }
  EXPECT_EQ(found, 2);

  const schema::Stats &st = man.predicted();
  EXPECT_EQ(st.cycles(), 8u);
  EXPECT_EQ(st.instructions(), 7u);
  ASSERT_EQ(st.units_size(), 5);
  EXPECT_EQ(st.units(0).unit(), "mem");
  EXPECT_EQ(st.units(0).busy_cycles(), 6u);
  EXPECT_EQ(st.units(0).queues(), 88u);
  EXPECT_EQ(st.units(1).unit(), "vxm");
  EXPECT_EQ(st.units(1).busy_cycles(), 1u);
  // 7 instructions + 5 nops (W0, E0 x2, E1, ALU 0) of 40 bytes.
  EXPECT_EQ(chip.sram_instruction_bytes(), 12u * 40);
}

TEST_F(Fixture, LaneMapsDeduplicated) {
  // MEM-E43 (slice 87) at position 90, SXM-E units 8.. at 91.
  std::string same, other;
  for (int i = 0; i < 320; ++i) {
    same += (i ? ", " : "") + std::to_string(319 - i);
    other += (i ? ", " : "") + std::to_string(i == 5 ? -1 : i);
  }
  std::string text =
      "module attributes {lpuhw.cycles = 8 : i64} {\n"
      "  func.func @main() {\n"
      "    %a = lpuhw.mem_read slice 87 bank 0 row 0 {cycle = 0 : i64, "
      "stream = 5 : i32}\n"
      "    %b = lpuhw.sxm_permute i8 map [" +
      same +
      "] (%a) {unit = 8 : i32, cycle = 3 : i64, stream = 6 : i32} : "
      "!lpuhw.stream\n"
      "    %c = lpuhw.sxm_permute i8 map [" +
      other +
      "] (%a) {unit = 9 : i32, cycle = 3 : i64, stream = 7 : i32} : "
      "!lpuhw.stream\n"
      "    %d = lpuhw.sxm_permute i8 map [" +
      same +
      "] (%a) {unit = 10 : i32, cycle = 3 : i64, stream = 8 : i32} : "
      "!lpuhw.stream\n"
      "    return\n  }\n}\n";
  OwningOpRef<ModuleOp> m = parse(text);
  ASSERT_TRUE(m);
  absl::StatusOr<format::Lpubin> bin = format::readLpubin(emit(*m));
  ASSERT_TRUE(bin.ok()) << bin.status().message();
  EXPECT_EQ(bin->manifest.chips(0).lane_maps(), 2u);
  // SXM queues on lpu-v1 start at 88 + 16 + 8 = 112.
  EXPECT_EQ(queueInsts(*bin, 120).back().a, 0u);
  EXPECT_EQ(queueInsts(*bin, 121).back().a, 1u);
  EXPECT_EQ(queueInsts(*bin, 122).back().a, 0u);
  for (int i = 0; i < bin->manifest.segments_size(); ++i) {
    const schema::Segment &s = bin->manifest.segments(i);
    if (s.kind() != schema::Segment::LANE_MAPS)
      continue;
    ASSERT_EQ(s.size(), 2u * 320 * 2);
    const uint8_t *d = bin->segment(size_t(i));
    EXPECT_EQ(d[0] | d[1] << 8, 319); // map 0, lane 0
    EXPECT_EQ(d[640 + 10], 0xFF);     // map 1, lane 5 = -1
    EXPECT_EQ(d[640 + 11], 0xFF);
  }
}

TEST_F(Fixture, AsmListing) {
  OwningOpRef<ModuleOp> m = parse(kAdd);
  ASSERT_TRUE(m);
  std::string s;
  llvm::raw_string_ostream os(s);
  ASSERT_TRUE(succeeded(printAsm(*m, os)));
  EXPECT_NE(s.find("       0  MEM-W0                  nop 1\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("       1  MEM-W0                  mem.read bank 0 row 0 "
                   "-> s1 tag 1\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("VXM ALU 0               vxm.add f16 s1 (tag 1), s33 "
                   "(tag 2)"),
            std::string::npos)
      << s;
  // Ordered by queue: MEM-W0 before MEM-E0 before the VXM.
  EXPECT_LT(s.find("MEM-W0"), s.find("MEM-E0"));
  EXPECT_LT(s.find("MEM-E0"), s.find("VXM ALU 0"));
}

TEST_F(Fixture, BadScheduleIsAnError) {
  std::string text = kAdd;
  // The add one cycle early: its operands are not there yet.
  size_t at = text.find("cycle = 4 : i64, stream = 3");
  text.replace(at, 9, "cycle = 3");
  OwningOpRef<ModuleOp> m = parse(text);
  ASSERT_TRUE(m);
  std::string diags;
  ScopedDiagnosticHandler handler(ctx.get(), [&](Diagnostic &d) {
    diags += d.str() + "\n";
    return success();
  });
  llvm::Expected<std::vector<uint8_t>> bytes = emitLpubin(*m, {});
  ASSERT_FALSE(bytes);
  EXPECT_NE(llvm::toString(bytes.takeError()).find("does not verify"),
            std::string::npos);
  EXPECT_NE(diags.find("VXM ALU 0 at cycle 3: operand 0 (stream 1) does not "
                       "pass position 46 at cycle 3"),
            std::string::npos)
      << diags;
}

#ifdef LPUC_HAVE_EMULATOR
/// Loads a verified file onto the emulator (instructions, lane maps,
/// weights) like the runtime loader does.
emu::Emulator load(const format::Lpubin &bin, const isa::Machine &machine) {
  emu::Emulator e(machine, 1);
  emu::ChipProgram prog;
  prog.queues.resize(machine.numQueues());
  const schema::Manifest &man = bin.manifest;
  for (int i = 0; i < man.segments_size(); ++i) {
    const schema::Segment &s = man.segments(i);
    const uint8_t *d = bin.segment(size_t(i));
    if (s.kind() == schema::Segment::INSTRUCTIONS) {
      for (uint32_t k = 0; k < s.instructions(); ++k)
        prog.queues[s.queue()].push_back(
            isa::decode(d + k * isa::kInstructionBytes));
    } else if (s.kind() == schema::Segment::LANE_MAPS) {
      for (uint32_t m = 0; m < man.chips(0).lane_maps(); ++m) {
        std::vector<int16_t> map(machine.lanes());
        for (uint32_t l = 0; l < machine.lanes(); ++l)
          map[l] = int16_t(d[2 * (m * machine.lanes() + l)] |
                           d[2 * (m * machine.lanes() + l) + 1] << 8);
        prog.laneMaps.push_back(std::move(map));
      }
    } else if (s.kind() == schema::Segment::WEIGHTS) {
      const schema::TensorInfo &t = man.chips(0).weights(int(s.tensor()));
      isa::TensorLayout l;
      l.dtype = isa::DType(t.dtype());
      l.shape.assign(t.shape().begin(), t.shape().end());
      l.lanes = machine.lanes();
      l.slices.assign(t.placement().slices().begin(),
                      t.placement().slices().end());
      l.bank = t.placement().bank();
      l.baseRow = t.placement().base_row();
      for (int64_t q = 0; q < l.planeRows(); ++q) {
        isa::SramAddress a = l.address(q);
        std::memcpy(e.sram(0).mutableRow(a.slice, a.bank, a.row),
                    d + q * machine.lanes(), machine.lanes());
      }
    }
  }
  absl::Status st = e.setProgram(0, std::move(prog));
  EXPECT_TRUE(st.ok()) << st.message();
  return e;
}

// The emulator runs the emitted add, measures the predicted cycles and
// computes x + w.
TEST_F(Fixture, EmulatorAgrees) {
  OwningOpRef<ModuleOp> m = parse(kAdd);
  ASSERT_TRUE(m);
  absl::StatusOr<format::Lpubin> bin = format::readLpubin(emit(*m));
  ASSERT_TRUE(bin.ok()) << bin.status().message();
  isa::Machine machine(bin->manifest.target());
  emu::Emulator e = load(*bin, machine);
  // x = [0.5, -1, 2, 8] in f16, plane 0 in slice 0, plane 1 in slice 1.
  const float x[4] = {0.5f, -1.0f, 2.0f, 8.0f};
  for (int c = 0; c < 4; ++c) {
    uint16_t h = isa::floatToHalf(x[c]);
    e.sram(0).mutableRow(0, 0, 0)[c] = uint8_t(h & 0xFF);
    e.sram(0).mutableRow(1, 0, 0)[c] = uint8_t(h >> 8);
  }
  absl::StatusOr<emu::RunStats> stats = e.run();
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(stats->cycles, bin->manifest.predicted().cycles());
  EXPECT_EQ(stats->instructions, bin->manifest.predicted().instructions());
  ASSERT_EQ(stats->units.size(), 5u);
  for (int u = 0; u < 5; ++u)
    EXPECT_EQ(stats->units[size_t(u)].busyCycles,
              bin->manifest.predicted().units(u).busy_cycles())
        << "unit " << u;
  const float w[4] = {1.0f, 2.0f, 3.0f, 4.0f};
  for (int c = 0; c < 4; ++c) {
    uint16_t h =
        uint16_t(e.sram(0).row(44, 1, 0)[c] | e.sram(0).row(45, 1, 0)[c] << 8);
    EXPECT_EQ(isa::halfToFloat(h), x[c] + w[c]) << "lane " << c;
  }
}
// sxm_shift and sxm_rotate as lpuhw-schedule places them (the third case of
// tests/lit/passes/schedule/sxm-move.mlir): the emitted program runs on the
// emulator in the predicted cycles and moves the lanes of both f16 planes.
TEST_F(Fixture, EmulatorShiftRotate) {
  const char *text = R"mlir(
module attributes {lpu.target = "lpu-v1", lpuhw.cycles = 95 : i64} {
  func.func @main() {
    %0 = lpuhw.mem_read slice 0 bank 0 row 0 {cycle = 0 : i64, stream = 32 : i32}
    %1 = lpuhw.mem_read slice 1 bank 0 row 0 {cycle = 1 : i64, stream = 33 : i32}
    %2:2 = lpuhw.sxm_shift f16 up 3 (%0, %1) {cycle = 46 : i64, stream = 0 : i32, unit = 0 : i32} : !lpuhw.stream, !lpuhw.stream
    %3:2 = lpuhw.sxm_rotate f16 down 7 (%0, %1) {cycle = 46 : i64, stream = 2 : i32, unit = 1 : i32} : !lpuhw.stream, !lpuhw.stream
    lpuhw.mem_write %2#0 slice 0 bank 1 row 0 {cycle = 94 : i64}
    lpuhw.mem_write %2#1 slice 1 bank 1 row 0 {cycle = 93 : i64}
    lpuhw.mem_write %3#0 slice 2 bank 1 row 0 {cycle = 92 : i64}
    lpuhw.mem_write %3#1 slice 3 bank 1 row 0 {cycle = 91 : i64}
    return
  }
}
)mlir";
  OwningOpRef<ModuleOp> m = parse(text);
  ASSERT_TRUE(m);
  absl::StatusOr<format::Lpubin> bin = format::readLpubin(emit(*m));
  ASSERT_TRUE(bin.ok()) << bin.status().message();
  EXPECT_EQ(bin->manifest.predicted().cycles(), 95u);
  // SXM queues on lpu-v1 start at 112: the shift (up = no kShiftDown) on
  // unit 0, the rotate (down) on unit 1, with their amounts.
  std::vector<isa::Instruction> sh = queueInsts(*bin, 112);
  std::vector<isa::Instruction> ro = queueInsts(*bin, 113);
  ASSERT_FALSE(sh.empty());
  ASSERT_FALSE(ro.empty());
  EXPECT_EQ(sh.back().op, isa::Opcode::SxmShift);
  EXPECT_EQ(sh.back().a, 3u);
  EXPECT_EQ(sh.back().flags, 0u);
  EXPECT_EQ(ro.back().op, isa::Opcode::SxmRotate);
  EXPECT_EQ(ro.back().a, 7u);
  EXPECT_EQ(ro.back().flags, isa::kShiftDown);

  isa::Machine machine(bin->manifest.target());
  emu::Emulator e = load(*bin, machine);
  const unsigned lanes = machine.lanes();
  ASSERT_EQ(lanes, 320u);
  auto x = [](unsigned lane) { return float(lane) + 1.0f; };
  for (unsigned c = 0; c < lanes; ++c) {
    uint16_t h = isa::floatToHalf(x(c));
    e.sram(0).mutableRow(0, 0, 0)[c] = uint8_t(h & 0xFF);
    e.sram(0).mutableRow(1, 0, 0)[c] = uint8_t(h >> 8);
  }
  absl::StatusOr<emu::RunStats> stats = e.run();
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(stats->cycles, bin->manifest.predicted().cycles());
  EXPECT_EQ(stats->instructions, bin->manifest.predicted().instructions());
  auto at = [&](uint32_t lo, uint32_t hi, unsigned c) {
    return isa::halfToFloat(
        uint16_t(e.sram(0).row(lo, 1, 0)[c] | e.sram(0).row(hi, 1, 0)[c] << 8));
  };
  for (unsigned c = 0; c < lanes; ++c) {
    EXPECT_EQ(at(0, 1, c), c < 3 ? 0.0f : x(c - 3)) << "shift, lane " << c;
    EXPECT_EQ(at(2, 3, c), x((c + 7) % lanes)) << "rotate, lane " << c;
  }
}
// sxm_transpose as lpuhw-schedule places it (tests/lit/passes/schedule/
// sxm-transpose.mlir): rows of slices 43..28 in, 16x16 byte blocks per
// superlane transposed, written to bank 1 of the same slices.
TEST_F(Fixture, EmulatorTranspose) {
  std::string text = "module attributes {lpu.target = \"lpu-v1\", "
                     "lpuhw.cycles = 39 : i64} {\n  func.func @main() {\n";
  std::string ins, types;
  for (int i = 0; i < 16; ++i) {
    text += "    %a" + std::to_string(i) + " = lpuhw.mem_read slice " +
            std::to_string(43 - i) +
            " bank 0 row 2 {cycle = " + std::to_string(15 - i) +
            " : i64, stream = " + std::to_string(32 + i) + " : i32}\n";
    ins += (i ? ", %a" : "%a") + std::to_string(i);
    types += i ? ", !lpuhw.stream" : "!lpuhw.stream";
  }
  text += "    %t:16 = lpuhw.sxm_transpose (" + ins +
          ") {cycle = 18 : i64, stream = 0 : i32, unit = 0 : i32} : " + types +
          "\n";
  for (int j = 0; j < 16; ++j)
    text += "    lpuhw.mem_write %t#" + std::to_string(j) + " slice " +
            std::to_string(43 - j) +
            " bank 1 row 2 {cycle = " + std::to_string(23 + j) + " : i64}\n";
  text += "    return\n  }\n}\n";
  OwningOpRef<ModuleOp> m = parse(text);
  ASSERT_TRUE(m);
  absl::StatusOr<format::Lpubin> bin = format::readLpubin(emit(*m));
  ASSERT_TRUE(bin.ok()) << bin.status().message();
  EXPECT_EQ(bin->manifest.predicted().cycles(), 39u);
  std::vector<isa::Instruction> tr = queueInsts(*bin, 112);
  ASSERT_FALSE(tr.empty());
  EXPECT_EQ(tr.back().op, isa::Opcode::SxmTranspose);
  EXPECT_EQ(tr.back().in0, 32u);
  EXPECT_EQ(tr.back().out, 0u);

  isa::Machine machine(bin->manifest.target());
  emu::Emulator e = load(*bin, machine);
  const unsigned lanes = machine.lanes();
  auto v = [](unsigned i, unsigned l) {
    return uint8_t(i * 16 + l % 16 + 7 * (l / 16));
  };
  for (unsigned i = 0; i < 16; ++i)
    for (unsigned l = 0; l < lanes; ++l)
      e.sram(0).mutableRow(43 - i, 0, 2)[l] = v(i, l);
  absl::StatusOr<emu::RunStats> stats = e.run();
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(stats->cycles, bin->manifest.predicted().cycles());
  EXPECT_EQ(stats->instructions, bin->manifest.predicted().instructions());
  for (unsigned j = 0; j < 16; ++j)
    for (unsigned g = 0; g < lanes / 16; ++g)
      for (unsigned i = 0; i < 16; ++i)
        ASSERT_EQ(e.sram(0).row(43 - j, 1, 2)[16 * g + i], v(i, 16 * g + j))
            << "result " << j << ", superlane " << g << ", lane " << i;
}
#endif

} // namespace

// The verifier's and emitter's instruction store: elements stay where they
// are while it grows past chunk boundaries (operand views and references
// into it stay valid), and iteration and indexing agree.
TEST(InstructionStore, ChunkedVectorKeepsElementsInPlace) {
  lpuc::verify::ChunkedVector<uint64_t> v;
  EXPECT_TRUE(v.empty());
  const size_t n = (size_t(1) << 16) * 2 + 123; // three chunks
  std::vector<const uint64_t *> where;
  for (size_t i = 0; i < n; ++i) {
    v.push_back(i * 7 + 1);
    where.push_back(&v[i]);
  }
  ASSERT_EQ(v.size(), n);
  size_t k = 0;
  for (const uint64_t &x : v) {
    ASSERT_EQ(&x, where[k]) << "element " << k << " moved";
    ASSERT_EQ(x, k * 7 + 1);
    ++k;
  }
  EXPECT_EQ(k, n);
  EXPECT_EQ(std::distance(v.begin(), v.end()), std::ptrdiff_t(n));
  EXPECT_EQ(*(v.begin() + 65536), 65536u * 7 + 1);
  EXPECT_EQ(v.front(), 1u);
  v.clear();
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(v.begin(), v.end());
}
