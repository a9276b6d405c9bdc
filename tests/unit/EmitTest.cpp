//===- EmitTest.cpp - .lpubin emitter on hand-scheduled lpuhw -------------===//
#include "compiler/target/lpubin/Emit.h"
#include "compiler/import/onnx/OnnxImport.h"
#include "compiler/pipelines/Pipeline.h"
#include "compiler/pipelines/Registration.h"
#include "dialects/lpuhw/LpuhwDialect.h"
#include "dialects/lpuhw/LpuhwOps.h"
#include "passes/verify/ScheduleInfo.h"
#include "runtime/format/Lpubin.h"
#include "runtime/isa/Isa.h"
#include "runtime/isa/Layout.h"
#include "runtime/isa/Numerics.h"
#ifdef LPUC_HAVE_EMULATOR
#include "runtime/emulator/Emulator.h"
#endif

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <unistd.h>

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

// LpubinBuilder, window by window: real scheduled programs (the shipped
// examples through the pipeline) cut into windows in program order, each
// with its exact floor (the earliest issue of any later window) or its
// exact floors per chip (per chip, the earliest issue on that chip of any
// later window), give the bytes of the one-window build, with the encoded
// instructions in memory or in a temporary file.
namespace {

/// A shipped example compiled to scheduled lpuhw, and its instructions.
struct ScheduledProgram {
  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<isa::Machine> machine;
  verify::InstructionList list;
  std::string diagnostics;
  std::unique_ptr<ScopedDiagnosticHandler> handler;

  ScheduledProgram() {
    DialectRegistry registry;
    registerAllDialects(registry);
    registerAllPasses();
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
    handler =
        std::make_unique<ScopedDiagnosticHandler>(&ctx, [this](Diagnostic &d) {
          diagnostics += d.str() + "\n";
          return success();
        });
  }
  /// `model` under examples/, on `chips` chips, scheduled `window`
  /// instructions at a time.
  void compile(const std::string &model, const std::string &chips,
               int64_t window = int64_t(1) << 18) {
    auto m = importOnnxModel(ctx, LPUC_SOURCE_DIR "/examples/" + model, {});
    ASSERT_TRUE(bool(m)) << llvm::toString(m.takeError());
    module = std::move(*m);
    CompileOptions opts;
    opts.emit = EmitKind::Lpuhw;
    opts.precision = "fp16";
    opts.chips = chips;
    opts.scheduleWindow = window;
    ASSERT_TRUE(succeeded(runCompilePipeline(*module, opts))) << diagnostics;
    FailureOr<std::unique_ptr<isa::Machine>> mach = lpuhw::getMachine(*module);
    ASSERT_TRUE(succeeded(mach));
    machine = std::move(*mach);
    ASSERT_TRUE(
        succeeded(verify::collectInstructions(*module, *machine, list)));
    ASSERT_GT(list.size(), 0u);
  }
};

/// Instructions [from, to) of `all` as a list of their own (base = from),
/// operands copied.
verify::InstructionList window(const verify::InstructionList &all, size_t from,
                               size_t to) {
  verify::InstructionList w;
  w.base = from;
  for (size_t i = from; i < to; ++i) {
    verify::SchedInst s = all.at(i);
    w.pools.emplace_back(s.operands().begin(), s.operands().end());
    s.operandData = w.pools.back().data();
    w.insts.push_back(s);
    if (auto it = all.laneMaps.find(uint32_t(i)); it != all.laneMaps.end())
      w.laneMaps[uint32_t(i)] = it->second;
  }
  return w;
}

std::vector<uint8_t> bytesOf(llvm::Expected<LpubinImage> image) {
  if (!image) {
    ADD_FAILURE() << llvm::toString(image.takeError());
    return {};
  }
  std::vector<uint8_t> bytes;
  absl::Status st = image->write([&](const uint8_t *data, size_t size) {
    bytes.insert(bytes.end(), data, data + size);
    return true;
  });
  EXPECT_TRUE(st.ok()) << st.message();
  return bytes;
}

/// The exact floors per chip of windows ending before each of `ends`
/// (sorted program indices, the last one the program's size): [k][c] is the
/// earliest issue on chip c of the instructions from ends[k] on (INT64_MAX
/// if none).
std::vector<std::vector<int64_t>> chipFloors(const ScheduledProgram &p,
                                             const std::vector<size_t> &ends) {
  const uint32_t chips = verify::chipCount(*p.module);
  std::vector<std::vector<int64_t>> floors(
      ends.size(), std::vector<int64_t>(chips, INT64_MAX));
  for (size_t k = ends.size() - 1; k-- > 0;) {
    floors[k] = floors[k + 1];
    for (size_t i = ends[k]; i < ends[k + 1]; ++i) {
      const verify::SchedInst &s = p.list.at(i);
      floors[k][s.chip] = std::min<int64_t>(floors[k][s.chip], s.cycle);
    }
  }
  return floors;
}

/// The image of `p` built window by window, cut before each of `cuts`
/// (sorted program indices), each window with its exact floor (the minimum
/// over chips, given as one number) or, if `perChip`, its exact floors per
/// chip. `pending`: the builder's held instructions after each window.
std::vector<uint8_t>
buildWindowed(const ScheduledProgram &p, std::vector<size_t> cuts,
              const EmitOptions &opts, std::vector<size_t> *pending = nullptr,
              std::vector<uint64_t> *encoded = nullptr, bool perChip = false) {
  cuts.push_back(p.list.size());
  std::vector<std::vector<int64_t>> floors = chipFloors(p, cuts);
  llvm::Expected<LpubinBuilder> b = LpubinBuilder::create(*p.module, opts);
  if (!b) {
    ADD_FAILURE() << llvm::toString(b.takeError());
    return {};
  }
  size_t from = 0;
  for (size_t k = 0; k < cuts.size(); ++k) {
    {
      verify::InstructionList w = window(p.list, from, cuts[k]);
      llvm::Error e = perChip
                          ? b->addWindow(w, floors[k])
                          : b->addWindow(w, *std::min_element(floors[k].begin(),
                                                              floors[k].end()));
      if (e) {
        ADD_FAILURE() << llvm::toString(std::move(e));
        return {};
      }
    } // the window is freed: the builder must not refer to it
    if (pending)
      pending->push_back(b->pending());
    if (encoded)
      encoded->push_back(b->encoded());
    from = cuts[k];
  }
  return bytesOf(b->finish());
}

/// The repeat runs and mem.read_write pairs of an emitted image, each as the
/// program indices of the scheduled instructions it issues: every queue's
/// instructions sorted by (cycle, program index) matched against the
/// decoded stream (a nop issues none, a mem.read_write two, a repeat n
/// more of the instruction before it).
void runsAndPairs(const ScheduledProgram &p, const std::vector<uint8_t> &file,
                  std::vector<std::vector<size_t>> &runs,
                  std::vector<std::vector<size_t>> &pairs) {
  absl::StatusOr<format::Lpubin> bin = format::readLpubin(file);
  ASSERT_TRUE(bin.ok()) << bin.status().message();
  const uint32_t nq = p.machine->numQueues();
  std::map<std::pair<uint32_t, uint32_t>, std::vector<size_t>> byQueue;
  for (size_t i = 0; i < p.list.size(); ++i)
    byQueue[{p.list.at(i).chip, p.list.at(i).queue}].push_back(i);
  for (auto &[key, list] : byQueue)
    std::sort(list.begin(), list.end(), [&](size_t a, size_t b) {
      return std::make_pair(p.list.at(a).cycle, a) <
             std::make_pair(p.list.at(b).cycle, b);
    });
  size_t seen = 0;
  for (int s = 0; s < bin->manifest.segments_size(); ++s) {
    const schema::Segment &seg = bin->manifest.segments(s);
    if (seg.kind() != schema::Segment::INSTRUCTIONS)
      continue;
    ASSERT_LT(seg.queue(), nq);
    const std::vector<size_t> &list = byQueue[{seg.chip(), seg.queue()}];
    size_t k = 0, last = 0;
    for (uint32_t e = 0; e < seg.instructions(); ++e) {
      isa::Instruction inst =
          isa::decode(bin->segment(size_t(s)) + e * isa::kInstructionBytes);
      if (inst.op == isa::Opcode::Nop)
        continue;
      if (inst.op == isa::Opcode::Repeat) {
        // The previous instruction (two scheduled ones if a mem.read_write)
        // issued inst.a more times.
        ASSERT_GT(last, 0u);
        ASSERT_LE(k + inst.a * last, list.size());
        runs.emplace_back(list.begin() + std::ptrdiff_t(k - last),
                          list.begin() + std::ptrdiff_t(k + inst.a * last));
        k += inst.a * last;
        continue;
      }
      last = inst.op == isa::Opcode::MemReadWrite ? 2 : 1;
      ASSERT_LE(k + last, list.size());
      if (last == 2)
        pairs.push_back({list[k], list[k + 1]});
      k += last;
    }
    ASSERT_EQ(k, list.size()) << "queue " << seg.queue();
    seen += k;
  }
  ASSERT_EQ(seen, p.list.size());
}

/// Where a window may end: no stream value crosses (no operand of a later
/// instruction is produced before the cut), as in lpuc's windows.
std::vector<size_t> validCuts(const ScheduledProgram &p) {
  std::vector<int64_t> minProducer(p.list.size() + 1, INT64_MAX);
  for (size_t i = p.list.size(); i-- > 0;) {
    minProducer[i] = minProducer[i + 1];
    for (const verify::OperandSource &o : p.list.at(i).operands())
      if (o.producer >= 0)
        minProducer[i] = std::min<int64_t>(minProducer[i], o.producer);
  }
  std::vector<size_t> valid;
  for (size_t c = 1; c < p.list.size(); ++c)
    if (minProducer[c] >= int64_t(c))
      valid.push_back(c);
  return valid;
}

/// Whether cutting before each of `cuts` separates some of `group`.
bool cutThrough(const std::vector<size_t> &group,
                const std::vector<size_t> &cuts) {
  auto [lo, hi] = std::minmax_element(group.begin(), group.end());
  for (size_t c : cuts)
    if (*lo < c && c <= *hi)
      return true;
  return false;
}

/// A fresh directory for the temporary instruction file.
std::string tempDir() {
  std::string dir = ::testing::TempDir() + "lpuc-emit-XXXXXX";
  if (!::mkdtemp(dir.data()))
    ADD_FAILURE() << "cannot create " << dir;
  return dir;
}

class WindowedEmit
    : public ::testing::TestWithParam<std::pair<const char *, const char *>> {};

TEST_P(WindowedEmit, SameBytesAsOneWindow) {
  ScheduledProgram p;
  p.compile(GetParam().first, GetParam().second);
  if (HasFatalFailure())
    return;
  EmitOptions opts;
  opts.modelName = GetParam().first;
  // One window (buildLpubin) is what emitLpubin gives from the module.
  std::vector<uint8_t> one = buildWindowed(p, {}, opts);
  ASSERT_FALSE(one.empty());
  llvm::Expected<std::vector<uint8_t>> direct = emitLpubin(*p.module, opts);
  ASSERT_TRUE(bool(direct)) << llvm::toString(direct.takeError());
  ASSERT_EQ(one, *direct);

  std::vector<std::vector<size_t>> runs, pairs;
  runsAndPairs(p, one, runs, pairs);
  if (HasFatalFailure())
    return;
  ASSERT_FALSE(runs.empty());
  ASSERT_FALSE(pairs.empty());
  std::vector<size_t> valid = validCuts(p);
  ASSERT_GT(valid.size(), 8u);
  // A valid cut inside [lo, hi] of a run or pair (0 if none).
  auto cutInside = [&](const std::vector<size_t> &group) -> size_t {
    auto [lo, hi] = std::minmax_element(group.begin(), group.end());
    auto it = std::upper_bound(valid.begin(), valid.end(), *lo);
    return it != valid.end() && *it <= *hi ? *it : 0;
  };
  // Cuts through repeat runs and read/write pairs spread over the program
  // (up to 6 of each), and cuts at even steps.
  std::vector<size_t> cuts;
  for (const std::vector<std::vector<size_t>> *groups : {&runs, &pairs}) {
    size_t taken = 0;
    for (size_t k = 0; k < groups->size() && taken < 6; ++k) {
      size_t at = (k * 7919) % groups->size(); // spread, deterministic
      if (size_t c = cutInside((*groups)[at])) {
        cuts.push_back(c);
        ++taken;
      }
    }
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  size_t cutRuns = 0, cutPairs = 0;
  for (const auto &r : runs)
    cutRuns += cutThrough(r, cuts);
  for (const auto &q : pairs)
    cutPairs += cutThrough(q, cuts);
  EXPECT_GT(cutRuns, 0u);
  EXPECT_GT(cutPairs, 0u);
  std::cout << GetParam().first << " on " << GetParam().second
            << " chip(s): " << p.list.size() << " instructions, " << runs.size()
            << " repeat runs, " << pairs.size() << " read/write pairs; "
            << cuts.size() + 1 << " windows cut " << cutRuns << " runs and "
            << cutPairs << " pairs\n";
  std::vector<size_t> even;
  for (size_t k = 1; k < 9; ++k)
    even.push_back(valid[valid.size() * k / 9]);

  std::string dir = tempDir();
  for (const std::vector<size_t> &c : {cuts, even}) {
    EmitOptions inMemory = opts;
    std::vector<uint64_t> encoded;
    EXPECT_EQ(buildWindowed(p, c, inMemory, nullptr, &encoded), one)
        << c.size() + 1 << " windows, in memory";
    // Some instructions were final before the last window (the floors
    // rise): the split tests placing, merging and runs across windows.
    ASSERT_GE(encoded.size(), 2u);
    EXPECT_GT(encoded[encoded.size() - 2], 0u);
    EmitOptions inFile = opts;
    inFile.instructionDir = dir;
    EXPECT_EQ(buildWindowed(p, c, inFile), one)
        << c.size() + 1 << " windows, temporary file";
    // The same windows with their exact floors per chip.
    EXPECT_EQ(buildWindowed(p, c, inMemory, nullptr, nullptr, true), one)
        << c.size() + 1 << " windows, floors per chip, in memory";
    EXPECT_EQ(buildWindowed(p, c, inFile, nullptr, nullptr, true), one)
        << c.size() + 1 << " windows, floors per chip, temporary file";
  }
  // Windows as small as they can be over a stretch of the program (300
  // cuts, each window with a floor of its own).
  std::vector<size_t> fine;
  auto first = std::lower_bound(valid.begin(), valid.end(), cuts[0]);
  for (auto it = first; it != valid.end() && it - first < 300; ++it)
    fine.push_back(*it);
  EXPECT_EQ(buildWindowed(p, fine, opts), one) << "single-instruction windows";
  EXPECT_EQ(buildWindowed(p, fine, opts, nullptr, nullptr, true), one)
      << "single-instruction windows, floors per chip";
  ::rmdir(dir.c_str()); // empty: the file was unlinked
}

INSTANTIATE_TEST_SUITE_P(
    Examples, WindowedEmit,
    ::testing::Values(std::make_pair("llama/prefill/model.onnx", "1"),
                      std::make_pair("llama/prefill/model.onnx", "2"),
                      std::make_pair("gpt2/prefill/model.onnx", "2")));

/// The most the builder may hold of the queues' tails that may still start
/// or join a repeat run: per queue, its longest run in `bytes` plus two.
size_t queueTails(const ScheduledProgram &p,
                  const std::vector<uint8_t> &bytes) {
  std::vector<std::vector<size_t>> runs, pairs;
  runsAndPairs(p, bytes, runs, pairs);
  std::map<std::pair<uint32_t, uint32_t>, size_t> longest;
  for (size_t i = 0; i < p.list.size(); ++i)
    longest[{p.list.at(i).chip, p.list.at(i).queue}];
  for (const std::vector<size_t> &r : runs) {
    size_t &l = longest[{p.list.at(r[0]).chip, p.list.at(r[0]).queue}];
    l = std::max(l, r.size());
  }
  size_t tails = 0;
  for (const auto &[queue, l] : longest)
    tails += l + 2;
  return tails;
}

// The builder holds only what is not final: after each window, the
// instructions at or after the floor and the queues' tails that may still
// become repeat runs; instructions are encoded as the floor rises. (llama
// prefill: its program-order windows have rising floors.)
TEST(WindowedEmitMemory, HeldInstructionsDrop) {
  ScheduledProgram p;
  p.compile("llama/prefill/model.onnx", "1");
  if (HasFatalFailure())
    return;
  std::vector<size_t> valid = validCuts(p), cuts;
  const size_t windows = 16;
  ASSERT_GT(valid.size(), windows);
  for (size_t k = 1; k < windows; ++k)
    cuts.push_back(valid[valid.size() * k / windows]);
  std::vector<size_t> pending;
  std::vector<uint64_t> encoded;
  std::vector<uint8_t> bytes = buildWindowed(p, cuts, {}, &pending, &encoded);
  ASSERT_FALSE(bytes.empty());
  ASSERT_EQ(pending.size(), windows);
  // What the floor leaves unplaced: instructions added, at or after it.
  std::vector<size_t> unplaced;
  {
    std::vector<size_t> ends = cuts;
    ends.push_back(p.list.size());
    for (size_t k = 0; k < windows; ++k) {
      int64_t floor = INT64_MAX;
      for (size_t i = ends[k]; i < p.list.size(); ++i)
        floor = std::min<int64_t>(floor, p.list.at(i).cycle);
      size_t n = 0;
      for (size_t i = 0; i < ends[k]; ++i)
        n += p.list.at(i).cycle >= floor;
      unplaced.push_back(n);
    }
  }
  // Besides those, only each queue's tail that may still start or join a
  // repeat run is held: at most its longest run (as emitted) plus two.
  size_t tails = queueTails(p, bytes);
  if (HasFatalFailure())
    return;
  for (size_t k = 0; k < windows; ++k) {
    EXPECT_GE(pending[k], unplaced[k]) << "window " << k;
    EXPECT_LE(pending[k], unplaced[k] + tails) << "window " << k;
    if (k + 1 < windows)
      EXPECT_LE(encoded[k], encoded[k + 1]) << "window " << k + 1;
  }
  // Encoded as the floor rises, not at finish.
  EXPECT_GT(encoded.front(), 0u);
  EXPECT_GT(encoded[windows - 2], encoded.front());
  EXPECT_EQ(unplaced.back(), 0u); // the last floor is INT64_MAX
  std::cout << "held after each of " << windows << " windows of "
            << p.list.size() << " instructions:";
  for (size_t k = 0; k < windows; ++k)
    std::cout << " " << pending[k] << "(" << unplaced[k] << ")";
  std::cout << "; (n): at or after the floor; queue tails at most " << tails
            << "\n";
}

// With floors per chip, each queue is placed by its own chip's floor: on a
// pipeline of chips, a later chip's instructions at early cycles (weight
// loads) do not hold back the other chip's queues, as one floor (the
// minimum over chips) does. After each window the builder holds the
// instructions at or after their chip's floor plus the queues' tails. On
// gpt2 prefill that is, after some windows, fewer than one floor leaves
// unplaced (window 0 of 16: 2117 held, 3610 at or after the one floor);
// on llama prefill, cut the same way, the floors per chip leave about what
// one floor leaves (the same after 15 of the 16 windows).
class WindowedEmitPerChip
    : public ::testing::TestWithParam<std::pair<const char *, bool>> {};

TEST_P(WindowedEmitPerChip, HeldFollowEachChipsFloor) {
  const char *model = GetParam().first;
  ScheduledProgram p;
  p.compile(model, "2");
  if (HasFatalFailure())
    return;
  ASSERT_EQ(verify::chipCount(*p.module), 2u);
  std::vector<size_t> valid = validCuts(p), cuts;
  const size_t windows = 16;
  ASSERT_GT(valid.size(), windows);
  for (size_t k = 1; k < windows; ++k)
    cuts.push_back(valid[valid.size() * k / windows]);
  std::vector<size_t> pending, onePending;
  std::vector<uint64_t> encoded, oneEncoded;
  std::vector<uint8_t> bytes =
      buildWindowed(p, cuts, {}, &pending, &encoded, /*perChip=*/true);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(buildWindowed(p, cuts, {}, &onePending, &oneEncoded), bytes);
  ASSERT_EQ(pending.size(), windows);
  ASSERT_EQ(onePending.size(), windows);
  std::vector<size_t> ends = cuts;
  ends.push_back(p.list.size());
  std::vector<std::vector<int64_t>> floors = chipFloors(p, ends);
  // Added instructions at or after their chip's floor, and at or after the
  // minimum of the floors.
  std::vector<size_t> unplaced, oneUnplaced;
  for (size_t k = 0; k < windows; ++k) {
    int64_t one = *std::min_element(floors[k].begin(), floors[k].end());
    size_t n = 0, m = 0;
    for (size_t i = 0; i < ends[k]; ++i) {
      const verify::SchedInst &s = p.list.at(i);
      n += s.cycle >= floors[k][s.chip];
      m += s.cycle >= one;
    }
    unplaced.push_back(n);
    oneUnplaced.push_back(m);
  }
  size_t tails = queueTails(p, bytes);
  if (HasFatalFailure())
    return;
  size_t fewer = 0;
  for (size_t k = 0; k < windows; ++k) {
    EXPECT_GE(pending[k], unplaced[k]) << "window " << k;
    EXPECT_LE(pending[k], unplaced[k] + tails) << "window " << k;
    EXPECT_GE(onePending[k], oneUnplaced[k]) << "window " << k;
    fewer += pending[k] < oneUnplaced[k];
  }
  if (GetParam().second)
    EXPECT_GT(fewer, 0u);
  EXPECT_EQ(unplaced.back(), 0u);
  std::cout << model << " on 2 chips, held after each of " << windows
            << " windows of " << p.list.size()
            << " instructions, floors per chip [one floor]:";
  for (size_t k = 0; k < windows; ++k)
    std::cout << " " << pending[k] << "(" << unplaced[k] << ")["
              << onePending[k] << "(" << oneUnplaced[k] << ")]";
  std::cout << "; (n): at or after the floor; queue tails at most " << tails
            << "; encoded before the last window " << encoded[windows - 2]
            << " [" << oneEncoded[windows - 2] << "]\n";
}

INSTANTIATE_TEST_SUITE_P(
    Examples, WindowedEmitPerChip,
    ::testing::Values(std::make_pair("llama/prefill/model.onnx", false),
                      std::make_pair("gpt2/prefill/model.onnx", true)));

// A chip's floor one too high is an error at the next window that has an
// instruction on that chip at the exact floor; so are floors of the wrong
// count and a chip's floor going down.
TEST(WindowedEmitMemory, ChipFloorBrokenIsAnError) {
  ScheduledProgram p;
  p.compile("llama/prefill/model.onnx", "2");
  if (HasFatalFailure())
    return;
  ASSERT_EQ(verify::chipCount(*p.module), 2u);
  std::vector<size_t> valid = validCuts(p);
  ASSERT_FALSE(valid.empty());
  // The last valid cut in the first half with instructions of both chips
  // after it, and its exact floors per chip.
  size_t cut = 0;
  std::vector<int64_t> floors;
  for (size_t v = valid.size() / 2 + 1; v-- > 0 && !cut;) {
    floors = chipFloors(p, {valid[v], p.list.size()})[0];
    if (floors[0] != INT64_MAX && floors[1] != INT64_MAX)
      cut = valid[v];
  }
  ASSERT_GT(cut, 0u);
  for (uint32_t c = 0; c < 2; ++c) {
    p.diagnostics.clear();
    std::vector<int64_t> high = floors;
    ++high[c];
    llvm::Expected<LpubinBuilder> b = LpubinBuilder::create(*p.module, {});
    ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
    verify::InstructionList first = window(p.list, 0, cut);
    ASSERT_FALSE(bool(b->addWindow(first, high)));
    verify::InstructionList second = window(p.list, cut, p.list.size());
    llvm::Error e = b->addWindow(second, INT64_MAX);
    ASSERT_TRUE(bool(e)) << "chip " << c;
    EXPECT_NE(llvm::toString(std::move(e)).find("before the floor"),
              std::string::npos);
    EXPECT_NE(p.diagnostics.find("before the emitter's floor " +
                                 std::to_string(high[c]) + " of chip " +
                                 std::to_string(c)),
              std::string::npos)
        << p.diagnostics;
  }
  {
    llvm::Expected<LpubinBuilder> b = LpubinBuilder::create(*p.module, {});
    ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
    verify::InstructionList first = window(p.list, 0, cut);
    llvm::Error e = b->addWindow(first, std::vector<int64_t>{0});
    ASSERT_TRUE(bool(e));
    EXPECT_NE(llvm::toString(std::move(e)).find("1 floors for 2 chips"),
              std::string::npos);
    ASSERT_FALSE(bool(b->addWindow(first, floors)));
    std::vector<int64_t> down = floors;
    --down[1];
    verify::InstructionList none = window(p.list, cut, cut);
    e = b->addWindow(none, down);
    ASSERT_TRUE(bool(e));
    EXPECT_NE(llvm::toString(std::move(e)).find("floor of chip 1 went down"),
              std::string::npos);
  }
}

// A window with an instruction before the previous floor is an error (the
// queues placed before it would be wrong).
TEST(WindowedEmitMemory, FloorBrokenIsAnError) {
  ScheduledProgram p;
  p.compile("mlp/model.onnx", "1");
  if (HasFatalFailure())
    return;
  std::vector<size_t> valid = validCuts(p);
  ASSERT_FALSE(valid.empty());
  size_t cut = valid[valid.size() / 2];
  int64_t floor = INT64_MAX;
  for (size_t i = cut; i < p.list.size(); ++i)
    floor = std::min<int64_t>(floor, p.list.at(i).cycle);
  llvm::Expected<LpubinBuilder> b = LpubinBuilder::create(*p.module, {});
  ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
  verify::InstructionList first = window(p.list, 0, cut);
  ASSERT_FALSE(bool(b->addWindow(first, floor + 1)));
  verify::InstructionList second = window(p.list, cut, p.list.size());
  llvm::Error e = b->addWindow(second, INT64_MAX);
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find("before the floor"),
            std::string::npos);
  EXPECT_NE(p.diagnostics.find("before the emitter's floor"),
            std::string::npos);
}

} // namespace
