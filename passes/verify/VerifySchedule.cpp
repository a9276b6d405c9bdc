//===- VerifySchedule.cpp - Independent checker of a scheduled module -----===//
//
// Checks a scheduled lpuhw module with the hazard rules of the emulator
// (ARCH.md sections 1 and 6); every number comes from isa::Machine. See
// docs/passes/lpuhw-verify-schedule.md for the list of rules. The checker
// (ScheduleChecker) takes the program one window at a time and keeps between
// windows only what can still meet a later instruction.
//
//===----------------------------------------------------------------------===//
#include "passes/verify/Passes.h"
#include "passes/verify/ScheduleChecker.h"
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
#include <optional>
#include <tuple>

namespace lpuc {
#define GEN_PASS_DEF_LPUHWVERIFYSCHEDULEPASS
#include "passes/verify/Passes.h.inc"
} // namespace lpuc

using namespace mlir;

namespace lpuc::verify {

namespace {
/// What a message needs of an instruction that is no longer at hand: its
/// opcode, queue, issue cycle and chip (12 bytes).
struct Who {
  int32_t cycle = 0;
  uint32_t chip = 0;
  uint16_t queue = 0;
  isa::Opcode op = isa::Opcode::Nop;
  static Who of(const SchedInst &s) {
    return {s.cycle, s.chip, s.queue, s.inst.op};
  }
};

bool isMem(isa::Opcode op) {
  return op == isa::Opcode::MemRead || op == isa::Opcode::MemWrite;
}
} // namespace

class ScheduleChecker::Impl {
public:
  Impl(ModuleOp module, const isa::Machine &m, uint32_t chips)
      : module_(module), m_(m), chips_(chips),
        floors_(chips, std::numeric_limits<int64_t>::min()),
        queues_(size_t(m.numQueues()) * chips),
        planes_(size_t(m.target().mxm_planes()) * chips) {}

  LogicalResult addWindow(const ChunkedVector<SchedInst> &ws, size_t base,
                          ArrayRef<int64_t> floors) {
    assert(base == next_ && "windows must be added in program order");
    assert(floors.size() == chips_ && "one floor per chip");
    minFloor_ = std::numeric_limits<int64_t>::max();
    for (uint32_t c = 0; c < chips_; ++c) {
      floors_[c] = std::max(floors_[c], floors[c]);
      minFloor_ = std::min(minFloor_, floors_[c]);
    }
    next_ += ws.size();
    if (!firstLoc_ && !ws.empty())
      firstLoc_ = ws.front().loc;
    scanTensors();
    checkLoadedWrites(ws, base);
    for (const SchedInst &s : ws) {
      int64_t end = s.cycle + int64_t(m_.busyCycles(s.inst));
      if (!hasEnd_ || end > end_) {
        hasEnd_ = true;
        end_ = end;
        endWho_ = Who::of(s);
        endBusy_ = m_.busyCycles(s.inst);
      }
    }
    if (broken_)
      return success(!failed_);
    // The puts' narrow fields: cycles below 2^30, chips below 2^22.
    for (const SchedInst &s : ws)
      if (s.cycle >= (int64_t(1) << 30) || s.chip >= (1u << 22)) {
        error(s) << "program too long or too wide for the checker (issue at "
                    "cycle 2^30 or later, or chip 2^22 or above)";
        dropState();
        return failure();
      }
    checkChips(ws, base);
    checkPuts(ws, base);
    checkQueues(ws, base);
    checkSram(ws);
    checkMxm(ws);
    return success(!failed_);
  }

  LogicalResult finish() {
    if (!broken_) {
      std::fill(floors_.begin(), floors_.end(), kNoLaterWindow);
      minFloor_ = kNoLaterWindow;
      reserveSends();
      checkQueues(ChunkedVector<SchedInst>(), next_);
    }
    dropState();
    reportLoadedWrites();
    checkLength();
    return success(!failed_);
  }

  uint32_t chips() const { return chips_; }

  Kept kept() const {
    Kept k;
    k.puts = puts_.size();
    k.reads = reads_.size();
    for (const std::vector<QEntry> &q : queues_)
      k.queueEntries += q.size();
    k.sends = sends_.size();
    k.linkSlots = links_ ? links_->numReservations() : 0;
    k.rows = rows_.size();
    for (const auto &[key, runs] : written_) {
      k.writtenRuns += runs.size();
      k.bytes += sizeof(key) + 32 +
                 runs.size() * (sizeof(uint32_t) + sizeof(WrittenRun) + 32);
    }
    k.bytes = puts_.capacity() * sizeof(KeptPut) +
              reads_.capacity() * sizeof(PendingRead) +
              queues_.capacity() * sizeof(std::vector<QEntry>) +
              sends_.capacity() * sizeof(PendingSend) +
              rows_.size() * (sizeof(RowKey) + sizeof(Row) + 32) +
              planes_.capacity() * sizeof(Plane) +
              floors_.capacity() * sizeof(int64_t) +
              k.linkSlots * (sizeof(uint64_t) + 32);
    for (const std::vector<QEntry> &q : queues_)
      k.bytes += q.capacity() * sizeof(QEntry);
    for (const Plane &pl : planes_)
      k.bytes += pl.written.getMemorySize();
    return k;
  }

private:
  // --- Messages -----------------------------------------------------------
  /// "MEM-W0 at cycle 12"
  std::string where(const Who &s) const {
    return (chips_ > 1 ? "chip " + std::to_string(s.chip) + " " : "") +
           m_.queueName(s.queue) + " at cycle " + std::to_string(s.cycle);
  }
  /// "mem.read (MEM-W0 at cycle 12)"
  std::string what(const Who &s) const {
    return std::string(isa::opcodeName(s.op)) + " (" + where(s) + ")";
  }
  std::string what(const SchedInst &s) const { return what(Who::of(s)); }
  InFlightDiagnostic error(LocationAttr loc, const Who &s) {
    failed_ = true;
    InFlightDiagnostic d = mlir::emitError(Location(loc));
    d << where(s) << ": ";
    return d;
  }
  InFlightDiagnostic error(const SchedInst &s) {
    return error(s.loc, Who::of(s));
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
  /// A stream of a chip as one key.
  static uint32_t key(uint32_t chip, int64_t stream) {
    return chip * 1024 + uint32_t(stream);
  }
  /// No later instruction on `chip` issues before its floor.
  int64_t floorOf(uint32_t chip) const { return floors_[chip]; }

  /// Frees every kept instruction (after the last window, or once the
  /// program is too long for the rules).
  void dropState() {
    broken_ = true;
    std::vector<KeptPut>().swap(puts_);
    std::vector<PendingRead>().swap(reads_);
    for (std::vector<QEntry> &q : queues_)
      std::vector<QEntry>().swap(q);
    std::vector<PendingSend>().swap(sends_);
    links_.reset();
    rows_.clear();
  }

  // --- C2C ----------------------------------------------------------------
  struct PendingSend {
    int64_t inst;
    Who who;
    LocationAttr loc;
    uint32_t dest;
  };

  // Rules: a c2c_recv issues exactly when its vector arrives: send cycle +
  // c2c_link_latency_cycles per hop of the route, on the link the route
  // arrives on; the send leaves on the route's first link; every directed
  // link carries one vector per c2c_vector_cycles (isa::LinkSchedule). The
  // links are reserved in (send cycle, program order), each send once its
  // cycle is below the smallest floor of all chips (no later send, from
  // any chip, can come before it: a route's hops use other chips' links).
  void checkChips(const ChunkedVector<SchedInst> &ws, size_t base) {
    bool any = false;
    for (const SchedInst &s : ws)
      any |= s.inst.op == isa::Opcode::C2cSend;
    if (any && !topo_ && !topoFailed_) {
      absl::StatusOr<isa::Topology> topo =
          isa::Topology::create(m_.target(), chips_);
      if (!topo.ok()) {
        failed_ = true;
        topoFailed_ = true;
        mlir::emitError(Location(firstLoc_))
            << std::string(topo.status().message());
      } else {
        topo_.emplace(std::move(*topo));
        links_ = std::make_unique<isa::LinkSchedule>(*topo_);
      }
    }
    if (any && topo_) {
      for (const SchedInst &s : ws) {
        if (s.inst.op != isa::Opcode::C2cRecv)
          continue;
        int64_t sendIdx = s.operands()[0].producer;
        const SchedInst &send = ws[size_t(sendIdx) - base];
        isa::Route route = topo_->route(send.chip, s.chip);
        if (route.empty())
          continue; // the op verifier rejects a send to its own chip
        if (send.index != route[0].link)
          error(send) << "the route from chip " << send.chip << " to chip "
                      << s.chip << " leaves on link " << route[0].link
                      << ", not link " << send.index;
        isa::LinkEnd last = topo_->peer(route.back().chip, route.back().link);
        int64_t arrive =
            int64_t(topo_->arrivalCycle(uint64_t(send.cycle), route));
        if (s.index != last.link)
          error(s) << "the vector from chip " << send.chip
                   << " arrives on link " << last.link << ", not link "
                   << s.index;
        else if (s.cycle != arrive)
          error(s) << "the vector sent by " << what(send) << " of chip "
                   << send.chip << " arrives in cycle " << arrive << " ("
                   << route.size() << " hop(s)); a receive must issue "
                   << "exactly then";
        sends_.push_back({sendIdx, Who::of(send), send.loc, send.inst.a});
      }
    }
    reserveSends();
  }

  void reserveSends() {
    if (!links_)
      return;
    std::sort(sends_.begin(), sends_.end(),
              [](const PendingSend &a, const PendingSend &b) {
                return std::make_pair(a.who.cycle, a.inst) <
                       std::make_pair(b.who.cycle, b.inst);
              });
    size_t n = 0;
    for (; n < sends_.size() && sends_[n].who.cycle < minFloor_; ++n) {
      const PendingSend &send = sends_[n];
      isa::Route route = topo_->route(send.who.chip, send.dest);
      if (absl::Status st =
              links_->reserveRoute(route, uint64_t(send.who.cycle));
          !st.ok())
        error(send.loc, send.who) << std::string(st.message());
    }
    sends_.erase(sends_.begin(), sends_.begin() + n);
    // Every send still to reserve is at or after the smallest floor, and so
    // are its hops: vectors that left their link by then cannot meet them.
    int64_t from = sends_.empty() ? minFloor_ : sends_.front().who.cycle;
    if (from > 0)
      links_->forgetBefore(uint64_t(from));
  }

  // --- Puts and reads -----------------------------------------------------
  /// A value put on a stream by an instruction of the window being checked:
  /// the (chip, stream) key, the diagonal it moves on, where it is put and
  /// by whom (window index). 16 bytes (one per value put, 2.4M on the 55M
  /// GPT-2 as one window): addWindow checked that cycles, chips and
  /// positions fit.
  struct Put {
    uint32_t key;
    int32_t diag;
    int16_t position;
    uint16_t result;
    int32_t inst;
  };
  /// A put kept for later windows (its cycle is >= its chip's floor; later
  /// puts on its stream are on its chip): the same with
  /// what a message needs of its instruction.
  struct KeptPut {
    uint32_t key;
    int32_t diag;
    int16_t position;
    uint16_t result;
    int32_t putCycle;
    int64_t inst; // program index
    Who who;
  };
  template <typename A, typename B>
  static bool samePlace(const A &a, const B &b) {
    return a.key == b.key && a.diag == b.diag && a.position == b.position;
  }
  /// A read that passed every check but may still be ended by a put of a
  /// later window (one at a cycle >= the chip's floor between producer and
  /// reader).
  struct PendingRead {
    uint32_t key;
    int32_t diag;
    int64_t readCycle;
    int16_t prodPos;
    int16_t readPos;
    uint16_t opIdx;
    int16_t stream;
    bool east;
    Who reader, producer;
    LocationAttr loc;
    int64_t prodInst;
    uint16_t prodResult;
  };
  /// The put that ends a read: what the message names.
  struct Ender {
    Who who;
    int64_t putCycle;
    int position;
  };
  static bool between(bool east, int prodPos, int readPos, int pos) {
    return east ? pos > prodPos && pos <= readPos
                : pos < prodPos && pos >= readPos;
  }
  /// Among `puts` (sorted by key and diagonal; kept puts or a window's), the
  /// first in program order on diagonal (key, diag) between the producer and
  /// the reader (not the producer's own value), or null.
  template <typename P>
  static const P *firstBetween(const std::vector<P> &puts, uint32_t key,
                               int32_t diag, bool east, int prodPos,
                               int readPos, int64_t prodInst,
                               unsigned prodResult) {
    auto lo =
        std::lower_bound(puts.begin(), puts.end(), std::make_pair(key, diag),
                         [](const P &a, const std::pair<uint32_t, int32_t> &b) {
                           return std::make_pair(a.key, a.diag) < b;
                         });
    const P *best = nullptr;
    for (auto it = lo; it != puts.end() && it->key == key && it->diag == diag;
         ++it) {
      if (it->inst == prodInst && it->result == prodResult)
        continue;
      if (!between(east, prodPos, readPos, it->position))
        continue;
      if (!best ||
          std::make_pair(int64_t(it->inst), unsigned(it->result)) <
              std::make_pair(int64_t(best->inst), unsigned(best->result)))
        best = &*it;
    }
    return best;
  }
  /// The first kept put that ends the value (see firstBetween).
  std::optional<Ender> keptBetween(uint32_t key, int32_t diag, bool east,
                                   int prodPos, int readPos, int64_t prodInst,
                                   unsigned prodResult) const {
    const KeptPut *best = firstBetween(puts_, key, diag, east, prodPos, readPos,
                                       prodInst, prodResult);
    if (!best)
      return std::nullopt;
    return Ender{best->who, best->putCycle, best->position};
  }
  /// The same among the window's puts `wp` (window indices).
  std::optional<Ender> windowBetween(const ChunkedVector<SchedInst> &ws,
                                     const std::vector<Put> &wp, uint32_t key,
                                     int32_t diag, bool east, int prodPos,
                                     int readPos, int64_t prodInst,
                                     unsigned prodResult) const {
    const Put *best = firstBetween(wp, key, diag, east, prodPos, readPos,
                                   prodInst, prodResult);
    if (!best)
      return std::nullopt;
    const SchedInst &o = ws[size_t(best->inst)];
    return Ender{Who::of(o), putCycle(o), best->position};
  }
  void endedError(const PendingRead &r, const Ender &o) {
    error(r.loc, r.reader) << "operand " << r.opIdx << " (stream " << r.stream
                           << ") is ended before it is read: " << what(o.who)
                           << " puts another value on stream " << r.stream
                           << " at position " << o.position << " in cycle "
                           << o.putCycle << ", on its way from "
                           << what(r.producer) << " at position " << r.prodPos
                           << " to position " << r.readPos;
  }

  // Rule: no two values put on the same (stream, position, cycle). On one
  // stream and diagonal, the position fixes the cycle: the earliest put in
  // program order at that position is kept (puts_ holds those of earlier
  // windows at cycles >= their chip's floor), each later one is the clash.
  // Rules: every read is at the cycle its value passes the reader's
  // position, on the right stream of its group, and nothing ended the value
  // on its way.
  void checkPuts(const ChunkedVector<SchedInst> &ws, size_t base) {
    size_t n = 0;
    for (const SchedInst &s : ws)
      if (s.stream >= 0)
        n += s.numResults;
    std::vector<Put> wp;
    wp.reserve(n);
    for (auto [i, s] : llvm::enumerate(ws)) {
      if (s.stream < 0)
        continue;
      int64_t t = putCycle(s);
      for (unsigned k = 0; k < s.numResults; ++k) {
        int64_t st = s.stream + k;
        wp.push_back({key(s.chip, st), int32_t(diagonal(st, s.position, t)),
                      s.position, uint16_t(k), int32_t(i)});
      }
    }
    // By (key, diagonal, position), program order within: a run of one
    // position is a clash after its first put. (Total orders: std::sort
    // needs no buffer and the result does not depend on the input order.)
    std::sort(wp.begin(), wp.end(), [](const Put &a, const Put &b) {
      return std::tie(a.key, a.diag, a.position, a.inst, a.result) <
             std::tie(b.key, b.diag, b.position, b.inst, b.result);
    });
    // Each clash as (inst, result, first put), copied out before the
    // compaction overwrites its slot; reported in program order.
    std::vector<std::tuple<int32_t, unsigned, Who>> clashes;
    size_t keptN = 0;
    for (size_t j = 0; j < wp.size(); ++j) {
      const Put p = wp[j];
      auto old = std::lower_bound(puts_.begin(), puts_.end(), p,
                                  [](const KeptPut &a, const Put &b) {
                                    return std::tie(a.key, a.diag, a.position) <
                                           std::tie(b.key, b.diag, b.position);
                                  });
      if (old != puts_.end() && samePlace(*old, p)) {
        clashes.emplace_back(p.inst, p.result, old->who);
        continue;
      }
      if (keptN > 0 && samePlace(wp[keptN - 1], p)) {
        clashes.emplace_back(p.inst, p.result,
                             Who::of(ws[size_t(wp[keptN - 1].inst)]));
        continue;
      }
      wp[keptN++] = p;
    }
    wp.resize(keptN);
    std::sort(clashes.begin(), clashes.end(), [](const auto &a, const auto &b) {
      return std::make_pair(std::get<0>(a), std::get<1>(a)) <
             std::make_pair(std::get<0>(b), std::get<1>(b));
    });
    for (auto [inst, k, first] : clashes) {
      const SchedInst &s = ws[size_t(inst)];
      error(s) << "result " << k << " is put on stream " << s.stream + k
               << " at position " << s.position << " in cycle " << putCycle(s)
               << ", where " << what(first)
               << " also puts a value in the same cycle";
    }

    // Reads of earlier windows that a put of this one ends (earlier readers
    // first, as in program order).
    std::vector<PendingRead> still;
    for (const PendingRead &r : reads_) {
      if (std::optional<Ender> o = windowBetween(ws, wp, r.key, r.diag, r.east,
                                                 r.prodPos, r.readPos, -1, 0))
        endedError(r, *o);
      else if (r.readCycle >= floorOf(r.reader.chip))
        still.push_back(r);
    }
    reads_ = std::move(still);

    // This window's reads.
    for (const SchedInst &s : ws) {
      for (const InputGroup &g : s.groups) {
        if (g.count == 0)
          continue;
        const OperandSource &first = s.operands()[g.first];
        const SchedInst &fp = ws[size_t(first.producer) - base];
        if (fp.chip != s.chip) {
          error(s) << "reads a stream value of chip " << fp.chip << " on chip "
                   << s.chip
                   << " (vectors cross chips only through c2c_send and "
                      "c2c_recv)";
          continue;
        }
        int64_t b = fp.stream + first.result;
        if (!m_.validGroup(uint8_t(b), g.perCycle)) {
          error(s) << "operands " << g.first << ".." << g.first + g.perCycle - 1
                   << " must be on " << g.perCycle
                   << " consecutive streams of one direction from stream " << b;
          continue;
        }
        for (unsigned j = 0; j < g.count; ++j)
          checkRead(ws, base, wp, s, g, j, b);
      }
    }

    // Keep the puts a later window may meet: at cycles >= their chip's
    // floor.
    std::vector<KeptPut> merged;
    size_t late = 0;
    for (const Put &p : wp) {
      const SchedInst &s = ws[size_t(p.inst)];
      late += putCycle(s) >= floorOf(s.chip);
    }
    merged.reserve(late + puts_.size());
    auto old = puts_.begin();
    auto keepOld = [&](const KeptPut *upTo) {
      for (; old != puts_.end() &&
             (!upTo || std::tie(old->key, old->diag, old->position) <
                           std::tie(upTo->key, upTo->diag, upTo->position));
           ++old)
        if (old->putCycle >= floorOf(old->who.chip))
          merged.push_back(*old);
    };
    for (const Put &p : wp) {
      const SchedInst &s = ws[size_t(p.inst)];
      int64_t t = putCycle(s);
      if (t < floorOf(s.chip))
        continue;
      KeptPut k{p.key,     p.diag,     p.position,
                p.result,  int32_t(t), int64_t(base) + p.inst,
                Who::of(s)};
      keepOld(&k);
      merged.push_back(k);
    }
    keepOld(nullptr);
    puts_ = std::move(merged);
  }

  void checkRead(const ChunkedVector<SchedInst> &ws, size_t base,
                 const std::vector<Put> &wp, const SchedInst &s,
                 const InputGroup &g, unsigned j, int64_t groupBase) {
    unsigned opIdx = g.first + j;
    const OperandSource &src = s.operands()[opIdx];
    const SchedInst &p = ws[size_t(src.producer) - base];
    int64_t stream = p.stream + src.result;
    int64_t want = groupBase + j % g.perCycle;
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
    // reader (inclusive) ends the value before it is read: one of an earlier
    // window, of this one, or (pending) of a later one.
    bool east = dir == isa::Direction::East;
    uint32_t k = key(p.chip, stream);
    int32_t diag = int32_t(diagonal(stream, p.position, tp));
    std::optional<Ender> o =
        keptBetween(k, diag, east, p.position, s.position, -1, 0);
    if (!o)
      o = windowBetween(ws, wp, k, diag, east, p.position, s.position,
                        int64_t(src.producer) - int64_t(base), src.result);
    if (!o && tc < floorOf(s.chip))
      return;
    PendingRead r{k,
                  diag,
                  tc,
                  p.position,
                  s.position,
                  uint16_t(opIdx),
                  int16_t(stream),
                  east,
                  Who::of(s),
                  Who::of(p),
                  s.loc,
                  int64_t(src.producer),
                  uint16_t(src.result)};
    if (o)
      endedError(r, *o);
    else
      reads_.push_back(r);
  }

  // --- Queues -------------------------------------------------------------
  /// An instruction kept on its queue for later windows: one at a cycle >=
  /// its chip's floor (not yet checked), or the last one before those
  /// (checked).
  struct QEntry {
    int64_t inst; // program index
    int64_t freeAt;
    uint32_t a;
    uint32_t b;
    Who who;
    LocationAttr loc;
    bool checked;
  };
  QEntry entryOf(const SchedInst &s, int64_t inst) const {
    return {inst,       s.cycle + int64_t(m_.queueCycles(s.inst)),
            s.inst.a,   s.inst.b,
            Who::of(s), s.loc,
            false};
  }

  // Rules: one issue per queue per cycle, queueCycles held; MEM: at most one
  // read and one write per slice per cycle, not to the same bank (the
  // emitter issues such a pair as one mem.read_write). An instruction is
  // checked once no later one can come before it in (cycle, program order):
  // once its chip's floor is above its cycle.
  void checkQueues(const ChunkedVector<SchedInst> &ws, size_t base) {
    // Window indices per queue (4 bytes an instruction).
    std::vector<std::vector<uint32_t>> byQueue(queues_.size());
    for (auto [i, s] : llvm::enumerate(ws))
      byQueue[size_t(s.chip) * m_.numQueues() + s.queue].push_back(uint32_t(i));
    for (size_t qi = 0; qi < queues_.size(); ++qi) {
      std::vector<QEntry> &kept = queues_[qi];
      std::vector<uint32_t> &mine = byQueue[qi];
      if (kept.empty() && mine.empty())
        continue;
      int64_t floor = floorOf(uint32_t(qi / m_.numQueues()));
      // Both in (cycle, program order): kept entries as ~j, the window's as
      // their index.
      constexpr uint64_t kKept = uint64_t(1) << 32;
      auto cycleOf = [&](uint64_t r) {
        return r >= kKept ? kept[r - kKept].who.cycle : ws[r].cycle;
      };
      auto instOf = [&](uint64_t r) {
        return r >= kKept ? kept[r - kKept].inst : int64_t(base + r);
      };
      std::vector<uint64_t> q;
      q.reserve(kept.size() + mine.size());
      for (size_t j = 0; j < kept.size(); ++j)
        q.push_back(kKept + j);
      for (uint32_t i : mine)
        q.push_back(i);
      std::vector<uint32_t>().swap(mine);
      std::sort(q.begin(), q.end(), [&](uint64_t a, uint64_t b) {
        return std::make_pair(cycleOf(a), instOf(a)) <
               std::make_pair(cycleOf(b), instOf(b));
      });
      auto get = [&](size_t k) {
        uint64_t r = q[k];
        return r >= kKept ? kept[r - kKept] : entryOf(ws[r], instOf(r));
      };
      size_t k = 0;
      for (; k < q.size() && cycleOf(q[k]) < floor; ++k)
        if (q[k] < kKept || !kept[q[k] - kKept].checked)
          checkQueueEntry(get, k);
      // Keep the unchecked ones and the last checked one before them.
      std::vector<QEntry> next;
      next.reserve(q.size() - (k > 0 ? k - 1 : 0));
      for (size_t j = k > 0 ? k - 1 : 0; j < q.size(); ++j) {
        next.push_back(get(j));
        next.back().checked = j < k;
      }
      kept = std::move(next);
    }
  }

  template <typename Get> void checkQueueEntry(Get get, size_t k) {
    if (k == 0)
      return;
    const QEntry cur = get(k);
    bool curMem = isMem(cur.who.op);
    if (curMem) {
      // Every earlier MEM op of this slice in the same cycle.
      bool failed = false;
      for (size_t j = k; j-- > 0 && !failed;) {
        const QEntry prev = get(j);
        if (prev.who.cycle != cur.who.cycle)
          break;
        bool curRead = cur.who.op == isa::Opcode::MemRead;
        bool prevRead = prev.who.op == isa::Opcode::MemRead;
        failed = true;
        if (curRead && prevRead)
          error(cur.loc, cur.who)
              << "second read of the slice in one cycle (also "
              << "reading: " << what(prev.who) << " of bank " << prev.a
              << " row " << prev.b
              << "); a slice serves at most one read per cycle";
        else if (!curRead && !prevRead)
          error(cur.loc, cur.who)
              << "second write of the slice in one cycle (also "
              << "writing: " << what(prev.who) << " to bank " << prev.a
              << " row " << prev.b
              << "); a slice serves at most one write per cycle";
        else if (cur.a == prev.a)
          error(cur.loc, cur.who)
              << "read and write of bank " << cur.a << " in one cycle ("
              << what(prev.who)
              << "); a read and a write in one cycle must use "
                 "different banks";
        else
          failed = false;
      }
      if (failed)
        return;
    }
    // The latest other-cycle (or non-MEM) predecessor holds the queue.
    size_t j = k;
    while (j > 0 && curMem) {
      const QEntry prev = get(j - 1);
      if (prev.who.cycle != cur.who.cycle || !isMem(prev.who.op))
        break;
      --j;
    }
    if (j == 0)
      return;
    const QEntry prev = get(j - 1);
    if (cur.who.cycle >= prev.freeAt)
      return;
    error(cur.loc, cur.who)
        << "queue is busy until cycle " << prev.freeAt << " with "
        << what(prev.who) << "; one instruction issues per queue "
        << "per cycle";
  }

  // --- SRAM rows ----------------------------------------------------------
  // Rules, in program order per SRAM row: a read after a write of the row is
  // at least memWriteLatency later; a write after a read is not earlier than
  // the read; a later write is later. A row is forgotten once no later
  // instruction (at a cycle >= its chip's floor) can break a rule against
  // it.
  struct Row {
    bool hasWrite = false, hasRead = false;
    Who lastWrite;
    Who latestRead; // since lastWrite
  };
  using RowKey = std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>;

  void checkSram(const ChunkedVector<SchedInst> &ws) {
    int64_t lat = m_.memWriteLatency();
    for (const SchedInst &s : ws) {
      bool read = s.inst.op == isa::Opcode::MemRead;
      bool write = s.inst.op == isa::Opcode::MemWrite;
      if (!read && !write)
        continue;
      Row &r = rows_[{s.chip, s.index, s.inst.a, s.inst.b}];
      std::string addr = "bank " + std::to_string(s.inst.a) + " row " +
                         std::to_string(s.inst.b);
      if (read) {
        if (r.hasWrite && s.cycle < r.lastWrite.cycle + lat) {
          const Who &w = r.lastWrite;
          error(s) << "reads " << addr << " before the earlier " << what(w)
                   << " has written it (the row holds the value from cycle "
                   << w.cycle + lat << ")";
        }
        if (!r.hasRead || r.latestRead.cycle < s.cycle) {
          r.hasRead = true;
          r.latestRead = Who::of(s);
        }
        continue;
      }
      if (r.hasRead && s.cycle < r.latestRead.cycle) {
        error(s) << "writes " << addr << " before the earlier "
                 << what(r.latestRead) << " has read it";
      } else if (r.hasWrite && s.cycle <= r.lastWrite.cycle) {
        error(s) << "writes " << addr << " no later than the earlier "
                 << what(r.lastWrite)
                 << " (writes of one row must keep program order)";
      }
      r.hasWrite = true;
      r.lastWrite = Who::of(s);
      r.hasRead = false;
    }
    // A later read (cycle >= floor) meets the last write only if that write
    // lands after the floor; a later write meets a read or write only at or
    // after its cycle.
    for (auto it = rows_.begin(); it != rows_.end();) {
      const Row &r = it->second;
      int64_t floor = floorOf(std::get<0>(it->first));
      bool live = (r.hasRead && r.latestRead.cycle >= floor) ||
                  (r.hasWrite && (r.lastWrite.cycle >= floor ||
                                  r.lastWrite.cycle + lat > floor));
      it = live ? std::next(it) : rows_.erase(it);
    }
  }

  // --- MXM planes ---------------------------------------------------------
  // Rules, in program order per plane (the emulator's plane model): a load
  // starts after the previous install; an install needs a tile in the shadow
  // buffer (loaded, or the tile a previous install swapped out) whose load
  // has completed, and follows the earlier multiplies; a multiply needs an
  // installed tile of its type, keeps the issue interval and accumulates
  // only into a row an earlier multiply wrote. The odd plane of a pair that
  // holds a 16/32-bit tile is not used on its own.
  struct Plane {
    bool shadow = false, active = false;
    isa::DType shadowType = isa::DType::Invalid;
    isa::DType activeType = isa::DType::Invalid;
    bool hasLoad = false, hasInstall = false, hasMul = false;
    Who load; // the load that filled the shadow buffer, if any
    int64_t loadDone = 0;
    Who lastInstall;
    Who lastMul;
    int64_t mulFree = 0, mulNext = 0;
    llvm::DenseSet<uint32_t> written;
  };

  void checkMxm(const ChunkedVector<SchedInst> &ws) {
    uint32_t numPlanes = m_.target().mxm_planes();
    auto wide = [](isa::DType d) { return isa::widthBytes(d) > 1; };
    for (const SchedInst &s : ws) {
      if (s.inst.op != isa::Opcode::MxmLoad &&
          s.inst.op != isa::Opcode::MxmInstall &&
          s.inst.op != isa::Opcode::MxmMul)
        continue;
      Plane &pl = planes_[size_t(s.chip) * numPlanes + s.index];
      std::string plane = "plane " + std::to_string(s.index);
      if (s.index % 2 == 1) {
        const Plane &even = planes_[size_t(s.chip) * numPlanes + s.index - 1];
        if ((even.active && wide(even.activeType)) ||
            (even.shadow && wide(even.shadowType))) {
          error(s) << plane << " is paired with plane " << s.index - 1
                   << ", which holds a 16/32-bit tile";
          continue;
        }
      }
      if (s.inst.op == isa::Opcode::MxmLoad) {
        if (pl.hasInstall && s.cycle <= pl.lastInstall.cycle)
          error(s) << "load_weights starts before the earlier "
                   << what(pl.lastInstall)
                   << " has swapped the shadow buffer out (load from cycle "
                   << pl.lastInstall.cycle + 1 << ")";
        pl.shadow = true;
        pl.shadowType = s.inst.dtype;
        pl.hasLoad = true;
        pl.load = Who::of(s);
        pl.loadDone = s.cycle + int64_t(m_.queueCycles(s.inst));
        continue;
      }
      if (s.inst.op == isa::Opcode::MxmInstall) {
        if (!pl.shadow) {
          error(s) << "install with no tile loaded in the shadow buffer of "
                   << plane;
        } else if (pl.hasLoad) {
          if (s.cycle < pl.loadDone)
            error(s) << "install before " << what(pl.load)
                     << " completes: the tile is loaded at cycle "
                     << pl.loadDone;
        }
        if (pl.hasMul && s.cycle < pl.mulFree)
          error(s) << "install while the earlier " << what(pl.lastMul)
                   << " still uses the active tile (install from cycle "
                   << pl.mulFree << ")";
        bool wasActive = pl.active;
        std::swap(pl.activeType, pl.shadowType);
        pl.active = pl.shadow;
        pl.shadow = wasActive;
        pl.hasLoad = false;
        pl.hasInstall = true;
        pl.lastInstall = Who::of(s);
        continue;
      }
      // Multiply.
      if (!pl.active) {
        error(s) << "multiply on " << plane
                 << " with no installed tile (no mxm_install before it)";
      } else {
        const Who &ins = pl.lastInstall;
        if (s.cycle <= ins.cycle)
          error(s) << "multiply before the earlier " << what(ins)
                   << " has taken effect (multiply from cycle " << ins.cycle + 1
                   << ")";
        else if (pl.activeType != s.inst.dtype)
          error(s) << "multiplies " << isa::dtypeName(s.inst.dtype)
                   << " activations with an installed "
                   << isa::dtypeName(pl.activeType) << " tile";
      }
      // The earlier multiply holds the plane for its own issue interval
      // (the emulator's queue model), whatever the later one's type.
      if (pl.hasMul && s.cycle < pl.mulNext)
        error(s) << "multiply within the issue interval of the earlier "
                 << what(pl.lastMul) << " (next multiply from cycle "
                 << pl.mulNext << ")";
      if ((s.inst.flags & isa::kAccumulate) && !pl.written.count(s.inst.a))
        error(s) << "accumulates into accumulator row " << s.inst.a << " of "
                 << plane << ", which no earlier multiply wrote";
      pl.written.insert(s.inst.a);
      pl.hasMul = true;
      pl.lastMul = Who::of(s);
      pl.mulFree = s.cycle + int64_t(m_.queueCycles(s.inst));
      pl.mulNext = s.cycle + int64_t(m_.mxmIssueInterval(s.inst.dtype));
    }
  }

  // --- Loaded tensors -----------------------------------------------------
  // Rule: no instruction writes a row of a weight or an input. Their data is
  // in SRAM before the first instruction (the loader writes it), so such a
  // write, even one issued before the tensor's first read, destroys it.
  // lpu-to-lpuhw declares the tensors as it lowers: each window rescans the
  // module body after the last tensor seen.
  void scanTensors() {
    tensors_.scan(module_, m_,
                  [&](lpuhw::TensorOp t, const layout::TensorRows &r) {
                    for (uint32_t slice : r.slices)
                      loaded_[{r.chip, slice, r.bank}][r.lo] = {r.hi, t};
                    checkLateTensor(t, r);
                  });
  }

  // A loaded tensor declared after writes into its rows (lpu-to-lpuhw's row
  // allocator gave it rows an activation held): the writes of earlier
  // windows are kept as runs of written rows per (chip, slice, bank), each
  // with its first write, and the tensor is checked against them. The first
  // write into the tensor is the earliest first write of the runs it meets
  // if that write's row is the tensor's (then the error is the whole-program
  // one); otherwise a run's writes are not told apart and the message says
  // so. Writes are counted exactly when every run met lies inside the
  // tensor's rows, else as a lower bound ("at least").
  void checkLateTensor(lpuhw::TensorOp t, const layout::TensorRows &r) {
    const WrittenRun *first = nullptr;
    uint32_t firstSlice = 0, lo = 0;
    uint64_t count = 0;
    bool exact = true;
    for (uint32_t slice : r.slices) {
      auto it = written_.find({r.chip, slice, r.bank});
      if (it == written_.end())
        continue;
      const std::map<uint32_t, WrittenRun> &runs = it->second;
      auto run = runs.upper_bound(r.lo);
      if (run != runs.begin() && std::prev(run)->second.hi > r.lo)
        --run;
      for (; run != runs.end() && run->first < r.hi; ++run) {
        const WrittenRun &w = run->second;
        if (run->first >= r.lo && w.hi <= r.hi) {
          count += w.count;
        } else {
          exact = false;
          count += std::min(w.hi, r.hi) - std::max(run->first, r.lo);
        }
        if (!first || w.index < first->index) {
          first = &w;
          firstSlice = slice;
          lo = run->first;
        }
      }
    }
    if (!first)
      return;
    bool firstKnown = first->row >= r.lo && first->row < r.hi;
    bad_[t.getOperation()] =
        Bad{first->loc,   firstSlice, r.bank,     first->row, r.hi,     count,
            first->index, exact,      firstKnown, lo,         first->hi};
    badOrder_.push_back(t);
  }

  /// Records one write into the runs of written rows.
  void recordWrite(const SchedInst &s, size_t index) {
    std::map<uint32_t, WrittenRun> &runs =
        written_[{s.chip, s.index, s.inst.a}];
    uint32_t row = s.inst.b;
    auto next = runs.upper_bound(row);
    auto prev = next == runs.begin() ? runs.end() : std::prev(next);
    if (prev != runs.end() && prev->second.hi > row) {
      ++prev->second.count; // a row written again
      return;
    }
    // Runs grow only by writes of the same op (location), so a run's first
    // write comes from the op that wrote all of its rows.
    bool joinPrev = prev != runs.end() && prev->second.hi == row &&
                    prev->second.loc == s.loc;
    bool joinNext = next != runs.end() && next->first == row + 1 &&
                    next->second.loc == s.loc;
    if (joinPrev) {
      WrittenRun &p = prev->second;
      p.hi = row + 1;
      ++p.count;
      if (joinNext) {
        p.hi = next->second.hi;
        p.count += next->second.count;
        if (next->second.index < p.index) {
          p.index = next->second.index;
          p.row = next->second.row;
        }
        runs.erase(next);
      }
      return;
    }
    if (joinNext) {
      auto node = runs.extract(next);
      node.key() = row;
      ++node.mapped().count;
      runs.insert(std::move(node));
      return;
    }
    runs.emplace(row, WrittenRun{row + 1, s.loc, row, index, 1});
  }

  void checkLoadedWrites(const ChunkedVector<SchedInst> &ws, size_t base) {
    size_t index = base;
    for (const SchedInst &s : ws) {
      size_t i = index++;
      if (s.inst.op != isa::Opcode::MemWrite)
        continue;
      recordWrite(s, i);
      auto it = loaded_.find({s.chip, s.index, s.inst.a});
      if (it == loaded_.end())
        continue;
      auto r = it->second.upper_bound(s.inst.b);
      if (r == it->second.begin() || std::prev(r)->second.first <= s.inst.b)
        continue;
      auto [end, t] = std::prev(r)->second;
      auto [b, inserted] = bad_.try_emplace(
          t.getOperation(), Bad{s.loc, s.index, s.inst.a, s.inst.b, end, 0, i});
      if (inserted)
        badOrder_.push_back(t);
      ++b->second.count;
    }
  }

  // One error per tensor (at its first offending write), with the count,
  // in the order of the first writes.
  void reportLoadedWrites() {
    std::stable_sort(badOrder_.begin(), badOrder_.end(),
                     [&](lpuhw::TensorOp x, lpuhw::TensorOp y) {
                       return bad_[x.getOperation()].index <
                              bad_[y.getOperation()].index;
                     });
    for (lpuhw::TensorOp t : badOrder_) {
      const Bad &b = bad_[t.getOperation()];
      failed_ = true;
      InFlightDiagnostic d = mlir::emitError(Location(b.loc));
      d << "writes slice " << b.slice << " bank " << b.bank;
      if (b.firstKnown)
        d << " row " << b.row;
      else
        d << " rows " << b.runLo << ".." << b.runHi << " (first row " << b.row
          << ")";
      d << ", which " << (b.firstKnown ? "holds " : "overlap ") << t.getKind()
        << " @" << t.getSymName() << " (loaded before the program starts; rows "
        << t.getBaseRow() << ".." << b.end << " of its slices)";
      if (!b.firstKnown)
        d << "; it was declared after these writes, which are not told apart: "
             "the first write into it is this op's, or a later write's";
      if (b.count > 1)
        d << "; " << (b.countExact ? "" : "at least ") << b.count - 1
          << " more writes into it";
    }
    bad_.clear();
    badOrder_.clear();
  }

  // --- Length -------------------------------------------------------------
  void checkLength() {
    int64_t cycles = hasEnd_ ? std::max<int64_t>(end_, 0) : 0;
    auto attr = module_->getAttrOfType<IntegerAttr>(kCyclesAttrName);
    if (!attr) {
      module_.emitError() << "module has no `" << kCyclesAttrName
                          << "` attribute (the schedule's length is " << cycles
                          << " cycles)";
      failed_ = true;
    } else if (attr.getInt() != cycles) {
      InFlightDiagnostic d = module_.emitError();
      d << "`" << kCyclesAttrName << "` is " << attr.getInt()
        << " but the program is busy until cycle " << cycles;
      if (hasEnd_ && end_ == cycles)
        d << " (" << isa::opcodeName(endWho_.op) << " on "
          << m_.queueName(endWho_.queue) << " issued at cycle " << endWho_.cycle
          << " is busy for " << endBusy_ << " cycles)";
      failed_ = true;
    }
  }

  ModuleOp module_;
  const isa::Machine &m_;
  uint32_t chips_;
  bool failed_ = false;
  /// The rules between instructions are off (the program is too long for
  /// them, or finished).
  bool broken_ = false;
  /// Per chip: no later instruction on it issues before (the largest seen).
  std::vector<int64_t> floors_;
  /// The smallest of floors_ (for state between chips: sends, links).
  int64_t minFloor_ = std::numeric_limits<int64_t>::min();
  size_t next_ = 0;
  LocationAttr firstLoc_;

  std::vector<KeptPut> puts_; // sorted by place
  std::vector<PendingRead> reads_;
  std::vector<std::vector<QEntry>> queues_;
  std::map<RowKey, Row> rows_;
  std::vector<Plane> planes_;

  std::optional<isa::Topology> topo_;
  bool topoFailed_ = false;
  std::unique_ptr<isa::LinkSchedule> links_;
  std::vector<PendingSend> sends_;

  layout::LoadedTensorScan tensors_;
  // Per (chip, slice, bank): first row -> (one past the last, tensor).
  std::map<std::tuple<uint32_t, uint32_t, uint32_t>,
           std::map<uint32_t, std::pair<uint32_t, lpuhw::TensorOp>>>
      loaded_;
  struct Bad {
    LocationAttr loc;
    uint32_t slice, bank, row;
    uint32_t end;   // one past the tensor's last row
    uint64_t count; // writes into it (a lower bound unless countExact)
    size_t index;   // program index of the first write
    /// Declared after writes into it (checkLateTensor): the count and which
    /// write came first may be unknown.
    bool countExact = true;
    bool firstKnown = true;        // row is the first row written of the tensor
    uint32_t runLo = 0, runHi = 0; // the first run's rows, if not firstKnown
  };
  /// Rows lo..hi-1 written by one op (location); its first write.
  struct WrittenRun {
    uint32_t hi;
    LocationAttr loc;
    uint32_t row;   // the first write's row
    size_t index;   // the first write's program index
    uint64_t count; // writes into the run
  };
  // Per (chip, slice, bank): first row -> the run of written rows.
  std::map<std::tuple<uint32_t, uint32_t, uint32_t>,
           std::map<uint32_t, WrittenRun>>
      written_;
  std::map<Operation *, Bad> bad_;
  std::vector<lpuhw::TensorOp> badOrder_;

  bool hasEnd_ = false;
  int64_t end_ = 0;
  Who endWho_;
  uint64_t endBusy_ = 0;
};

ScheduleChecker::ScheduleChecker(ModuleOp module, const isa::Machine &machine,
                                 uint32_t chips)
    : impl_(std::make_unique<Impl>(module, machine, chips)) {}
ScheduleChecker::~ScheduleChecker() = default;

LogicalResult ScheduleChecker::addWindow(const InstructionList &window,
                                         ArrayRef<int64_t> floors) {
  return impl_->addWindow(window.insts, window.base, floors);
}
LogicalResult ScheduleChecker::addWindow(const ChunkedVector<SchedInst> &insts,
                                         size_t base,
                                         ArrayRef<int64_t> floors) {
  return impl_->addWindow(insts, base, floors);
}
LogicalResult ScheduleChecker::addWindow(const InstructionList &window,
                                         int64_t floor) {
  return addWindow(window.insts, window.base, floor);
}
LogicalResult ScheduleChecker::addWindow(const ChunkedVector<SchedInst> &insts,
                                         size_t base, int64_t floor) {
  return impl_->addWindow(insts, base,
                          std::vector<int64_t>(impl_->chips(), floor));
}
LogicalResult ScheduleChecker::finish() { return impl_->finish(); }
ScheduleChecker::Kept ScheduleChecker::kept() const { return impl_->kept(); }

LogicalResult verifySchedule(ModuleOp module, const isa::Machine &machine) {
  InstructionList list;
  if (failed(collectInstructions(module, machine, list)))
    return failure();
  return verifySchedule(module, machine, list.insts);
}

LogicalResult verifySchedule(ModuleOp module, const isa::Machine &machine,
                             const ChunkedVector<SchedInst> &insts) {
  ScheduleChecker checker(module, machine, chipCount(module));
  bool ok =
      succeeded(checker.addWindow(insts, 0, ScheduleChecker::kNoLaterWindow));
  return success(succeeded(checker.finish()) && ok);
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
