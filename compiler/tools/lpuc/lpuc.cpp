//===- lpuc.cpp - the lpuc compiler driver --------------------------------===//
//
// lpuc MODEL.onnx [-o OUT] [--target NAME|FILE] [--precision fp32|fp16|bf16]
//      [--fuse=true|false] [--chips auto|N] [--schedule-window N]
//      [--schedule-floor-lag N]
//      [--emit onnx|lpu|lpuhw|asm|bin] [--freeze NAME=FILE]...
//      [--dim NAME=N]... [--mlir-print-ir-after-all] [--mlir-print-debuginfo]
// lpuc --list-ops   (supported ONNX op types and since-versions)
// lpuc plan MODEL.onnx [same options but -o/--emit]   (the compile report,
//      no binary; weights without their external data are planned from
//      their shapes)
//
// Built with -fexceptions for CLI11 only. Every error is one line
// `lpuc: error: ...` on stderr with exit code 1; usage errors exit 2.
//
//===----------------------------------------------------------------------===//

#include "compiler/import/onnx/OnnxImport.h"
#include "compiler/pipelines/Pipeline.h"
#include "compiler/pipelines/Registration.h"
#include "compiler/target/lpubin/Emit.h"
#include "dialects/onnx/OnnxDialect.h"
#include "passes/conversion/Passes.h"
#include "runtime/isa/Isa.h"
#include "runtime/isa/Machine.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>

#include <malloc.h>

#include <string>
#include <utility>
#include <vector>

namespace lpuc {
namespace {

/// Everything the command line says. Later stages (compiler/pipelines) read
/// it from runStages().
struct DriverOptions {
  std::string model;
  std::string output;             // "" = default for the emit kind
  std::string target = "lpu-v1";  // a known target name or a target file
  std::string precision = "fp32"; // fp32 | fp16 | bf16
  std::string emit = "bin";       // onnx | lpu | lpuhw | asm | bin
  std::string chips = "auto";     // auto | N
  std::vector<std::pair<std::string, std::string>> freeze; // NAME -> FILE
  std::vector<std::pair<std::string, int64_t>> dims;       // NAME -> VALUE
  bool printIrAfterAll = false;
  bool printDebugInfo = false;
  bool fuse = true;
  int64_t scheduleWindow = int64_t(1) << 18;
  int64_t floorLag = lpuc::CompileOptions().floorLag;
  /// `lpuc plan MODEL`: the compile's report without a binary, from the
  /// weights' shapes (their data may be absent).
  bool plan = false;
};

int error(const llvm::Twine &msg) {
  llvm::errs() << "lpuc: error: " << msg << "\n";
  return 1;
}

/// Prints `op` (with its resources) to the output file of `opts` ("-" or ""
/// = stdout).
int printModule(const DriverOptions &opts, mlir::ModuleOp module) {
  std::string errorMessage;
  std::string path = opts.output.empty() ? "-" : opts.output;
  auto out = mlir::openOutputFile(path, &errorMessage);
  if (!out)
    return error(errorMessage);
  mlir::OpPrintingFlags flags;
  if (opts.printDebugInfo)
    flags.enableDebugInfo();
  module->print(out->os(), flags); // not `os << module`: keeps resources
  out->keep();
  return 0;
}

/// Everything after import: the pass pipeline up to the requested stage, then
/// that stage's output.
int runStages(const DriverOptions &opts, mlir::MLIRContext &ctx,
              mlir::ModuleOp module) {
  if (opts.emit == "onnx")
    return printModule(opts, module);
  CompileOptions copts;
  copts.target = opts.target;
  copts.precision = opts.precision;
  copts.chips = opts.chips;
  copts.fuse = opts.fuse;
  copts.scheduleWindow = opts.scheduleWindow;
  copts.floorLag = opts.floorLag;
  copts.emit = llvm::StringSwitch<EmitKind>(opts.emit)
                   .Case("lpu", EmitKind::Lpu)
                   .Case("lpuhw", EmitKind::Lpuhw)
                   .Case("asm", EmitKind::Asm)
                   .Default(EmitKind::Bin);
  copts.modelName = llvm::sys::path::filename(opts.model).str();
  // Narrowed weights and encoded instruction streams wait in temporary
  // files next to the output (the file system the binary goes to), or in
  // the temporary directory for stdout (and for a plan).
  {
    llvm::SmallString<256> dir;
    if (!opts.plan && !opts.output.empty() && opts.output != "-") {
      dir = llvm::sys::path::parent_path(opts.output);
      if (dir.empty())
        dir = ".";
    } else {
      llvm::sys::path::system_temp_directory(/*erasedOnReboot=*/true, dir);
    }
    copts.instructionDir = std::string(dir);
    // (The pass option's quoting has no escape for '"'.)
    if (!opts.plan && dir.str().find('"') == std::string::npos)
      copts.weightDir = std::string(dir);
  }
  copts.printIrAfterAll = opts.printIrAfterAll;
  copts.plan = opts.plan;
  // What a plan is made from: the weights the model holds, and how many of
  // them have no data here (external data files absent).
  uint64_t weightTensors = 0, weightBytes = 0, withoutData = 0;
  if (opts.plan)
    module.walk([&](mlir::Operation *op) {
      for (mlir::NamedAttribute a : op->getAttrs()) {
        auto value = llvm::dyn_cast<mlir::ElementsAttr>(a.getValue());
        if (!value || op->getNumOperands() != 0)
          continue;
        ++weightTensors;
        auto type = llvm::cast<mlir::ShapedType>(value.getType());
        weightBytes += uint64_t(type.getNumElements()) *
                       ((type.getElementTypeBitWidth() + 7) / 8);
        if (auto res = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(value))
          withoutData += res.getRawHandle().getBlob() == nullptr;
      }
    });
  mlir::FailureOr<CompileResult> result = runCompilePipeline(module, copts);
  if (mlir::failed(result))
    return 1; // the diagnostic handler printed why
  if (opts.plan) {
    llvm::outs() << "lpuc plan: " << opts.model << " (no binary written)\n"
                 << "model weights: " << weightTensors << " tensors, "
                 << isa::humanBytes(weightBytes) << " as stored";
    if (withoutData)
      llvm::outs() << "; " << withoutData
                   << " without data here (planned from their shapes)";
    llvm::outs() << "\n" << result->report;
    return 0;
  }
  if (copts.emit == EmitKind::Lpu || copts.emit == EmitKind::Lpuhw)
    return printModule(opts, module);
  std::string errorMessage;
  std::string path = opts.output.empty() ? "-" : opts.output;
  auto out = mlir::openOutputFile(path, &errorMessage);
  if (!out)
    return error(errorMessage);
  if (copts.emit == EmitKind::Asm) {
    if (mlir::failed(printAsm(module, out->os())))
      return 1;
  } else {
    // Written segment by segment: the binary is never whole in memory.
    uint64_t size = 0;
    llvm::raw_fd_ostream &os = out->os();
    absl::Status st = result->image->write(
        [&](const uint8_t *data, size_t n) {
          os.write(reinterpret_cast<const char *>(data), n);
          return !os.has_error();
        },
        &size);
    if (!st.ok())
      return error(st.code() == absl::StatusCode::kInternal
                       ? "internal: " + std::string(st.message())
                       : "cannot write '" + path + "'");
    printDebugMemory("write");
    llvm::outs() << "lpuc: wrote " << path << " (" << size << " bytes)\n"
                 << result->report;
  }
  out->os().flush();
  if (out->os().has_error())
    return error("cannot write '" + path + "'");
  out->keep();
  return 0;
}

int run(const DriverOptions &opts) {
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  registerAllPasses();
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  // One line per diagnostic: `lpuc: error: LOC: message`.
  mlir::ScopedDiagnosticHandler handler(&ctx, [](mlir::Diagnostic &diag) {
    std::string loc;
    llvm::raw_string_ostream locOs(loc);
    diag.getLocation().print(locOs);
    const char *kind =
        diag.getSeverity() == mlir::DiagnosticSeverity::Error     ? "error"
        : diag.getSeverity() == mlir::DiagnosticSeverity::Warning ? "warning"
                                                                  : "note";
    llvm::errs() << "lpuc: " << kind << ": " << loc << ": " << diag.str()
                 << "\n";
    return mlir::success();
  });

  ImportOptions importOpts;
  importOpts.requireWeights = !opts.plan;
  importOpts.freeze = opts.freeze;
  importOpts.dims = opts.dims;
  auto module = importOnnxModel(ctx, opts.model, importOpts);
  if (!module)
    return error(llvm::toString(module.takeError()));
  if (mlir::failed(mlir::verify(**module)))
    return 1; // the handler printed the reason
  return runStages(opts, ctx, **module);
}

} // namespace
} // namespace lpuc

int main(int argc, char **argv) {
  // Blocks of 1 MiB or more are mapped on their own and returned to the
  // system when freed. glibc's default threshold rises to the largest block
  // freed so far (up to 32 MiB), after which the per-instruction tables of
  // one pass, freed, stay resident under the next pass's: on the 55M GPT-2
  // that was about 160 MiB of the compile's peak.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  lpuc::DriverOptions opts;
  // `lpuc plan MODEL [OPTIONS]`: the same options, no binary.
  std::vector<char *> args(argv, argv + argc);
  if (args.size() > 1 && llvm::StringRef(args[1]) == "plan") {
    opts.plan = true;
    args.erase(args.begin() + 1);
  }
  argc = int(args.size());
  argv = args.data();
  CLI::App app{"lpuc: ONNX to LPU compiler\n\n"
               "  lpuc MODEL [OPTIONS]       compile MODEL to a .lpubin\n"
               "  lpuc plan MODEL [OPTIONS]  the compile report (chips, SRAM "
               "per chip by kind, predicted cycles and latency) without "
               "writing a binary; weights whose external data files are "
               "absent are planned from their shapes\n"};
  app.add_option("MODEL", opts.model, "ONNX model (.onnx)");
  app.add_option("-o,--output", opts.output,
                 "Output file (default: MODEL.lpubin for --emit bin, "
                 "stdout for text)");
  std::vector<std::string> targetNames = lpuc::isa::builtinTargetNames();
  std::string targetHelp = "Target: a built-in target (";
  for (size_t i = 0; i < targetNames.size(); ++i)
    targetHelp += (i ? ", " : "") + targetNames[i];
  targetHelp += ") or a target file";
  app.add_option("--target", opts.target, targetHelp)
      ->check(CLI::IsMember(targetNames) | CLI::ExistingFile)
      ->capture_default_str();
  app.add_option("--precision", opts.precision, "Weight precision")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16"}))
      ->capture_default_str();
  app.add_option("--chips", opts.chips,
                 "Chips to spread the model over: `auto` (the fewest whose "
                 "SRAM holds it) or a number (pipeline stages balanced over "
                 "that many chips)")
      ->check([](const std::string &v) {
        if (v == "auto")
          return std::string();
        char *end = nullptr;
        unsigned long n = std::strtoul(v.c_str(), &end, 10);
        return !v.empty() && *end == '\0' && n > 0
                   ? std::string()
                   : std::string("must be `auto` or a positive number");
      })
      ->capture_default_str();
  app.add_option("--fuse", opts.fuse,
                 "Fuse elementwise ops into single VXM chains (lpu-fuse; "
                 "--fuse=false lowers op by op, for comparisons)")
      ->capture_default_str();
  app.add_option("--schedule-window", opts.scheduleWindow,
                 "Instructions the scheduler places together (lpuhw-schedule "
                 "window; 0: the whole program at once, which can schedule "
                 "a few percent tighter and holds a scheduler table per "
                 "instruction)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--schedule-floor-lag", opts.floorLag,
                 "Cycles a scheduler window may reach back before the end of "
                 "the earlier ones on a chip (lpuhw-schedule floor-lag): what "
                 "lies before is verified, emitted and freed as lpuc goes; "
                 "larger values can schedule tighter and hold more")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--emit", opts.emit, "What to produce")
      ->check(CLI::IsMember({"onnx", "lpu", "lpuhw", "asm", "bin"}))
      ->capture_default_str();
  std::vector<std::string> freeze;
  app.add_option("--freeze", freeze,
                 "NAME=FILE: bake graph input NAME with the value in FILE "
                 "(TensorProto .pb or .npy)")
      ->allow_extra_args(false)
      ->take_all();
  std::vector<std::string> dims;
  app.add_option("--dim", dims,
                 "NAME=N: give the symbolic dimension NAME the value N")
      ->allow_extra_args(false)
      ->take_all();
  bool listOps = false;
  app.add_flag("--list-ops", listOps,
               "Print the supported ONNX op types with their since-versions, "
               "one 'OP VERSION' per line, and exit");
  app.add_flag("--mlir-print-ir-after-all", opts.printIrAfterAll,
               "Print the IR after every pass");
  app.add_flag("--mlir-print-debuginfo", opts.printDebugInfo,
               "Print locations in printed IR");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    if (e.get_exit_code() == 0)
      return app.exit(e);
    llvm::errs() << "lpuc: error: " << e.what() << "\n";
    return 2;
  }
  if (listOps) {
    for (const auto &[op, since] : lpuc::supportedOnnxOps())
      llvm::outs() << op << " " << since << "\n";
    return 0;
  }
  if (opts.model.empty()) {
    llvm::errs() << "lpuc: error: MODEL is required\n";
    return 2;
  }
  for (const std::string &d : dims) {
    size_t eq = d.find('=');
    int64_t value = -1;
    if (eq == std::string::npos || eq == 0 ||
        llvm::StringRef(d).substr(eq + 1).getAsInteger(10, value) ||
        value < 0) {
      llvm::errs() << "lpuc: error: --dim expects NAME=N with N >= 0, got '"
                   << d << "'\n";
      return 2;
    }
    opts.dims.emplace_back(d.substr(0, eq), value);
  }
  for (const std::string &f : freeze) {
    size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == f.size()) {
      llvm::errs() << "lpuc: error: --freeze expects NAME=FILE, got '" << f
                   << "'\n";
      return 2;
    }
    opts.freeze.emplace_back(f.substr(0, eq), f.substr(eq + 1));
  }
  if (opts.plan && (opts.emit != "bin" || !opts.output.empty())) {
    llvm::errs() << "lpuc: error: plan writes no file: --emit and -o do not "
                    "apply\n";
    return 2;
  }
  if (opts.output.empty() && opts.emit == "bin" && !opts.plan) {
    llvm::SmallString<256> out(llvm::sys::path::filename(opts.model));
    llvm::sys::path::replace_extension(out, "lpubin");
    opts.output = std::string(out);
  }
  return lpuc::run(opts);
}
