//===- Topology.h - Chips, nodes, racks and the links between them -*- C++
//-*-===//
//
// The multi-chip system built from a target description (ARCH.md section 3,
// docs/multichip.md): which rack, node and slot every chip sits in, where each
// of its C2C links goes, the minimal-hop route between two chips and when a
// vector sent along it arrives. Shared by the partitioner, the scheduler (link
// slots, LinkSchedule), the schedule verifier and the emulator. Plain C++: no
// MLIR.
//
// Chip numbering: chip = (rack * nodes_per_rack + node) * chips_per_node +
// slot. Link numbering on every chip: local links first (to the other chips of
// its node), then global links, then unused links.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_RUNTIME_ISA_TOPOLOGY_H
#define LPUC_RUNTIME_ISA_TOPOLOGY_H

#include "runtime/schema/target.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace lpuc::isa {

struct ChipPlace {
  uint32_t rack;
  uint32_t node; // inside the rack
  uint32_t slot; // inside the node
};

enum class LinkKind : uint8_t {
  Local,     // to another chip of the same node
  IntraRack, // global link to a chip of another node of the same rack
  InterRack, // global link to a chip of another rack
  Unused,    // not wired (spare), or its peer chip is not in the system
};
const char *linkKindName(LinkKind k);

/// One end of a link: leaving `chip` on its link `link`.
struct LinkEnd {
  uint32_t chip;
  uint32_t link;
  bool operator==(const LinkEnd &o) const {
    return chip == o.chip && link == o.link;
  }
};

/// A route is the list of hops; hop i leaves route[i].chip on route[i].link.
/// The first hop leaves the source; the last one reaches the destination.
using Route = std::vector<LinkEnd>;

class Topology {
public:
  /// The system of `chips` chips of `target`. Fails when the target's links
  /// cannot wire a node, or when `chips` exceeds maxChips(target) (the message
  /// gives the maximum).
  static absl::StatusOr<Topology> create(const schema::Target &target,
                                         uint32_t chips);
  /// The largest system the target's topology can build (0 if it cannot wire
  /// a node of chips_per_node chips with its links).
  static uint64_t maxChips(const schema::Target &target);

  uint32_t numChips() const { return chips_; }
  uint32_t chipsPerNode() const { return k_; }
  uint32_t nodesPerRack() const { return n_; }
  uint32_t chipsPerRack() const { return k_ * n_; }
  uint32_t numRacks() const { return racks_; }
  /// Links per chip (c2c_links), wired or not.
  uint32_t linksPerChip() const { return l_; }
  uint32_t localLinksPerChip() const { return localLinks_; }
  uint32_t globalLinksPerChip() const { return g_; }
  /// Whether the chips of a node are fully connected (else: a hypercube).
  bool nodeFullyConnected() const { return fullNode_; }
  /// Global ports per node used inside the rack (to other nodes) and towards
  /// other racks; and how many parallel links join two nodes of a rack (0 in
  /// the circulant case, where not every pair of nodes is joined).
  uint32_t intraRackPortsPerNode() const { return intraPorts_; }
  uint32_t interRackPortsPerNode() const { return interPorts_; }
  uint32_t linksPerRackPair() const { return rackCopies_; }

  ChipPlace place(uint32_t chip) const;
  uint32_t chipAt(const ChipPlace &p) const;

  LinkKind linkKind(uint32_t chip, uint32_t link) const;
  bool connected(uint32_t chip, uint32_t link) const {
    return peer_[index(chip, link)].chip != kNone;
  }
  /// The far end of a connected link: the chip it reaches and the index of
  /// that chip's link that leads back.
  LinkEnd peer(uint32_t chip, uint32_t link) const {
    return peer_[index(chip, link)];
  }

  /// Hop counts from every chip to `dst` (breadth-first over the wiring).
  std::vector<uint16_t> distancesTo(uint32_t dst) const;
  /// The minimal-hop route from `src` to `dst`, deterministic: at every chip
  /// the lowest-numbered link that brings the vector one hop closer. Empty
  /// when src == dst. The second form reuses distancesTo(dst).
  Route route(uint32_t src, uint32_t dst) const;
  Route route(uint32_t src, uint32_t dst,
              const std::vector<uint16_t> &distToDst) const;
  uint32_t hops(uint32_t src, uint32_t dst) const;

  /// Timing: a vector sent at `sendCycle` arrives after
  /// c2c_link_latency_cycles per hop; each link carries one vector every
  /// c2c_vector_cycles.
  uint32_t linkLatencyCycles() const { return latency_; }
  uint32_t vectorCycles() const { return vectorCycles_; }
  uint64_t arrivalCycle(uint64_t sendCycle, const Route &route) const {
    return sendCycle + uint64_t(latency_) * route.size();
  }
  /// The cycle at which hop `i` of a route sent at `sendCycle` leaves its
  /// chip (the forwarding chip sends on as the vector arrives).
  uint64_t hopCycle(uint64_t sendCycle, size_t i) const {
    return sendCycle + uint64_t(latency_) * i;
  }

  std::string describe() const;

private:
  static constexpr uint32_t kNone = ~0u;
  Topology() = default;
  size_t index(uint32_t chip, uint32_t link) const {
    return size_t(chip) * l_ + link;
  }

  uint32_t chips_ = 0, k_ = 0, n_ = 0, l_ = 0, g_ = 0, racks_ = 0;
  uint32_t localLinks_ = 0, intraPorts_ = 0, interPorts_ = 0;
  uint32_t rackCopies_ = 0;
  bool fullNode_ = true;
  uint32_t latency_ = 0, vectorCycles_ = 1;
  std::vector<LinkEnd> peer_; // chips_ * l_
  std::vector<LinkKind> kind_;
};

/// Link slots: a directed link (leaving `chip` on `link`) carries one vector
/// every vectorCycles(); a vector put on it at cycle c holds it for cycles
/// [c, c + vectorCycles()). The scheduler reserves slots here like any other
/// resource.
class LinkSchedule {
public:
  explicit LinkSchedule(const Topology &topo) : topo_(&topo) {}

  /// Whether the link could take a vector at `cycle`.
  bool isFree(uint32_t chip, uint32_t link, uint64_t cycle) const;
  /// Reserves the link at `cycle`; fails (and reserves nothing) if the link is
  /// not wired or still busy, naming the reservation in the way.
  absl::Status reserve(uint32_t chip, uint32_t link, uint64_t cycle);
  /// Reserves every hop of `route` for a vector sent at `sendCycle` (hop i at
  /// topo.hopCycle(sendCycle, i)); all or nothing.
  absl::Status reserveRoute(const Route &route, uint64_t sendCycle);
  /// The first cycle >= `earliest` at which the whole route is free.
  uint64_t earliestFree(const Route &route, uint64_t earliest) const;
  /// Forgets the vectors that have left their link by `cycle` (start +
  /// vectorCycles() <= cycle): no reservation at `cycle` or later meets
  /// them. Keeps a schedule that is filled in cycle order bounded.
  void forgetBefore(uint64_t cycle);

  /// Cycles the link is busy (reservations x vectorCycles()).
  uint64_t busyCycles(uint32_t chip, uint32_t link) const;
  size_t numReservations() const;

private:
  const Topology *topo_;
  // Per directed link (chip * links + link): start cycles of its vectors.
  std::map<uint64_t, std::set<uint64_t>> slots_;
  // Whether a vector at `cycle` overlaps one already on link `key`; if so,
  // `*other` is the start cycle of the latest such vector.
  bool conflict(uint64_t key, uint64_t cycle, uint64_t *other) const;
};

} // namespace lpuc::isa

#endif // LPUC_RUNTIME_ISA_TOPOLOGY_H
