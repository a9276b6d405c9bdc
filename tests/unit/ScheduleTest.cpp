//===- ScheduleTest.cpp - lpuhw-schedule core: reservation table, bundles -===//
#include "passes/schedule/ReservationTable.h"
#include "passes/schedule/Scheduler.h"

#include "runtime/isa/Machine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>

using namespace lpuc;
using namespace lpuc::sched;

namespace {

isa::Machine v1() {
  absl::StatusOr<schema::Target> t = isa::loadTarget("lpu-v1");
  EXPECT_TRUE(t.ok());
  return isa::Machine(*t);
}

TEST(IntervalSet, ConflictsAndMerge) {
  IntervalSet s;
  EXPECT_TRUE(s.isFree(0, 10));
  s.insert(5, 8, /*merge=*/true);
  EXPECT_EQ(s.conflictEnd(0, 6), 8);
  EXPECT_EQ(s.conflictEnd(7, 9), 8);
  EXPECT_TRUE(s.isFree(0, 5));
  EXPECT_TRUE(s.isFree(8, 20));
  s.insert(8, 12, /*merge=*/true);
  s.insert(3, 5, /*merge=*/true);
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.conflictEnd(4, 5), 12);
  IntervalSet u;
  u.insert(1, 3, /*merge=*/false);
  u.insert(3, 4, /*merge=*/false);
  EXPECT_EQ(u.size(), 2u);
  EXPECT_TRUE(u.erase(3, 4));
  EXPECT_FALSE(u.erase(3, 4));
  EXPECT_TRUE(u.isFree(3, 10));
}

TEST(ReservationTable, QueuesJumpOverBusyStretches) {
  ReservationTable t(4, 32);
  for (int c = 0; c < 1000; ++c)
    t.reserveQueue(2, c, 1);
  EXPECT_FALSE(t.queueFree(2, 500, 1));
  EXPECT_EQ(t.queueConflictEnd(2, 500, 1), 1000); // merged: one jump
  EXPECT_EQ(t.queueNextFree(2, 0, 1), 1000);
  EXPECT_TRUE(t.queueFree(1, 500, 1));
  t.reserveQueue(3, 10, 4); // e.g. an f32 multiply holding 4 cycles
  EXPECT_FALSE(t.queueFree(3, 13, 1));
  EXPECT_TRUE(t.queueFree(3, 14, 1));
  EXPECT_EQ(t.queueNextFree(3, 8, 3), 14);
  EXPECT_EQ(t.queueNextFree(3, 5, 3), 5);
}

TEST(ReservationTable, MemPorts) {
  ReservationTable t(1, 32);
  t.reserveMemPort(3, 7, /*write=*/false, /*bank=*/0);
  EXPECT_FALSE(t.memPortFree(3, 7, false, 1)); // one read per cycle
  EXPECT_FALSE(t.memPortFree(3, 7, true, 0));  // not the same bank
  EXPECT_TRUE(t.memPortFree(3, 7, true, 1));
  EXPECT_TRUE(t.memPortFree(3, 8, false, 0));
  EXPECT_TRUE(t.memPortFree(4, 7, false, 0));
  t.reserveMemPort(3, 7, true, 1);
  EXPECT_FALSE(t.memPortFree(3, 7, true, 0));
}

TEST(ReservationTable, MemPortConflictSkipsTheBlockingRun) {
  ReservationTable t(1, 32);
  for (int c = 0; c < 200; ++c)
    t.reserveMemPort(3, c, /*write=*/false, /*bank=*/0);
  t.reserveMemPort(3, 260, /*write=*/true, /*bank=*/1);
  // A write to bank 0 waits for the whole run of bank-0 reads.
  EXPECT_EQ(t.memPortConflictEnd(3, 50, true, 0), 200);
  EXPECT_EQ(t.memPortConflictEnd(3, 50, true, 1), std::nullopt);
  // A read waits for its own port, whatever the bank.
  EXPECT_EQ(t.memPortConflictEnd(3, 199, false, 1), 200);
  EXPECT_EQ(t.memPortConflictEnd(3, 200, false, 0), std::nullopt);
  EXPECT_EQ(t.memPortConflictEnd(3, 260, false, 1), 261);
  EXPECT_EQ(t.memPortConflictEnd(3, 260, false, 0), std::nullopt);
  EXPECT_EQ(t.memPortConflictEnd(2, 50, true, 0), std::nullopt);
}

TEST(ReservationTable, FirstFreeStartIsTheFirstStartWhereAllUsesAreFree) {
  // Random queues and MEM ports (fixed seed), random bundles of fixed uses:
  // firstFreeStart must return exactly the first start that a cycle-by-cycle
  // search finds, and never skip one when a use is too long to be looked at.
  std::mt19937 rng(7);
  auto pick = [&](int n) { return int(rng() % uint32_t(n)); };
  ReservationTable t(6, 32);
  for (int k = 0; k < 3000; ++k) {
    uint32_t q = uint32_t(pick(6));
    int64_t c = pick(3000);
    uint32_t len = 1 + uint32_t(pick(4));
    if (t.queueFree(q, c, len))
      t.reserveQueue(q, c, len);
    uint32_t slice = uint32_t(pick(3)), bank = uint32_t(pick(2));
    bool write = pick(2) == 1;
    if (t.memPortFree(slice, c, write, bank))
      t.reserveMemPort(slice, c, write, bank);
  }
  for (int k = 0; k < 300; ++k) {
    std::vector<ReservationTable::FixedUse> uses(1 + size_t(pick(4)));
    for (ReservationTable::FixedUse &u : uses) {
      u.offset = pick(40);
      if (pick(2)) {
        u.queue = uint32_t(pick(6));
        u.len = pick(10) == 0 ? 70 : 1 + uint32_t(pick(3));
      } else {
        u.memSlice = pick(4); // slice 3 has no reservations
        u.write = pick(2) == 1;
        u.bank = uint32_t(pick(3));
      }
    }
    auto fits = [&](int64_t s, bool all) {
      for (const ReservationTable::FixedUse &u : uses) {
        if (u.memSlice >= 0) {
          if (!t.memPortFree(uint32_t(u.memSlice), s + u.offset, u.write,
                             u.bank))
            return false;
        } else if ((all || u.len <= 64) &&
                   !t.queueFree(u.queue, s + u.offset, u.len)) {
          return false;
        }
      }
      return true;
    };
    int64_t t0 = pick(3200), limit = t0 + pick(400);
    int64_t expect = limit + 1, expectAll = limit + 1;
    for (int64_t s = limit; s >= t0; --s) {
      if (fits(s, false))
        expect = s;
      if (fits(s, true))
        expectAll = s;
    }
    int64_t got = t.firstFreeStart(uses, t0, limit);
    if (expect <= limit)
      EXPECT_EQ(got, expect) << "case " << k;
    else
      EXPECT_GT(got, limit) << "case " << k;
    EXPECT_LE(std::min(got, limit + 1), expectAll) << "case " << k;
  }
}

TEST(ReservationTable, StreamPathsOnDiagonals) {
  ReservationTable t(1, 32);
  // East: put at 45 in cycle 2, read up to 47 (diagonal 43).
  StreamPath a{isa::Direction::East, 0, 45, 2, 47};
  EXPECT_TRUE(t.streamFree(a));
  t.reserveStream(a);
  // A put at 46 in cycle 3 is on a's path as it passes: it would end a.
  StreamPath cut{isa::Direction::East, 0, 46, 3, 50};
  EXPECT_FALSE(t.streamFree(cut));
  // The same put on another stream, or one cycle later, is fine.
  EXPECT_TRUE(t.streamFree({isa::Direction::East, 1, 46, 3, 50}));
  EXPECT_TRUE(t.streamFree({isa::Direction::East, 0, 46, 4, 50}));
  // Past a's last consumer a later put may take over the stream.
  EXPECT_TRUE(t.streamFree({isa::Direction::East, 0, 48, 5, 60}));
  // A value put upstream that would run into a's put (same diagonal).
  EXPECT_FALSE(t.streamFree({isa::Direction::East, 0, 40, -3, 45}));
  EXPECT_TRUE(t.streamFree({isa::Direction::East, 0, 40, -3, 44}));
  // Two puts at the same position and cycle.
  EXPECT_FALSE(t.streamFree({isa::Direction::East, 0, 45, 2, 45}));
  // Westward streams are separate, and mirrored.
  EXPECT_TRUE(t.streamFree({isa::Direction::West, 0, 47, 2, 45}));
  StreamPath w{isa::Direction::West, 5, 50, 10, 40};
  t.reserveStream(w);
  EXPECT_FALSE(t.streamFree({isa::Direction::West, 5, 45, 15, 30}));
  EXPECT_TRUE(t.streamFree({isa::Direction::West, 5, 45, 16, 30}));
  t.releaseStream(w);
  EXPECT_TRUE(t.streamFree({isa::Direction::West, 5, 45, 15, 30}));
}

TEST(ReservationTable, ForgetsOnlyStreamRangesPassedBeforeTheFloor) {
  ReservationTable t(1, 32);
  // East: put at 45 in cycle 2, read up to 47: passes 45..47 in cycles
  // 2..4. West: put at 50 in cycle 10, read down to 40: cycles 10..20.
  StreamPath east{isa::Direction::East, 0, 45, 2, 47};
  StreamPath west{isa::Direction::West, 5, 50, 10, 40};
  t.reserveStream(east);
  t.reserveStream(west);
  EXPECT_EQ(t.streamRanges(), 2u);
  // Each is still in a cycle >= the floor: kept.
  EXPECT_EQ(t.forgetStreamsBefore(4), 0u);
  EXPECT_FALSE(t.streamFree({isa::Direction::East, 0, 47, 4, 47}));
  // East's last cycle (4) is before 5: forgotten; west's is not.
  EXPECT_EQ(t.forgetStreamsBefore(5), 1u);
  EXPECT_EQ(t.streamRanges(), 1u);
  EXPECT_TRUE(t.streamFree({isa::Direction::East, 0, 47, 4, 47}));
  EXPECT_EQ(t.forgetStreamsBefore(20), 0u);
  EXPECT_FALSE(t.streamFree({isa::Direction::West, 5, 40, 20, 40}));
  EXPECT_EQ(t.forgetStreamsBefore(21), 1u);
  EXPECT_EQ(t.streamRanges(), 0u);
  // Per chip: chip 1's range is judged by chip 1's floor.
  StreamPath other = east;
  other.chip = 1;
  t.reserveStream(east);
  t.reserveStream(other);
  EXPECT_EQ(t.forgetStreamsBefore({5, 4}), 1u);
  EXPECT_FALSE(t.streamFree(other));
  EXPECT_TRUE(t.streamFree(east));
  EXPECT_EQ(t.forgetStreamsBefore({0}, 5), 1u); // chip 1 past the list
  EXPECT_EQ(t.streamRanges(), 0u);
}

OpSpec memRead(const isa::Machine &m, uint32_t slice, uint32_t bank = 0) {
  OpSpec s;
  s.inst.op = isa::Opcode::MemRead;
  s.queues = {m.memQueue(slice)};
  s.position = m.memPosition(slice);
  s.memSlice = int(slice);
  s.bank = bank;
  s.numResults = 1;
  return s;
}

OpSpec memWrite(const isa::Machine &m, uint32_t slice, uint32_t producer,
                uint32_t result = 0) {
  OpSpec s;
  s.inst.op = isa::Opcode::MemWrite;
  s.queues = {m.memQueue(slice)};
  s.position = m.memPosition(slice);
  s.memSlice = int(slice);
  s.operands = {{producer, result, 0, 0, 0}};
  return s;
}

OpSpec vxmAdd(const isa::Machine &m, uint32_t a, uint32_t b) {
  OpSpec s;
  s.inst.op = isa::Opcode::Vxm;
  s.inst.dtype = isa::DType::I8;
  s.inst.fn = uint8_t(isa::AluOp::Add);
  for (uint32_t alu = 0; alu < m.target().vxm_alus(); ++alu)
    s.queues.push_back(m.vxmQueue(alu));
  s.position = m.vxmPosition();
  s.numResults = 1;
  s.operands = {{a, 0, 0, 0, 0}, {b, 0, 0, 1, 0}};
  return s;
}

TEST(ReservationTable, StreamsTakenNamesEveryConflictingStream) {
  // Random paths (fixed seed) against a reference that compares every pair
  // of paths: same chip, direction, stream and diagonal, overlapping ranges.
  std::mt19937 rng(11);
  auto pick = [&](int n) { return int(rng() % uint32_t(n)); };
  auto randomPath = [&] {
    StreamPath p;
    p.dir = pick(2) ? isa::Direction::West : isa::Direction::East;
    p.stream = unsigned(pick(40));
    p.putPos = pick(30);
    p.putCycle = pick(30);
    p.lastPos = p.putPos + (p.dir == isa::Direction::East ? pick(8) : -pick(8));
    p.chip = uint32_t(pick(2));
    return p;
  };
  auto range = [](const StreamPath &p) {
    bool east = p.dir == isa::Direction::East;
    return std::make_pair(east ? p.putPos : std::min(p.putPos, p.lastPos),
                          (east ? std::max(p.putPos, p.lastPos) : p.putPos) +
                              1);
  };
  auto diag = [](const StreamPath &p) {
    return p.dir == isa::Direction::East ? p.putPos - p.putCycle
                                         : p.putPos + p.putCycle;
  };
  auto conflict = [&](const StreamPath &a, const StreamPath &b) {
    auto [alo, ahi] = range(a);
    auto [blo, bhi] = range(b);
    return a.chip == b.chip && a.dir == b.dir && diag(a) == diag(b) &&
           alo < bhi && blo < ahi;
  };
  ReservationTable t(1, 64);
  std::vector<StreamPath> held;
  for (int k = 0; k < 2000; ++k) {
    StreamPath p = randomPath();
    bool free = true;
    for (const StreamPath &h : held)
      free &= !(h.stream == p.stream && conflict(h, p));
    ASSERT_EQ(t.streamFree(p), free) << "path " << k;
    if (free) {
      t.reserveStream(p);
      held.push_back(p);
    }
    if (pick(5) == 0 && !held.empty()) { // release one
      size_t i = size_t(pick(int(held.size())));
      t.releaseStream(held[i]);
      held.erase(held.begin() + long(i));
    }
  }
  for (int k = 0; k < 500; ++k) {
    StreamPath p = randomPath();
    ReservationTable::StreamMask expect = 0;
    for (const StreamPath &h : held)
      if (conflict(h, p))
        expect |= ReservationTable::StreamMask(1) << h.stream;
    EXPECT_TRUE(t.streamsTaken(p) == expect) << "query " << k;
  }
}

TEST(Scheduler, CopyTimingFollowsTheMachine) {
  isa::Machine m = v1();
  Scheduler s(m);
  uint32_t r = s.addOp(memRead(m, 0));      // MEM-W0
  uint32_t w = s.addOp(memWrite(m, 50, r)); // MEM-E6
  ASSERT_TRUE(s.run()) << s.error().message;
  int64_t hops = m.memPosition(50) - m.memPosition(0);
  EXPECT_EQ(s.result(r).cycle, 0);
  EXPECT_EQ(s.result(w).cycle, m.target().mem_read_latency() + hops);
  EXPECT_EQ(s.result(r).stream, 0); // eastward
  EXPECT_EQ(s.numBundles(), 1u);
  EXPECT_EQ(s.length(), s.result(w).cycle + 1);
}

TEST(Scheduler, SameSliceReadsSerialize) {
  isa::Machine m = v1();
  Scheduler s(m);
  uint32_t r0 = s.addOp(memRead(m, 3));
  s.addOp(memWrite(m, 44, r0));
  uint32_t r1 = s.addOp(memRead(m, 3));
  s.addOp(memWrite(m, 44 + 1, r1));
  ASSERT_TRUE(s.run()) << s.error().message;
  EXPECT_NE(s.result(r0).cycle, s.result(r1).cycle);
  EXPECT_EQ(std::min(s.result(r0).cycle, s.result(r1).cycle), 0);
  EXPECT_EQ(std::max(s.result(r0).cycle, s.result(r1).cycle), 1);
}

TEST(Scheduler, NothingStartsBeforeTheFloor) {
  isa::Machine m = v1();
  Scheduler s(m);
  s.floors = {100, 7}; // chip 0, chip 1; chip 2 has none: 0
  uint32_t r = s.addOp(memRead(m, 0));
  uint32_t w = s.addOp(memWrite(m, 44, r));
  uint32_t r1 = s.addOp(memRead(m, 3));
  s.addRelease(r1, 250, 0); // a later bound than the floor still binds
  OpSpec onChip1 = memRead(m, 0);
  onChip1.chip = 1;
  uint32_t c1 = s.addOp(onChip1);
  OpSpec onChip2 = memRead(m, 0);
  onChip2.chip = 2;
  uint32_t c2 = s.addOp(onChip2);
  ASSERT_TRUE(s.run()) << s.error().message;
  EXPECT_EQ(s.result(r).cycle, 100);
  EXPECT_GT(s.result(w).cycle, 100);
  EXPECT_EQ(s.result(r1).cycle, 250);
  EXPECT_EQ(s.result(c1).cycle, 7);
  EXPECT_EQ(s.result(c2).cycle, 0);
}

TEST(Scheduler, DependenceBetweenBundles) {
  isa::Machine m = v1();
  Scheduler s(m);
  uint32_t r0 = s.addOp(memRead(m, 0));
  uint32_t w0 = s.addOp(memWrite(m, 44, r0));
  uint32_t r1 = s.addOp(memRead(m, 44));
  uint32_t w1 = s.addOp(memWrite(m, 0, r1));
  s.addDep(w0, r1, m.memWriteLatency()); // read after write
  s.addDep(r0, w1, 0);                   // write after read
  ASSERT_TRUE(s.run()) << s.error().message;
  EXPECT_EQ(s.result(r1).cycle, s.result(w0).cycle + m.memWriteLatency());
  EXPECT_GE(s.result(w1).cycle, s.result(r0).cycle);
}

TEST(Scheduler, CriticalPathFollowsTightDependencesAndWaits) {
  // Bundle A copies slice 0 -> 44; bundle B reads what A wrote (a tight
  // read-after-write dependence) and copies it back: the path is A's
  // stretch up to where B may start, then B's, covering [0, length).
  isa::Machine m = v1();
  Scheduler s(m);
  uint32_t r0 = s.addOp(memRead(m, 0));
  uint32_t w0 = s.addOp(memWrite(m, 44, r0));
  uint32_t r1 = s.addOp(memRead(m, 44));
  uint32_t w1 = s.addOp(memWrite(m, 0, r1));
  s.addDep(w0, r1, m.memWriteLatency());
  ASSERT_TRUE(s.run()) << s.error().message;
  std::vector<Scheduler::PathSegment> path = s.criticalPath();
  ASSERT_EQ(path.size(), 2u);
  EXPECT_EQ(path[0].bundle, int(s.bundleOf(r0)));
  EXPECT_EQ(path[0].begin, 0);
  EXPECT_EQ(path[0].end, s.result(r1).cycle); // where B may start
  EXPECT_EQ(path[1].bundle, int(s.bundleOf(w1)));
  EXPECT_EQ(path[1].begin, s.result(r1).cycle);
  EXPECT_EQ(path[1].end, s.length());
}

TEST(Scheduler, CriticalPathCountsResourceWaits) {
  // Two copies out of slice 3 whose reads would meet in one cycle: the
  // bundle placed second waits one cycle for the slice's read port; it ends
  // last, so the path is that wait, then that bundle.
  isa::Machine m = v1();
  Scheduler s(m);
  uint32_t r0 = s.addOp(memRead(m, 3));
  s.addOp(memWrite(m, 44, r0));
  uint32_t r1 = s.addOp(memRead(m, 3));
  s.addOp(memWrite(m, 44 + 1, r1));
  ASSERT_TRUE(s.run()) << s.error().message;
  std::vector<Scheduler::PathSegment> path = s.criticalPath();
  int64_t total = 0;
  for (const Scheduler::PathSegment &p : path)
    total += p.end - p.begin;
  EXPECT_EQ(total, s.length());
  ASSERT_EQ(path.size(), 2u);
  EXPECT_EQ(path[0].bundle, -1); // waited
  EXPECT_EQ(path[0].begin, 0);
  EXPECT_EQ(path[0].end, 1);
  // The bundle that waited is the one whose read issued in cycle 1.
  uint32_t late = s.result(r0).cycle == 1 ? r0 : r1;
  EXPECT_EQ(s.result(late).cycle, 1);
  EXPECT_EQ(path[1].bundle, int(s.bundleOf(late)));
  EXPECT_EQ(path[1].begin, 1);
  EXPECT_EQ(path[1].end, s.length());
}

TEST(Scheduler, WindowsShareATableAndChainTheCriticalPath) {
  // Two windows, as lpuhw-schedule runs a long program: window 0 copies
  // slice 3 -> 44; window 1 copies slice 3 -> 45 (its read needs the slice's
  // read port) and then reads what window 0 wrote (a release). One table:
  // window 1's first read takes cycle 1, not 0, and is not pushed behind
  // window 0's end. The program's critical path, over both windows' traces,
  // covers [0, length) and ends in window 1.
  isa::Machine m = v1();
  ReservationTable table(Scheduler::tableRows(m, 1), m.streamsPerDirection());
  std::vector<Scheduler::BundleTrace> traces;
  Scheduler w0(m);
  uint32_t r0 = w0.addOp(memRead(m, 3));
  uint32_t x0 = w0.addOp(memWrite(m, 44, r0));
  ASSERT_TRUE(w0.run(&table)) << w0.error().message;
  for (unsigned b = 0; b < w0.numBundles(); ++b)
    traces.push_back(w0.trace(b));
  EXPECT_EQ(w0.result(r0).cycle, 0);

  Scheduler w1(m);
  w1.bundleBase = int64_t(traces.size());
  uint32_t r1 = w1.addOp(memRead(m, 3));
  w1.addOp(memWrite(m, 45, r1));
  uint32_t r2 = w1.addOp(memRead(m, 44));
  uint32_t x2 = w1.addOp(memWrite(m, 0, r2));
  int64_t release = w0.result(x0).cycle + m.memWriteLatency();
  w1.addRelease(r2, release, w0.bundleOf(x0));
  ASSERT_TRUE(w1.run(&table)) << w1.error().message;
  for (unsigned b = 0; b < w1.numBundles(); ++b)
    traces.push_back(w1.trace(b));
  EXPECT_EQ(w1.result(r1).cycle, 1); // the table holds window 0's read
  EXPECT_EQ(w1.result(r2).cycle, release);
  // The release is the bound of r2's bundle, from window 0's bundle.
  const Scheduler::BundleTrace &t = w1.trace(w1.bundleOf(r2));
  EXPECT_EQ(t.bound, release);
  EXPECT_EQ(t.next, int64_t(w0.bundleOf(x0)));

  int64_t length = std::max(w0.length(), w1.length());
  EXPECT_EQ(w1.lastOp(), x2);
  std::vector<Scheduler::PathSegment> path =
      Scheduler::criticalPath(traces, w1.bundleBase + w1.bundleOf(x2), length);
  ASSERT_EQ(path.size(), 2u);
  EXPECT_EQ(path[0].bundle, int(w0.bundleOf(r0)));
  EXPECT_EQ(path[0].begin, 0);
  EXPECT_EQ(path[0].end, release);
  EXPECT_EQ(path[1].bundle, int(w1.bundleBase + w1.bundleOf(x2)));
  EXPECT_EQ(path[1].begin, release);
  EXPECT_EQ(path[1].end, length);

  // A table too small for the ops' chips is an error, not a crash.
  ReservationTable small(1, m.streamsPerDirection());
  Scheduler w2(m);
  w2.addOp(memRead(m, 3));
  EXPECT_FALSE(w2.run(&small));
  EXPECT_NE(w2.error().message.find("reservation table"), std::string::npos);
}

TEST(Scheduler, MoreAluOpsInOneCycleThanAlusFailsAtOnce) {
  // 17 adds of one read in one cycle: lpu-v1 has 16 VXM ALUs. The bundle is
  // rejected when it is built, not after searching to the horizon.
  isa::Machine m = v1();
  Scheduler s(m);
  uint32_t r = s.addOp(memRead(m, 0));
  for (int k = 0; k < 17; ++k)
    s.addOp(vxmAdd(m, r, r));
  ASSERT_FALSE(s.run());
  EXPECT_NE(s.error().message.find("bundle needs more than 16"),
            std::string::npos)
      << s.error().message;
  Scheduler ok(m);
  uint32_t r2 = ok.addOp(memRead(m, 0));
  for (int k = 0; k < 16; ++k)
    ok.addOp(vxmAdd(m, r2, r2));
  EXPECT_TRUE(ok.run()) << ok.error().message;
}

TEST(Scheduler, ReadAndWriteOfOneBankInOneBundleCycleNeverFit) {
  // A read of slice 3 bank 0 and, tied to it at the same cycle, a write of
  // slice 3 bank 0 (the write's value comes from slice 1): the port rule
  // holds inside a bundle too, so no start fits; the search gives up at the
  // horizon (at once: the clash does not depend on the start).
  isa::Machine m = v1();
  for (uint32_t bank : {0u, 1u}) {
    Scheduler s(m);
    uint32_t src = s.addOp(memRead(m, 1));
    uint32_t w = s.addOp(memWrite(m, 3, src));
    uint32_t r = s.addOp(memRead(m, 3, bank));
    s.addRigid(w, r, 0);
    bool ok = s.run();
    if (bank == 1) { // different banks: one cycle, both ports
      ASSERT_TRUE(ok) << s.error().message;
      EXPECT_EQ(s.result(w).cycle, s.result(r).cycle);
      continue;
    }
    ASSERT_FALSE(ok);
    EXPECT_NE(s.error().message.find("no cycle within 16777216 cycles"),
              std::string::npos)
        << s.error().message;
  }
}

TEST(Scheduler, InconsistentBundleIsAnError) {
  isa::Machine m = v1();
  Scheduler s(m);
  uint32_t a = s.addOp(memRead(m, 0));
  OpSpec copy = vxmAdd(m, a, a);
  copy.inst.fn = uint8_t(isa::AluOp::Copy);
  copy.operands.pop_back();
  uint32_t c = s.addOp(copy);
  uint32_t add = s.addOp(vxmAdd(m, a, c));
  EXPECT_FALSE(s.run());
  EXPECT_EQ(s.error().op, add);
  EXPECT_NE(s.error().message.find("inconsistent bundle"), std::string::npos);
}

// ~10^5 instructions: rows of an elementwise add, operands from both
// hemispheres, results written back west. Must take seconds at most.
TEST(Scheduler, HundredThousandInstructions) {
  isa::Machine m = v1();
  Scheduler s(m);
  const int rows = 25000;
  for (int r = 0; r < rows; ++r) {
    uint32_t a = s.addOp(memRead(m, r % 16));
    uint32_t b = s.addOp(memRead(m, 44 + r % 16));
    uint32_t add = s.addOp(vxmAdd(m, a, b));
    s.addOp(memWrite(m, 16 + r % 16, add));
  }
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(s.run()) << s.error().message;
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  std::printf("scheduled %zu instructions (%u bundles) in %.3f s: %lld "
              "cycles\n",
              s.numOps(), s.numBundles(), secs, (long long)s.length());
  EXPECT_EQ(s.numBundles(), unsigned(rows));
  // Each slice serves rows / 16 reads: the schedule is bounded by that, not
  // by the number of rows.
  EXPECT_LT(s.length(), rows / 16 + 200);
  EXPECT_LT(secs, 20.0);
}

} // namespace
