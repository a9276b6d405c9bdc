//===- Pipeline.h - lpuc's compile pipeline after import --------*- C++ -*-===//
#ifndef LPUC_COMPILER_PIPELINES_PIPELINE_H
#define LPUC_COMPILER_PIPELINES_PIPELINE_H

#include "compiler/target/lpubin/Emit.h"
#include "passes/schedule/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <optional>
#include <string>
#include <vector>

namespace lpuc {

enum class EmitKind { Onnx, Lpu, Lpuhw, Asm, Bin };

struct CompileOptions {
  std::string target = "lpu-v1"; // built-in name or target file
  std::string precision = "fp32";
  std::string chips = "auto"; // auto | N (lpu-partition)
  double fill = 0.95;         // lpu-partition's share of a chip's SRAM
  /// Run lpu-fuse (elementwise DAGs as single VXM chains).
  bool fuse = true;
  /// lpuhw-schedule's window: instructions scheduled together (0: all).
  int64_t scheduleWindow = int64_t(1) << 18;
  /// lpuhw-schedule's floor-lag.
  int64_t floorLag = sched::kDefaultFloorLag;
  EmitKind emit = EmitKind::Bin;
  /// `lpuc plan`: compile as for a binary (partition, lowering, schedule,
  /// SRAM check) but without weight data; CompileResult::binary then holds
  /// a manifest-only .lpubin that does not run.
  bool plan = false;
  std::string modelName; // file name only: recorded in the binary
  /// lpu-precision's weight-dir: where the narrowed weights are kept in an
  /// unlinked temporary file (empty: on the heap).
  std::string weightDir;
  /// EmitOptions::instructionDir: where the encoded instruction streams
  /// wait for the file to be written, in an unlinked temporary file (empty:
  /// in memory).
  std::string instructionDir;
  bool printIrAfterAll = false;
};

/// The textual pass pipelines that lower an imported onnx module to
/// scheduled, verified lpuhw, stopping after the stage of `emit`
/// (onnx: none; lpu: tensor level; lpuhw/asm/bin: scheduled instructions):
/// the front half (onnx to lpu, precision, fusion) runs once, the back half
/// (partition, lowering, schedule, verification) once per partition attempt.
std::string frontPipelineFor(const CompileOptions &opts);
std::string backPipelineFor(const CompileOptions &opts);

/// The result of compiling: the final module is changed in place; for
/// EmitKind::Bin `image` is the .lpubin to write (its weight segments are
/// read from the module as it is written) and `report` a summary.
struct CompileResult {
  std::optional<LpubinImage> image;
  std::string report;
};

/// With LPUC_DEBUG_MEMORY set, prints heap and peak RSS "after `what`" to
/// stderr (as after each pass); otherwise nothing.
void printDebugMemory(llvm::StringRef what);

/// Runs the pipeline on `module` (an imported onnx module). Diagnostics go to
/// the context's handler; fails if any stage fails.
mlir::FailureOr<CompileResult> runCompilePipeline(mlir::ModuleOp module,
                                                  const CompileOptions &opts);

} // namespace lpuc

#endif
