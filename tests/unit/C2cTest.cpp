// C2C send and receive on the emulator: values, link latency and bandwidth,
// multi-hop routes, and every C2C hazard (a receive at a cycle when nothing
// arrives, a vector nobody receives, a send on a busy link or on a link the
// route does not leave by, a wrong tag or source chip).
#include "RuntimeTestUtil.h"

#include "runtime/emulator/Emulator.h"
#include "runtime/emulator/ProgramBuilder.h"
#include "runtime/isa/Topology.h"

#include <cstdlib>
#include <cstring>

using namespace lpuc;
using isa::Opcode;

namespace {

schema::Target target(const char *name) {
  absl::StatusOr<schema::Target> t = isa::loadTarget(name);
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

/// A system of `chips` chips, one ProgramBuilder per chip.
class C2cTest : public ::testing::Test {
protected:
  void init(const char *name, uint32_t chips) {
    m = std::make_unique<isa::Machine>(target(name));
    emu = std::make_unique<emu::Emulator>(*m, chips);
    for (uint32_t c = 0; c < chips; ++c)
      b.emplace_back(*m);
    absl::StatusOr<isa::Topology> t = isa::Topology::create(m->target(), chips);
    ASSERT_TRUE(t.ok()) << t.status();
    topo = std::make_unique<isa::Topology>(std::move(*t));
  }
  absl::StatusOr<emu::RunStats> run(uint32_t threads = 1) {
    for (uint32_t c = 0; c < b.size(); ++c)
      if (absl::Status s = emu->setProgram(c, b[c].take()); !s.ok())
        return s;
    emu->setThreads(threads);
    return emu->run();
  }
  void expectError(absl::StatusOr<emu::RunStats> r,
                   std::initializer_list<const char *> fragments) {
    ASSERT_FALSE(r.ok()) << "expected an error";
    std::string msg(r.status().message());
    for (const char *f : fragments)
      EXPECT_NE(msg.find(f), std::string::npos)
          << "'" << f << "' not in: " << msg;
  }
  std::vector<uint8_t> pattern(uint8_t seed) {
    std::vector<uint8_t> row(m->lanes());
    for (uint32_t i = 0; i < m->lanes(); ++i)
      row[i] = uint8_t(i * 7 + seed);
    return row;
  }
  /// The MEM slice next to a link's edge (MEM-W0 for the west edge, MEM-E0
  /// for the east one) and the stream direction towards / away from it.
  bool westEdge(uint32_t link) const {
    return m->queue(m->c2cQueue(link)).position == 0;
  }
  uint32_t sliceNear(uint32_t link) const {
    return westEdge(link) ? 0 : m->memSlices() / 2;
  }
  uint64_t distance(uint32_t slice, uint32_t link) const {
    return uint64_t(
        std::abs(m->memPosition(slice) - m->queue(m->c2cQueue(link)).position));
  }
  /// Chip `chip` reads row 5 of bank 0 of the slice nearest `link` at
  /// cycle `readAt` onto a stream towards the link's edge (tag `tag`) and
  /// sends it on `link` to `dst` as it passes; returns the send cycle.
  uint64_t readAndSend(uint32_t chip, uint64_t readAt, uint32_t link,
                       uint32_t dst, uint32_t tag = 7) {
    uint32_t slice = sliceNear(link);
    uint8_t s = westEdge(link) ? uint8_t(m->streamsPerDirection()) : 0;
    EXPECT_TRUE(b[chip]
                    .at(m->memQueue(slice), readAt, emu::memRead(0, 5, s, tag))
                    .ok());
    uint64_t at =
        readAt + m->target().mem_read_latency() + distance(slice, link);
    EXPECT_TRUE(
        b[chip].at(m->c2cQueue(link), at, emu::c2cSend(s, tag, dst)).ok());
    return at;
  }
  /// Chip `chip` receives on `link` at `at` onto a stream away from the
  /// edge (tag 9) and writes it to row 3 of bank 1 of the nearest slice;
  /// returns the write cycle.
  uint64_t receiveAndWrite(uint32_t chip, uint32_t link, uint64_t at,
                           uint32_t src, uint32_t expect = 7) {
    uint8_t s = westEdge(link) ? 0 : uint8_t(m->streamsPerDirection());
    EXPECT_TRUE(
        b[chip]
            .at(m->c2cQueue(link), at, emu::c2cReceive(src, expect, s, 9))
            .ok());
    uint32_t slice = sliceNear(link);
    uint64_t w = at + m->target().c2c_receive_latency() + distance(slice, link);
    EXPECT_TRUE(
        b[chip].at(m->memQueue(slice), w, emu::memWrite(s, 9, 1, 3)).ok());
    return w;
  }
  const uint8_t *written(uint32_t chip, uint32_t link) {
    return emu->sram(chip).row(sliceNear(link), 1, 3);
  }

  std::unique_ptr<isa::Machine> m;
  std::unique_ptr<emu::Emulator> emu;
  std::vector<emu::ProgramBuilder> b;
  std::unique_ptr<isa::Topology> topo;
};

} // namespace

TEST_F(C2cTest, SendReceiveOneHopExactCycles) {
  init("lpu-v1", 2);
  // Local link 0 of slot 0 reaches slot 1, arriving on its link 6.
  ASSERT_EQ(topo->peer(0, 0).chip, 1u);
  uint32_t in = topo->peer(0, 0).link;
  ASSERT_EQ(in, 6u);
  std::vector<uint8_t> row = pattern(3);
  std::memcpy(emu->sram(0).mutableRow(0, 0, 5), row.data(), m->lanes());
  uint64_t sent = readAndSend(0, 0, 0, 1);
  EXPECT_EQ(sent, 47u); // MEM-W0 at position 45, the west edge at 0
  uint64_t w = receiveAndWrite(1, in, sent + 216, 0);
  absl::StatusOr<emu::RunStats> r = run();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(0, std::memcmp(written(1, in), row.data(), m->lanes()));
  EXPECT_EQ(r->cycles, w + m->memWriteLatency());
  ASSERT_EQ(r->links.size(), 1u);
  EXPECT_EQ(r->links[0].chip, 0u);
  EXPECT_EQ(r->links[0].link, 0u);
  EXPECT_EQ(r->links[0].peer, 1u);
  EXPECT_EQ(r->links[0].vectors, 1u);
  EXPECT_EQ(r->links[0].bytes, 320u);
  EXPECT_EQ(r->links[0].busyCycles, 23u);
  EXPECT_EQ(r->units[size_t(isa::Unit::C2c)].busyCycles, 2u);
}

TEST_F(C2cTest, MultiHopRouteOnTinyAndThreadsAgree) {
  // lpu-tiny nodes are hypercubes: chip 0 reaches chip 3 in two hops.
  for (uint32_t threads : {1u, 2u}) {
    b.clear();
    init("lpu-tiny", 8);
    isa::Route route = topo->route(0, 3);
    ASSERT_EQ(route.size(), 2u);
    std::vector<uint8_t> row = pattern(11);
    std::memcpy(emu->sram(0).mutableRow(0, 0, 5), row.data(), m->lanes());
    uint64_t sent = readAndSend(0, 4, route[0].link, 3);
    isa::LinkEnd last = topo->peer(route[1].chip, route[1].link);
    uint64_t arrive = topo->arrivalCycle(sent, route);
    EXPECT_EQ(arrive, sent + 2 * 216);
    receiveAndWrite(3, last.link, arrive, 0);
    absl::StatusOr<emu::RunStats> r = run(threads);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(0, std::memcmp(written(3, last.link), row.data(), m->lanes()));
    // Both hops carried the vector (the forwarding chip runs no program).
    ASSERT_EQ(r->links.size(), 2u);
    EXPECT_EQ(r->links[0].chip, route[0].chip);
    EXPECT_EQ(r->links[1].chip, route[1].chip);
  }
}

TEST_F(C2cTest, ReceiveOneCycleEarlyIsAnError) {
  init("lpu-v1", 2);
  uint64_t sent = readAndSend(0, 0, 0, 1);
  receiveAndWrite(1, 6, sent + 215, 0);
  expectError(run(),
              {"chip 1", "C2C link 6", "cycle 262", "c2c.receive",
               "no vector arrives on link 6", "the next arrives in cycle 263"});
}

TEST_F(C2cTest, VectorWithoutReceiveIsAnError) {
  init("lpu-v1", 2);
  readAndSend(0, 0, 0, 1);
  expectError(run(), {"chip 0", "C2C link 0", "cycle 47", "c2c.send",
                      "arrives at chip 1 on link 6 in cycle 263",
                      "no receive takes it"});
}

TEST_F(C2cTest, SendOnBusyLinkIsAnError) {
  init("lpu-v1", 2);
  // Two vectors 10 cycles apart on one link: it carries one per 23 cycles.
  uint64_t s0 = readAndSend(0, 0, 0, 1, 7);
  uint8_t west = uint8_t(m->streamsPerDirection());
  ASSERT_TRUE(
      b[0].at(m->memQueue(1), 10, emu::memRead(0, 5, west + 1, 8)).ok());
  uint64_t s1 = 10 + 2 + uint64_t(m->memPosition(1));
  ASSERT_TRUE(b[0].at(m->c2cQueue(0), s1, emu::c2cSend(west + 1, 8, 1)).ok());
  receiveAndWrite(1, 6, s0 + 216, 0);
  expectError(run(), {"chip 0", "C2C link 0", "c2c.send", "busy"});
}

TEST_F(C2cTest, SendOnALinkTheRouteDoesNotTakeIsAnError) {
  init("lpu-v1", 3);
  // Chip 1 is reached on link 0 of chip 0; link 1 leads to chip 2.
  readAndSend(0, 0, 1, 1);
  expectError(run(), {"chip 0", "C2C link 1", "c2c.send",
                      "the route to chip 1 leaves on link 0, not link 1"});
}

TEST_F(C2cTest, ReceiveWithWrongTagOrSourceIsAnError) {
  init("lpu-v1", 3);
  uint64_t sent = readAndSend(0, 0, 0, 1);
  receiveAndWrite(1, 6, sent + 216, 0, /*expect=*/8);
  expectError(run(), {"chip 1", "has tag 7, expected tag 8"});

  b.clear();
  init("lpu-v1", 3);
  sent = readAndSend(0, 0, 0, 1);
  receiveAndWrite(1, 6, sent + 216, 2);
  expectError(run(), {"chip 1", "comes from chip 0, not chip 2"});
}

TEST_F(C2cTest, SendToItselfOrOutsideTheSystemIsRejected) {
  init("lpu-v1", 2);
  readAndSend(0, 0, 0, 0);
  expectError(run(), {"chip 0", "c2c.send", "chip 0 is this chip"});
  b.clear();
  init("lpu-v1", 2);
  readAndSend(0, 0, 0, 5);
  expectError(run(), {"chip 5 is not in the system of 2 chips"});
}

TEST_F(C2cTest, TimingOnlyChecksTheSameRules) {
  init("lpu-v1", 2);
  uint64_t sent = readAndSend(0, 0, 0, 1);
  receiveAndWrite(1, 6, sent + 216, 0);
  emu->setTimingOnly(true);
  absl::StatusOr<emu::RunStats> ok = run();
  ASSERT_TRUE(ok.ok()) << ok.status();
  b.clear();
  init("lpu-v1", 2);
  sent = readAndSend(0, 0, 0, 1);
  receiveAndWrite(1, 6, sent + 217, 0);
  emu->setTimingOnly(true);
  expectError(run(), {"no vector arrives on link 6"});
}
