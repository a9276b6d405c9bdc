//===- BrokenScheduleTest.cpp - A mis-timed program is always an error ----===//
//
// Compiles the shipped MLP through the real pipeline, moves one instruction
// one cycle early, and checks that both the schedule verifier (on the IR)
// and the emulator (on the emitted binary) reject it with a message naming
// the unit and the cycle; the untouched program runs and matches.
//
//===----------------------------------------------------------------------===//

#include "compiler/import/onnx/OnnxImport.h"
#include "compiler/pipelines/Pipeline.h"
#include "compiler/pipelines/Registration.h"
#include "compiler/target/lpubin/Emit.h"
#include "dialects/lpuhw/LpuhwOps.h"
#include "passes/verify/Passes.h"
#include "runtime/api/Runtime.h"
#include "runtime/api/TensorFile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <set>
#include <string>

using namespace mlir;

namespace {

const std::string kMlp = LPUC_SOURCE_DIR "/examples/mlp";

struct Compiled {
  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
  std::string diagnostics;
  std::unique_ptr<ScopedDiagnosticHandler> handler;

  Compiled() {
    DialectRegistry registry;
    lpuc::registerAllDialects(registry);
    lpuc::registerAllPasses();
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
    handler =
        std::make_unique<ScopedDiagnosticHandler>(&ctx, [this](Diagnostic &d) {
          diagnostics += d.str() + "\n";
          return success();
        });
  }
};

/// Scheduled lpuhw of the MLP.
void compileMlp(Compiled &c) {
  auto module = lpuc::importOnnxModel(c.ctx, kMlp + "/model.onnx", {});
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  c.module = std::move(*module);
  lpuc::CompileOptions opts;
  opts.emit = lpuc::EmitKind::Lpuhw;
  ASSERT_TRUE(succeeded(lpuc::runCompilePipeline(*c.module, opts)))
      << c.diagnostics;
}

/// A mem_write (it reads a stream) whose queue is idle in the cycle before
/// it, so that moving it one cycle early breaks timing, not queue order.
lpuc::lpuhw::MemWriteOp pickVictim(ModuleOp module) {
  std::map<int32_t, std::set<int64_t>> busy; // slice -> issue cycles
  module.walk([&](Operation *op) {
    if (auto r = dyn_cast<lpuc::lpuhw::MemReadOp>(op))
      busy[r.getSlice()].insert(*r.getCycle());
    if (auto w = dyn_cast<lpuc::lpuhw::MemWriteOp>(op))
      busy[w.getSlice()].insert(*w.getCycle());
  });
  lpuc::lpuhw::MemWriteOp victim;
  module.walk([&](lpuc::lpuhw::MemWriteOp w) {
    if (!victim && !busy[w.getSlice()].count(*w.getCycle() - 1))
      victim = w;
  });
  return victim;
}

absl::StatusOr<lpuc::rt::RunStats> runOnEmulator(std::vector<uint8_t> bytes) {
  auto program = lpuc::rt::Program::fromBytes(std::move(bytes));
  if (!program.ok())
    return program.status();
  lpuc::rt::Session session(*program);
  auto x = lpuc::rt::readTensorFile(kMlp + "/test_data_set_0/input_0.pb");
  if (!x.ok())
    return x.status();
  if (absl::Status s = session.setInput("x", *x); !s.ok())
    return s;
  return session.run();
}

TEST(BrokenSchedule, CorrectProgramRunsAtThePredictedCycle) {
  Compiled c;
  compileMlp(c);
  auto bytes = lpuc::emitLpubin(*c.module, {});
  ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  int64_t predicted =
      (*c.module)->getAttrOfType<IntegerAttr>("lpuhw.cycles").getInt();
  auto stats = runOnEmulator(*bytes);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(int64_t(stats->cycles), predicted);
}

TEST(BrokenSchedule, OneCycleEarlyIsCaughtByVerifierAndEmulator) {
  Compiled c;
  compileMlp(c);
  lpuc::lpuhw::MemWriteOp victim = pickVictim(*c.module);
  ASSERT_TRUE(victim) << "no movable mem_write in the MLP";
  int64_t cycle = *victim.getCycle() - 1;
  victim.setCycle(cycle);
  std::string slice = std::to_string(
      victim.getSlice() < 44 ? victim.getSlice() : victim.getSlice() - 44);
  std::string at = "cycle " + std::to_string(cycle);

  // The verifier, on the IR.
  auto machine = lpuc::lpuhw::getMachine(*c.module);
  ASSERT_TRUE(succeeded(machine));
  c.diagnostics.clear();
  EXPECT_TRUE(failed(lpuc::verify::verifySchedule(*c.module, **machine)));
  EXPECT_NE(c.diagnostics.find("MEM-"), std::string::npos) << c.diagnostics;
  EXPECT_NE(c.diagnostics.find(slice), std::string::npos) << c.diagnostics;
  EXPECT_NE(c.diagnostics.find(at), std::string::npos) << c.diagnostics;

  // The emulator, on the binary (emitted without the verifier's guard).
  lpuc::EmitOptions opts;
  opts.verify = false;
  auto bytes = lpuc::emitLpubin(*c.module, opts);
  ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  auto stats = runOnEmulator(*bytes);
  ASSERT_FALSE(stats.ok()) << "a mis-timed program ran to completion";
  std::string msg(stats.status().message());
  EXPECT_NE(msg.find("MEM-"), std::string::npos) << msg;
  EXPECT_NE(msg.find(slice), std::string::npos) << msg;
  EXPECT_NE(msg.find(at), std::string::npos) << msg;
  // Shown in the test log, so a reader sees what a user would.
  std::cout << "verifier: " << c.diagnostics << "emulator: " << msg << "\n";
}

} // namespace
