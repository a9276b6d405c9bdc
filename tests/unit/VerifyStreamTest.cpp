//===- VerifyStreamTest.cpp - The schedule verifier, window by window -----===//
//
// Compiles shipped models through the real pipeline, cuts their instruction
// lists into windows (where no operand crosses a cut) with exact floors
// (floor k = the earliest issue cycle of every later window; per chip, that
// of the later windows' instructions on the chip), and checks
// that ScheduleChecker, fed one window at a time, accepts the good programs,
// reports exactly the whole-program verifier's errors on broken ones
// (including breakages between two windows), and keeps only what can still
// meet a later instruction.
//
//===----------------------------------------------------------------------===//

#include "compiler/import/onnx/OnnxImport.h"
#include "compiler/pipelines/Pipeline.h"
#include "compiler/pipelines/Registration.h"
#include "dialects/lpuhw/LpuhwOps.h"
#include "passes/layout/LayoutUtils.h"
#include "passes/verify/Passes.h"
#include "passes/verify/ScheduleChecker.h"
#include "passes/verify/ScheduleInfo.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

using namespace mlir;
using lpuc::verify::InstructionList;
using lpuc::verify::SchedInst;
using lpuc::verify::ScheduleChecker;

namespace {

const std::string kMlp = LPUC_SOURCE_DIR "/examples/mlp/model.onnx";
const std::string kGpt2 = LPUC_SOURCE_DIR "/examples/gpt2/prefill/model.onnx";

struct Program {
  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<lpuc::isa::Machine> machine;
  InstructionList list;
  std::vector<std::string> diagnostics;
  std::unique_ptr<ScopedDiagnosticHandler> handler;

  Program() {
    DialectRegistry registry;
    lpuc::registerAllDialects(registry);
    lpuc::registerAllPasses();
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
    handler =
        std::make_unique<ScopedDiagnosticHandler>(&ctx, [this](Diagnostic &d) {
          std::string s;
          llvm::raw_string_ostream os(s);
          os << d.getLocation() << ": " << d.str();
          diagnostics.push_back(s);
          return success();
        });
  }
  const SchedInst &at(size_t i) const { return list.insts[i]; }
  SchedInst &at(size_t i) { return list.insts[i]; }
  size_t size() const { return list.size(); }
};

/// Scheduled lpuhw of `model` on `chips` chips, scheduled in windows of
/// `window` instructions, and its instruction list.
void compile(Program &p, const std::string &model, const std::string &chips,
             int64_t window) {
  auto module = lpuc::importOnnxModel(p.ctx, model, {});
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  p.module = std::move(*module);
  lpuc::CompileOptions opts;
  opts.emit = lpuc::EmitKind::Lpuhw;
  opts.chips = chips;
  opts.scheduleWindow = window;
  ASSERT_TRUE(succeeded(lpuc::runCompilePipeline(*p.module, opts)));
  auto machine = lpuc::lpuhw::getMachine(*p.module);
  ASSERT_TRUE(succeeded(machine));
  p.machine = std::move(*machine);
  ASSERT_TRUE(succeeded(
      lpuc::verify::collectInstructions(*p.module, *p.machine, p.list)));
  ASSERT_TRUE(p.diagnostics.empty());
}

/// Cut points (window starts after the first) near `n` equal parts where no
/// operand's producer is before the cut and its reader after.
std::vector<size_t> cuts(const Program &p, size_t n) {
  size_t size = p.size();
  // minProducer[i]: the smallest producer of an operand of insts[i..].
  std::vector<int64_t> minProducer(size + 1,
                                   std::numeric_limits<int64_t>::max());
  for (size_t i = size; i-- > 0;) {
    minProducer[i] = minProducer[i + 1];
    for (const auto &src : p.at(i).operands())
      minProducer[i] = std::min<int64_t>(minProducer[i], src.producer);
  }
  std::vector<size_t> out;
  for (size_t k = 1; k < n; ++k) {
    size_t i = std::max(size * k / n, out.empty() ? size_t(1) : out.back() + 1);
    while (i < size && minProducer[i] < int64_t(i))
      ++i;
    if (i < size)
      out.push_back(i);
  }
  return out;
}

/// Which floors `windowed` gives the checker.
enum class Floors {
  Global,  // one floor for every chip: floor[k]
  PerChip, // chipFloor[k]
  /// chipFloor[k], but 0 for a chip with no instruction in windows 0..k
  /// (what the scheduler promises of a chip it has not reached yet).
  PerChipZeroUntilFirst,
};

/// The windows [starts[k], starts[k+1]) and their exact floors.
struct Windows {
  std::vector<size_t> begin; // size() + 1 entries, the last = program size
  std::vector<int64_t> floor;
  /// Per window, per chip: the earliest issue cycle of the later windows'
  /// instructions on the chip (kNoLaterWindow if none).
  std::vector<std::vector<int64_t>> chipFloor;
  /// Per window, per chip: whether windows 0..k have an instruction on it.
  std::vector<std::vector<bool>> started;
  Floors use = Floors::Global;
  std::vector<int64_t> floorsAfter(size_t k) const {
    if (use == Floors::Global)
      return std::vector<int64_t>(chipFloor[k].size(), floor[k]);
    std::vector<int64_t> f = chipFloor[k];
    if (use == Floors::PerChipZeroUntilFirst)
      for (size_t c = 0; c < f.size(); ++c)
        if (!started[k][c])
          f[c] = 0;
    return f;
  }
};
Windows windows(const Program &p, const std::vector<size_t> &cutsAt,
                Floors use = Floors::Global) {
  Windows w;
  w.use = use;
  w.begin.push_back(0);
  for (size_t c : cutsAt)
    w.begin.push_back(c);
  w.begin.push_back(p.size());
  size_t n = w.begin.size() - 1;
  uint32_t chips = lpuc::verify::chipCount(*p.module);
  w.floor.assign(n, ScheduleChecker::kNoLaterWindow);
  w.chipFloor.assign(n, std::vector<int64_t>(chips));
  w.started.assign(n, std::vector<bool>(chips));
  int64_t later = ScheduleChecker::kNoLaterWindow;
  std::vector<int64_t> laterOn(chips, ScheduleChecker::kNoLaterWindow);
  for (size_t k = n; k-- > 0;) {
    w.floor[k] = later;
    w.chipFloor[k] = laterOn;
    for (size_t i = w.begin[k]; i < w.begin[k + 1]; ++i) {
      later = std::min<int64_t>(later, p.at(i).cycle);
      int64_t &l = laterOn[p.at(i).chip];
      l = std::min<int64_t>(l, p.at(i).cycle);
    }
  }
  std::vector<bool> seen(chips);
  for (size_t k = 0; k < n; ++k) {
    for (size_t i = w.begin[k]; i < w.begin[k + 1]; ++i)
      seen[p.at(i).chip] = true;
    w.started[k] = seen;
  }
  return w;
}

/// One window as its own list (base = instructions before it; the operands
/// still point into `p`'s pools, which outlive the call).
InstructionList windowList(const Program &p, size_t begin, size_t end) {
  InstructionList l;
  l.base = begin;
  for (size_t i = begin; i < end; ++i)
    l.insts.push_back(p.at(i));
  return l;
}

/// Diagnostics of the whole-program verifier (sorted).
std::vector<std::string> whole(Program &p, bool *ok = nullptr) {
  p.diagnostics.clear();
  bool r = succeeded(
      lpuc::verify::verifySchedule(*p.module, *p.machine, p.list.insts));
  if (ok)
    *ok = r;
  std::vector<std::string> d = p.diagnostics;
  std::sort(d.begin(), d.end());
  return d;
}

/// Diagnostics of ScheduleChecker fed `w` window by window (sorted); `each`
/// sees the checker after every window.
template <typename F>
std::vector<std::string> windowed(Program &p, const Windows &w, bool *ok,
                                  F each) {
  p.diagnostics.clear();
  ScheduleChecker checker(*p.module, *p.machine,
                          lpuc::verify::chipCount(*p.module));
  for (size_t k = 0; k + 1 < w.begin.size(); ++k) {
    InstructionList l = windowList(p, w.begin[k], w.begin[k + 1]);
    if (w.use == Floors::Global)
      (void)checker.addWindow(l, w.floor[k]);
    else
      (void)checker.addWindow(l, w.floorsAfter(k));
    l.clear(); // the checker keeps nothing of it
    each(k, checker);
  }
  bool r = succeeded(checker.finish());
  if (ok)
    *ok = r;
  std::vector<std::string> d = p.diagnostics;
  std::sort(d.begin(), d.end());
  return d;
}
std::vector<std::string> windowed(Program &p, const Windows &w,
                                  bool *ok = nullptr) {
  return windowed(p, w, ok, [](size_t, const ScheduleChecker &) {});
}

std::string join(const std::vector<std::string> &v) {
  std::string s;
  for (const std::string &l : v)
    s += l + "\n";
  return s;
}
bool mentions(const std::vector<std::string> &v, const std::string &what) {
  return std::any_of(v.begin(), v.end(), [&](const std::string &l) {
    return l.find(what) != std::string::npos;
  });
}

/// The window that holds instruction i.
size_t windowOf(const Windows &w, size_t i) {
  return size_t(std::upper_bound(w.begin.begin(), w.begin.end(), i) -
                w.begin.begin()) -
         1;
}

bool isMemOp(const SchedInst &s) {
  return s.inst.op == lpuc::isa::Opcode::MemRead ||
         s.inst.op == lpuc::isa::Opcode::MemWrite;
}

// --- Good programs ---------------------------------------------------------

TEST(VerifyStream, GoodProgramsPassInAnyWindowing) {
  for (const char *chips : {"1", "2"}) {
    for (int64_t window : {int64_t(1) << 18, int64_t(512)}) {
      Program p;
      compile(p, kMlp, chips, window);
      bool ok = false;
      EXPECT_TRUE(whole(p, &ok).empty());
      EXPECT_TRUE(ok);
      for (size_t n : {size_t(2), size_t(7), size_t(40)}) {
        Windows w = windows(p, cuts(p, n));
        ASSERT_GT(w.begin.size(), 2u);
        std::vector<std::string> d = windowed(p, w, &ok);
        EXPECT_TRUE(ok) << chips << " chips, " << n << " windows\n" << join(d);
        EXPECT_TRUE(d.empty()) << join(d);
      }
    }
  }
}

// --- Broken programs: the same errors windowed as whole --------------------

struct Broken : ::testing::Test {
  Program p;
  Windows w;
  void SetUp() override { load("1", Floors::Global); }
  void load(const char *chips, Floors use) {
    compile(p, kMlp, chips, 512);
    if (HasFatalFailure())
      return;
    w = windows(p, cuts(p, 8), use);
  }
  /// Recomputes the floors (the breakage moved instructions), compares the
  /// two verifiers and returns the errors.
  std::vector<std::string> check() {
    w = windows(p, std::vector<size_t>(w.begin.begin() + 1, w.begin.end() - 1),
                w.use);
    bool okWhole = true, okWin = true;
    std::vector<std::string> a = whole(p, &okWhole);
    std::vector<std::string> b = windowed(p, w, &okWin);
    EXPECT_FALSE(okWhole);
    EXPECT_FALSE(okWin);
    EXPECT_EQ(join(a), join(b));
    return a;
  }
  /// The first instruction of window k satisfying f, or -1.
  template <typename F> int64_t firstIn(size_t k, F f) const {
    for (size_t i = w.begin[k]; i < w.begin[k + 1]; ++i)
      if (f(p.at(i)))
        return int64_t(i);
    return -1;
  }
  template <typename F> int64_t lastIn(size_t k, F f) const {
    for (size_t i = w.begin[k + 1]; i-- > w.begin[k];)
      if (f(p.at(i)))
        return int64_t(i);
    return -1;
  }
};

TEST_F(Broken, QueueClashAcrossWindows) {
  // A non-MEM instruction of window k+1 issued with one of window k on its
  // queue.
  bool done = false;
  for (size_t k = 0; k + 2 < w.begin.size() && !done; ++k) {
    for (size_t i = w.begin[k]; i < w.begin[k + 1] && !done; ++i) {
      const SchedInst &a = p.at(i);
      if (isMemOp(a))
        continue;
      int64_t b = firstIn(k + 1, [&](const SchedInst &s) {
        return s.chip == a.chip && s.queue == a.queue;
      });
      if (b < 0)
        continue;
      p.at(size_t(b)).cycle = a.cycle;
      done = true;
    }
  }
  ASSERT_TRUE(done) << "no queue used in two windows";
  std::vector<std::string> d = check();
  EXPECT_TRUE(mentions(d, "queue is busy until cycle")) << join(d);
}

TEST_F(Broken, LaterWindowIssuesBeforeAnEarlierOneOnItsQueue) {
  // The error is at the instruction of the EARLIER window: an instruction of
  // window k+1 moved just before one of window k on the same queue holds the
  // queue when it issues.
  bool done = false;
  for (size_t k = 0; k + 2 < w.begin.size() && !done; ++k) {
    for (size_t i = w.begin[k]; i < w.begin[k + 1] && !done; ++i) {
      const SchedInst &a = p.at(i);
      if (isMemOp(a) || a.cycle == 0)
        continue;
      int64_t b = firstIn(k + 1, [&](const SchedInst &s) {
        return s.chip == a.chip && s.queue == a.queue && !isMemOp(s) &&
               p.machine->queueCycles(s.inst) > 1;
      });
      if (b < 0)
        continue;
      p.at(size_t(b)).cycle = a.cycle - 1;
      done = true;
    }
  }
  ASSERT_TRUE(done);
  std::vector<std::string> d = check();
  EXPECT_TRUE(mentions(d, "queue is busy until cycle")) << join(d);
}

TEST_F(Broken, PutClashAcrossWindows) {
  // An instruction of window k+1 puts on the stream, position and cycle of
  // one of window k.
  bool done = false;
  for (size_t k = 0; k + 2 < w.begin.size() && !done; ++k) {
    int64_t a = lastIn(k, [](const SchedInst &s) { return s.stream >= 0; });
    int64_t b = firstIn(k + 1, [&](const SchedInst &s) {
      return s.stream >= 0 && a >= 0 && s.chip == p.at(size_t(a)).chip;
    });
    if (a < 0 || b < 0)
      continue;
    const SchedInst &pa = p.at(size_t(a));
    SchedInst &pb = p.at(size_t(b));
    int64_t put = pa.cycle + p.machine->outputLatency(pa.inst);
    int64_t cycle = put - int64_t(p.machine->outputLatency(pb.inst));
    if (cycle < 0)
      continue;
    pb.stream = pa.stream;
    pb.position = pa.position;
    pb.cycle = int32_t(cycle);
    done = true;
  }
  ASSERT_TRUE(done);
  std::vector<std::string> d = check();
  EXPECT_TRUE(mentions(d, "also puts a value in the same cycle")) << join(d);
}

/// Puts a value of `b` on the way of operand `op` of reader `r` (its
/// producer's stream, at the reader's position when the value passes it).
bool endRead(Program &p, size_t r, unsigned op, size_t b) {
  const SchedInst &rd = p.at(r);
  const auto &src = rd.operands()[op];
  const SchedInst &prod = p.at(size_t(src.producer));
  if (prod.position == rd.position)
    return false;
  // The operand's read cycle (its group's cycle + its row in the group).
  for (const auto &g : rd.groups) {
    if (op < g.first || op >= g.first + g.count)
      continue;
    int64_t tc = rd.cycle + (op - g.first) / g.perCycle;
    SchedInst &o = p.at(b);
    int64_t cycle = tc - int64_t(p.machine->outputLatency(o.inst));
    if (cycle < 0 || o.numResults == 0)
      return false;
    o.stream = int16_t(prod.stream + src.result);
    o.position = rd.position;
    o.chip = rd.chip;
    o.cycle = int32_t(cycle);
    return true;
  }
  return false;
}

TEST_F(Broken, LaterPutEndsAnEarlierRead) {
  bool done = false;
  for (size_t k = 0; k + 2 < w.begin.size() && !done; ++k) {
    int64_t r = lastIn(k, [](const SchedInst &s) { return s.numOperands > 0; });
    int64_t b = firstIn(k + 1, [](const SchedInst &s) {
      return s.stream >= 0 && s.numResults > 0;
    });
    if (r >= 0 && b >= 0)
      done = endRead(p, size_t(r), 0, size_t(b));
  }
  ASSERT_TRUE(done);
  std::vector<std::string> d = check();
  EXPECT_TRUE(mentions(d, "is ended before it is read")) << join(d);
}

TEST_F(Broken, EarlierPutEndsALaterRead) {
  bool done = false;
  for (size_t k = 0; k + 2 < w.begin.size() && !done; ++k) {
    int64_t b = lastIn(k, [](const SchedInst &s) {
      return s.stream >= 0 && s.numResults > 0 && s.numOperands == 0;
    });
    int64_t r =
        firstIn(k + 1, [](const SchedInst &s) { return s.numOperands > 0; });
    if (r >= 0 && b >= 0)
      done = endRead(p, size_t(r), 0, size_t(b));
  }
  ASSERT_TRUE(done);
  std::vector<std::string> d = check();
  EXPECT_TRUE(mentions(d, "is ended before it is read")) << join(d);
}

TEST_F(Broken, SramOrderAcrossWindows) {
  // A write of window k+1 to the row a read of window k reads, a cycle
  // before that read.
  bool done = false;
  for (size_t k = 0; k + 2 < w.begin.size() && !done; ++k) {
    int64_t x = lastIn(k, [](const SchedInst &s) {
      return s.inst.op == lpuc::isa::Opcode::MemRead && s.cycle > 0;
    });
    int64_t y = firstIn(k + 1, [](const SchedInst &s) {
      return s.inst.op == lpuc::isa::Opcode::MemWrite;
    });
    if (x < 0 || y < 0)
      continue;
    const SchedInst &rd = p.at(size_t(x));
    SchedInst &wr = p.at(size_t(y));
    wr.chip = rd.chip;
    wr.index = rd.index;
    wr.inst.a = rd.inst.a;
    wr.inst.b = rd.inst.b;
    wr.cycle = rd.cycle - 1;
    done = true;
  }
  ASSERT_TRUE(done);
  std::vector<std::string> d = check();
  EXPECT_TRUE(mentions(d, "writes bank")) << join(d);
}

TEST_F(Broken, WritesIntoAWeightInTwoWindows) {
  // Two writes of different windows into the rows of one weight: one error
  // at the first, counting the second.
  lpuc::lpuhw::TensorOp weight;
  p.module->walk([&](lpuc::lpuhw::TensorOp t) {
    if (!weight && t.getKind() == "weight")
      weight = t;
  });
  ASSERT_TRUE(weight);
  lpuc::layout::TensorRows rows = lpuc::layout::rowsOf(weight, *p.machine);
  int moved = 0;
  for (size_t k : {size_t(1), w.begin.size() - 2}) {
    int64_t y = lastIn(k, [](const SchedInst &s) {
      return s.inst.op == lpuc::isa::Opcode::MemWrite;
    });
    ASSERT_GE(y, 0);
    SchedInst &wr = p.at(size_t(y));
    wr.chip = rows.chip;
    wr.index = uint16_t(rows.slices.front());
    wr.inst.a = rows.bank;
    wr.inst.b = rows.lo;
    ++moved;
  }
  ASSERT_EQ(moved, 2);
  std::vector<std::string> d = check();
  EXPECT_TRUE(mentions(d, "which holds weight @" + weight.getSymName().str()))
      << join(d);
  EXPECT_TRUE(mentions(d, "; 1 more writes into it")) << join(d);
}

TEST_F(Broken, WriteIntoAWeightDeclaredAfterItsWindow) {
  // A write of window 1 into the rows of a weight whose lpuhw.tensor op is
  // placed only after window 1 was added (as lpu-to-lpuhw declares tensors
  // progressively): the weight is checked against the rows written so far
  // when it is scanned, with the whole-program error.
  lpuc::lpuhw::TensorOp weight;
  p.module->walk([&](lpuc::lpuhw::TensorOp t) {
    if (!weight && t.getKind() == "weight")
      weight = t;
  });
  ASSERT_TRUE(weight);
  lpuc::layout::TensorRows rows = lpuc::layout::rowsOf(weight, *p.machine);
  ASSERT_GT(w.begin.size(), 3u);
  int64_t y = lastIn(1, [](const SchedInst &s) {
    return s.inst.op == lpuc::isa::Opcode::MemWrite;
  });
  ASSERT_GE(y, 0);
  SchedInst &wr = p.at(size_t(y));
  wr.chip = rows.chip;
  wr.index = uint16_t(rows.slices.back());
  wr.inst.a = rows.bank;
  wr.inst.b = rows.hi - 1;
  w = windows(p, std::vector<size_t>(w.begin.begin() + 1, w.begin.end() - 1));
  bool okWhole = true, okWin = true;
  std::vector<std::string> a = whole(p, &okWhole);
  EXPECT_FALSE(okWhole);
  std::string message = "writes slice " + std::to_string(rows.slices.back()) +
                        " bank " + std::to_string(rows.bank) + " row " +
                        std::to_string(rows.hi - 1) + ", which holds weight @" +
                        weight.getSymName().str();
  EXPECT_TRUE(mentions(a, message)) << join(a);

  // Declared after window 1: out of the module until then.
  Operation *op = weight.getOperation();
  Block *body = p.module->getBody();
  op->remove();
  std::vector<std::string> b =
      windowed(p, w, &okWin, [&](size_t k, const ScheduleChecker &c) {
        if (k == 1)
          body->push_back(op);
        if (k >= 1)
          EXPECT_GT(c.kept().writtenRuns, 0u);
      });
  ASSERT_EQ(op->getBlock(), body);
  EXPECT_FALSE(okWin);
  EXPECT_EQ(join(a), join(b));
}

TEST_F(Broken, RunIntoAWeightDeclaredAfterItsWindow) {
  // Two writes of one op in window 1: first the row just past a weight's
  // rows, then its last row. They merge into one run of written rows, so
  // when the weight is declared after window 1 the checker cannot tell which
  // write hit it first: the error is at the run's first write and says so.
  lpuc::lpuhw::TensorOp weight;
  p.module->walk([&](lpuc::lpuhw::TensorOp t) {
    if (!weight && t.getKind() == "weight")
      weight = t;
  });
  ASSERT_TRUE(weight);
  lpuc::layout::TensorRows rows = lpuc::layout::rowsOf(weight, *p.machine);
  ASSERT_GT(w.begin.size(), 3u);
  std::vector<size_t> writes;
  for (size_t i = w.begin[1]; i < w.begin[2]; ++i)
    if (p.at(i).inst.op == lpuc::isa::Opcode::MemWrite)
      writes.push_back(i);
  ASSERT_GE(writes.size(), 2u);
  SchedInst &first = p.at(writes[writes.size() - 2]);
  SchedInst &second = p.at(writes.back());
  for (SchedInst *s : {&first, &second}) {
    s->chip = rows.chip;
    s->index = uint16_t(rows.slices.back());
    s->inst.a = rows.bank;
    s->loc = first.loc;
  }
  first.inst.b = rows.hi;
  second.inst.b = rows.hi - 1;
  w = windows(p, std::vector<size_t>(w.begin.begin() + 1, w.begin.end() - 1));

  Operation *op = weight.getOperation();
  Block *body = p.module->getBody();
  op->remove();
  bool okWin = true;
  std::vector<std::string> d =
      windowed(p, w, &okWin, [&](size_t k, const ScheduleChecker &) {
        if (k == 1)
          body->push_back(op);
      });
  ASSERT_EQ(op->getBlock(), body);
  EXPECT_FALSE(okWin);
  std::string message = "writes slice " + std::to_string(rows.slices.back()) +
                        " bank " + std::to_string(rows.bank) + " rows " +
                        std::to_string(rows.hi - 1) + ".." +
                        std::to_string(rows.hi + 1) + " (first row " +
                        std::to_string(rows.hi) + "), which overlap weight @" +
                        weight.getSymName().str();
  EXPECT_TRUE(mentions(d, message)) << join(d);
  EXPECT_TRUE(mentions(d, "the first write into it is this op's, or a later "
                          "write's"))
      << join(d);
}

TEST(VerifyStreamC2c, LinkClashAcrossWindows) {
  // Two sends of different windows on the same route within one vector's
  // time on the link (their receives moved along, so only the link clashes).
  // Whole, the links are reserved in send-cycle order; windowed, a send is
  // reserved once the floor passes its cycle, in the same order.
  Program p;
  compile(p, kMlp, "2", 512);
  Windows w = windows(p, cuts(p, 8));
  std::vector<size_t> recvs;
  for (size_t i = 0; i < p.size(); ++i)
    if (p.at(i).inst.op == lpuc::isa::Opcode::C2cRecv)
      recvs.push_back(i);
  bool done = false;
  for (size_t x = 0; x < recvs.size() && !done; ++x)
    for (size_t y = x + 1; y < recvs.size() && !done; ++y) {
      SchedInst &r1 = p.at(recvs[x]), &r2 = p.at(recvs[y]);
      size_t s1 = size_t(r1.operands()[0].producer);
      size_t s2 = size_t(r2.operands()[0].producer);
      if (windowOf(w, s1) == windowOf(w, s2) ||
          p.at(s1).chip != p.at(s2).chip || r1.chip != r2.chip)
        continue;
      // The later window's send a cycle BEFORE the earlier one's: the links
      // are reserved in cycle order, so the earlier window's send is the
      // one that finds its link busy.
      if (p.at(s1).cycle < 1)
        continue;
      int32_t delta = p.at(s1).cycle - 1 - p.at(s2).cycle;
      p.at(s2).cycle += delta;
      r2.cycle += delta;
      done = true;
    }
  ASSERT_TRUE(done) << "no two sends in different windows";
  bool okWhole = true, okWin = true;
  std::vector<std::string> a = whole(p, &okWhole);
  std::vector<std::string> b = windowed(p, windows(p, cuts(p, 8)), &okWin);
  EXPECT_FALSE(okWhole);
  EXPECT_FALSE(okWin);
  EXPECT_EQ(join(a), join(b));
  EXPECT_TRUE(mentions(a, "link schedule: link")) << join(a);
}

// --- What the checker keeps ------------------------------------------------

TEST(VerifyStreamState, KeepsOnlyWhatALaterWindowCanMeet) {
  for (const char *chips : {"1", "2"}) {
    Program p;
    compile(p, kMlp, chips, 512);
    Windows w = windows(p, cuts(p, 10));
    ASSERT_GT(w.begin.size(), 5u);
    const lpuc::isa::Machine &m = *p.machine;
    size_t maxKept = 0;
    bool ok = false;
    windowed(p, w, &ok, [&](size_t k, const ScheduleChecker &c) {
      int64_t floor = w.floor[k];
      // Exactly the puts at cycles >= floor and the reads at >= floor (a
      // good program has no clashes and no ended reads); per queue the
      // instructions at >= floor and at most one before.
      size_t puts = 0, reads = 0, onQueues = 0;
      for (size_t i = 0; i < w.begin[k + 1]; ++i) {
        const SchedInst &s = p.at(i);
        if (s.stream >= 0 &&
            s.cycle + int64_t(m.outputLatency(s.inst)) >= floor)
          puts += s.numResults;
        for (const auto &g : s.groups)
          for (unsigned j = 0; j < g.count; ++j)
            reads += s.cycle + j / g.perCycle >= floor;
        onQueues += s.cycle >= floor;
      }
      ScheduleChecker::Kept kept = c.kept();
      EXPECT_EQ(kept.puts, puts) << "window " << k;
      EXPECT_EQ(kept.reads, reads) << "window " << k;
      EXPECT_GE(kept.queueEntries, onQueues) << "window " << k;
      EXPECT_LE(kept.queueEntries,
                onQueues +
                    size_t(m.numQueues()) * lpuc::verify::chipCount(*p.module))
          << "window " << k;
      if (k + 2 < w.begin.size())
        maxKept = std::max(maxKept, kept.instructions());
      if (k + 2 == w.begin.size()) {
        // Nothing follows the last window: nothing about instructions left
        // but the last one on each queue.
        EXPECT_EQ(kept.puts, 0u);
        EXPECT_EQ(kept.reads, 0u);
        EXPECT_EQ(kept.sends, 0u);
        EXPECT_EQ(kept.linkSlots, 0u);
        EXPECT_EQ(kept.rows, 0u);
        EXPECT_LE(kept.queueEntries,
                  size_t(m.numQueues()) * lpuc::verify::chipCount(*p.module));
      }
    });
    EXPECT_TRUE(ok);
    std::cerr << chips << " chip(s): " << p.size() << " instructions in "
              << w.begin.size() - 1 << " windows, at most " << maxKept
              << " kept between windows\n";
  }
}

// --- Per-chip floors ---------------------------------------------------------

/// The largest gap, over windows, between two chips' exact floors (both
/// finite): how far one chip's floor runs ahead of another's.
int64_t largestGap(const Windows &w) {
  int64_t gap = 0;
  for (const std::vector<int64_t> &f : w.chipFloor)
    for (int64_t a : f)
      for (int64_t b : f)
        if (a != ScheduleChecker::kNoLaterWindow &&
            b != ScheduleChecker::kNoLaterWindow)
          gap = std::max(gap, a - b);
  return gap;
}

TEST(VerifyStreamPerChip, GoodProgramsPass) {
  struct Case {
    const std::string *model;
    const char *chips;
    int64_t window;
  };
  for (Case c : {Case{&kMlp, "2", int64_t(1) << 18}, Case{&kMlp, "2", 512},
                 Case{&kGpt2, "2", 512}, Case{&kGpt2, "3", 512}}) {
    Program p;
    compile(p, *c.model, c.chips, c.window);
    if (HasFatalFailure())
      return;
    bool ok = false;
    EXPECT_TRUE(whole(p, &ok).empty());
    EXPECT_TRUE(ok);
    for (size_t n : {size_t(2), size_t(7), size_t(40)}) {
      for (Floors use : {Floors::PerChip, Floors::PerChipZeroUntilFirst}) {
        Windows w = windows(p, cuts(p, n), use);
        ASSERT_GT(w.begin.size(), 2u);
        std::vector<std::string> d = windowed(p, w, &ok);
        EXPECT_TRUE(ok) << *c.model << ", " << c.chips << " chips, " << n
                        << " windows\n"
                        << join(d);
        EXPECT_TRUE(d.empty()) << join(d);
        if (n == 40 && use == Floors::PerChip) {
          // The chips' floors differ, so this is not the global test again.
          EXPECT_GT(largestGap(w), 0);
          std::cerr << *c.model << " on " << c.chips << " chips: " << p.size()
                    << " instructions in " << w.begin.size() - 1
                    << " windows, chips' floors up to " << largestGap(w)
                    << " cycles apart\n";
        }
      }
    }
  }
}

/// Breakages between two windows on chip 1 of the 2-chip MLP at cycles
/// below chip 0's floor: a checker that dropped chip 1's state by chip 0's
/// floor (or by the largest) would miss them.
struct BrokenPerChip : Broken {
  void SetUp() override { load("2", Floors::PerChip); }
  int64_t put(const SchedInst &s) const {
    return s.cycle + int64_t(p.machine->outputLatency(s.inst));
  }
  std::vector<std::string> checkOnChip1() {
    std::vector<std::string> d = check();
    EXPECT_TRUE(mentions(d, "chip 1 ")) << join(d);
    return d;
  }
};

TEST_F(BrokenPerChip, PutClashOnChip1BelowChip0sFloor) {
  bool done = false;
  for (size_t k = 0; k + 2 < w.begin.size() && !done; ++k) {
    int64_t f0 = w.chipFloor[k][0];
    int64_t a = lastIn(k, [&](const SchedInst &s) {
      return s.chip == 1 && s.stream >= 0 && put(s) < f0;
    });
    int64_t b = firstIn(k + 1, [](const SchedInst &s) {
      return s.chip == 1 && s.stream >= 0 && s.numResults > 0;
    });
    if (a < 0 || b < 0)
      continue;
    const SchedInst &pa = p.at(size_t(a));
    SchedInst &pb = p.at(size_t(b));
    int64_t cycle = put(pa) - int64_t(p.machine->outputLatency(pb.inst));
    if (cycle < 0)
      continue;
    pb.stream = pa.stream;
    pb.position = pa.position;
    pb.cycle = int32_t(cycle);
    done = true;
  }
  ASSERT_TRUE(done) << "no chip-1 put below chip 0's floor";
  std::vector<std::string> d = checkOnChip1();
  EXPECT_TRUE(mentions(d, "also puts a value in the same cycle")) << join(d);
}

TEST_F(BrokenPerChip, LaterPutEndsAChip1ReadBelowChip0sFloor) {
  bool done = false;
  for (size_t k = 0; k + 2 < w.begin.size() && !done; ++k) {
    int64_t f0 = w.chipFloor[k][0];
    int64_t r = lastIn(k, [&](const SchedInst &s) {
      return s.chip == 1 && s.numOperands > 0 && s.cycle + 1 < f0;
    });
    int64_t b = firstIn(k + 1, [](const SchedInst &s) {
      return s.chip == 1 && s.stream >= 0 && s.numResults > 0;
    });
    if (r >= 0 && b >= 0)
      done = endRead(p, size_t(r), 0, size_t(b));
  }
  ASSERT_TRUE(done) << "no chip-1 read below chip 0's floor";
  std::vector<std::string> d = checkOnChip1();
  EXPECT_TRUE(mentions(d, "is ended before it is read")) << join(d);
}

TEST_F(BrokenPerChip, SramOrderOnChip1BelowChip0sFloor) {
  bool done = false;
  for (size_t k = 0; k + 2 < w.begin.size() && !done; ++k) {
    int64_t f0 = w.chipFloor[k][0];
    int64_t x = lastIn(k, [&](const SchedInst &s) {
      return s.chip == 1 && s.inst.op == lpuc::isa::Opcode::MemRead &&
             s.cycle > 0 && s.cycle < f0;
    });
    int64_t y = firstIn(k + 1, [](const SchedInst &s) {
      return s.chip == 1 && s.inst.op == lpuc::isa::Opcode::MemWrite;
    });
    if (x < 0 || y < 0)
      continue;
    const SchedInst &rd = p.at(size_t(x));
    SchedInst &wr = p.at(size_t(y));
    wr.index = rd.index;
    wr.inst.a = rd.inst.a;
    wr.inst.b = rd.inst.b;
    wr.cycle = rd.cycle - 1;
    done = true;
  }
  ASSERT_TRUE(done) << "no chip-1 read below chip 0's floor";
  std::vector<std::string> d = checkOnChip1();
  EXPECT_TRUE(mentions(d, "writes bank")) << join(d);
}

TEST(VerifyStreamPerChip, KeepsWhatEachChipsFloorAllows) {
  struct Case {
    const std::string *model;
    const char *chips;
  };
  for (Case c : {Case{&kMlp, "2"}, Case{&kGpt2, "3"}}) {
    Program p;
    compile(p, *c.model, c.chips, 512);
    if (HasFatalFailure())
      return;
    const lpuc::isa::Machine &m = *p.machine;
    uint32_t chips = lpuc::verify::chipCount(*p.module);
    for (Floors use : {Floors::PerChip, Floors::PerChipZeroUntilFirst}) {
      Windows w = windows(p, cuts(p, 10), use);
      ASSERT_GT(w.begin.size(), 5u);
      size_t sumKept = 0, sumGlobal = 0;
      bool ok = false;
      windowed(p, w, &ok, [&](size_t k, const ScheduleChecker &ch) {
        std::vector<int64_t> f = w.floorsAfter(k);
        int64_t minF = *std::min_element(f.begin(), f.end());
        // Puts and reads at cycles >= their chip's floor (a good program
        // has no clashes and no ended reads); sends at >= the smallest
        // floor; per queue the instructions at >= its chip's floor and at
        // most one before. `global`: the puts and reads a single floor (the
        // smallest) would keep.
        size_t puts = 0, reads = 0, onQueues = 0, sends = 0, global = 0;
        for (size_t i = 0; i < w.begin[k + 1]; ++i) {
          const SchedInst &s = p.at(i);
          int64_t fc = f[s.chip];
          int64_t t = s.cycle + int64_t(m.outputLatency(s.inst));
          if (s.stream >= 0) {
            puts += t >= fc ? s.numResults : 0;
            global += t >= minF ? s.numResults : 0;
          }
          for (const auto &g : s.groups)
            for (unsigned j = 0; j < g.count; ++j) {
              reads += s.cycle + j / g.perCycle >= fc;
              global += s.cycle + j / g.perCycle >= minF;
            }
          onQueues += s.cycle >= fc;
          sends += s.inst.op == lpuc::isa::Opcode::C2cSend && s.cycle >= minF;
        }
        ScheduleChecker::Kept kept = ch.kept();
        EXPECT_EQ(kept.puts, puts) << "window " << k;
        EXPECT_EQ(kept.reads, reads) << "window " << k;
        EXPECT_EQ(kept.sends, sends) << "window " << k;
        EXPECT_GE(kept.queueEntries, onQueues) << "window " << k;
        EXPECT_LE(kept.queueEntries, onQueues + size_t(m.numQueues()) * chips)
            << "window " << k;
        if (k + 2 < w.begin.size()) {
          sumKept += kept.puts + kept.reads;
          sumGlobal += global;
        }
        if (k + 2 == w.begin.size()) {
          EXPECT_EQ(kept.puts, 0u);
          EXPECT_EQ(kept.reads, 0u);
          EXPECT_EQ(kept.sends, 0u);
          EXPECT_EQ(kept.linkSlots, 0u);
          EXPECT_EQ(kept.rows, 0u);
        }
      });
      EXPECT_TRUE(ok);
      std::cerr << *c.model << " on " << c.chips << " chips, "
                << (use == Floors::PerChip ? "exact" : "zero-until-first")
                << " per-chip floors: puts+reads kept summed over "
                << w.begin.size() - 2 << " cuts " << sumKept
                << " (the smallest floor for all chips: " << sumGlobal << ")\n";
    }
  }
}

} // namespace
