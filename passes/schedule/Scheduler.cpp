//===- Scheduler.cpp - Bundle list scheduler of lpuhw-schedule ------------===//
#include "passes/schedule/Scheduler.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <queue>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace lpuc::sched {

namespace {

/// Union-find with potentials: for x in a set with root r, pot(x) is
/// "quantity(x) - quantity(r)". unite() records quantity(b) = quantity(a) + d.
class PotentialUnionFind {
public:
  explicit PotentialUnionFind(size_t n) : parent_(n), pot_(n, 0) {
    for (size_t i = 0; i < n; ++i)
      parent_[i] = uint32_t(i);
  }
  uint32_t find(uint32_t v) {
    uint32_t r = v;
    while (parent_[r] != r)
      r = parent_[r];
    path_.clear();
    for (uint32_t u = v; parent_[u] != u; u = parent_[u])
      path_.push_back(u);
    for (size_t i = path_.size(); i-- > 0;) {
      uint32_t u = path_[i];
      if (parent_[u] != r) {
        pot_[u] += pot_[parent_[u]];
        parent_[u] = r;
      }
    }
    return r;
  }
  int64_t potential(uint32_t v) {
    find(v);
    return pot_[v];
  }
  /// Returns false and sets `mismatch` (the amount by which quantity(b)
  /// already exceeds quantity(a) + d) if the sets disagree.
  bool unite(uint32_t a, uint32_t b, int64_t d, int64_t &mismatch) {
    uint32_t ra = find(a), rb = find(b);
    int64_t pa = pot_[a], pb = pot_[b];
    if (ra == rb) {
      mismatch = pb - (pa + d);
      return mismatch == 0;
    }
    // Keep the smaller id as root: deterministic and convenient.
    if (rb < ra) {
      parent_[ra] = rb;
      pot_[ra] = pb - d - pa;
    } else {
      parent_[rb] = ra;
      pot_[rb] = pa + d - pb;
    }
    return true;
  }

private:
  std::vector<uint32_t> parent_;
  std::vector<int64_t> pot_;
  std::vector<uint32_t> path_;
};

} // namespace

Scheduler::Scheduler(const isa::Machine &machine) : machine_(machine) {}

uint32_t Scheduler::tableQueue(const Op &op, uint32_t q) const {
  // A MEM slice issues one read and one write per cycle (the emitter merges
  // such a pair into one mem.read_write): reads hold the slice's queue,
  // writes its write port, an extra reservation-table row after the queues.
  uint32_t base = op.chip * rowsPerChip();
  if (op.memSlice >= 0 && op.inst.op == isa::Opcode::MemWrite)
    return base + machine_.numQueues() + uint32_t(op.memSlice);
  return base + q;
}

std::string Scheduler::queueLabel(uint32_t row) const {
  uint32_t chip = row / rowsPerChip(), tq = row % rowsPerChip();
  std::string prefix = chip > 0 ? "chip " + std::to_string(chip) + " " : "";
  if (tq < machine_.numQueues())
    return prefix + machine_.queueName(tq);
  return prefix +
         machine_.queueName(machine_.memQueue(tq - machine_.numQueues())) +
         " (write port)";
}

uint32_t Scheduler::addOp(const OpSpec &spec) {
  Op op;
  op.inst = spec.inst;
  op.chip = spec.chip;
  op.position = spec.position;
  op.memSlice = spec.memSlice;
  op.bank = spec.bank;
  op.numResults = spec.numResults;
  op.queuesBegin = uint32_t(queuePool_.size());
  op.numQueues = uint16_t(spec.queues.size());
  op.numExtraQueues = uint16_t(spec.extraQueues.size());
  queuePool_.insert(queuePool_.end(), spec.queues.begin(), spec.queues.end());
  queuePool_.insert(queuePool_.end(), spec.extraQueues.begin(),
                    spec.extraQueues.end());
  op.operandsBegin = uint32_t(operandPool_.size());
  op.numOperands = uint16_t(spec.operands.size());
  operandPool_.insert(operandPool_.end(), spec.operands.begin(),
                      spec.operands.end());
  op.linksBegin = uint32_t(linkPool_.size());
  op.numLinks = uint16_t(spec.links.size());
  linkPool_.insert(linkPool_.end(), spec.links.begin(), spec.links.end());
  ops_.push_back(op);
  return uint32_t(ops_.size() - 1);
}

void Scheduler::addDep(uint32_t from, uint32_t to, int64_t delta) {
  deps_.push_back({from, to, delta});
}

void Scheduler::addRigid(uint32_t from, uint32_t to, int64_t delta) {
  rigid_.push_back({from, to, delta});
}

void Scheduler::addRelease(uint32_t op, int64_t cycle, int64_t source) {
  releases_.push_back({op, cycle, source});
}

bool Scheduler::fail(uint32_t op, std::string message) {
  error_ = {op, std::move(message)};
  return false;
}

static const char *dirName(int8_t d) { return d == 0 ? "east" : "west"; }

bool Scheduler::analyzeValues() {
  size_t n = ops_.size();
  valueBase_.assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i)
    valueBase_[i + 1] = valueBase_[i] + ops_[i].numResults;
  size_t nv = valueBase_[n];
  valueOp_.resize(nv);
  valueLastPos_.resize(nv);
  valueDir_.assign(nv, -1);
  for (uint32_t i = 0; i < n; ++i) {
    const Op &op = ops_[i];
    if (op.numQueues == 0)
      return fail(i, "internal: instruction has no candidate queue");
    for (uint32_t r = 0; r < op.numResults; ++r) {
      valueOp_[valueId(i, r)] = i;
      valueLastPos_[valueId(i, r)] = op.position;
    }
  }
  // Direction and farthest consumer of each value; the consumer with the
  // first conflicting side is named in the error.
  std::vector<int> westMost(nv), eastMost(nv);
  for (uint32_t v = 0; v < nv; ++v)
    westMost[v] = eastMost[v] = ops_[valueOp_[v]].position;
  for (uint32_t c = 0; c < n; ++c) {
    const Op &op = ops_[c];
    Span<Operand> opnds = operands(op);
    for (size_t k = 0; k < opnds.size(); ++k) {
      const Operand &o = opnds[k];
      if (o.producer >= n || o.result >= ops_[o.producer].numResults)
        return fail(c, "internal: operand #" + std::to_string(k) +
                           " names a missing result");
      uint32_t v = valueId(o.producer, o.result);
      westMost[v] = std::min(westMost[v], op.position);
      eastMost[v] = std::max(eastMost[v], op.position);
      int p = ops_[o.producer].position;
      if (westMost[v] < p && eastMost[v] > p)
        return fail(o.producer,
                    "result #" + std::to_string(o.result) + " at position " +
                        std::to_string(p) +
                        " is read on both sides (positions " +
                        std::to_string(westMost[v]) + " and " +
                        std::to_string(eastMost[v]) +
                        "): a stream value flows one way; the lowering must "
                        "copy it");
    }
  }
  for (uint32_t v = 0; v < nv; ++v) {
    int p = ops_[valueOp_[v]].position;
    if (eastMost[v] > p) {
      valueDir_[v] = 0;
      valueLastPos_[v] = eastMost[v];
    } else if (westMost[v] < p) {
      valueDir_[v] = 1;
      valueLastPos_[v] = westMost[v];
    }
  }
  return true;
}

bool Scheduler::buildGroups() {
  size_t n = ops_.size();
  size_t nv = valueBase_[n];
  PotentialUnionFind uf(nv);
  int64_t mismatch = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const Op &op = ops_[i];
    for (uint32_t r = 1; r < op.numResults; ++r)
      if (!uf.unite(valueId(i, 0), valueId(i, r), r, mismatch))
        return fail(i, "result #" + std::to_string(r) +
                           " cannot be on the stream after result #" +
                           std::to_string(r - 1) +
                           ": its consumers tie it elsewhere (off by " +
                           std::to_string(mismatch) + ")");
    // Operands of one input group sit on consecutive streams.
    std::vector<std::pair<uint32_t, const Operand *>> anchors;
    Span<Operand> opnds = operands(op);
    for (size_t k = 0; k < opnds.size(); ++k) {
      const Operand &o = opnds[k];
      const Operand *anchor = nullptr;
      for (auto &a : anchors)
        if (a.first == o.group)
          anchor = a.second;
      if (!anchor) {
        anchors.push_back({o.group, &o});
        continue;
      }
      if (!uf.unite(valueId(anchor->producer, anchor->result),
                    valueId(o.producer, o.result),
                    int64_t(o.lane) - int64_t(anchor->lane), mismatch))
        return fail(i, "operand #" + std::to_string(k) +
                           " must be on stream base+" + std::to_string(o.lane) +
                           " of its input group, but other uses place it " +
                           std::to_string(mismatch) +
                           " stream(s) off (inconsistent stream group)");
    }
  }
  // Collect groups in order of their smallest value.
  valueGroup_.assign(nv, 0);
  valueLane_.assign(nv, 0);
  std::vector<int64_t> rootToGroup(nv, -1);
  size_t ng = 0;
  for (uint32_t v = 0; v < nv; ++v) {
    uint32_t r = uf.find(v);
    if (rootToGroup[r] < 0)
      rootToGroup[r] = int64_t(ng++);
    valueGroup_[v] = uint32_t(rootToGroup[r]);
    valueLane_[v] = uf.potential(v);
  }
  std::vector<int64_t>().swap(rootToGroup);
  // Values per group, ascending (a counting sort by group).
  groupValuesBegin_.assign(ng + 1, 0);
  for (uint32_t v = 0; v < nv; ++v)
    ++groupValuesBegin_[valueGroup_[v] + 1];
  for (size_t g = 0; g < ng; ++g)
    groupValuesBegin_[g + 1] += groupValuesBegin_[g];
  groupValues_.resize(nv);
  {
    std::vector<uint32_t> fill(groupValuesBegin_.begin(),
                               groupValuesBegin_.end() - 1);
    for (uint32_t v = 0; v < nv; ++v)
      groupValues_[fill[valueGroup_[v]]++] = v;
  }
  groups_.assign(ng, {});
  unsigned s = machine_.streamsPerDirection();
  for (size_t gi = 0; gi < ng; ++gi) {
    Group &g = groups_[gi];
    Span<uint32_t> values = groupValues(gi);
    int64_t lo = valueLane_[values.front()], hi = lo;
    for (uint32_t v : values) {
      lo = std::min(lo, valueLane_[v]);
      hi = std::max(hi, valueLane_[v]);
    }
    int8_t dir = -1;
    for (uint32_t v : values) {
      valueLane_[v] -= lo;
      int8_t d = valueDir_[v];
      if (d >= 0 && dir >= 0 && d != dir)
        return fail(valueOp_[v],
                    std::string("stream group mixes directions: this value "
                                "flows ") +
                        dirName(d) +
                        " but a value on a neighbouring stream "
                        "of its group flows " +
                        dirName(dir));
      if (d >= 0)
        dir = d;
    }
    if (hi - lo + 1 > int64_t(s))
      return fail(valueOp_[values.front()],
                  "stream group needs " + std::to_string(hi - lo + 1) +
                      " consecutive streams, a direction has " +
                      std::to_string(s));
    g.width = unsigned(hi - lo + 1);
    g.dir = dir == 1 ? isa::Direction::West : isa::Direction::East;
  }
  return true;
}

bool Scheduler::buildBundles() {
  size_t n = ops_.size();
  PotentialUnionFind uf(n);
  int64_t mismatch = 0;
  for (const Dep &r : rigid_)
    if (!uf.unite(r.from, r.to, r.delta, mismatch))
      return fail(r.to, "inconsistent bundle: a fixed offset to another "
                        "instruction disagrees by " +
                            std::to_string(std::abs(mismatch)) +
                            " cycle(s) with its stream edges");
  for (uint32_t c = 0; c < n; ++c) {
    const Op &op = ops_[c];
    Span<Operand> opnds = operands(op);
    for (size_t k = 0; k < opnds.size(); ++k) {
      const Operand &o = opnds[k];
      const Op &prod = ops_[o.producer];
      int64_t dist = std::abs(op.position - prod.position);
      int64_t d = int64_t(machine_.outputLatency(prod.inst)) + dist -
                  int64_t(o.readDelay);
      if (!uf.unite(o.producer, c, d, mismatch))
        return fail(c, "inconsistent bundle: operand #" + std::to_string(k) +
                           " passes this op's position " +
                           std::to_string(std::abs(mismatch)) + " cycle(s) " +
                           (mismatch > 0 ? "before" : "after") +
                           " the issue cycle that its other stream edges "
                           "fix");
    }
  }
  bundleOf_.assign(n, 0);
  offset_.assign(n, 0);
  std::vector<int64_t> rootToBundle(n, -1);
  size_t nb = 0;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t r = uf.find(i);
    if (rootToBundle[r] < 0)
      rootToBundle[r] = int64_t(nb++);
    bundleOf_[i] = unsigned(rootToBundle[r]);
    offset_[i] = uf.potential(i);
  }
  std::vector<int64_t>().swap(rootToBundle);
  // Ops per bundle (a counting sort by bundle, then by offset and index).
  bundleOpsBegin_.assign(nb + 1, 0);
  for (uint32_t i = 0; i < n; ++i)
    ++bundleOpsBegin_[bundleOf_[i] + 1];
  for (size_t b = 0; b < nb; ++b)
    bundleOpsBegin_[b + 1] += bundleOpsBegin_[b];
  bundleOps_.resize(n);
  {
    std::vector<uint32_t> fill(bundleOpsBegin_.begin(),
                               bundleOpsBegin_.end() - 1);
    for (uint32_t i = 0; i < n; ++i)
      bundleOps_[fill[bundleOf_[i]]++] = i;
  }
  bundleSpan_.assign(nb, 0);
  for (size_t b = 0; b < nb; ++b) {
    auto first = bundleOps_.begin() + bundleOpsBegin_[b];
    auto last = bundleOps_.begin() + bundleOpsBegin_[b + 1];
    int64_t lo = offset_[*first];
    for (auto it = first; it != last; ++it)
      lo = std::min(lo, offset_[*it]);
    int64_t &span = bundleSpan_[b];
    for (auto it = first; it != last; ++it) {
      offset_[*it] -= lo;
      span = std::max(span, offset_[*it] +
                                int64_t(machine_.busyCycles(ops_[*it].inst)));
    }
    std::sort(first, last, [&](uint32_t x, uint32_t y) {
      return std::make_pair(offset_[x], x) < std::make_pair(offset_[y], y);
    });
    Span<uint32_t> ops = bundleOps(unsigned(b));
    // Fixed queues used twice at fixed offsets can never be placed.
    std::vector<std::tuple<uint32_t, int64_t, int64_t, uint32_t>> fixed;
    for (uint32_t i : ops) {
      const Op &op = ops_[i];
      int64_t len = machine_.queueCycles(op.inst);
      if (op.numQueues == 1)
        fixed.emplace_back(tableQueue(op, queues(op)[0]), offset_[i],
                           offset_[i] + len, i);
      for (uint32_t q : extraQueues(op))
        fixed.emplace_back(op.chip * rowsPerChip() + q, offset_[i],
                           offset_[i] + len, i);
    }
    // Ops choosing among the same queues (VXM ALUs, SXM units) at fixed
    // offsets: more of them in one cycle than there are queues can never be
    // placed either (the search would run to its horizon).
    std::map<std::tuple<uint32_t, std::vector<uint32_t>, int64_t>, uint32_t>
        shared;
    for (uint32_t i : ops) {
      const Op &op = ops_[i];
      if (op.numQueues < 2)
        continue;
      int64_t len = machine_.queueCycles(op.inst);
      std::vector<uint32_t> qs(queues(op).begin(), queues(op).end());
      for (int64_t t = offset_[i]; t < offset_[i] + len; ++t)
        if (++shared[{op.chip, qs, t}] > op.numQueues)
          return fail(i, "bundle needs more than " +
                             std::to_string(op.numQueues) + " " +
                             queueLabel(qs.front()) +
                             "-like queues in one cycle: its stream timing "
                             "puts that many instructions at the same cycle "
                             "(split the chain through SRAM)");
    }
    std::sort(fixed.begin(), fixed.end());
    for (size_t k = 1; k < fixed.size(); ++k)
      if (std::get<0>(fixed[k]) == std::get<0>(fixed[k - 1]) &&
          std::get<1>(fixed[k]) < std::get<2>(fixed[k - 1]))
        return fail(std::get<3>(fixed[k]),
                    "bundle needs " + queueLabel(std::get<0>(fixed[k])) +
                        " twice in one cycle: its stream timing puts another "
                        "instruction of the same queue at the same cycle");
  }
  // Groups per bundle (of the op of their first value), in group order.
  size_t ng = groups_.size();
  bundleGroupsBegin_.assign(nb + 1, 0);
  for (size_t g = 0; g < ng; ++g)
    ++bundleGroupsBegin_[bundleOf_[valueOp_[groupValues(g).front()]] + 1];
  for (size_t b = 0; b < nb; ++b)
    bundleGroupsBegin_[b + 1] += bundleGroupsBegin_[b];
  bundleGroups_.resize(ng);
  std::vector<uint32_t> fill(bundleGroupsBegin_.begin(),
                             bundleGroupsBegin_.end() - 1);
  for (size_t g = 0; g < ng; ++g)
    bundleGroups_[fill[bundleOf_[valueOp_[groupValues(g).front()]]]++] =
        uint32_t(g);
  return true;
}

bool Scheduler::buildBundleGraph(std::vector<uint32_t> &topo) {
  size_t nb = bundleSpan_.size();
  // Edges between bundles, per source and per target in the order of
  // deps_ (two counting passes).
  succBegin_.assign(nb + 1, 0);
  predBegin_.assign(nb + 1, 0);
  for (const Dep &d : deps_) {
    unsigned bf = bundleOf_[d.from], bt = bundleOf_[d.to];
    if (bf == bt) {
      int64_t gap = offset_[d.to] - offset_[d.from];
      if (gap < d.delta)
        return fail(d.to, "must issue at least " + std::to_string(d.delta) +
                              " cycle(s) after an earlier instruction of "
                              "its own stream bundle, but the bundle's "
                              "timing gives " +
                              std::to_string(gap));
      continue;
    }
    ++succBegin_[bf + 1];
    ++predBegin_[bt + 1];
  }
  for (size_t b = 0; b < nb; ++b) {
    succBegin_[b + 1] += succBegin_[b];
    predBegin_[b + 1] += predBegin_[b];
  }
  succ_.resize(succBegin_[nb]);
  pred_.resize(predBegin_[nb]);
  {
    std::vector<uint32_t> sf(succBegin_.begin(), succBegin_.end() - 1);
    std::vector<uint32_t> pf(predBegin_.begin(), predBegin_.end() - 1);
    for (const Dep &d : deps_) {
      unsigned bf = bundleOf_[d.from], bt = bundleOf_[d.to];
      if (bf == bt)
        continue;
      int64_t w = offset_[d.from] + d.delta - offset_[d.to];
      succ_[sf[bf]++] = {bt, w};
      pred_[pf[bt]++] = {bf, w};
    }
  }
  // The dependences are edges now.
  std::vector<Dep>().swap(deps_);
  std::vector<unsigned> indeg(nb, 0);
  for (size_t b = 0; b < nb; ++b)
    for (const Edge &e : succ(b))
      ++indeg[e.to];
  std::priority_queue<uint32_t, std::vector<uint32_t>, std::greater<uint32_t>>
      ready;
  for (uint32_t b = 0; b < nb; ++b)
    if (indeg[b] == 0)
      ready.push(b);
  topo.clear();
  while (!ready.empty()) {
    uint32_t b = ready.top();
    ready.pop();
    topo.push_back(b);
    for (const Edge &e : succ(b))
      if (--indeg[e.to] == 0)
        ready.push(e.to);
  }
  if (topo.size() != nb) {
    for (uint32_t b = 0; b < nb; ++b)
      if (indeg[b] != 0)
        return fail(bundleOps(b).front(),
                    "dependence cycle: this instruction's stream bundle "
                    "must both precede and follow another bundle (SRAM or "
                    "MXM order)");
  }
  return true;
}

bool Scheduler::place(unsigned b, int64_t earliest, ReservationTable &table) {
  Span<uint32_t> bundleOpsList = bundleOps(b);
  Span<uint32_t> bundleGroupList = bundleGroups(b);
  unsigned s = machine_.streamsPerDirection();
  std::vector<uint32_t> chosen(bundleOpsList.size());
  // Tentative queue use of this bundle, (row, begin, end) in the order
  // taken. Only rows that an op choosing among queues may take are kept:
  // on any other row every use is fixed, and fixed uses of one row never
  // overlap (buildBundles), so they cannot meet there.
  std::vector<uint32_t> shared;
  for (uint32_t i : bundleOpsList)
    if (ops_[i].numQueues > 1)
      for (uint32_t q : queues(ops_[i]))
        shared.push_back(tableQueue(ops_[i], q));
  std::sort(shared.begin(), shared.end());
  shared.erase(std::unique(shared.begin(), shared.end()), shared.end());
  auto isShared = [&](uint32_t q) {
    return std::binary_search(shared.begin(), shared.end(), q);
  };
  std::vector<std::tuple<uint32_t, int64_t, int64_t>> local;
  auto localEnd = [&](uint32_t q, int64_t lo,
                      int64_t hi) -> std::optional<int64_t> {
    if (local.empty() || !isShared(q))
      return std::nullopt;
    for (const auto &[row, b, e] : local)
      if (row == q && b < hi && lo < e)
        return e;
    return std::nullopt;
  };
  auto addLocal = [&](uint32_t q, int64_t lo, int64_t hi) {
    if (!shared.empty() && isShared(q))
      local.emplace_back(q, lo, hi);
  };
  std::vector<StreamPath> reserved;
  std::vector<int> groupBase(bundleGroupList.size(), -1);
  std::vector<std::tuple<uint32_t, uint32_t, int64_t>> localLinks;
  const uint32_t linkCycles = machine_.target().c2c_vector_cycles();
  // The resources this bundle's ops need at fixed offsets: a start at which
  // one of them is taken in the table can never succeed, so the search only
  // looks at starts where all are free (ReservationTable::firstFreeStart).
  // Skipping starts that cannot succeed leaves the result unchanged: every
  // jump below skips only such starts, so the search ends at the first
  // start that succeeds.
  std::vector<ReservationTable::FixedUse> fixedUses;
  for (uint32_t i : bundleOpsList) {
    const Op &op = ops_[i];
    uint32_t len = machine_.queueCycles(op.inst);
    if (op.numQueues == 1)
      fixedUses.push_back({tableQueue(op, queues(op)[0]), len, offset_[i]});
    for (uint32_t x : extraQueues(op))
      fixedUses.push_back({op.chip * rowsPerChip() + x, len, offset_[i]});
    if (op.memSlice >= 0)
      fixedUses.push_back(
          {0, 1, offset_[i],
           int64_t(op.chip * machine_.memSlices() + uint32_t(op.memSlice)),
           op.inst.op == isa::Opcode::MemWrite, op.bank});
  }
  // A read and a write of this bundle at one slice, cycle and bank clash at
  // every start (offsets are fixed): no start succeeds, and the search ends
  // at the horizon as it would after trying them all.
  std::vector<std::tuple<uint32_t, int, int64_t, uint32_t, bool>> memUses;
  for (uint32_t i : bundleOpsList)
    if (ops_[i].memSlice >= 0)
      memUses.emplace_back(ops_[i].chip, ops_[i].memSlice, offset_[i],
                           ops_[i].bank,
                           ops_[i].inst.op == isa::Opcode::MemWrite);
  std::sort(memUses.begin(), memUses.end());
  bool bankClash = false;
  for (size_t k = 1; k < memUses.size(); ++k) {
    const auto &[c0, s0, o0, b0, w0] = memUses[k - 1];
    const auto &[c1, s1, o1, b1, w1] = memUses[k];
    bankClash |= c0 == c1 && s0 == s1 && o0 == o1 && b0 == b1 && w0 != w1;
  }
  int64_t t0 = earliest;
  while (true) {
    t0 = bankClash ? earliest + horizon + 1
                   : table.firstFreeStart(fixedUses, t0, earliest + horizon);
    if (t0 - earliest > horizon)
      return fail(bundleOpsList.front(),
                  "no cycle within " + std::to_string(horizon) +
                      " cycles of its dependences (from cycle " +
                      std::to_string(earliest) +
                      ") where every queue and stream of its bundle is free");
    local.clear();
    localLinks.clear();
    int64_t next = -1;
    for (size_t k = 0; k < bundleOpsList.size() && next < 0; ++k) {
      uint32_t i = bundleOpsList[k];
      const Op &op = ops_[i];
      int64_t t = t0 + offset_[i];
      uint32_t len = machine_.queueCycles(op.inst);
      // firstFreeStart found every fixed use of at most 64 cycles free in
      // the table at t0: each op's queue if it has one candidate, its extra
      // queues, its MEM port under the bank rule (against this bundle's own
      // MEM ops: bankClash). Only this bundle's tentative use (localEnd) can
      // still be in the way there.
      const bool fixedFree = len <= 64;
      // Extra queues are fixed: they must be free.
      for (uint32_t x : extraQueues(op)) {
        uint32_t q = op.chip * rowsPerChip() + x;
        std::optional<int64_t> e =
            fixedFree ? std::nullopt : table.queueConflictEnd(q, t, len);
        if (!e)
          e = localEnd(q, t, t + len);
        if (e) {
          next = t0 + (*e - t);
          break;
        }
      }
      if (next >= 0)
        break;
      int64_t best = -1;
      bool found = false;
      for (uint32_t q : queues(op)) {
        uint32_t tq = tableQueue(op, q);
        std::optional<int64_t> e = fixedFree && op.numQueues == 1
                                       ? std::nullopt
                                       : table.queueConflictEnd(tq, t, len);
        if (!e)
          e = localEnd(tq, t, t + len);
        if (!e) {
          chosen[k] = q;
          found = true;
          break;
        }
        best = best < 0 ? *e : std::min(best, *e);
      }
      if (!found) {
        next = t0 + std::max<int64_t>(1, best - t);
        break;
      }
      addLocal(tableQueue(op, chosen[k]), t, t + len);
      for (uint32_t q : extraQueues(op))
        addLocal(op.chip * rowsPerChip() + q, t, t + len);
      // C2C links: against the table and this bundle's earlier sends.
      for (const LinkUse &u : links(op)) {
        int64_t lt = t + u.offset;
        std::optional<int64_t> e =
            table.linkConflictEnd(u.chip, u.link, lt, linkCycles);
        for (const auto &[c, l, lo] : localLinks)
          if (c == u.chip && l == u.link && lo < lt + linkCycles &&
              lt < lo + linkCycles)
            e = std::max(e.value_or(0), lo + int64_t(linkCycles));
        if (e) {
          next = t0 + std::max<int64_t>(1, *e - lt);
          break;
        }
        localLinks.emplace_back(u.chip, u.link, lt);
      }
    }
    if (next >= 0) {
      t0 = next;
      continue;
    }
    // Streams: lowest free base per group, groups in value order.
    reserved.clear();
    bool ok = true;
    for (size_t gi = 0; gi < bundleGroupList.size() && ok; ++gi) {
      const Group &g = groups_[bundleGroupList[gi]];
      Span<uint32_t> values = groupValues(bundleGroupList[gi]);
      // Bases at which no value of the group meets a value already in the
      // table (one diagonal lookup per value); only these can succeed, and
      // the loop below still checks each against this group's own values.
      using Mask = ReservationTable::StreamMask;
      Mask usable = (Mask(1) << (s - g.width + 1)) - 1;
      for (size_t k = 0; k < values.size() && usable; ++k) {
        uint32_t v = values[k];
        const Op &prod = ops_[valueOp_[v]];
        StreamPath p;
        p.chip = prod.chip;
        p.dir = g.dir;
        p.putPos = prod.position;
        p.putCycle = t0 + offset_[valueOp_[v]] +
                     int64_t(machine_.outputLatency(prod.inst));
        p.lastPos = valueLastPos_[v];
        usable &= ~(table.streamsTaken(p) >> valueLane_[v]);
      }
      bool placed = false;
      for (unsigned base = 0; base + g.width <= s && !placed; ++base) {
        if (!((usable >> base) & 1))
          continue;
        size_t mark = reserved.size();
        bool fits = true;
        for (size_t k = 0; k < values.size(); ++k) {
          uint32_t v = values[k];
          const Op &prod = ops_[valueOp_[v]];
          StreamPath p;
          p.chip = prod.chip;
          p.dir = g.dir;
          p.stream = base + unsigned(valueLane_[v]);
          p.putPos = prod.position;
          p.putCycle = t0 + offset_[valueOp_[v]] +
                       int64_t(machine_.outputLatency(prod.inst));
          p.lastPos = valueLastPos_[v];
          if (!table.streamFree(p)) {
            fits = false;
            break;
          }
          table.reserveStream(p);
          reserved.push_back(p);
        }
        if (fits) {
          placed = true;
          groupBase[gi] = int(base);
        } else {
          while (reserved.size() > mark) {
            table.releaseStream(reserved.back());
            reserved.pop_back();
          }
        }
      }
      ok = placed;
    }
    if (!ok) {
      for (const StreamPath &p : reserved)
        table.releaseStream(p);
      ++t0;
      continue;
    }
    break;
  }
  // Commit.
  traces_[b].start = t0;
  for (size_t k = 0; k < bundleOpsList.size(); ++k) {
    uint32_t i = bundleOpsList[k];
    const Op &op = ops_[i];
    int64_t t = t0 + offset_[i];
    uint32_t len = machine_.queueCycles(op.inst);
    table.reserveQueue(tableQueue(op, chosen[k]), t, len);
    for (uint32_t q : extraQueues(op))
      table.reserveQueue(op.chip * rowsPerChip() + q, t, len);
    if (op.memSlice >= 0)
      table.reserveMemPort(op.chip * machine_.memSlices() +
                               uint32_t(op.memSlice),
                           t, op.inst.op == isa::Opcode::MemWrite, op.bank);
    for (const LinkUse &u : links(op))
      table.reserveLink(u.chip, u.link, t + u.offset, linkCycles);
    ScheduledOp &r = results_[i];
    r.cycle = t;
    r.queue = chosen[k];
    length_ = std::max(length_, t + int64_t(machine_.busyCycles(op.inst)));
  }
  for (size_t gi = 0; gi < bundleGroupList.size(); ++gi) {
    const Group &g = groups_[bundleGroupList[gi]];
    for (uint32_t v : groupValues(bundleGroupList[gi])) {
      uint32_t op = valueOp_[v];
      if (v == valueBase_[op]) // result 0 names the op's first stream
        results_[op].stream = groupBase[gi] + int(valueLane_[v]) +
                              (g.dir == isa::Direction::West ? int(s) : 0);
    }
  }
  return true;
}

bool Scheduler::run(ReservationTable *table) {
  results_.assign(ops_.size(), {});
  length_ = 0;
  lastOp_ = 0;
  if (!analyzeValues() || !buildGroups() || !buildBundles())
    return false;
  std::vector<uint32_t> topo;
  if (!buildBundleGraph(topo))
    return false;
  size_t nb = bundleSpan_.size();
  // Critical path: longest latency-weighted path from a bundle's start to
  // the end of the program.
  std::vector<int64_t> prio(nb, 0);
  for (size_t k = nb; k-- > 0;) {
    uint32_t b = topo[k];
    int64_t p = bundleSpan_[b];
    for (const Edge &e : succ(b))
      p = std::max(p, e.weight + prio[e.to]);
    prio[b] = p;
  }
  std::vector<unsigned> waiting(nb, 0);
  for (size_t b = 0; b < nb; ++b)
    waiting[b] = unsigned(pred(b).size());
  auto lower = [&](uint32_t x, uint32_t y) { // true if x has lower priority
    if (prio[x] != prio[y])
      return prio[x] < prio[y];
    return x > y;
  };
  std::priority_queue<uint32_t, std::vector<uint32_t>, decltype(lower)> ready(
      lower);
  for (uint32_t b = 0; b < nb; ++b)
    if (waiting[b] == 0)
      ready.push(b);
  // A bundle's bound: the largest positive start a dependence or release
  // allows, from the predecessor with the lowest global id on ties.
  traces_.assign(nb, {});
  auto tighten = [](BundleTrace &t, int64_t bound, int64_t id) {
    if (bound > t.bound || (bound == t.bound && t.next >= 0 && id < t.next)) {
      t.bound = bound;
      t.next = id;
    }
  };
  for (const Release &r : releases_) {
    if (r.op >= ops_.size())
      return fail(0, "internal: release of a missing op");
    tighten(traces_[bundleOf_[r.op]], r.cycle - offset_[r.op], r.source);
  }
  std::vector<Release>().swap(releases_);
  // Per chip: queues, then one write port per MEM slice (see tableQueue).
  uint32_t chips = 1;
  for (const Op &op : ops_)
    chips = std::max(chips, op.chip + 1);
  std::optional<ReservationTable> own;
  if (!table) {
    own.emplace(tableRows(machine_, chips), machine_.streamsPerDirection());
    table = &*own;
  } else if (table->numQueues() < tableRows(machine_, chips)) {
    return fail(0, "internal: reservation table has " +
                       std::to_string(table->numQueues()) + " rows, " +
                       std::to_string(tableRows(machine_, chips)) + " needed");
  }
  while (!ready.empty()) {
    uint32_t b = ready.top();
    ready.pop();
    BundleTrace &t = traces_[b];
    for (const Edge &e : pred(b))
      tighten(t, traces_[e.to].start + e.weight, bundleBase + int64_t(e.to));
    int64_t earliest = t.bound;
    for (uint32_t i : bundleOps(b))
      if (ops_[i].chip < floors.size())
        earliest = std::max(earliest, floors[ops_[i].chip] - offset_[i]);
    if (!place(b, earliest, *table))
      return false;
    for (const Edge &e : succ(b))
      if (--waiting[e.to] == 0)
        ready.push(e.to);
  }
  // The op that ends last (the lowest index on ties).
  for (uint32_t i = 0; i < ops_.size(); ++i)
    if (results_[i].cycle + int64_t(machine_.busyCycles(ops_[i].inst)) ==
        length_) {
      lastOp_ = i;
      break;
    }
  return true;
}

std::vector<Scheduler::PathSegment> Scheduler::criticalPath() const {
  if (ops_.empty() || traces_.empty())
    return {};
  return criticalPath(traces_, bundleOf_[lastOp_], length_);
}

std::vector<Scheduler::PathSegment>
Scheduler::criticalPath(const std::vector<BundleTrace> &traces, int64_t last,
                        int64_t length) {
  std::vector<PathSegment> path;
  // Back through tight dependences: (bundle, its start, its dependence
  // bound), last bundle first.
  struct Entry {
    int64_t bundle;
    int64_t start, bound;
  };
  std::vector<Entry> chain;
  for (int64_t cur = last; cur >= 0 && size_t(cur) < traces.size();) {
    const BundleTrace &t = traces[size_t(cur)];
    chain.push_back({cur, t.start, t.bound});
    cur = t.bound > 0 ? t.next : -1;
  }
  std::reverse(chain.begin(), chain.end());
  // In time order: each bundle's stretch runs from its start to the bound it
  // gives the next one; a next bundle that starts later than that bound
  // waited for a resource. Stretches are clamped to be monotone (a negative
  // dependence weight lets a successor start before its predecessor).
  int64_t t = 0;
  for (size_t k = 0; k < chain.size(); ++k) {
    int64_t begin = std::max(t, chain[k].start);
    if (k == 0 && begin > 0)
      path.push_back({-1, 0, begin});
    int64_t end = length;
    int64_t nextStart = length;
    if (k + 1 < chain.size()) {
      nextStart = std::max(begin, chain[k + 1].start);
      end = std::clamp(chain[k + 1].bound, begin, nextStart);
    }
    path.push_back({int(chain[k].bundle), begin, end});
    if (end < nextStart)
      path.push_back({-1, end, nextStart});
    t = nextStart;
  }
  return path;
}

} // namespace lpuc::sched
