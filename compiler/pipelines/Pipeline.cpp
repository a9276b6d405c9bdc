#include "compiler/pipelines/Pipeline.h"

#include "compiler/target/lpubin/Emit.h"
#include "dialects/lpuhw/LpuhwDialect.h"
#include "runtime/isa/Machine.h"
#include "runtime/schema/lpubin.pb.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <map>

using namespace mlir;

namespace lpuc {

std::string pipelineFor(const CompileOptions &opts) {
  // The contents of the module's pass manager (no `builtin.module(...)`
  // wrapper: that would nest a pipeline on modules inside the module).
  if (opts.emit == EmitKind::Onnx)
    return "";
  std::string p =
      "onnx-to-lpu,canonicalize,lpu-precision{precision=" + opts.precision +
      "},canonicalize";
  if (opts.fuse)
    p += ",lpu-fuse";
  if (opts.emit != EmitKind::Lpu)
    p += ",lpu-partition{chips=" + opts.chips +
         "},lpu-to-lpuhw,lpuhw-schedule,lpuhw-verify-schedule";
  return p;
}

static std::string humanBytes(uint64_t b) {
  if (b >= (uint64_t(1) << 20))
    return llvm::formatv("{0:F2} MiB", double(b) / double(1 << 20)).str();
  if (b >= 1024)
    return llvm::formatv("{0:F1} KiB", double(b) / 1024.0).str();
  return std::to_string(b) + " B";
}

/// The compile report: what the binary will do, predicted from the static
/// schedule (the emulator must measure the same cycle count).
static std::string report(const schema::Manifest &m) {
  std::string s;
  llvm::raw_string_ostream os(s);
  const schema::Stats &st = m.predicted();
  double us = double(st.cycles()) / m.target().clock_hz() * 1e6;
  os << "target " << m.target().name() << ", precision " << m.precision()
     << ", " << m.chip_count() << " chip(s)\n";
  os << "predicted cycles: " << st.cycles() << " ("
     << llvm::formatv("{0:F3}", us) << " us at "
     << llvm::formatv("{0:F0}", m.target().clock_hz() / 1e6) << " MHz)\n";
  os << "instructions: " << st.instructions() << "\n";
  for (const schema::UnitStats &u : st.units())
    os << "  " << u.unit() << ": " << u.busy_cycles() << " busy cycles over "
       << u.queues() << " queues\n";
  // The critical path by unit, then the stages (the longest first, at most
  // 12).
  if (st.critical_path_size() > 0) {
    std::map<std::string, uint64_t> byUnit;
    for (const schema::PathPart &p : st.critical_path())
      byUnit[p.unit()] += p.cycles();
    os << "critical path:";
    for (const char *u : {"mxm", "vxm", "sxm", "mem", "c2c", "wait"})
      if (byUnit.count(u))
        os << " " << u << " " << byUnit[u] << " ("
           << llvm::formatv("{0:F1}",
                            100.0 * double(byUnit[u]) /
                                double(std::max<uint64_t>(st.cycles(), 1)))
           << "%)";
    os << "\n";
  }
  if (st.stages_size() > 0) {
    std::map<std::string, uint64_t> onPath;
    for (const schema::PathPart &p : st.critical_path())
      onPath[p.stage()] += p.cycles();
    std::vector<const schema::Stage *> longest;
    for (const schema::Stage &g : st.stages())
      longest.push_back(&g);
    std::sort(longest.begin(), longest.end(), [](auto *a, auto *b) {
      uint64_t la = a->end_cycle() - a->first_cycle();
      uint64_t lb = b->end_cycle() - b->first_cycle();
      return la != lb ? la > lb : a->name() < b->name();
    });
    if (longest.size() > 12)
      longest.resize(12);
    os << "stages (" << st.stages_size() << ", cycles first..end, "
       << "instructions, cycles on the critical path):\n";
    for (const schema::Stage &g : st.stages())
      if (std::find(longest.begin(), longest.end(), &g) != longest.end())
        os << "  " << g.name() << ": " << g.first_cycle() << ".."
           << g.end_cycle() << ", " << g.instructions() << ", "
           << onPath[g.name()] << "\n";
  }
  // SRAM per chip by kind, as a share of the chip's capacity (instructions
  // count too: they live in MEM). No KV caches exist yet: 0.
  uint64_t capacity = isa::Machine(m.target()).sramBytes();
  auto share = [&](uint64_t b) {
    return humanBytes(b) + " (" +
           llvm::formatv("{0:F2}", capacity ? 100.0 * double(b) / capacity : 0)
               .str() +
           "%)";
  };
  os << "chips: " << m.chip_count() << ", SRAM " << humanBytes(capacity)
     << " per chip\n";
  for (const schema::ChipProgram &c : m.chips()) {
    uint64_t total = c.sram_weight_bytes() + c.sram_activation_bytes() +
                     c.sram_instruction_bytes() + c.sram_kv_cache_bytes();
    os << "chip " << c.chip() << " SRAM: weights "
       << share(c.sram_weight_bytes()) << ", activations "
       << share(c.sram_activation_bytes()) << ", instructions "
       << share(c.sram_instruction_bytes()) << ", kv_cache "
       << share(c.sram_kv_cache_bytes()) << "; total " << share(total) << "\n";
  }
  return s;
}

FailureOr<CompileResult> runCompilePipeline(ModuleOp module,
                                            const CompileOptions &opts) {
  MLIRContext *ctx = module.getContext();
  module->setAttr(lpuhw::kTargetAttrName, StringAttr::get(ctx, opts.target));
  PassManager pm(ctx);
  std::string pipeline = pipelineFor(opts);
  std::string parseErrors;
  llvm::raw_string_ostream errs(parseErrors);
  if (failed(parsePassPipeline(pipeline, pm, errs)))
    return emitError(module.getLoc())
           << "internal: bad pipeline '" << pipeline << "': " << parseErrors;
  if (opts.printIrAfterAll) {
    ctx->disableMultithreading();
    pm.enableIRPrinting();
  }
  if (failed(pm.run(module)))
    return failure();
  CompileResult result;
  if (opts.emit != EmitKind::Bin)
    return result;
  EmitOptions emitOpts;
  emitOpts.modelName = opts.modelName;
  emitOpts.precision = opts.precision;
  emitOpts.verify = false; // lpuhw-verify-schedule ran in the pipeline
  llvm::Expected<std::vector<uint8_t>> bytes = emitLpubin(module, emitOpts);
  if (!bytes)
    return emitError(module.getLoc()) << llvm::toString(bytes.takeError());
  result.binary = std::move(*bytes);
  absl::StatusOr<format::Lpubin> parsed = format::readLpubin(result.binary);
  if (!parsed.ok())
    return emitError(module.getLoc())
           << "internal: emitted binary does not verify: "
           << parsed.status().message();
  // Instruction streams live in SRAM too (ARCH.md section 2): weights,
  // activations and instructions together must fit each chip.
  const schema::Manifest &m = parsed->manifest;
  uint64_t capacity = isa::Machine(m.target()).sramBytes();
  for (const schema::ChipProgram &c : m.chips()) {
    uint64_t used = c.sram_weight_bytes() + c.sram_activation_bytes() +
                    c.sram_instruction_bytes() + c.sram_kv_cache_bytes();
    if (used > capacity)
      return emitError(module.getLoc())
             << "program does not fit chip " << c.chip() << " of "
             << m.target().name() << ": weights "
             << humanBytes(c.sram_weight_bytes()) << " + activations "
             << humanBytes(c.sram_activation_bytes()) << " + instructions "
             << humanBytes(c.sram_instruction_bytes()) << " + kv_cache "
             << humanBytes(c.sram_kv_cache_bytes()) << " = " << humanBytes(used)
             << " > " << humanBytes(capacity) << " of SRAM ("
             << humanBytes(used - capacity) << " short)";
  }
  result.report = report(m);
  return result;
}

} // namespace lpuc
