//===- Runtime.h - Load a .lpubin, bind inputs, run, read outputs -*- C++
//-*-===//
//
//   absl::StatusOr<rt::Program> p = rt::Program::load("model.lpubin");
//   rt::Session s(*p);
//   s.setInput("x", rt::HostTensor::fromFloats({8, 4}, values));
//   absl::StatusOr<rt::RunStats> stats = s.run();
//   absl::StatusOr<rt::HostTensor> y = s.output("y");
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_RUNTIME_API_RUNTIME_H
#define LPUC_RUNTIME_API_RUNTIME_H

#include "runtime/api/HostTensor.h"
#include "runtime/emulator/Emulator.h"
#include "runtime/format/Lpubin.h"

#include <map>
#include <memory>

namespace lpuc::rt {

using RunStats = emu::RunStats;

/// A loaded and verified program: the file, its machine and the decoded
/// per-chip instruction lists. Immutable; share it between sessions.
class Program {
public:
  static absl::StatusOr<Program> load(const std::string &path);
  static absl::StatusOr<Program> fromBytes(std::vector<uint8_t> bytes);
  static absl::StatusOr<Program> fromLpubin(format::Lpubin file);

  const schema::Manifest &manifest() const { return file_.manifest; }
  const format::Lpubin &file() const { return file_; }
  const isa::Machine &machine() const { return *machine_; }
  /// Per chip: checked, repeats expanded (emu::prepareProgram); sessions
  /// install them without copying.
  const std::vector<std::shared_ptr<const emu::ChipProgram>> &chips() const {
    return chips_;
  }
  /// Non-frozen inputs the caller must bind, in manifest order.
  std::vector<const schema::TensorInfo *> inputs() const;

private:
  format::Lpubin file_;
  std::unique_ptr<isa::Machine> machine_;
  std::vector<std::shared_ptr<const emu::ChipProgram>> chips_;
};

struct SessionOptions {
  /// Timing only: the same instructions, checks and cycle count without
  /// data (no weights or inputs in SRAM, no outputs): inputs are optional.
  bool timingOnly = false;
  /// Host threads for the emulator (chips run in parallel; results, cycles
  /// and errors are identical for any count).
  uint32_t threads = 1;
};

/// One execution context: an emulator with the program's weights in SRAM.
/// The Program must outlive the Session.
class Session {
public:
  explicit Session(const Program &program, SessionOptions options = {});

  /// Binds an input by name. float32 (also float16, double) host tensors are
  /// converted to the input's on-chip type (f32/f16/bf16, RNE); int32/int8
  /// are accepted when they equal the on-chip type. Checks name, shape and
  /// dtype ("input 'x': expected shape [3,4], got [3,5]").
  absl::Status setInput(const std::string &name, const HostTensor &t);
  /// Runs every chip; error if an input is missing or on any hazard.
  absl::StatusOr<RunStats> run();
  /// An output after run(): float32 for float on-chip types, else int32/int8.
  absl::StatusOr<HostTensor> output(const std::string &name) const;

  emu::Emulator &emulator() { return emulator_; }

private:
  const Program &program_;
  emu::Emulator emulator_;
  std::map<std::string, bool> bound_;
  bool ran_ = false;
  SessionOptions options_;
};

} // namespace lpuc::rt

#endif
