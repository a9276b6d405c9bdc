//===- lpurun.cpp - Run a .lpubin on the emulator -------------------------===//
//
//   lpurun OUT.lpubin --check CASE_DIR [--rtol R --atol A]
//   lpurun OUT.lpubin --input NAME=FILE ... [--output-dir DIR]
//                     [--output-format npy|pb]
//
// Errors: one line "lpurun: error: ...", exit 1 (usage: 2).
//
//===----------------------------------------------------------------------===//
#include "runtime/api/Runtime.h"
#include "runtime/api/TensorFile.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

using namespace lpuc;
namespace fs = std::filesystem;

namespace {

int fail(const std::string &msg) {
  std::fprintf(stderr, "lpurun: error: %s\n", msg.c_str());
  return 1;
}
int fail(const absl::Status &s) { return fail(std::string(s.message())); }

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
  }
  std::printf("latency: %.3f us at %g MHz\n", double(stats.cycles) / mhz, mhz);
}

struct Tolerance {
  double rtol, atol;
};

Tolerance defaultTolerance(const std::string &precision) {
  if (precision == "fp16")
    return {1e-2, 1e-3};
  if (precision == "bf16")
    return {3e-2, 1e-2};
  return {1e-4, 1e-5};
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

int check(const rt::Program &p, const std::string &caseDir, double rtolOpt,
          double atolOpt) {
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
  rt::Session s(p);
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
    if (absl::Status st = s.setInput(bind, t); !st.ok())
      return fail(st);
  }
  absl::StatusOr<rt::RunStats> stats = s.run();
  if (!stats.ok())
    return fail(stats.status());
  Tolerance tol = defaultTolerance(m.precision());
  if (rtolOpt >= 0)
    tol.rtol = rtolOpt;
  if (atolOpt >= 0)
    tol.atol = atolOpt;
  bool allOk = true;
  for (size_t k = 0; k < refs->size(); ++k) {
    std::string name = (*refs)[k].first;
    const rt::HostTensor &ref = (*refs)[k].second;
    if (name.empty()) {
      if (int(k) >= m.outputs_size())
        return fail("reference output " + std::to_string(k) +
                    " has no matching program output");
      name = m.outputs(int(k)).name();
    }
    absl::StatusOr<rt::HostTensor> got = s.output(name);
    if (!got.ok())
      return fail(got.status());
    if (got->shape != ref.shape) {
      std::printf("output %s: shape %s, reference %s: MISMATCH\n", name.c_str(),
                  rt::shapeString(got->shape).c_str(),
                  rt::shapeString(ref.shape).c_str());
      allOk = false;
      continue;
    }
    int64_t n = ref.numElements(), bad = 0;
    double maxAbs = 0, maxRel = 0;
    for (int64_t i = 0; i < n; ++i) {
      double g = got->at(i), r = ref.at(i);
      if (std::isnan(g) || std::isnan(r)) {
        if (!(std::isnan(g) && std::isnan(r)))
          ++bad;
        continue;
      }
      if (std::isinf(g) || std::isinf(r)) {
        if (g != r)
          ++bad;
        continue;
      }
      double e = std::fabs(g - r);
      maxAbs = std::max(maxAbs, e);
      if (r != 0)
        maxRel = std::max(maxRel, e / std::fabs(r));
      if (e > tol.atol + tol.rtol * std::fabs(r))
        ++bad;
    }
    if (bad == 0) {
      std::printf("output %s: max abs err %.3g, max rel err %.3g: ok\n",
                  name.c_str(), maxAbs, maxRel);
    } else {
      std::printf("output %s: max abs err %.3g, max rel err %.3g: MISMATCH "
                  "(%lld of %lld elements out of tolerance)\n",
                  name.c_str(), maxAbs, maxRel, (long long)bad, (long long)n);
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

int timingOnly(const rt::Program &p) {
  rt::SessionOptions opts;
  opts.timingOnly = true;
  rt::Session s(p, opts);
  absl::StatusOr<rt::RunStats> stats = s.run();
  if (!stats.ok())
    return fail(stats.status());
  uint64_t predicted = p.manifest().predicted().cycles();
  bool match = predicted == stats->cycles;
  std::printf("timing only (no data)\n");
  printCycles(p, *stats, true);
  std::printf("prediction: %s\n", match ? "match" : "MISMATCH");
  return match ? 0 : 1;
}

int runWithInputs(const rt::Program &p, const std::vector<std::string> &specs,
                  const std::string &outDir, const std::string &format) {
  rt::Session s(p);
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
  absl::StatusOr<rt::RunStats> stats = s.run();
  if (!stats.ok())
    return fail(stats.status());
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
      fs::path f = fs::path(outDir) / (o.name() + "." + format);
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
  std::string binary, caseDir, outDir, format = "npy";
  std::vector<std::string> inputs;
  double rtol = -1, atol = -1;
  bool timing = false;
  app.add_option("binary", binary, "the .lpubin to run")->required();
  app.add_option("--check", caseDir,
                 "compare with an ONNX test case directory (test_data_set_0)");
  app.add_option("--rtol", rtol, "relative tolerance for --check");
  app.add_option("--atol", atol, "absolute tolerance for --check");
  app.add_option("--input", inputs, "NAME=FILE (.npy or TensorProto .pb)");
  app.add_option("--output-dir", outDir, "write outputs here");
  app.add_flag("--timing-only", timing,
               "walk the instructions with every timing check but no data; "
               "print the cycle report");
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
  absl::StatusOr<rt::Program> p = rt::Program::load(binary);
  if (!p.ok())
    return fail(p.status());
  if (timing)
    return timingOnly(*p);
  if (!caseDir.empty())
    return check(*p, caseDir, rtol, atol);
  return runWithInputs(*p, inputs, outDir, format);
}
