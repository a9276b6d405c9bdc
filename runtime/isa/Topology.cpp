//===- Topology.cpp - Chips, nodes, racks and the links between them ------===//
//
// The wiring is described in docs/multichip.md; in short, with K =
// chips_per_node, N = nodes_per_rack, G = global_links_per_chip and P = K*G
// global ports per node (port p of a node is global link p / K of slot p % K):
//  - node: fully connected when c2c_links - G >= K - 1 (local link k of slot s
//    reaches slot (s + k + 1) % K on its link K - 2 - k); otherwise a hypercube
//    when K is a power of two and c2c_links - G >= log2 K (link k reaches slot
//    s ^ (1 << k) on its link k);
//  - ports 0 .. I-1 of a node go to other racks, ports I .. P-1 stay in the
//    rack. Half of P (rounded down; all of P in a one-rack system) is offered
//    to the rack: when that is at least N - 1 the nodes of a rack are fully
//    connected by m = offered / (N-1) parallel links per pair (intra port
//    i = c * (N-1) + q of node u reaches node u - 1 - ((q + c*((N-1)/m)) %
//    (N-1))), else they form a circulant graph with offsets -+1 .. -+h,
//    h = max(1, offered / 2);
//  - racks: the I*N inter-rack ports of a rack, ordered j = p * N + node, join
//    every pair of the T racks of the system by floor(I*N / (T-1)) links
//    (port j of rack R reaches rack R + 1 + j % (T-1)).
// Slot 0 of every node holds the lowest ports, so that a partly filled last
// node or rack stays connected; create() checks that every chip is reached.
//
//===----------------------------------------------------------------------===//
#include "runtime/isa/Topology.h"

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <deque>
#include <limits>

namespace lpuc::isa {

const char *linkKindName(LinkKind k) {
  switch (k) {
  case LinkKind::Local:
    return "local";
  case LinkKind::IntraRack:
    return "intra-rack";
  case LinkKind::InterRack:
    return "inter-rack";
  case LinkKind::Unused:
    return "unused";
  }
  return "?";
}

namespace {

bool isPowerOfTwo(uint32_t x) { return x && !(x & (x - 1)); }
uint32_t log2u(uint32_t x) {
  uint32_t r = 0;
  while ((1u << r) < x)
    ++r;
  return r;
}

// The shape of the wiring, derived from the target alone.
struct Plan {
  bool ok = true;
  std::string why;          // when !ok: why no node can be wired
  bool fullNode = true;     // else hypercube
  uint32_t localLinks = 0;  // per chip
  uint32_t ports = 0;       // P = K * G global ports per node
  bool rackClique = true;   // else circulant
  uint32_t rackCopies = 0;  // clique: parallel links per node pair
  uint32_t rackOffsets = 0; // circulant: h
  uint32_t intraPorts = 0;
  uint32_t interPorts = 0;
  uint64_t maxRacks = 1;
  uint64_t maxNodes = 0; // when the rack cannot be wired: nodes in the system
};

// How `offered` global ports per node join the n nodes of a rack. False if
// they cannot.
bool planRack(Plan &p, uint32_t n, uint32_t offered) {
  if (offered >= n - 1) {
    p.rackClique = true;
    p.rackCopies = offered / (n - 1);
    p.intraPorts = p.rackCopies * (n - 1);
    return true;
  }
  if (p.ports < 2)
    return false;
  p.rackClique = false;
  p.rackOffsets = std::max(1u, offered / 2);
  p.intraPorts = 2 * p.rackOffsets;
  return true;
}

Plan makePlan(const schema::Target &t) {
  Plan p;
  uint32_t k = t.chips_per_node(), n = t.nodes_per_rack(), l = t.c2c_links(),
           g = t.global_links_per_chip();
  if (k == 0 || n == 0) {
    p.ok = false;
    p.why = "chips_per_node and nodes_per_rack must be at least 1";
    return p;
  }
  if (g > l) {
    p.ok = false;
    p.why = absl::StrCat("global_links_per_chip (", g, ") exceeds c2c_links (",
                         l, ")");
    return p;
  }
  uint32_t avail = l - g;
  if (k == 1) {
    p.localLinks = 0;
  } else if (avail >= k - 1) {
    p.localLinks = k - 1;
  } else if (isPowerOfTwo(k) && avail >= log2u(k)) {
    p.fullNode = false;
    p.localLinks = log2u(k);
  } else {
    p.ok = false;
    p.why = absl::StrCat(
        "a node of ", k, " chips needs ", k - 1,
        " local links (fully connected) or, for a power of two, log2 of it "
        "(hypercube); c2c_links - global_links_per_chip = ",
        avail);
    return p;
  }
  p.ports = k * g;
  p.maxNodes = 1;
  if (n > 1 && !planRack(p, n, p.ports / 2))
    return p; // no global port to spare: the system is one node
  p.maxNodes = n;
  p.interPorts = p.ports - p.intraPorts;
  p.maxRacks = 1 + uint64_t(p.interPorts) * n;
  return p;
}

} // namespace

uint64_t Topology::maxChips(const schema::Target &target) {
  Plan p = makePlan(target);
  if (!p.ok)
    return 1;
  if (p.maxNodes < target.nodes_per_rack())
    return uint64_t(target.chips_per_node()) * p.maxNodes;
  return p.maxRacks * target.chips_per_node() * target.nodes_per_rack();
}

absl::StatusOr<Topology> Topology::create(const schema::Target &target,
                                          uint32_t chips) {
  if (chips == 0)
    return absl::InvalidArgumentError("topology: at least one chip");
  Plan plan = makePlan(target);
  uint64_t maxC = maxChips(target);
  if (chips > maxC) {
    std::string why = plan.ok ? "" : absl::StrCat(" (", plan.why, ")");
    return absl::InvalidArgumentError(absl::StrCat(
        "topology: ", chips, " chips exceed the largest system target '",
        target.name(), "' can build: ", maxC, " chips", why));
  }
  if (target.c2c_vector_cycles() == 0)
    return absl::InvalidArgumentError(
        "topology: c2c_vector_cycles must be at least 1");

  Topology t;
  t.chips_ = chips;
  t.l_ = target.c2c_links();
  t.g_ = target.global_links_per_chip();
  t.latency_ = target.c2c_link_latency_cycles();
  t.vectorCycles_ = target.c2c_vector_cycles();
  t.fullNode_ = plan.fullNode;
  t.localLinks_ = plan.ok ? plan.localLinks : 0;
  t.intraPorts_ = plan.intraPorts;
  t.interPorts_ = plan.interPorts;
  // A single chip needs neither a node nor a rack; keep the place arithmetic
  // valid even when the target cannot wire a node.
  t.k_ = std::max(1u, target.chips_per_node());
  t.n_ = std::max(1u, target.nodes_per_rack());
  uint32_t perRack = t.k_ * t.n_;
  t.racks_ = (chips + perRack - 1) / perRack;
  t.peer_.assign(size_t(chips) * t.l_, LinkEnd{kNone, kNone});
  t.kind_.assign(size_t(chips) * t.l_, LinkKind::Unused);
  if (chips == 1)
    return t;

  if (t.racks_ == 1 && plan.ok && t.n_ > 1) {
    // One rack: no port leads to another rack, so all of them stay inside.
    planRack(plan, t.n_, plan.ports);
    plan.interPorts = 0;
    t.intraPorts_ = plan.intraPorts;
    t.interPorts_ = 0;
  }
  const uint32_t k = t.k_, n = t.n_, T = t.racks_, I = plan.interPorts;
  const uint32_t Q = I * n;
  t.rackCopies_ = T > 1 ? Q / (T - 1) : 0;
  auto connect = [&](uint32_t chip, uint32_t link, uint32_t peerChip,
                     uint32_t peerLink, LinkKind kind) {
    if (peerChip >= chips)
      return; // the far end is not in this system
    t.peer_[t.index(chip, link)] = {peerChip, peerLink};
    t.kind_[t.index(chip, link)] = kind;
  };
  for (uint32_t c = 0; c < chips; ++c) {
    ChipPlace pl = t.place(c);
    // Local links.
    for (uint32_t lk = 0; lk < plan.localLinks; ++lk) {
      ChipPlace q = pl;
      uint32_t back = lk;
      if (plan.fullNode) {
        q.slot = (pl.slot + lk + 1) % k;
        back = k - 2 - lk;
      } else {
        q.slot = pl.slot ^ (1u << lk);
      }
      connect(c, lk, t.chipAt(q), back, LinkKind::Local);
    }
    // Global links: port p of the node is global link p / k of slot p % k.
    auto portLink = [&](uint32_t port) { return plan.localLinks + port / k; };
    for (uint32_t gl = 0; gl < t.g_; ++gl) {
      uint32_t port = gl * k + pl.slot;
      uint32_t link = plan.localLinks + gl;
      ChipPlace q = pl;
      uint32_t peerPort;
      if (port < I) {
        // Inter-rack port j = port * n + node.
        if (T < 2)
          continue;
        uint32_t j = port * n + pl.node;
        uint32_t copy = j / (T - 1), r = j % (T - 1);
        if (copy >= t.rackCopies_)
          continue;
        q.rack = (pl.rack + 1 + r) % T;
        uint32_t jj = copy * (T - 1) + (T - 2 - r);
        q.node = jj % n;
        peerPort = jj / n;
        q.slot = peerPort % k;
        connect(c, link, t.chipAt(q), portLink(peerPort), LinkKind::InterRack);
        continue;
      }
      uint32_t i = port - I; // intra-rack port
      if (i >= plan.intraPorts)
        continue;
      uint32_t ii;
      if (plan.rackClique) {
        // Copy c rotates the pairing by c * (n-1) / m so that parallel links
        // between two nodes start and end on different slots.
        uint32_t m = plan.rackCopies, copy = i / (n - 1), qq = i % (n - 1);
        uint32_t shift = copy * ((n - 1) / m);
        uint32_t r = (qq + shift) % (n - 1);
        q.node = (pl.node + n - 1 - r) % n;
        uint32_t rr = n - 2 - r;
        ii = copy * (n - 1) + (rr + (n - 1) - shift % (n - 1)) % (n - 1);
      } else {
        uint32_t d = i / 2 + 1, neg = 1 - i % 2;
        q.node = neg ? (pl.node + n - d % n) % n : (pl.node + d) % n;
        ii = (d - 1) * 2 + neg;
      }
      peerPort = I + ii;
      q.slot = peerPort % k;
      connect(c, link, t.chipAt(q), portLink(peerPort), LinkKind::IntraRack);
    }
  }

  // Every chip must reach every other one.
  std::vector<uint16_t> d = t.distancesTo(0);
  for (uint32_t c = 0; c < chips; ++c)
    if (d[c] == std::numeric_limits<uint16_t>::max())
      return absl::InternalError(
          absl::StrCat("topology: with ", chips, " chips of target '",
                       target.name(), "', chip ", c, " is not connected"));
  return t;
}

ChipPlace Topology::place(uint32_t chip) const {
  return {chip / (k_ * n_), (chip / k_) % n_, chip % k_};
}

uint32_t Topology::chipAt(const ChipPlace &p) const {
  return (p.rack * n_ + p.node) * k_ + p.slot;
}

LinkKind Topology::linkKind(uint32_t chip, uint32_t link) const {
  return kind_[index(chip, link)];
}

std::vector<uint16_t> Topology::distancesTo(uint32_t dst) const {
  const uint16_t inf = std::numeric_limits<uint16_t>::max();
  std::vector<uint16_t> d(chips_, inf);
  std::vector<uint32_t> queue;
  queue.reserve(chips_);
  d[dst] = 0;
  queue.push_back(dst);
  // Links are symmetric, so distances from dst are distances to dst.
  for (size_t h = 0; h < queue.size(); ++h) {
    uint32_t c = queue[h];
    for (uint32_t lk = 0; lk < l_; ++lk) {
      const LinkEnd &e = peer_[index(c, lk)];
      if (e.chip == kNone || d[e.chip] != inf)
        continue;
      d[e.chip] = d[c] + 1;
      queue.push_back(e.chip);
    }
  }
  return d;
}

Route Topology::route(uint32_t src, uint32_t dst,
                      const std::vector<uint16_t> &dist) const {
  Route r;
  uint32_t c = src;
  while (c != dst) {
    uint32_t next = kNone;
    for (uint32_t lk = 0; lk < l_ && next == kNone; ++lk) {
      const LinkEnd &e = peer_[index(c, lk)];
      if (e.chip != kNone && dist[e.chip] + 1 == dist[c]) {
        r.push_back({c, lk});
        next = e.chip;
      }
    }
    if (next == kNone)
      return {}; // unreachable: create() rejects disconnected systems
    c = next;
  }
  return r;
}

Route Topology::route(uint32_t src, uint32_t dst) const {
  if (src == dst)
    return {};
  return route(src, dst, distancesTo(dst));
}

uint32_t Topology::hops(uint32_t src, uint32_t dst) const {
  return src == dst ? 0 : distancesTo(dst)[src];
}

std::string Topology::describe() const {
  return absl::StrCat(
      chips_, " chips: ", racks_, " rack(s) of ", n_, " nodes of ", k_,
      " chips; node ", fullNode_ ? "fully connected" : "hypercube", " (",
      localLinks_, " local links per chip), ", g_,
      " global links per chip: per node ", intraPorts_, " ports in the rack, ",
      interPorts_, " to other racks; ", rackCopies_, " link(s) per rack pair");
}

//===----------------------------------------------------------------------===//
// LinkSchedule
//===----------------------------------------------------------------------===//

bool LinkSchedule::conflict(uint64_t key, uint64_t cycle,
                            uint64_t *other) const {
  auto it = slots_.find(key);
  if (it == slots_.end())
    return false;
  const uint64_t vc = topo_->vectorCycles();
  // Any vector starting in (cycle - vc, cycle + vc) overlaps.
  auto hi = it->second.lower_bound(cycle + vc);
  if (hi == it->second.begin())
    return false;
  --hi;
  if (*hi + vc > cycle) {
    *other = *hi;
    return true;
  }
  return false;
}

bool LinkSchedule::isFree(uint32_t chip, uint32_t link, uint64_t cycle) const {
  if (chip >= topo_->numChips() || link >= topo_->linksPerChip() ||
      !topo_->connected(chip, link))
    return false;
  uint64_t other;
  return !conflict(uint64_t(chip) * topo_->linksPerChip() + link, cycle,
                   &other);
}

absl::Status LinkSchedule::reserve(uint32_t chip, uint32_t link,
                                   uint64_t cycle) {
  if (chip >= topo_->numChips() || link >= topo_->linksPerChip())
    return absl::InvalidArgumentError(absl::StrCat(
        "link schedule: no link ", link, " on chip ", chip, " (",
        topo_->numChips(), " chips of ", topo_->linksPerChip(), " links)"));
  if (!topo_->connected(chip, link))
    return absl::InvalidArgumentError(absl::StrCat(
        "link schedule: link ", link, " of chip ", chip, " is not wired"));
  uint64_t key = uint64_t(chip) * topo_->linksPerChip() + link, other;
  if (conflict(key, cycle, &other))
    return absl::FailedPreconditionError(absl::StrCat(
        "link schedule: link ", link, " of chip ", chip, " is busy at cycle ",
        cycle, ": the vector sent at cycle ", other, " holds it until cycle ",
        other + topo_->vectorCycles() - 1));
  slots_[key].insert(cycle);
  return absl::OkStatus();
}

void LinkSchedule::forgetBefore(uint64_t cycle) {
  const uint64_t vc = topo_->vectorCycles();
  if (cycle < vc)
    return;
  for (auto it = slots_.begin(); it != slots_.end();) {
    // Starts s with s + vc <= cycle, i.e. s < cycle - vc + 1.
    it->second.erase(it->second.begin(),
                     it->second.lower_bound(cycle - vc + 1));
    it = it->second.empty() ? slots_.erase(it) : std::next(it);
  }
}

absl::Status LinkSchedule::reserveRoute(const Route &route,
                                        uint64_t sendCycle) {
  for (size_t i = 0; i < route.size(); ++i) {
    const LinkEnd &h = route[i];
    uint64_t cyc = topo_->hopCycle(sendCycle, i);
    if (h.chip >= topo_->numChips() || h.link >= topo_->linksPerChip() ||
        !topo_->connected(h.chip, h.link) || !isFree(h.chip, h.link, cyc))
      return reserve(h.chip, h.link, cyc); // fails with the reason
    // Two hops of one route on the same link (never in a minimal route).
    for (size_t j = 0; j < i; ++j)
      if (route[j] == h)
        return absl::InvalidArgumentError(
            absl::StrCat("link schedule: the route uses link ", h.link,
                         " of chip ", h.chip, " twice"));
  }
  for (size_t i = 0; i < route.size(); ++i) {
    absl::Status s =
        reserve(route[i].chip, route[i].link, topo_->hopCycle(sendCycle, i));
    if (!s.ok())
      return s; // not reached: checked above
  }
  return absl::OkStatus();
}

uint64_t LinkSchedule::earliestFree(const Route &route,
                                    uint64_t earliest) const {
  uint64_t c = earliest;
  const uint64_t vc = topo_->vectorCycles();
  for (bool moved = true; moved;) {
    moved = false;
    for (size_t i = 0; i < route.size() && !moved; ++i) {
      uint64_t t = topo_->hopCycle(c, i), other;
      uint64_t key =
          uint64_t(route[i].chip) * topo_->linksPerChip() + route[i].link;
      if (conflict(key, t, &other)) {
        c += other + vc - t; // the first cycle after that vector
        moved = true;
      }
    }
  }
  return c;
}

uint64_t LinkSchedule::busyCycles(uint32_t chip, uint32_t link) const {
  auto it = slots_.find(uint64_t(chip) * topo_->linksPerChip() + link);
  return it == slots_.end() ? 0 : it->second.size() * topo_->vectorCycles();
}

size_t LinkSchedule::numReservations() const {
  size_t n = 0;
  for (const auto &[key, s] : slots_)
    n += s.size();
  return n;
}

} // namespace lpuc::isa
