//===- TopologyTest.cpp - Multi-chip wiring, routes and link timing -------===//
#include "runtime/isa/Topology.h"
#include "runtime/isa/Machine.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace lpuc;
using namespace lpuc::isa;

namespace {

schema::Target target(const char *name) {
  absl::StatusOr<schema::Target> t = loadTarget(name);
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

Topology build(const char *name, uint32_t chips) {
  absl::StatusOr<Topology> t = Topology::create(target(name), chips);
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

// Largest hop count from `srcs` to any chip.
uint32_t eccentricity(const Topology &t, uint32_t firstSrc, uint32_t endSrc) {
  uint32_t m = 0;
  for (uint32_t s = firstSrc; s < endSrc; ++s)
    for (uint16_t d : t.distancesTo(s))
      m = std::max<uint32_t>(m, d);
  return m;
}
// On a system of whole racks, moving every chip one rack on is an
// automorphism (checked here), so the sources of rack 0 see every distance:
// returns the diameter.
uint32_t wholeRackDiameter(const Topology &t) {
  const uint32_t T = t.numRacks();
  EXPECT_EQ(t.numChips(), T * t.chipsPerRack());
  for (uint32_t c = 0; c < t.numChips(); ++c) {
    ChipPlace p = t.place(c);
    uint32_t moved = t.chipAt({(p.rack + 1) % T, p.node, p.slot});
    for (uint32_t l = 0; l < t.linksPerChip(); ++l) {
      EXPECT_EQ(t.connected(c, l), t.connected(moved, l));
      if (!t.connected(c, l) || !t.connected(moved, l))
        continue;
      ChipPlace e = t.place(t.peer(c, l).chip);
      LinkEnd f = t.peer(moved, l);
      EXPECT_EQ(f.chip, t.chipAt({(e.rack + 1) % T, e.node, e.slot}));
      EXPECT_EQ(f.link, t.peer(c, l).link);
    }
  }
  return eccentricity(t, 0, t.chipsPerRack());
}

// Checks that `r` is a walk along wired links from src to dst.
void expectValidRoute(const Topology &t, const Route &r, uint32_t src,
                      uint32_t dst) {
  uint32_t c = src;
  for (const LinkEnd &h : r) {
    ASSERT_EQ(h.chip, c);
    ASSERT_TRUE(t.connected(h.chip, h.link));
    c = t.peer(h.chip, h.link).chip;
  }
  EXPECT_EQ(c, dst);
}

// A small deterministic generator for sampled pairs.
struct Lcg {
  uint64_t s;
  uint32_t next(uint32_t n) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return uint32_t((s >> 33) % n);
  }
};

} // namespace

TEST(Topology, MaxChipsFromTheTarget) {
  EXPECT_EQ(Topology::maxChips(target("lpu-v1")), 10440u); // 145 racks of 72
  EXPECT_EQ(Topology::maxChips(target("lpu-v2")), 10440u);
  EXPECT_EQ(Topology::maxChips(target("lpu-tiny")), 2664u); // 37 racks of 72
  absl::StatusOr<Topology> t = Topology::create(target("lpu-v1"), 10441);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(std::string(t.status().message()).find("10440 chips"),
            std::string::npos)
      << t.status();
  EXPECT_FALSE(Topology::create(target("lpu-v1"), 0).ok());
}

TEST(Topology, NodeThatCannotBeWired) {
  schema::Target t = target("lpu-v1");
  t.set_chips_per_node(9); // needs 8 local links
  t.set_c2c_links(10);     // 10 - 4 = 6 < 8, and 9 is not a power of two
  EXPECT_EQ(Topology::maxChips(t), 1u);
  absl::StatusOr<Topology> two = Topology::create(t, 2);
  ASSERT_FALSE(two.ok());
  EXPECT_NE(std::string(two.status().message()).find("local links"),
            std::string::npos)
      << two.status();
  // One chip needs no link.
  absl::StatusOr<Topology> one = Topology::create(t, 1);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_TRUE(one->route(0, 0).empty());
}

TEST(Topology, PlacesAndLinkKindsOnLpuV1) {
  Topology t = build("lpu-v1", 10440);
  EXPECT_EQ(t.numRacks(), 145u);
  EXPECT_EQ(t.localLinksPerChip(), 7u);
  EXPECT_EQ(t.intraRackPortsPerNode(), 16u);
  EXPECT_EQ(t.interRackPortsPerNode(), 16u);
  EXPECT_EQ(t.linksPerRackPair(), 1u);
  ChipPlace p = t.place(5000);
  EXPECT_EQ(p.rack, 69u); // 5000 = 69 * 72 + 32 = 69 * 72 + 4 * 8 + 0
  EXPECT_EQ(p.node, 4u);
  EXPECT_EQ(p.slot, 0u);
  std::vector<uint32_t> kinds(4, 0);
  for (uint32_t c = 0; c < t.numChips(); ++c) {
    ASSERT_EQ(t.chipAt(t.place(c)), c);
    ChipPlace a = t.place(c);
    for (uint32_t l = 0; l < t.linksPerChip(); ++l) {
      LinkKind k = t.linkKind(c, l);
      ++kinds[unsigned(k)];
      // Links 0-6 local, 7-10 global, 11-15 unused.
      if (l < 7)
        ASSERT_EQ(k, LinkKind::Local);
      else if (l < 11)
        ASSERT_TRUE(k == LinkKind::IntraRack || k == LinkKind::InterRack);
      else
        ASSERT_EQ(k, LinkKind::Unused);
      if (k == LinkKind::Unused) {
        ASSERT_FALSE(t.connected(c, l));
        continue;
      }
      ChipPlace b = t.place(t.peer(c, l).chip);
      ASSERT_EQ(k == LinkKind::InterRack, a.rack != b.rack);
      if (k != LinkKind::InterRack)
        ASSERT_EQ(k == LinkKind::Local, a.node == b.node);
      if (k == LinkKind::Local)
        ASSERT_NE(a.slot, b.slot);
    }
  }
  EXPECT_EQ(kinds[unsigned(LinkKind::Local)], 10440u * 7);
  EXPECT_EQ(kinds[unsigned(LinkKind::IntraRack)], 10440u * 2);
  EXPECT_EQ(kinds[unsigned(LinkKind::InterRack)], 10440u * 2);
  EXPECT_EQ(kinds[unsigned(LinkKind::Unused)], 10440u * 5);
}

TEST(Topology, NodesAndRacksAreFullyJoined) {
  // Every pair of nodes of a rack is joined by 2 links, every pair of racks
  // by 1 on the 10,440-chip lpu-v1 system.
  Topology t = build("lpu-v1", 10440);
  std::vector<uint32_t> nodePairs(9 * 9, 0), rackPairs(145 * 145, 0);
  for (uint32_t c = 0; c < t.numChips(); ++c)
    for (uint32_t l = 0; l < t.linksPerChip(); ++l) {
      if (!t.connected(c, l))
        continue;
      ChipPlace a = t.place(c), b = t.place(t.peer(c, l).chip);
      if (t.linkKind(c, l) == LinkKind::IntraRack && a.rack == 0)
        ++nodePairs[a.node * 9 + b.node];
      if (t.linkKind(c, l) == LinkKind::InterRack)
        ++rackPairs[a.rack * 145 + b.rack];
    }
  for (uint32_t x = 0; x < 9; ++x)
    for (uint32_t y = 0; y < 9; ++y)
      EXPECT_EQ(nodePairs[x * 9 + y], x == y ? 0u : 2u) << x << " " << y;
  for (uint32_t x = 0; x < 145; ++x)
    for (uint32_t y = 0; y < 145; ++y)
      ASSERT_EQ(rackPairs[x * 145 + y], x == y ? 0u : 1u) << x << " " << y;
}

TEST(Topology, LinksAreSymmetric) {
  // Link l of a reaches b on link m iff link m of b reaches a on link l.
  struct Case {
    const char *target;
    uint32_t chips;
  };
  for (Case cs :
       {Case{"lpu-v1", 10440}, Case{"lpu-v1", 256}, Case{"lpu-v1", 100},
        Case{"lpu-tiny", 2664}, Case{"lpu-tiny", 300}}) {
    Topology t = build(cs.target, cs.chips);
    uint32_t wired = 0;
    for (uint32_t c = 0; c < t.numChips(); ++c)
      for (uint32_t l = 0; l < t.linksPerChip(); ++l) {
        if (!t.connected(c, l))
          continue;
        ++wired;
        LinkEnd e = t.peer(c, l);
        ASSERT_NE(e.chip, c);
        ASSERT_TRUE(t.connected(e.chip, e.link));
        ASSERT_EQ(t.peer(e.chip, e.link), (LinkEnd{c, l}))
            << cs.target << " " << cs.chips << " chip " << c << " link " << l;
        ASSERT_EQ(t.linkKind(e.chip, e.link), t.linkKind(c, l));
      }
    EXPECT_GT(wired, t.numChips()) << cs.target << " " << cs.chips;
  }
}

TEST(Topology, EveryChipCountIsConnected) {
  // create() fails when some chip cannot be reached; every size must work.
  for (uint32_t n = 1; n <= 400; ++n)
    ASSERT_TRUE(Topology::create(target("lpu-v1"), n).ok()) << n;
  for (uint32_t n = 1; n <= 2664; n += (n < 400 ? 1 : 37))
    ASSERT_TRUE(Topology::create(target("lpu-tiny"), n).ok()) << n;
}

TEST(Topology, HopsInsideNodeAndRackOnLpuV1) {
  Topology t = build("lpu-v1", 72);
  uint32_t inRack = 0;
  for (uint32_t a = 0; a < 72; ++a) {
    std::vector<uint16_t> d = t.distancesTo(a);
    for (uint32_t b = 0; b < 72; ++b) {
      if (a == b)
        ASSERT_EQ(d[b], 0u);
      else if (t.place(a).node == t.place(b).node)
        ASSERT_EQ(d[b], 1u); // fully connected node
      inRack = std::max<uint32_t>(inRack, d[b]);
    }
  }
  // Local, intra-rack, local: and no chip reaches every other node directly.
  EXPECT_EQ(inRack, 3u);
}

TEST(Topology, AtMostSevenHopsOn10440Chips) {
  Topology t = build("lpu-v1", 10440);
  EXPECT_EQ(wholeRackDiameter(t), 7u);

  // Sampled pairs: routes are walks of exactly the hop count, <= 7, and the
  // same on every call.
  Lcg g{42};
  uint32_t longest = 0;
  for (int i = 0; i < 300; ++i) {
    uint32_t a = g.next(10440), b = g.next(10440);
    std::vector<uint16_t> d = t.distancesTo(b);
    Route r = t.route(a, b, d);
    expectValidRoute(t, r, a, b);
    ASSERT_EQ(r.size(), d[a]);
    ASSERT_LE(r.size(), 7u);
    ASSERT_EQ(t.route(a, b), r);
    ASSERT_EQ(t.route(b, a).size(), r.size());
    longest = std::max<uint32_t>(longest, r.size());
  }
  EXPECT_GE(longest, 5u);
}

TEST(Topology, ExhaustiveSmallSystems) {
  // Every pair: the route is a valid walk of the minimal hop count.
  struct Case {
    const char *target;
    uint32_t chips, diameter;
  };
  for (Case cs :
       {Case{"lpu-v1", 8, 1}, Case{"lpu-v1", 72, 3}, Case{"lpu-v1", 144, 4},
        Case{"lpu-v1", 200, 5}, Case{"lpu-v1", 576, 5}, Case{"lpu-tiny", 8, 3},
        Case{"lpu-tiny", 72, 6}, Case{"lpu-tiny", 256, 13}}) {
    Topology t = build(cs.target, cs.chips);
    uint32_t worst = 0;
    for (uint32_t b = 0; b < t.numChips(); ++b) {
      std::vector<uint16_t> d = t.distancesTo(b);
      for (uint32_t a = 0; a < t.numChips(); ++a) {
        Route r = t.route(a, b, d);
        ASSERT_EQ(r.size(), d[a]) << a << " -> " << b;
        if (cs.chips <= 200)
          expectValidRoute(t, r, a, b);
        worst = std::max<uint32_t>(worst, r.size());
      }
    }
    EXPECT_EQ(worst, cs.diameter) << cs.target << " " << cs.chips;
  }
}

TEST(Topology, DiametersOfWholeRackSystems) {
  // The figures of docs/multichip.md.
  EXPECT_EQ(wholeRackDiameter(build("lpu-v1", 2 * 72)), 4u);
  EXPECT_EQ(wholeRackDiameter(build("lpu-v1", 8 * 72)), 5u);
  EXPECT_EQ(wholeRackDiameter(build("lpu-v1", 20 * 72)), 5u);
  EXPECT_EQ(wholeRackDiameter(build("lpu-v1", 73 * 72)), 7u);
  EXPECT_EQ(wholeRackDiameter(build("lpu-tiny", 4 * 72)), 11u);
  EXPECT_EQ(wholeRackDiameter(build("lpu-tiny", 37 * 72)), 17u);
}

TEST(Topology, RouteIsLowestLinkFirst) {
  Topology t = build("lpu-v1", 72);
  // Chip 0 to chip 3 of its node: one hop on local link 2 (slot 0 + 2 + 1).
  Route r = t.route(0, 3);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], (LinkEnd{0, 2}));
  EXPECT_EQ(t.peer(0, 2), (LinkEnd{3, 8 - 2 - 2}));
  EXPECT_TRUE(t.route(5, 5).empty());
  EXPECT_EQ(t.hops(5, 5), 0u);
}

TEST(Topology, ArrivalCycles) {
  Topology t = build("lpu-v1", 10440);
  EXPECT_EQ(t.linkLatencyCycles(), 216u);
  EXPECT_EQ(t.vectorCycles(), 23u);
  // The farthest chip from chip 0: 7 hops = 1512 cycles = 1.68 us at 900 MHz.
  std::vector<uint16_t> d = t.distancesTo(0);
  uint32_t far = uint32_t(std::max_element(d.begin(), d.end()) - d.begin());
  Route r = t.route(far, 0, d);
  ASSERT_EQ(r.size(), 7u);
  EXPECT_EQ(t.arrivalCycle(0, r), 1512u);
  EXPECT_EQ(t.arrivalCycle(100, r), 1612u);
  EXPECT_EQ(t.hopCycle(100, 3), 100u + 3 * 216);
  EXPECT_EQ(t.arrivalCycle(7, {}), 7u);
  Topology v2 = build("lpu-v2", 72);
  EXPECT_EQ(v2.arrivalCycle(0, v2.route(0, 71)), 360u * v2.hops(0, 71));
}

TEST(LinkSchedule, BusyLinkIsRejected) {
  Topology t = build("lpu-v1", 72);
  LinkSchedule s(t);
  ASSERT_TRUE(s.reserve(0, 2, 100).ok());
  // One vector per 23 cycles: 77 and 123 are free, 78 .. 122 are not.
  EXPECT_FALSE(s.isFree(0, 2, 78));
  EXPECT_FALSE(s.isFree(0, 2, 122));
  EXPECT_TRUE(s.isFree(0, 2, 77));
  EXPECT_TRUE(s.isFree(0, 2, 123));
  absl::Status busy = s.reserve(0, 2, 122);
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(busy.message())
                .find("link 2 of chip 0 is busy at cycle 122: the vector "
                      "sent at cycle 100 holds it until cycle 122"),
            std::string::npos)
      << busy;
  EXPECT_FALSE(s.reserve(0, 2, 78).ok());
  EXPECT_TRUE(s.reserve(0, 2, 123).ok());
  EXPECT_TRUE(s.reserve(0, 2, 77).ok());
  // The other direction of the same cable is another link.
  LinkEnd back = t.peer(0, 2);
  EXPECT_TRUE(s.reserve(back.chip, back.link, 100).ok());
  EXPECT_EQ(s.busyCycles(0, 2), 3u * 23);
  EXPECT_EQ(s.numReservations(), 4u);
  // Unwired (link 11 of lpu-v1) and missing links.
  absl::Status unwired = s.reserve(0, 11, 0);
  EXPECT_NE(std::string(unwired.message()).find("not wired"), std::string::npos)
      << unwired;
  EXPECT_FALSE(s.reserve(72, 0, 0).ok());
  EXPECT_FALSE(s.isFree(0, 11, 0));
  EXPECT_EQ(s.numReservations(), 4u);
}

TEST(LinkSchedule, RoutesAreReservedAllOrNothing) {
  Topology t = build("lpu-v1", 72);
  LinkSchedule s(t);
  // A 3-hop route (chip 0 to a chip two nodes away at the worst slot).
  std::vector<uint16_t> d = t.distancesTo(0);
  uint32_t far = uint32_t(std::max_element(d.begin(), d.end()) - d.begin());
  Route r = t.route(far, 0, d);
  ASSERT_EQ(r.size(), 3u);
  ASSERT_TRUE(s.reserveRoute(r, 1000).ok());
  EXPECT_EQ(s.numReservations(), 3u);
  for (size_t i = 0; i < r.size(); ++i)
    EXPECT_FALSE(s.isFree(r[i].chip, r[i].link, 1000 + 216 * i));
  // The same route 10 cycles later collides on its first hop: nothing kept.
  absl::Status again = s.reserveRoute(r, 1010);
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(s.numReservations(), 3u);
  // A route sharing only the last hop, timed to collide there.
  Route tail{r.back()};
  EXPECT_FALSE(s.reserveRoute(tail, 1000 + 2 * 216 + 22).ok());
  EXPECT_TRUE(s.reserveRoute(tail, 1000 + 2 * 216 + 23).ok());
  // The earliest send cycle >= 1010 at which the whole route is free: the
  // first hop is held by the vector of cycle 1000 until 1022, and sent at 1023
  // the last hop (1023 + 432 = 1455) would meet `tail`: 1455 + 23 - 432.
  EXPECT_EQ(s.earliestFree(r, 1010), 1046u);
  EXPECT_EQ(s.earliestFree(r, 0), 0u);
  EXPECT_FALSE(s.reserveRoute(r, 1045).ok());
  ASSERT_TRUE(s.reserveRoute(r, 1046).ok());
  EXPECT_EQ(s.numReservations(), 7u);
}
