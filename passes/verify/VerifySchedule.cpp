//===- VerifySchedule.cpp - Independent checker of a scheduled module -----===//
//
// Checks a scheduled lpuhw module with the hazard rules of the emulator
// (ARCH.md sections 1 and 6); every number comes from isa::Machine. See
// docs/passes/lpuhw-verify-schedule.md for the list of rules.
//
//===----------------------------------------------------------------------===//
#include "passes/verify/Passes.h"
#include "passes/verify/ScheduleInfo.h"

#include "passes/layout/LayoutUtils.h"

#include "dialects/lpuhw/LpuhwDialect.h"
#include "dialects/lpuhw/LpuhwOps.h"
#include "runtime/isa/Topology.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace lpuc {
#define GEN_PASS_DEF_LPUHWVERIFYSCHEDULEPASS
#include "passes/verify/Passes.h.inc"
} // namespace lpuc

using namespace mlir;

namespace lpuc::verify {
namespace {

class Checker {
public:
  Checker(const isa::Machine &m, const ChunkedVector<SchedInst> &insts,
          uint32_t chips)
      : m_(m), insts_(insts), chips_(chips) {}

  void run() {
    // The puts' narrow fields: cycles below 2^30, chips below 2^22.
    for (const SchedInst &s : insts_)
      if (s.cycle >= (int64_t(1) << 30) || s.chip >= (1u << 22)) {
        error(s) << "program too long or too wide for the checker (issue at "
                    "cycle 2^30 or later, or chip 2^22 or above)";
        return;
      }
    checkChips();
    indexPuts();
    checkReads();
    std::vector<Put>().swap(puts_); // only the reads look at them
    checkQueues();
    checkSram();
    checkMxm();
  }
  bool failed() const { return failed_; }

private:
  /// "MEM-W0 at cycle 12"
  std::string where(const SchedInst &s) const {
    return (chips_ > 1 ? "chip " + std::to_string(s.chip) + " " : "") +
           m_.queueName(s.queue) + " at cycle " + std::to_string(s.cycle);
  }
  /// "mem.read (MEM-W0 at cycle 12)"
  std::string what(const SchedInst &s) const {
    return std::string(isa::opcodeName(s.inst.op)) + " (" + where(s) + ")";
  }
  InFlightDiagnostic error(const SchedInst &s) {
    failed_ = true;
    InFlightDiagnostic d = s.emitError();
    d << where(s) << ": ";
    return d;
  }
  const char *dirName(int64_t stream) const {
    return m_.direction(uint8_t(stream)) == isa::Direction::East ? "eastward"
                                                                 : "westward";
  }
  int64_t putCycle(const SchedInst &s) const {
    return s.cycle + int64_t(m_.outputLatency(s.inst));
  }
  /// Values on one stream that are put on one diagonal (east: cycle -
  /// position constant; west: cycle + position) are the same moving slot.
  int64_t diagonal(int64_t stream, int pos, int64_t cycle) const {
    return m_.direction(uint8_t(stream)) == isa::Direction::East ? cycle - pos
                                                                 : cycle + pos;
  }

  /// A value put on a stream: the (chip, stream) key, the diagonal it
  /// moves on, where it is put and by whom.
  /// 16 bytes (one per value put, 2.4M on the 55M GPT-2): run() checked
  /// that cycles, chips and positions fit.
  struct Put {
    uint32_t key;
    int32_t diag;
    int16_t position;
    uint16_t result;
    int32_t inst;
  };
  static bool byDiagonal(const Put &a, const Put &b) {
    return std::tie(a.key, a.diag) < std::tie(b.key, b.diag);
  }

  // Rule: no two values put on the same (stream, position, cycle). On one
  // stream and diagonal, the position fixes the cycle: the earliest put in
  // program order at that position is kept, each later one is the clash.
  // The puts are one array sorted by (key, diagonal), program order within
  // (a map of lists cost about 100 bytes per value on 1.7M instructions).
  void indexPuts() {
    size_t n = 0;
    for (const SchedInst &s : insts_)
      if (s.stream >= 0)
        n += s.numResults;
    puts_.reserve(n);
    for (auto [i, s] : llvm::enumerate(insts_)) {
      if (s.stream < 0)
        continue;
      int64_t t = putCycle(s);
      for (unsigned k = 0; k < s.numResults; ++k) {
        int64_t st = s.stream + k;
        puts_.push_back({key(s.chip, st), int32_t(diagonal(st, s.position, t)),
                         s.position, uint16_t(k), int32_t(i)});
      }
    }
    // By (key, diagonal, position), program order within: a run of one
    // position is a clash after its first put. (Total orders: std::sort
    // needs no buffer and the result does not depend on the input order.)
    std::sort(puts_.begin(), puts_.end(), [](const Put &a, const Put &b) {
      return std::tie(a.key, a.diag, a.position, a.inst, a.result) <
             std::tie(b.key, b.diag, b.position, b.inst, b.result);
    });
    // Each clash as (inst, result, first put's inst), copied out before the
    // compaction overwrites its slot; reported in program order.
    std::vector<std::tuple<int, unsigned, int>> clashes;
    size_t kept = 0;
    for (size_t j = 0; j < puts_.size(); ++j) {
      const Put p = puts_[j];
      if (kept > 0) {
        const Put &first = puts_[kept - 1];
        if (first.key == p.key && first.diag == p.diag &&
            first.position == p.position) {
          clashes.emplace_back(p.inst, p.result, first.inst);
          continue;
        }
      }
      puts_[kept++] = p;
    }
    puts_.resize(kept);
    std::sort(clashes.begin(), clashes.end());
    for (auto [inst, k, firstInst] : clashes) {
      const SchedInst &s = insts_[size_t(inst)];
      error(s) << "result " << k << " is put on stream " << s.stream + k
               << " at position " << s.position << " in cycle " << putCycle(s)
               << ", where " << what(insts_[size_t(firstInst)])
               << " also puts a value in the same cycle";
    }
    // Program order within each diagonal, as the readers look at them.
    std::sort(puts_.begin(), puts_.end(), [](const Put &a, const Put &b) {
      return std::tie(a.key, a.diag, a.inst, a.result) <
             std::tie(b.key, b.diag, b.inst, b.result);
    });
  }

  // Rules: every read is at the cycle its value passes the reader's
  // position, on the right stream of its group, and nothing ended the value
  // on its way.
  void checkReads() {
    for (const SchedInst &s : insts_) {
      for (const InputGroup &g : s.groups) {
        if (g.count == 0)
          continue;
        const OperandSource &first = s.operands()[g.first];
        if (insts_[first.producer].chip != s.chip) {
          error(s) << "reads a stream value of chip "
                   << insts_[first.producer].chip << " on chip " << s.chip
                   << " (vectors cross chips only through c2c_send and "
                      "c2c_recv)";
          continue;
        }
        int64_t base = insts_[first.producer].stream + first.result;
        if (!m_.validGroup(uint8_t(base), g.perCycle)) {
          error(s) << "operands " << g.first << ".." << g.first + g.perCycle - 1
                   << " must be on " << g.perCycle
                   << " consecutive streams of one direction from stream "
                   << base;
          continue;
        }
        for (unsigned j = 0; j < g.count; ++j)
          checkRead(s, g, j, base);
      }
    }
  }

  void checkRead(const SchedInst &s, const InputGroup &g, unsigned j,
                 int64_t base) {
    unsigned opIdx = g.first + j;
    const OperandSource &src = s.operands()[opIdx];
    const SchedInst &p = insts_[src.producer];
    int64_t stream = p.stream + src.result;
    int64_t want = base + j % g.perCycle;
    int64_t tc = s.cycle + j / g.perCycle;
    if (stream != want) {
      error(s) << "operand " << opIdx << " is on stream " << stream
               << " but its group reads it from stream " << want
               << " (the planes of a group are on consecutive streams in "
                  "operand order)";
      return;
    }
    int64_t tp = putCycle(p);
    isa::Direction dir = m_.direction(uint8_t(stream));
    int64_t arrive = m_.arrival(dir, p.position, tp, s.position);
    if (arrive < 0) {
      error(s) << "operand " << opIdx << " (stream " << stream << ", "
               << dirName(stream) << ") never passes position " << s.position
               << ": its producer " << what(p) << " puts it at position "
               << p.position;
      return;
    }
    if (arrive != tc) {
      error(s) << "operand " << opIdx << " (stream " << stream
               << ") does not pass position " << s.position << " at cycle "
               << tc << ": its producer " << what(p) << " puts it at position "
               << p.position << " in cycle " << tp << ", so it passes position "
               << s.position << " in cycle " << arrive;
      return;
    }
    // A put on the same moving slot between the producer (exclusive) and the
    // reader (inclusive) ends the value before it is read.
    Put probe{key(p.chip, stream), int32_t(diagonal(stream, p.position, tp)), 0,
              0, 0};
    auto [lo, hi] =
        std::equal_range(puts_.begin(), puts_.end(), probe, byDiagonal);
    for (const Put &other : llvm::make_range(lo, hi)) {
      if (other.inst == src.producer && other.result == src.result)
        continue;
      bool between =
          dir == isa::Direction::East
              ? other.position > p.position && other.position <= s.position
              : other.position < p.position && other.position >= s.position;
      if (!between)
        continue;
      const SchedInst &o = insts_[other.inst];
      error(s) << "operand " << opIdx << " (stream " << stream
               << ") is ended before it is read: " << what(o)
               << " puts another value on stream " << stream << " at position "
               << other.position << " in cycle " << putCycle(o)
               << ", on its way from " << what(p) << " at position "
               << p.position << " to position " << s.position;
      return;
    }
  }

  // Rules: one issue per queue per cycle, queueCycles held; MEM: at most one
  // read and one write per slice per cycle, not to the same bank (the
  // emitter issues such a pair as one mem.read_write).
  void checkQueues() {
    std::vector<std::vector<int>> byQueue(size_t(m_.numQueues()) * chips_);
    for (auto [i, s] : llvm::enumerate(insts_))
      byQueue[size_t(s.chip) * m_.numQueues() + s.queue].push_back(int(i));
    auto isMem = [](const SchedInst &s) {
      return s.inst.op == isa::Opcode::MemRead ||
             s.inst.op == isa::Opcode::MemWrite;
    };
    for (std::vector<int> &q : byQueue) {
      std::sort(q.begin(), q.end(), [&](int a, int b) {
        return std::make_pair(insts_[a].cycle, a) <
               std::make_pair(insts_[b].cycle, b);
      });
      for (size_t k = 1; k < q.size(); ++k) {
        const SchedInst &cur = insts_[q[k]];
        if (isMem(cur)) {
          // Every earlier MEM op of this slice in the same cycle.
          bool failed = false;
          for (size_t j = k; j-- > 0 && !failed;) {
            const SchedInst &prev = insts_[q[j]];
            if (prev.cycle != cur.cycle)
              break;
            bool curRead = cur.inst.op == isa::Opcode::MemRead;
            bool prevRead = prev.inst.op == isa::Opcode::MemRead;
            failed = true;
            if (curRead && prevRead)
              error(cur) << "second read of the slice in one cycle (also "
                         << "reading: " << what(prev) << " of bank "
                         << prev.inst.a << " row " << prev.inst.b
                         << "); a slice serves at most one read per cycle";
            else if (!curRead && !prevRead)
              error(cur) << "second write of the slice in one cycle (also "
                         << "writing: " << what(prev) << " to bank "
                         << prev.inst.a << " row " << prev.inst.b
                         << "); a slice serves at most one write per cycle";
            else if (cur.inst.a == prev.inst.a)
              error(cur) << "read and write of bank " << cur.inst.a
                         << " in one cycle (" << what(prev)
                         << "); a read and a write in one cycle must use "
                            "different banks";
            else
              failed = false;
          }
          if (failed)
            continue;
        }
        // The latest other-cycle (or non-MEM) predecessor holds the queue.
        size_t j = k;
        while (j > 0 && isMem(cur) && insts_[q[j - 1]].cycle == cur.cycle &&
               isMem(insts_[q[j - 1]]))
          --j;
        if (j == 0)
          continue;
        const SchedInst &prev = insts_[q[j - 1]];
        int64_t freeAt = prev.cycle + int64_t(m_.queueCycles(prev.inst));
        if (cur.cycle >= freeAt)
          continue;
        error(cur) << "queue is busy until cycle " << freeAt << " with "
                   << what(prev) << "; one instruction issues per queue "
                   << "per cycle";
      }
    }
  }

  // Rules, in program order per SRAM row: a read after a write of the row is
  // at least memWriteLatency later; a write after a read is not earlier than
  // the read; a later write is later.
  void checkSram() {
    struct Row {
      int lastWrite = -1;
      int latestRead = -1; // since lastWrite
    };
    std::map<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>, Row> rows;
    int64_t lat = m_.memWriteLatency();
    for (auto [i, s] : llvm::enumerate(insts_)) {
      bool read = s.inst.op == isa::Opcode::MemRead;
      bool write = s.inst.op == isa::Opcode::MemWrite;
      if (!read && !write)
        continue;
      Row &r = rows[{s.chip, s.index, s.inst.a, s.inst.b}];
      std::string addr = "bank " + std::to_string(s.inst.a) + " row " +
                         std::to_string(s.inst.b);
      if (read) {
        if (r.lastWrite >= 0 && s.cycle < insts_[r.lastWrite].cycle + lat) {
          const SchedInst &w = insts_[r.lastWrite];
          error(s) << "reads " << addr << " before the earlier " << what(w)
                   << " has written it (the row holds the value from cycle "
                   << w.cycle + lat << ")";
        }
        if (r.latestRead < 0 || insts_[r.latestRead].cycle < s.cycle)
          r.latestRead = int(i);
        continue;
      }
      if (r.latestRead >= 0 && s.cycle < insts_[r.latestRead].cycle) {
        error(s) << "writes " << addr << " before the earlier "
                 << what(insts_[r.latestRead]) << " has read it";
      } else if (r.lastWrite >= 0 && s.cycle <= insts_[r.lastWrite].cycle) {
        error(s) << "writes " << addr << " no later than the earlier "
                 << what(insts_[r.lastWrite])
                 << " (writes of one row must keep program order)";
      }
      r.lastWrite = int(i);
      r.latestRead = -1;
    }
  }

  // Rules, in program order per plane (the emulator's plane model): a load
  // starts after the previous install; an install needs a tile in the shadow
  // buffer (loaded, or the tile a previous install swapped out) whose load
  // has completed, and follows the earlier multiplies; a multiply needs an
  // installed tile of its type, keeps the issue interval and accumulates
  // only into a row an earlier multiply wrote. The odd plane of a pair that
  // holds a 16/32-bit tile is not used on its own.
  void checkMxm() {
    struct Plane {
      bool shadow = false, active = false;
      isa::DType shadowType = isa::DType::Invalid;
      isa::DType activeType = isa::DType::Invalid;
      int load = -1; // the load that filled the shadow buffer, if any
      int lastInstall = -1;
      int lastMul = -1;
      llvm::DenseSet<uint32_t> written;
    };
    uint32_t numPlanes = m_.target().mxm_planes();
    std::vector<Plane> planes(size_t(numPlanes) * chips_);
    auto wide = [](isa::DType d) { return isa::widthBytes(d) > 1; };
    for (auto [i, s] : llvm::enumerate(insts_)) {
      if (s.inst.op != isa::Opcode::MxmLoad &&
          s.inst.op != isa::Opcode::MxmInstall &&
          s.inst.op != isa::Opcode::MxmMul)
        continue;
      Plane &pl = planes[size_t(s.chip) * numPlanes + s.index];
      std::string plane = "plane " + std::to_string(s.index);
      if (s.index % 2 == 1) {
        const Plane &even = planes[size_t(s.chip) * numPlanes + s.index - 1];
        if ((even.active && wide(even.activeType)) ||
            (even.shadow && wide(even.shadowType))) {
          error(s) << plane << " is paired with plane " << s.index - 1
                   << ", which holds a 16/32-bit tile";
          continue;
        }
      }
      if (s.inst.op == isa::Opcode::MxmLoad) {
        if (pl.lastInstall >= 0 && s.cycle <= insts_[pl.lastInstall].cycle)
          error(s) << "load_weights starts before the earlier "
                   << what(insts_[pl.lastInstall])
                   << " has swapped the shadow buffer out (load from cycle "
                   << insts_[pl.lastInstall].cycle + 1 << ")";
        pl.shadow = true;
        pl.shadowType = s.inst.dtype;
        pl.load = int(i);
        continue;
      }
      if (s.inst.op == isa::Opcode::MxmInstall) {
        if (!pl.shadow) {
          error(s) << "install with no tile loaded in the shadow buffer of "
                   << plane;
        } else if (pl.load >= 0) {
          const SchedInst &l = insts_[pl.load];
          int64_t done = l.cycle + int64_t(m_.queueCycles(l.inst));
          if (s.cycle < done)
            error(s) << "install before " << what(l)
                     << " completes: the tile is loaded at cycle " << done;
        }
        if (pl.lastMul >= 0) {
          const SchedInst &mul = insts_[pl.lastMul];
          int64_t free = mul.cycle + int64_t(m_.queueCycles(mul.inst));
          if (s.cycle < free)
            error(s) << "install while the earlier " << what(mul)
                     << " still uses the active tile (install from cycle "
                     << free << ")";
        }
        bool wasActive = pl.active;
        std::swap(pl.activeType, pl.shadowType);
        pl.active = pl.shadow;
        pl.shadow = wasActive;
        pl.load = -1;
        pl.lastInstall = int(i);
        continue;
      }
      // Multiply.
      if (!pl.active) {
        error(s) << "multiply on " << plane
                 << " with no installed tile (no mxm_install before it)";
      } else {
        const SchedInst &ins = insts_[pl.lastInstall];
        if (s.cycle <= ins.cycle)
          error(s) << "multiply before the earlier " << what(ins)
                   << " has taken effect (multiply from cycle " << ins.cycle + 1
                   << ")";
        else if (pl.activeType != s.inst.dtype)
          error(s) << "multiplies " << isa::dtypeName(s.inst.dtype)
                   << " activations with an installed "
                   << isa::dtypeName(pl.activeType) << " tile";
      }
      if (pl.lastMul >= 0) {
        const SchedInst &prev = insts_[pl.lastMul];
        // The earlier multiply holds the plane for its own issue interval
        // (the emulator's queue model), whatever the later one's type.
        int64_t next =
            prev.cycle + int64_t(m_.mxmIssueInterval(prev.inst.dtype));
        if (s.cycle < next)
          error(s) << "multiply within the issue interval of the earlier "
                   << what(prev) << " (next multiply from cycle " << next
                   << ")";
      }
      if ((s.inst.flags & isa::kAccumulate) && !pl.written.count(s.inst.a))
        error(s) << "accumulates into accumulator row " << s.inst.a << " of "
                 << plane << ", which no earlier multiply wrote";
      pl.written.insert(s.inst.a);
      pl.lastMul = int(i);
    }
  }

  /// A stream of a chip as one key.
  static uint32_t key(uint32_t chip, int64_t stream) {
    return chip * 1024 + uint32_t(stream);
  }

  // Rules: a c2c_recv issues exactly when its vector arrives: send cycle +
  // c2c_link_latency_cycles per hop of the route, on the link the route
  // arrives on; the send leaves on the route's first link; every directed
  // link carries one vector per c2c_vector_cycles (isa::LinkSchedule).
  void checkChips() {
    bool any = false;
    for (const SchedInst &s : insts_)
      any |= s.inst.op == isa::Opcode::C2cSend;
    if (!any)
      return;
    absl::StatusOr<isa::Topology> topo =
        isa::Topology::create(m_.target(), chips_);
    if (!topo.ok()) {
      failed_ = true;
      insts_.front().emitError() << std::string(topo.status().message());
      return;
    }
    std::vector<std::pair<int64_t, int>> sends;
    for (auto [i, s] : llvm::enumerate(insts_)) {
      if (s.inst.op != isa::Opcode::C2cRecv)
        continue;
      const SchedInst &send = insts_[s.operands()[0].producer];
      isa::Route route = topo->route(send.chip, s.chip);
      if (route.empty())
        continue; // the op verifier rejects a send to its own chip
      if (send.index != route[0].link)
        error(send) << "the route from chip " << send.chip << " to chip "
                    << s.chip << " leaves on link " << route[0].link
                    << ", not link " << send.index;
      isa::LinkEnd last = topo->peer(route.back().chip, route.back().link);
      int64_t arrive = int64_t(topo->arrivalCycle(uint64_t(send.cycle), route));
      if (s.index != last.link)
        error(s) << "the vector from chip " << send.chip << " arrives on link "
                 << last.link << ", not link " << s.index;
      else if (s.cycle != arrive)
        error(s) << "the vector sent by " << what(send) << " of chip "
                 << send.chip << " arrives in cycle " << arrive << " ("
                 << route.size() << " hop(s)); a receive must issue exactly "
                 << "then";
      sends.push_back({send.cycle, s.operands()[0].producer});
    }
    std::sort(sends.begin(), sends.end());
    isa::LinkSchedule links(*topo);
    for (auto [cycle, i] : sends) {
      const SchedInst &send = insts_[i];
      isa::Route route = topo->route(send.chip, send.inst.a);
      if (absl::Status st = links.reserveRoute(route, uint64_t(cycle));
          !st.ok())
        error(send) << std::string(st.message());
    }
  }

  const isa::Machine &m_;
  const ChunkedVector<SchedInst> &insts_;
  uint32_t chips_;
  std::vector<Put> puts_;
  bool failed_ = false;
};

} // namespace

namespace {
/// Rule: no instruction writes a row of a weight or an input. Their data is
/// in SRAM before the first instruction (the loader writes it), so such a
/// write, even one issued before the tensor's first read, destroys it.
bool checkLoadedTensors(ModuleOp module, const isa::Machine &machine,
                        const ChunkedVector<SchedInst> &insts) {
  // Per (chip, slice, bank): first row -> (one past the last, tensor).
  using Key = std::tuple<uint32_t, uint32_t, uint32_t>;
  std::map<Key, std::map<uint32_t, std::pair<uint32_t, lpuhw::TensorOp>>>
      loaded;
  module.walk([&](lpuhw::TensorOp t) {
    if (!layout::isLoaded(t))
      return;
    layout::TensorRows r = layout::rowsOf(t, machine);
    for (uint32_t slice : r.slices)
      loaded[{r.chip, slice, r.bank}][r.lo] = {r.hi, t};
  });
  // One error per tensor (at its first offending write), with the count.
  struct Bad {
    const SchedInst *first;
    uint32_t end; // one past the tensor's last row
    unsigned count;
  };
  std::map<Operation *, Bad> bad;
  std::vector<lpuhw::TensorOp> order;
  for (const SchedInst &s : insts) {
    if (s.inst.op != isa::Opcode::MemWrite)
      continue;
    auto it = loaded.find({s.chip, s.index, s.inst.a});
    if (it == loaded.end())
      continue;
    auto r = it->second.upper_bound(s.inst.b);
    if (r == it->second.begin() || std::prev(r)->second.first <= s.inst.b)
      continue;
    auto [end, t] = std::prev(r)->second;
    auto [b, inserted] = bad.try_emplace(t, Bad{&s, end, 0});
    if (inserted)
      order.push_back(t);
    ++b->second.count;
  }
  for (lpuhw::TensorOp t : order) {
    auto [s, end, count] = bad[t];
    InFlightDiagnostic d = s->emitError();
    d << "writes slice " << s->index << " bank " << s->inst.a << " row "
      << s->inst.b << ", which holds " << t.getKind() << " @" << t.getSymName()
      << " (loaded before the program starts; rows " << t.getBaseRow() << ".."
      << end << " of its slices)";
    if (count > 1)
      d << "; " << count - 1 << " more writes into it";
  }
  return bad.empty();
}
} // namespace

LogicalResult verifySchedule(ModuleOp module, const isa::Machine &machine) {
  InstructionList list;
  if (failed(collectInstructions(module, machine, list)))
    return failure();
  return verifySchedule(module, machine, list.insts);
}

LogicalResult verifySchedule(ModuleOp module, const isa::Machine &machine,
                             const ChunkedVector<SchedInst> &insts) {
  Checker checker(machine, insts, chipCount(module));
  checker.run();
  bool ok = !checker.failed();
  ok = checkLoadedTensors(module, machine, insts) && ok;

  // The program's length.
  int64_t cycles = programCycles(insts, machine);
  auto attr = module->getAttrOfType<IntegerAttr>(kCyclesAttrName);
  if (!attr) {
    module.emitError() << "module has no `" << kCyclesAttrName
                       << "` attribute (the schedule's length is " << cycles
                       << " cycles)";
    ok = false;
  } else if (attr.getInt() != cycles) {
    InFlightDiagnostic d = module.emitError();
    d << "`" << kCyclesAttrName << "` is " << attr.getInt()
      << " but the program is busy until cycle " << cycles;
    for (const SchedInst &s : insts)
      if (s.cycle + int64_t(machine.busyCycles(s.inst)) == cycles) {
        d << " (" << isa::opcodeName(s.inst.op) << " on "
          << machine.queueName(s.queue) << " issued at cycle " << s.cycle
          << " is busy for " << machine.busyCycles(s.inst) << " cycles)";
        break;
      }
    ok = false;
  }
  return success(ok);
}

} // namespace lpuc::verify

namespace {
struct LpuhwVerifySchedulePass
    : lpuc::impl::LpuhwVerifySchedulePassBase<LpuhwVerifySchedulePass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<std::unique_ptr<lpuc::isa::Machine>> machine =
        lpuc::lpuhw::getMachine(module);
    if (failed(machine))
      return signalPassFailure();
    if (failed(lpuc::verify::verifySchedule(module, **machine)))
      signalPassFailure();
    markAllAnalysesPreserved();
  }
};
} // namespace
