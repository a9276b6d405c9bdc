//===- Emit.h - Scheduled lpuhw module to .lpubin ---------------*- C++ -*-===//
//
// The last step of the pipeline (DESIGN.md step 9): turns a scheduled,
// verified lpuhw module into a .lpubin (runtime/format/Lpubin.h), one chip
// program per chip of the module, written segment by segment
// (LpubinImage), and prints the same program as text (`--emit asm`). See
// docs/passes/emit.md.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_COMPILER_TARGET_LPUBIN_EMIT_H
#define LPUC_COMPILER_TARGET_LPUBIN_EMIT_H

#include "passes/verify/ScheduleInfo.h"
#include "runtime/format/Lpubin.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lpuc {

/// The module attribute listing inputs frozen into constants at import (an
/// array of strings); merged with EmitOptions::frozenInputs.
constexpr const char *kFrozenInputsAttrName = "lpuc.frozen_inputs";

struct EmitOptions {
  /// Recorded in the manifest; only its file name is kept, never a path.
  std::string modelName;
  /// fp32 | fp16 | bf16 (recorded in the manifest).
  std::string precision = "fp32";
  /// ONNX inputs frozen into constants (recorded in the manifest).
  std::vector<std::string> frozenInputs;
  /// Run lpuhw-verify-schedule's checks before emitting.
  bool verify = true;
  /// `lpuc plan`: the manifest lists the weights and counts their SRAM, but
  /// no weight segment is written and no weight data is read (it may be
  /// absent). Such a binary does not run; only its manifest is used.
  bool withoutWeights = false;
  /// Where LpubinBuilder keeps the encoded instructions that are final until
  /// the file is written: an unlinked temporary file in this directory
  /// (WeightFile, compiler/support/MappedPages.h), read back segment by
  /// segment. Empty: in memory (40 bytes per instruction).
  std::string instructionDir;
};

/// A .lpubin ready to be written: the manifest (its segment list is filled
/// in by write) and a producer per segment. Weight segments are packed from
/// the module's weights as they are written: the module must outlive the
/// image. Instruction segments own their encoded-to-be instructions.
struct LpubinImage {
  schema::Manifest manifest;
  std::vector<format::SegmentSource> segments;
  /// Writes the file through `sink`, one segment in memory at a time
  /// (format::writeLpubinStreamed: the manifest is checked first).
  absl::Status write(const format::ByteSink &sink, uint64_t *size = nullptr);
};

/// Builds the .lpubin of a program whose instructions come window by window
/// (lpuc's back end schedules and collects ~2^18 instructions at a time):
/// each window's instructions are turned into queue streams as soon as the
/// floor of their chip makes them final, encoded, and kept encoded (in
/// memory or in the temporary file of EmitOptions::instructionDir) until
/// finish. The bytes are those of buildLpubin over the whole program at
/// once, for any split into windows that keeps the floor contract of
/// addWindow.
class LpubinBuilder {
public:
  /// `module` gives the target, tensors, weights and attributes at finish
  /// (it must outlive the builder and the image). `opts.verify` is not
  /// looked at: the caller verifies.
  static llvm::Expected<LpubinBuilder> create(mlir::ModuleOp module,
                                              const EmitOptions &opts);
  LpubinBuilder(LpubinBuilder &&);
  LpubinBuilder &operator=(LpubinBuilder &&);
  ~LpubinBuilder();

  /// The next window: `window.base` must be the number of instructions
  /// added so far, and every operand's producer must be in the window.
  /// One floor per chip (floors.size() is the module's chip count): every
  /// instruction of this window on chip c must issue at or after the
  /// previous call's floors[c]; after this call no instruction on chip c of
  /// a later window issues before floors[c] (each chip's floor never
  /// decreases; the last window may pass INT64_MAX). A queue's instructions
  /// are final by its chip's floor. Nothing of `window` is referenced once
  /// this returns. Schedule problems are reported as diagnostics and as the
  /// error.
  llvm::Error addWindow(const verify::InstructionList &window,
                        llvm::ArrayRef<int64_t> floors);
  /// The same with `floor` as every chip's floor.
  llvm::Error addWindow(const verify::InstructionList &window, int64_t floor);

  /// After the last window: the manifest (stats, chips, tensors, weights)
  /// and the segments. The builder is spent afterwards.
  llvm::Expected<LpubinImage> finish();

  /// Instructions held back (not yet final: at or after their chip's
  /// floor, or the tail of a queue that may still join a repeat run).
  size_t pending() const;
  /// Instructions encoded so far (NOPs and repeats included).
  uint64_t encoded() const;

  struct Impl;

private:
  explicit LpubinBuilder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The .lpubin bytes of a scheduled lpuhw module (every instruction has its
/// `cycle`, results their `stream`, vxm an `alu`, sxm_permute a `unit`, and
/// the module `lpuhw.cycles`). Deterministic: the same module gives the same
/// bytes. Schedule problems are reported as diagnostics on the module's
/// context and as the returned error.
llvm::Expected<std::vector<uint8_t>> emitLpubin(mlir::ModuleOp module,
                                                const EmitOptions &opts);

/// The same from instructions already collected (verify::appendInstructions;
/// their ops may be gone): `module` gives the tensors, attributes and
/// critical path. `opts.verify` is not looked at: the caller verifies.
llvm::Expected<std::vector<uint8_t>>
emitLpubin(mlir::ModuleOp module, const EmitOptions &opts,
           verify::InstructionList &&insts);

/// The same as an image to be written (lpuc streams it to the output file).
llvm::Expected<LpubinImage> buildLpubin(mlir::ModuleOp module,
                                        const EmitOptions &opts,
                                        verify::InstructionList &&insts);

/// The emitted program as text, one line per instruction (NOPs included),
/// ordered by (queue, cycle): "<cycle>  <queue name>  <instruction>".
mlir::LogicalResult printAsm(mlir::ModuleOp module, llvm::raw_ostream &os);

} // namespace lpuc

#endif
