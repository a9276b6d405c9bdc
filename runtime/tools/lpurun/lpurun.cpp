//===- lpurun.cpp - Run a .lpubin on the emulator -------------------------===//
//
//   lpurun OUT.lpubin --check CASE_DIR [--rtol R --atol A]
//   lpurun OUT.lpubin --input NAME=FILE ... [--output-dir DIR]
//                     [--output-format npy|pb]
//   lpurun OUT.lpubin --timing-only
//   any of these with --stats-json FILE: the run's figures as JSON
//   (docs/targets.md, "Reports")
//
// Errors: one line "lpurun: error: ...", exit 1 (usage: 2).
//
//===----------------------------------------------------------------------===//
#include "runtime/api/Runtime.h"
#include "runtime/api/TensorFile.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace lpuc;
namespace fs = std::filesystem;

namespace {

int fail(const std::string &msg) {
  std::fprintf(stderr, "lpurun: error: %s\n", msg.c_str());
  return 1;
}
int fail(const absl::Status &s) { return fail(std::string(s.message())); }

/// Bytes of one element of an on-chip type (what crosses the host link).
uint64_t dtypeBytes(schema::DType t) {
  switch (t) {
  case schema::DTYPE_F32:
  case schema::DTYPE_I32:
    return 4;
  case schema::DTYPE_F16:
  case schema::DTYPE_BF16:
    return 2;
  case schema::DTYPE_I64:
    return 8;
  case schema::DTYPE_I8:
  case schema::DTYPE_BOOL:
    return 1;
  default:
    return 0;
  }
}

uint64_t tensorBytes(const schema::TensorInfo &t) {
  uint64_t n = 1;
  for (int64_t d : t.shape())
    n *= uint64_t(d);
  return n * dtypeBytes(t.dtype());
}

/// Latency of one run: the device's cycles at the target's clock, plus the
/// host link (ARCH.md section 2): the bound inputs go to the device in one
/// transfer and the outputs come back in another; each transfer costs
/// bytes / host_bytes_per_second + host_transfer_overhead_us. A direction
/// that moves no bytes is no transfer.
struct Latency {
  uint64_t inputBytes = 0, outputBytes = 0;
  unsigned transfers = 0;
  double deviceUs = 0, hostUs = 0;
  double withHostUs() const { return deviceUs + hostUs; }
};

Latency latencyOf(const rt::Program &p, uint64_t cycles) {
  const schema::Manifest &m = p.manifest();
  const schema::Target &t = m.target();
  Latency l;
  for (const schema::TensorInfo *in : p.inputs())
    l.inputBytes += tensorBytes(*in);
  for (const schema::TensorInfo &out : m.outputs())
    l.outputBytes += tensorBytes(out);
  l.deviceUs = double(cycles) / t.clock_hz() * 1e6;
  for (uint64_t bytes : {l.inputBytes, l.outputBytes}) {
    if (bytes == 0)
      continue;
    ++l.transfers;
    l.hostUs += double(bytes) / t.host_bytes_per_second() * 1e6 +
                t.host_transfer_overhead_us();
  }
  return l;
}

void printCycles(const rt::Program &p, const rt::RunStats &stats,
                 bool perUnit) {
  const schema::Manifest &m = p.manifest();
  double mhz = m.target().clock_hz() / 1e6;
  if (perUnit) {
    std::printf("cycles: %llu\n", (unsigned long long)stats.cycles);
    if (m.has_predicted())
      std::printf("predicted cycles: %llu\n",
                  (unsigned long long)m.predicted().cycles());
    std::printf("instructions: %llu\n", (unsigned long long)stats.instructions);
    for (const emu::UnitBusy &u : stats.units)
      std::printf(
          "  %-4s busy %llu cycles over %u queues, utilisation %.2f%%\n",
          isa::unitName(u.unit), (unsigned long long)u.busyCycles, u.queues,
          100.0 * u.utilisation);
    uint64_t linkBytes = 0, linkBusy = 0;
    for (const emu::LinkStats &l : stats.links) {
      linkBytes += l.bytes;
      linkBusy += l.busyCycles;
    }
    if (!stats.links.empty())
      std::printf("  c2c  %zu links carried %s, busy %llu link-cycles\n",
                  stats.links.size(), isa::humanBytes(linkBytes).c_str(),
                  (unsigned long long)linkBusy);
    uint64_t capacity = p.machine().sramBytes();
    for (const schema::ChipProgram &c : m.chips())
      std::printf("chip %u SRAM of %s: weights %s, activations %s, "
                  "instructions %s, kv_cache %s\n",
                  c.chip(), isa::humanBytes(capacity).c_str(),
                  isa::humanBytes(c.sram_weight_bytes()).c_str(),
                  isa::humanBytes(c.sram_activation_bytes()).c_str(),
                  isa::humanBytes(c.sram_instruction_bytes()).c_str(),
                  isa::humanBytes(c.sram_kv_cache_bytes()).c_str());
  }
  Latency l = latencyOf(p, stats.cycles);
  std::printf("latency: %.3f us at %g MHz", l.deviceUs, mhz);
  if (perUnit)
    std::printf("; %.3f us with %u host transfer(s) of %llu B", l.withHostUs(),
                l.transfers,
                (unsigned long long)(l.inputBytes + l.outputBytes));
  std::printf("\n");
}

/// JSON text of a string (quotes and escapes).
std::string jsonString(const std::string &v) {
  std::string out = "\"";
  for (char c : v) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// A double as JSON: shortest round-tripping form is not needed; 9
/// significant digits are deterministic and enough for every figure here.
std::string jsonNumber(double v) {
  if (!std::isfinite(v))
    return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

/// The run's figures as JSON, keys in a fixed order (docs/targets.md).
std::string statsJson(const rt::Program &p, const rt::RunStats &stats,
                      bool timingOnly) {
  const schema::Manifest &m = p.manifest();
  const schema::Target &t = m.target();
  auto u64 = [](uint64_t v) { return std::to_string(v); };
  std::ostringstream os;
  os << "{\n";
  os << "  \"model\": " << jsonString(m.model_name()) << ",\n";
  os << "  \"target\": " << jsonString(t.name()) << ",\n";
  os << "  \"precision\": " << jsonString(m.precision()) << ",\n";
  os << "  \"timing_only\": " << (timingOnly ? "true" : "false") << ",\n";
  os << "  \"chips\": " << m.chip_count() << ",\n";
  os << "  \"cycles\": " << u64(stats.cycles) << ",\n";
  if (m.has_predicted())
    os << "  \"predicted_cycles\": " << u64(m.predicted().cycles()) << ",\n";
  os << "  \"instructions\": " << u64(stats.instructions) << ",\n";
  os << "  \"clock_hz\": " << jsonNumber(t.clock_hz()) << ",\n";
  Latency l = latencyOf(p, stats.cycles);
  os << "  \"latency_us\": {\n";
  os << "    \"device\": " << jsonNumber(l.deviceUs) << ",\n";
  os << "    \"host_transfer\": " << jsonNumber(l.hostUs) << ",\n";
  os << "    \"with_host\": " << jsonNumber(l.withHostUs()) << "\n";
  os << "  },\n";
  os << "  \"host\": {\n";
  os << "    \"input_bytes\": " << u64(l.inputBytes) << ",\n";
  os << "    \"output_bytes\": " << u64(l.outputBytes) << ",\n";
  os << "    \"transfers\": " << l.transfers << ",\n";
  os << "    \"bytes_per_second\": " << jsonNumber(t.host_bytes_per_second())
     << ",\n";
  os << "    \"overhead_us_per_transfer\": "
     << jsonNumber(t.host_transfer_overhead_us()) << "\n";
  os << "  },\n";
  os << "  \"units\": {\n";
  for (size_t i = 0; i < stats.units.size(); ++i) {
    const emu::UnitBusy &u = stats.units[i];
    os << "    " << jsonString(isa::unitName(u.unit)) << ": {"
       << "\"busy_cycles\": " << u64(u.busyCycles)
       << ", \"queues\": " << u.queues
       << ", \"utilisation\": " << jsonNumber(u.utilisation) << "}"
       << (i + 1 < stats.units.size() ? "," : "") << "\n";
  }
  os << "  },\n";
  // Traffic per directed C2C link (forwarded hops included); empty on one
  // chip.
  os << "  \"c2c_links\": [";
  for (size_t i = 0; i < stats.links.size(); ++i) {
    const emu::LinkStats &l = stats.links[i];
    os << (i ? "," : "") << "\n    {\"chip\": " << l.chip
       << ", \"link\": " << l.link << ", \"peer\": " << l.peer
       << ", \"vectors\": " << u64(l.vectors) << ", \"bytes\": " << u64(l.bytes)
       << ", \"busy_cycles\": " << u64(l.busyCycles) << "}";
  }
  os << (stats.links.empty() ? "],\n" : "\n  ],\n");
  // The compiler's critical path (the emulator runs the same schedule):
  // cycles per unit, and compute (mem, vxm, mxm, sxm) against
  // communication (c2c) and waits for a taken resource.
  if (m.has_predicted() && m.predicted().critical_path_size() > 0) {
    std::map<std::string, uint64_t> byUnit;
    for (const schema::PathPart &part : m.predicted().critical_path())
      byUnit[part.unit()] += part.cycles();
    uint64_t compute = 0;
    for (const char *u : {"mem", "vxm", "mxm", "sxm"})
      compute += byUnit[u];
    os << "  \"critical_path\": {\"compute\": " << u64(compute)
       << ", \"communication\": " << u64(byUnit["c2c"])
       << ", \"wait\": " << u64(byUnit["wait"]) << ", \"units\": {";
    bool first = true;
    for (const char *u : {"mem", "vxm", "mxm", "sxm", "c2c"}) {
      os << (first ? "" : ", ") << jsonString(u) << ": " << u64(byUnit[u]);
      first = false;
    }
    os << "}},\n";
  }
  uint64_t capacity = p.machine().sramBytes();
  os << "  \"sram\": [\n";
  for (int i = 0; i < m.chips_size(); ++i) {
    const schema::ChipProgram &c = m.chips(i);
    uint64_t used = c.sram_weight_bytes() + c.sram_activation_bytes() +
                    c.sram_instruction_bytes() + c.sram_kv_cache_bytes();
    os << "    {\"chip\": " << c.chip()
       << ", \"capacity_bytes\": " << u64(capacity)
       << ", \"weights\": " << u64(c.sram_weight_bytes())
       << ", \"activations\": " << u64(c.sram_activation_bytes())
       << ", \"instructions\": " << u64(c.sram_instruction_bytes())
       << ", \"kv_cache\": " << u64(c.sram_kv_cache_bytes())
       << ", \"total\": " << u64(used) << "}"
       << (i + 1 < m.chips_size() ? "," : "") << "\n";
  }
  os << "  ]\n";
  os << "}\n";
  return os.str();
}

/// Writes the JSON report if asked for; returns 0 or the exit code of the
/// error.
int writeStatsJson(const std::string &path, const rt::Program &p,
                   const rt::RunStats &stats, bool timingOnly) {
  if (path.empty())
    return 0;
  std::string text = statsJson(p, stats, timingOnly);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out)
    out << text;
  out.close();
  if (!out)
    return fail("cannot write '" + path + "'");
  return 0;
}

/// |got - ref| <= atol + rtol |ref| + rms * RMS(ref), per element.
struct Tolerance {
  double rtol, atol, rms;
};

/// A 16-bit program rounds every stored activation (unit roundoff u = 2^-11
/// fp16, 2^-8 bf16) and its errors grow with the magnitudes summed, i.e.
/// with the tensor's scale, not each element's (a logit near 0 keeps the
/// absolute error of the sums it came from): the bound is 20 u relative to
/// the element plus 20 u of the reference's RMS (docs/examples.md gives the
/// measured worst cases: 5.7 u fp16 and 12.5 u bf16 on the examples).
Tolerance defaultTolerance(const std::string &precision) {
  if (precision == "fp16")
    return {1e-2, 0.0, 1e-2};
  if (precision == "bf16")
    return {8e-2, 0.0, 8e-2};
  return {1e-4, 1e-5, 0.0};
}

/// A file name for an output: ONNX names often hold '/' (node paths), which
/// must not leave the output directory; every character but [A-Za-z0-9._-]
/// becomes '_', and a name of dots only gets a leading '_'.
std::string fileNameOf(const std::string &name) {
  std::string f;
  for (char c : name)
    f += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                 c == '-'
             ? c
             : '_';
  if (f.empty() || f.find_first_not_of('.') == std::string::npos)
    f = "_" + f;
  return f;
}

/// Host wall time of loading the binary and of Session::run (the emulation
/// itself), and the CPU time of the process during Session::run (on a busy
/// machine closer to the emulator's own cost than the wall time), printed
/// with --host-time (not part of any deterministic report).
double g_loadMs = 0, g_runMs = 0, g_runCpuMs = 0;

double processCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

absl::StatusOr<rt::RunStats> timedRun(rt::Session &s) {
  auto t0 = std::chrono::steady_clock::now();
  double c0 = processCpuMs();
  absl::StatusOr<rt::RunStats> r = s.run();
  g_runCpuMs += processCpuMs() - c0;
  g_runMs += std::chrono::duration<double, std::milli>(
                 std::chrono::steady_clock::now() - t0)
                 .count();
  return r;
}

/// Reads CASE/test_data_set_0/<prefix>_K.pb for K = 0, 1, ...
absl::StatusOr<std::vector<std::pair<std::string, rt::HostTensor>>>
readCase(const fs::path &dir, const std::string &prefix) {
  std::vector<std::pair<std::string, rt::HostTensor>> out;
  for (int k = 0;; ++k) {
    fs::path f = dir / (prefix + "_" + std::to_string(k) + ".pb");
    std::error_code ec;
    if (!fs::exists(f, ec))
      break;
    std::string name;
    absl::StatusOr<rt::HostTensor> t = rt::readTensorProto(f.string(), &name);
    if (!t.ok())
      return t.status();
    out.push_back({name, std::move(*t)});
  }
  return out;
}

/// ONNX's test data stores bfloat16 tensors as uint16 bit patterns: for a
/// tensor that is bfloat16 on the chip, a uint16 tensor holds bfloat16 bits.
void bf16FromUint16(rt::HostTensor &t, const schema::TensorInfo *info) {
  if (info && info->dtype() == schema::DTYPE_BF16 &&
      t.dtype == rt::HostDType::Uint16)
    t.dtype = rt::HostDType::BFloat16;
}

const schema::TensorInfo *
findTensor(const google::protobuf::RepeatedPtrField<schema::TensorInfo> &list,
           const std::string &name) {
  for (const schema::TensorInfo &t : list)
    if (t.name() == name)
      return &t;
  return nullptr;
}

int check(const rt::Program &p, const rt::SessionOptions &opts,
          const std::string &caseDir, double rtolOpt, double atolOpt,
          double rmsOpt, const std::string &statsPath) {
  fs::path dir = fs::path(caseDir) / "test_data_set_0";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return fail("'" + dir.string() + "' is not a directory");
  auto inputs = readCase(dir, "input");
  if (!inputs.ok())
    return fail(inputs.status());
  auto refs = readCase(dir, "output");
  if (!refs.ok())
    return fail(refs.status());
  const schema::Manifest &m = p.manifest();
  const auto &frozen = m.frozen_inputs();
  std::vector<const schema::TensorInfo *> want = p.inputs();
  rt::Session s(p, opts);
  size_t next = 0;
  for (auto &[name, t] : *inputs) {
    if (!name.empty() &&
        std::find(frozen.begin(), frozen.end(), name) != frozen.end())
      continue;
    std::string bind = name;
    if (bind.empty()) {
      if (next >= want.size())
        return fail("more unnamed inputs in '" + dir.string() +
                    "' than the program takes");
      bind = want[next]->name();
    }
    ++next;
    bf16FromUint16(t, findTensor(m.inputs(), bind));
    if (absl::Status st = s.setInput(bind, t); !st.ok())
      return fail(st);
  }
  absl::StatusOr<rt::RunStats> stats = timedRun(s);
  if (!stats.ok())
    return fail(stats.status());
  if (int rc = writeStatsJson(statsPath, p, *stats, false))
    return rc;
  Tolerance tol = defaultTolerance(m.precision());
  if (rtolOpt >= 0)
    tol.rtol = rtolOpt;
  if (atolOpt >= 0)
    tol.atol = atolOpt;
  if (rmsOpt >= 0)
    tol.rms = rmsOpt;
  bool allOk = true;
  for (size_t k = 0; k < refs->size(); ++k) {
    std::string name = (*refs)[k].first;
    rt::HostTensor &ref = (*refs)[k].second;
    if (name.empty()) {
      if (int(k) >= m.outputs_size())
        return fail("reference output " + std::to_string(k) +
                    " has no matching program output");
      name = m.outputs(int(k)).name();
    }
    absl::StatusOr<rt::HostTensor> got = s.output(name);
    if (!got.ok())
      return fail(got.status());
    bf16FromUint16(ref, findTensor(m.outputs(), name));
    if (got->shape != ref.shape) {
      std::printf("output %s: shape %s, reference %s: MISMATCH\n", name.c_str(),
                  rt::shapeString(got->shape).c_str(),
                  rt::shapeString(ref.shape).c_str());
      allOk = false;
      continue;
    }
    // A 16-bit output is itself rounded: one unit in the last place of its
    // type is allowed even in an fp32 program (the reference may round
    // differently; ONNX's older bfloat16 test data truncates).
    Tolerance otol = tol;
    const schema::TensorInfo *oinfo = findTensor(m.outputs(), name);
    if (rtolOpt < 0 && oinfo && oinfo->dtype() == schema::DTYPE_BF16)
      otol.rtol = std::max(otol.rtol, 1.0 / 128);
    if (rtolOpt < 0 && oinfo && oinfo->dtype() == schema::DTYPE_F16)
      otol.rtol = std::max(otol.rtol, 1.0 / 1024);
    int64_t n = ref.numElements(), bad = 0, nonFinite = 0;
    double maxAbs = 0, maxRel = 0;
    double sumSq = 0;
    int64_t finite = 0;
    for (int64_t i = 0; i < n; ++i)
      if (std::isfinite(ref.at(i))) {
        sumSq += ref.at(i) * ref.at(i);
        ++finite;
      }
    double scale = otol.rms * (finite ? std::sqrt(sumSq / double(finite)) : 0);
    for (int64_t i = 0; i < n; ++i) {
      double g = got->at(i), r = ref.at(i);
      if (std::isnan(g) || std::isnan(r)) {
        if (!(std::isnan(g) && std::isnan(r))) {
          ++bad;
          ++nonFinite;
        }
        continue;
      }
      if (std::isinf(g) || std::isinf(r)) {
        if (g != r) {
          ++bad;
          ++nonFinite;
        }
        continue;
      }
      double e = std::fabs(g - r);
      maxAbs = std::max(maxAbs, e);
      if (r != 0)
        maxRel = std::max(maxRel, e / std::fabs(r));
      if (e > otol.atol + otol.rtol * std::fabs(r) + scale)
        ++bad;
    }
    if (bad == 0) {
      std::printf("output %s: max abs err %.3g, max rel err %.3g: ok\n",
                  name.c_str(), maxAbs, maxRel);
    } else {
      // The error figures cover finite pairs only: say how many were not.
      std::printf("output %s: max abs err %.3g, max rel err %.3g: MISMATCH "
                  "(%lld of %lld elements out of tolerance, %lld of them "
                  "NaN or inf where the reference differs)\n",
                  name.c_str(), maxAbs, maxRel, (long long)bad, (long long)n,
                  (long long)nonFinite);
      allOk = false;
    }
  }
  uint64_t predicted = m.predicted().cycles();
  bool match = predicted == stats->cycles;
  std::printf("cycles: %llu (predicted %llu, %s)\n",
              (unsigned long long)stats->cycles, (unsigned long long)predicted,
              match ? "match" : "MISMATCH");
  printCycles(p, *stats, false);
  return allOk && match ? 0 : 1;
}

int timingOnly(const rt::Program &p, rt::SessionOptions opts,
               const std::string &statsPath) {
  opts.timingOnly = true;
  rt::Session s(p, opts);
  absl::StatusOr<rt::RunStats> stats = timedRun(s);
  if (!stats.ok())
    return fail(stats.status());
  if (int rc = writeStatsJson(statsPath, p, *stats, true))
    return rc;
  uint64_t predicted = p.manifest().predicted().cycles();
  bool match = predicted == stats->cycles;
  std::printf("timing only (no data)\n");
  printCycles(p, *stats, true);
  std::printf("prediction: %s\n", match ? "match" : "MISMATCH");
  return match ? 0 : 1;
}

int runWithInputs(const rt::Program &p, const rt::SessionOptions &opts,
                  const std::vector<std::string> &specs,
                  const std::string &outDir, const std::string &format,
                  const std::string &statsPath) {
  rt::Session s(p, opts);
  for (const std::string &spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail("--input expects NAME=FILE, got '" + spec + "'");
    absl::StatusOr<rt::HostTensor> t = rt::readTensorFile(spec.substr(eq + 1));
    if (!t.ok())
      return fail(t.status());
    if (absl::Status st = s.setInput(spec.substr(0, eq), *t); !st.ok())
      return fail(st);
  }
  absl::StatusOr<rt::RunStats> stats = timedRun(s);
  if (!stats.ok())
    return fail(stats.status());
  if (int rc = writeStatsJson(statsPath, p, *stats, false))
    return rc;
  if (!outDir.empty()) {
    std::error_code ec;
    fs::create_directories(outDir, ec);
    if (ec)
      return fail("cannot create '" + outDir + "': " + ec.message());
  }
  for (const schema::TensorInfo &o : p.manifest().outputs()) {
    absl::StatusOr<rt::HostTensor> t = s.output(o.name());
    if (!t.ok())
      return fail(t.status());
    std::string shape;
    for (size_t i = 0; i < t->shape.size(); ++i)
      shape += (i ? ", " : "") + std::to_string(t->shape[i]);
    std::printf("%s: [%s] %s:", o.name().c_str(), shape.c_str(),
                rt::hostDTypeName(t->dtype));
    int64_t n = t->numElements();
    for (int64_t i = 0; i < std::min<int64_t>(n, 6); ++i)
      std::printf(" %g", t->at(i));
    std::printf("%s\n", n > 6 ? " ..." : "");
    if (!outDir.empty()) {
      fs::path f = fs::path(outDir) / (fileNameOf(o.name()) + "." + format);
      absl::Status st = format == "pb"
                            ? rt::writeTensorProto(f.string(), *t, o.name())
                            : rt::writeNpy(f.string(), *t);
      if (!st.ok())
        return fail(st);
    }
  }
  printCycles(p, *stats, true);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"lpurun: run a .lpubin on the LPU emulator"};
  std::string binary, caseDir, outDir, format = "npy", statsPath;
  std::vector<std::string> inputs;
  double rtol = -1, atol = -1, rmsTol = -1;
  bool timing = false;
  app.add_option("binary", binary, "the .lpubin to run")->required();
  app.add_option("--check", caseDir,
                 "compare with an ONNX test case directory (test_data_set_0)");
  app.add_option("--rtol", rtol, "relative tolerance for --check");
  app.add_option("--atol", atol, "absolute tolerance for --check");
  app.add_option("--rms-tol", rmsTol,
                 "tolerance relative to the reference's RMS for --check "
                 "(fp16/bf16 programs: 1e-2/8e-2 by default)");
  app.add_option("--input", inputs, "NAME=FILE (.npy or TensorProto .pb)");
  app.add_option("--output-dir", outDir, "write outputs here");
  app.add_flag("--timing-only", timing,
               "walk the instructions with every timing check but no data; "
               "print the cycle report");
  app.add_option("--stats-json", statsPath,
                 "also write the run's figures (cycles, per-unit busy cycles "
                 "and utilisation, SRAM per chip by kind, latency) as JSON "
                 "to this file");
  rt::SessionOptions opts;
  bool hostTime = false;
  app.add_flag("--host-time", hostTime,
               "print the host wall time of loading and of the emulation "
               "(varies from run to run)");
  app.add_option("--threads", opts.threads,
                 "host threads for the emulator (same results and cycles for "
                 "any count)")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  app.add_option("--output-format", format, "npy or pb")
      ->check(CLI::IsMember({"npy", "pb"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    std::fprintf(stderr, "lpurun: error: %s\n", e.what());
    return 2;
  }
  if (!caseDir.empty() && !inputs.empty()) {
    std::fprintf(stderr, "lpurun: error: --check and --input are exclusive\n");
    return 2;
  }
  auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<rt::Program> p = rt::Program::load(binary);
  if (!p.ok())
    return fail(p.status());
  g_loadMs = std::chrono::duration<double, std::milli>(
                 std::chrono::steady_clock::now() - t0)
                 .count();
  int rc = 0;
  if (timing)
    rc = timingOnly(*p, opts, statsPath);
  else if (!caseDir.empty())
    rc = check(*p, opts, caseDir, rtol, atol, rmsTol, statsPath);
  else
    rc = runWithInputs(*p, opts, inputs, outDir, format, statsPath);
  if (hostTime)
    std::printf("host time: load %.3f ms, run %.3f ms (run CPU %.3f ms)\n",
                g_loadMs, g_runMs, g_runCpuMs);
  return rc;
}
