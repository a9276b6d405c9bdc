#include "compiler/pipelines/Pipeline.h"

#include "compiler/target/lpubin/Emit.h"
#include "dialects/lpuhw/LpuhwDialect.h"
#include "passes/layout/Passes.h"
#include "passes/schedule/Passes.h"
#include "passes/verify/Passes.h"
#include "passes/verify/ScheduleChecker.h"
#include "runtime/isa/Machine.h"
#include "runtime/schema/lpubin.pb.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

using namespace mlir;

namespace lpuc {

std::string frontPipelineFor(const CompileOptions &opts) {
  // The contents of the module's pass manager (no `builtin.module(...)`
  // wrapper: that would nest a pipeline on modules inside the module).
  if (opts.emit == EmitKind::Onnx)
    return "";
  std::string p =
      "onnx-to-lpu,canonicalize,lpu-precision{precision=" + opts.precision;
  if (!opts.weightDir.empty())
    p += " weight-dir=\"" + opts.weightDir + "\"";
  p += "},canonicalize";
  if (opts.fuse)
    p += ",lpu-fuse";
  return p;
}

std::string backPipelineFor(const CompileOptions &opts) {
  if (opts.emit == EmitKind::Onnx || opts.emit == EmitKind::Lpu)
    return "";
  return "lpu-partition{chips=" + opts.chips +
         " fill=" + llvm::formatv("{0:F4}", opts.fill).str() +
         "},lpu-to-lpuhw,lpuhw-schedule{window=" +
         std::to_string(opts.scheduleWindow) +
         " floor-lag=" + std::to_string(opts.floorLag) +
         "},lpuhw-verify-schedule";
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
    return isa::humanBytes(b) + " (" +
           llvm::formatv("{0:F2}", capacity ? 100.0 * double(b) / capacity : 0)
               .str() +
           "%)";
  };
  os << "chips: " << m.chip_count() << ", SRAM " << isa::humanBytes(capacity)
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

/// How lpu-partition spread the model (the module's lpu.partition).
static std::string partitionReport(ModuleOp module) {
  auto p = module->getAttrOfType<DictionaryAttr>("lpu.partition");
  if (!p)
    return "";
  std::string s;
  llvm::raw_string_ostream os(s);
  auto chips = p.getAs<IntegerAttr>("chips");
  auto requested = p.getAs<StringAttr>("requested");
  auto est = p.getAs<ArrayAttr>("estimated");
  unsigned split = 0, parts = 0;
  module.walk([&](Operation *op) {
    if (auto a = op->getAttrOfType<DenseI64ArrayAttr>("lpu.split")) {
      ++parts;
      split += a[0] == 0;
    }
  });
  os << "partition: " << (chips ? chips.getInt() : 1) << " chip(s), "
     << (requested && requested.getValue() == "auto"
             ? "the fewest whose SRAM holds the model (--chips auto)"
             : "as asked (--chips " +
                   (requested ? requested.getValue().str() : "?") + ")")
     << "; pipeline stages in program order";
  if (parts)
    os << "; tensor/row parallel: ops split into " << parts
       << " parts (lpu.split)";
  os << "\n";
  if (est && !est.empty()) {
    uint64_t lo = UINT64_MAX, hi = 0;
    for (Attribute a : est) {
      uint64_t v = uint64_t(cast<IntegerAttr>(a).getInt());
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    auto cap = p.getAs<IntegerAttr>("capacity");
    os << "  estimated SRAM per stage: " << isa::humanBytes(lo) << " .. "
       << isa::humanBytes(hi);
    if (cap)
      os << " of " << isa::humanBytes(uint64_t(cap.getInt()));
    os << "\n";
  }
  return s;
}

/// LPUC_DEBUG_MEMORY=1: the heap in use and the process's peak resident set
/// after each pass (where compile memory goes; bench/README.md). It resets
/// the kernel's peak after each line, so a process measured from outside
/// (`/usr/bin/time`) sees only its last stretch's peak: measure without it.
namespace {
struct MemoryInstrumentation : public PassInstrumentation {
  /// The peak since the previous line (VmHWM, reset after each line
  /// through /proc/self/clear_refs) and the peak so far.
  static void print(llvm::StringRef what) {
    static long overallKb = 0;
    struct mallinfo2 mi = mallinfo2();
    long peakKb = 0;
    if (FILE *f = std::fopen("/proc/self/status", "r")) {
      char line[256];
      while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "VmHWM: %ld kB", &peakKb) == 1)
          break;
      std::fclose(f);
    }
    overallKb = std::max(overallKb, peakKb);
    llvm::errs() << llvm::formatv(
        "lpuc: memory after {0}: heap {1:F1} MiB, peak RSS {2:F1} MiB (since "
        "the last line {3:F1} MiB)\n",
        what, double(mi.uordblks + mi.hblkhd) / 1048576.0,
        double(overallKb) / 1024.0, double(peakKb) / 1024.0);
    if (FILE *f = std::fopen("/proc/self/clear_refs", "w")) {
      std::fputs("5", f);
      std::fclose(f);
    }
  }
  void runAfterPass(Pass *pass, Operation *) override {
    print(pass->getArgument());
  }
};
bool debugMemory() {
  const char *d = getenv("LPUC_DEBUG_MEMORY");
  return d && *d && *d != '0';
}

/// After each pass, the free pages inside the heap go back to the system
/// (malloc_trim): a pass's many small allocations (the scheduler's stream
/// reservations, hash map nodes), once freed, otherwise stay resident under
/// the next pass's tables.
struct TrimInstrumentation : public PassInstrumentation {
  void runAfterPass(Pass *, Operation *) override { malloc_trim(0); }
};
} // namespace

void printDebugMemory(llvm::StringRef what) {
  if (debugMemory())
    MemoryInstrumentation::print(what);
}

/// Runs the textual pass pipeline `pipeline` on `module`.
static LogicalResult runPipeline(ModuleOp module, const std::string &pipeline,
                                 const CompileOptions &opts) {
  if (pipeline.empty())
    return success();
  MLIRContext *ctx = module.getContext();
  PassManager pm(ctx);
  std::string parseErrors;
  llvm::raw_string_ostream errs(parseErrors);
  if (failed(parsePassPipeline(pipeline, pm, errs)))
    return emitError(module.getLoc())
           << "internal: bad pipeline '" << pipeline << "': " << parseErrors;
  if (opts.printIrAfterAll) {
    ctx->disableMultithreading();
    pm.enableIRPrinting();
  }
  pm.addInstrumentation(std::make_unique<TrimInstrumentation>());
  if (debugMemory())
    pm.addInstrumentation(std::make_unique<MemoryInstrumentation>());
  return pm.run(module);
}

/// Per source location (ONNX node): how much more SRAM the ops of that
/// location needed on a chip that overflowed than lpu-partition estimated.
using InstructionScales = llvm::DenseMap<Attribute, double>;

/// One compile of the back half (partition to verified schedule, then the
/// binary); `overflow` is set (and no error emitted) when the binary does
/// not fit some chip's SRAM and `mayRetry` holds: the largest ratio of a
/// chip's use to its capacity; `scales` then gets, for the location of each
/// op lpu-partition placed on such a chip, the chip's use over its
/// estimated load (the largest if the location is on several).
static FailureOr<CompileResult> compileOnce(ModuleOp module,
                                            const CompileOptions &opts,
                                            bool mayRetry, double &overflow,
                                            InstructionScales &scales) {
  std::string back = backPipelineFor(opts);
  // The chip of each op as lpu-partition placed it (lpu-to-lpuhw replaces
  // the ops), to blame the ops of a chip that overflows.
  std::vector<std::pair<Attribute, uint32_t>> opChips;
  std::vector<uint64_t> estimated;
  if (size_t cut = back.find(",lpu-to-lpuhw");
      mayRetry && cut != std::string::npos) {
    if (failed(runPipeline(module, back.substr(0, cut), opts)))
      return failure();
    back = back.substr(cut + 1);
    if (auto main = module.lookupSymbol<func::FuncOp>("main"))
      for (Operation &op : main.getBody().front().without_terminator())
        if (auto c = op.getAttrOfType<IntegerAttr>("lpu.chip"))
          opChips.push_back({op.getLoc(), uint32_t(c.getInt())});
    if (auto p = module->getAttrOfType<DictionaryAttr>("lpu.partition"))
      if (auto est = p.getAs<ArrayAttr>("estimated"))
        for (Attribute a : est)
          estimated.push_back(uint64_t(cast<IntegerAttr>(a).getInt()));
  }
  CompileResult result;
  EmitOptions emitOpts;
  emitOpts.modelName = opts.modelName;
  emitOpts.precision = opts.precision;
  emitOpts.verify = false; // verified below or by lpuhw-verify-schedule
  emitOpts.withoutWeights = opts.plan;
  emitOpts.instructionDir = opts.instructionDir;
  if (opts.emit != EmitKind::Bin) {
    // The lpuhw IR is the output (or feeds --emit asm): the passes.
    if (failed(runPipeline(module, back, opts)))
      return failure();
    return result;
  }
  {
    // The binary: lpu-to-lpuhw streams its instructions in chunks of about
    // `scheduleWindow`; each is scheduled (one window), collected and
    // erased, so the lowered program is never whole in memory. The same
    // steps as the passes lpu-to-lpuhw, lpuhw-schedule{window},
    // lpuhw-verify-schedule (which cut windows at other points).
    if (size_t cut = back.find("lpu-to-lpuhw"); cut != std::string::npos) {
      std::string before = back.substr(0, cut);
      if (!before.empty() && before.back() == ',')
        before.pop_back();
      if (failed(runPipeline(module, before, opts)))
        return failure();
    }
    FailureOr<std::unique_ptr<isa::Machine>> machine =
        lpuhw::getMachine(module);
    if (failed(machine))
      return failure();
    auto scheduler = std::make_unique<sched::WindowScheduler>(
        module, **machine, sched::kDefaultHorizon, opts.floorLag);
    // Each window is scheduled, collected, verified and emitted as soon as
    // lpu-to-lpuhw has lowered it: the checker and the builder keep only
    // what instructions at or after the scheduler's floor (which no later
    // window goes below) still need, so no record outlives its window.
    std::optional<verify::ScheduleChecker> checker;
    std::optional<LpubinBuilder> builder;
    size_t count = 0;
    bool started = false;
    auto start = [&]() -> LogicalResult {
      // lpu-to-lpuhw has set lpuhw.chips by the first chunk.
      started = true;
      if (failed(scheduler->init()))
        return failure();
      checker.emplace(module, **machine, verify::chipCount(module));
      llvm::Expected<LpubinBuilder> b = LpubinBuilder::create(module, emitOpts);
      if (!b)
        return emitError(module.getLoc()) << llvm::toString(b.takeError());
      builder.emplace(std::move(*b));
      return success();
    };
    auto add = [&](const verify::InstructionList &window,
                   ArrayRef<int64_t> floors) -> LogicalResult {
      if (failed(checker->addWindow(window, floors)))
        return failure();
      if (llvm::Error e = builder->addWindow(window, floors))
        return emitError(module.getLoc()) << llvm::toString(std::move(e));
      return success();
    };
    auto sink = [&](ArrayRef<Operation *> ops) -> LogicalResult {
      if (!started && failed(start()))
        return failure();
      if (failed(scheduler->schedule(ops)))
        return failure();
      verify::InstructionList window;
      window.base = count;
      if (failed(verify::appendInstructions(ops, **machine,
                                            verify::chipCount(module), window)))
        return failure();
      count += window.size();
      const std::vector<int64_t> &floors = scheduler->floors();
      LogicalResult r = add(window, floors);
      if (debugMemory()) {
        verify::ScheduleChecker::Kept k = checker->kept();
        MemoryInstrumentation::print(
            "chunk of " + std::to_string(ops.size()) + ", total " +
            std::to_string(count) + " (floor " +
            std::to_string(*llvm::min_element(floors)) + "; checker keeps " +
            std::to_string(k.instructions()) + ", emitter " +
            std::to_string(builder->pending()) + ")");
      }
      return r;
    };
    if (failed(layout::lowerToLpuhw(
            module, **machine, sink,
            size_t(std::max<int64_t>(0, opts.scheduleWindow)))))
      return failure();
    if (!started && failed(start()))
      return failure();
    scheduler->finish(); // lpuhw.cycles and the critical path
    scheduler.reset();   // its tables are not needed any more
    // Everything is final: what the checker and the builder still hold.
    verify::InstructionList none;
    none.base = count;
    std::vector<int64_t> end(verify::chipCount(module),
                             verify::ScheduleChecker::kNoLaterWindow);
    if (failed(add(none, end)))
      return failure();
    if (failed(checker->finish()))
      return failure();
    checker.reset();
    if (debugMemory())
      MemoryInstrumentation::print(
          "lpu-to-lpuhw + lpuhw-schedule + lpuhw-verify-schedule (streamed)");
    malloc_trim(0);
    llvm::Expected<LpubinImage> image = builder->finish();
    if (!image)
      return emitError(module.getLoc()) << llvm::toString(image.takeError());
    result.image = std::move(*image);
  }
  if (debugMemory())
    MemoryInstrumentation::print("emit (instruction streams built)");
  // Instruction streams live in SRAM too (ARCH.md section 2): weights,
  // activations and instructions together must fit each chip.
  const schema::Manifest &m = result.image->manifest;
  uint64_t capacity = isa::Machine(m.target()).sramBytes();
  overflow = 0;
  for (const schema::ChipProgram &c : m.chips()) {
    uint64_t used = c.sram_weight_bytes() + c.sram_activation_bytes() +
                    c.sram_instruction_bytes() + c.sram_kv_cache_bytes();
    if (used <= capacity)
      continue;
    if (mayRetry) {
      overflow = std::max(overflow, double(used) / double(capacity));
      if (c.chip() < estimated.size() && estimated[c.chip()] > 0) {
        // 5% more: a retry that lands just over again costs a whole compile.
        double ratio = 1.05 * double(used) / double(estimated[c.chip()]);
        for (const auto &[loc, chip] : opChips)
          if (chip == c.chip()) {
            double &s = scales[loc];
            s = std::max(s, ratio);
          }
      }
      continue;
    }
    return emitError(module.getLoc())
           << "program does not fit chip " << c.chip() << " of "
           << m.target().name() << ": weights "
           << isa::humanBytes(c.sram_weight_bytes()) << " + activations "
           << isa::humanBytes(c.sram_activation_bytes()) << " + instructions "
           << isa::humanBytes(c.sram_instruction_bytes()) << " + kv_cache "
           << isa::humanBytes(c.sram_kv_cache_bytes()) << " = "
           << isa::humanBytes(used) << " > " << isa::humanBytes(capacity)
           << " of SRAM (" << isa::humanBytes(used - capacity) << " short)";
  }
  if (overflow > 0)
    return result;
  result.report = partitionReport(module) + report(m);
  return result;
}

/// Frees the data of every resource blob no attribute of `module` refers
/// to. Blobs belong to the context's resource manager, which keeps them
/// after their last reference: the constants a failed partition attempt
/// folded (transposed or sliced weights, on the heap) would otherwise stay
/// through every later attempt.
static void releaseUnusedBlobs(ModuleOp module) {
  llvm::StringSet<> used;
  module.walk([&](Operation *op) {
    op->getAttrDictionary().walk([&](DenseResourceElementsAttr a) {
      used.insert(a.getRawHandle().getKey());
    });
  });
  DialectResourceBlobManager &manager =
      DenseResourceElementsHandle::getManagerInterface(module.getContext())
          .getBlobManager();
  std::vector<std::string> unused;
  manager.getBlobMap(
      [&](const llvm::StringMap<DialectResourceBlobManager::BlobEntry> &map) {
        for (const auto &entry : map)
          if (entry.second.getBlob() && !used.contains(entry.first()))
            unused.push_back(entry.first().str());
      });
  for (const std::string &key : unused)
    if (DialectResourceBlobManager::BlobEntry *e = manager.lookup(key))
      e->setBlob(AsmResourceBlob());
}

FailureOr<CompileResult> runCompilePipeline(ModuleOp module,
                                            const CompileOptions &opts) {
  MLIRContext *ctx = module.getContext();
  module->setAttr(lpuhw::kTargetAttrName, StringAttr::get(ctx, opts.target));
  // The front half (conversion, precision, fusion) runs once; lpu-precision
  // releases the f32 weights it narrowed, so the imported ones are not held
  // while the back half runs.
  if (failed(runPipeline(module, frontPipelineFor(opts), opts)))
    return failure();
  // lpu-partition estimates each stage's SRAM before scheduling; when the
  // binary shows a chip over its SRAM (instruction streams with their NOPs
  // are known only after scheduling), the partition is made again, from a
  // copy of the module as the front half left it, with its budget scaled
  // down by the measured overshoot. The copy shares the weights (attributes
  // and blobs of the context) with the module.
  bool retry = opts.emit == EmitKind::Bin && opts.chips != "1";
  OwningOpRef<ModuleOp> original;
  CompileOptions o = opts;
  constexpr int kAttempts = 6;
  for (int attempt = 0;; ++attempt) {
    bool last = attempt + 1 == kAttempts;
    if (retry && !last)
      original = module.clone();
    double overflow = 0;
    InstructionScales scales;
    FailureOr<CompileResult> r =
        compileOnce(module, o, retry && !last, overflow, scales);
    if (failed(r) || overflow == 0)
      return r;
    // Start again from the front half's module. On small targets (less
    // than 16 MiB of SRAM per chip, where instructions are most of a chip)
    // the ops of the chips that overflowed carry `lpu.instruction_scale`
    // (multiplied in at every retry): lpu-partition counts their cost that
    // much higher, so it splits them further or gives them more room, and
    // the other chips keep their budget. Otherwise (and when no op got a
    // scale), the budget is scaled down by the overshoot: on lpu-v1 chips,
    // weights dominate and a uniform cut fits (GPT-2-small in fp16 on 4
    // chips), while scaling the ops of the chip that overflowed split its
    // matmuls into pieces whose layout no longer fit one slice group.
    module.getBodyRegion().takeBody(original->getBodyRegion());
    module->setAttrs((*original)->getAttrDictionary());
    r = failure(); // the attempt's binary image
    releaseUnusedBlobs(module);
    bool small = false;
    if (FailureOr<std::unique_ptr<isa::Machine>> m = lpuhw::getMachine(module);
        succeeded(m))
      small = (*m)->sramBytes() < (uint64_t(16) << 20);
    size_t scaled = 0;
    if (auto main = module.lookupSymbol<func::FuncOp>("main"); main && small)
      for (Operation &op : main.getBody().front().without_terminator()) {
        auto it = scales.find(op.getLoc());
        if (it == scales.end() || it->second <= 1.0)
          continue;
        double s = it->second;
        if (auto old = op.getAttrOfType<FloatAttr>("lpu.instruction_scale"))
          s *= old.getValueAsDouble();
        op.setAttr("lpu.instruction_scale",
                   FloatAttr::get(Float64Type::get(ctx), s));
        ++scaled;
      }
    if (scaled == 0)
      o.fill = o.fill / overflow * 0.97;
    if (const char *d = getenv("LPUC_DEBUG_PARTITION"); d && *d)
      llvm::errs() << "lpuc: attempt " << attempt + 1 << " overflow "
                   << overflow << ", " << scaled << " ops scaled, fill now "
                   << o.fill << "\n";
  }
}

} // namespace lpuc
