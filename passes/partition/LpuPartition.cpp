//===- LpuPartition.cpp - lpu-partition pass ------------------------------===//
//
// Pipeline partitioning: measures the SRAM each op of @main costs (a trial
// lowering on a chip with unbounded SRAM) and cuts the ops, in program
// order, into one stage per chip. See docs/passes/lpu-partition.md.
//
//===----------------------------------------------------------------------===//
#include "passes/partition/Passes.h"

#include "passes/layout/Lowering.h"

#include "dialects/lpuhw/LpuhwDialect.h"
#include "runtime/isa/Topology.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <algorithm>

namespace lpuc {
#define GEN_PASS_DEF_LPUPARTITIONPASS
#include "passes/partition/Passes.h.inc"
} // namespace lpuc

using namespace mlir;

namespace lpuc::partition {

std::vector<uint64_t> stageLoads(const std::vector<uint64_t> &cost,
                                 const std::vector<uint64_t> &live,
                                 const std::vector<size_t> &starts) {
  std::vector<uint64_t> loads;
  for (size_t s = 0; s < starts.size(); ++s) {
    size_t end = s + 1 < starts.size() ? starts[s + 1] : cost.size();
    uint64_t sum = 0, peak = 0;
    for (size_t i = starts[s]; i < end; ++i) {
      sum += cost[i];
      peak = std::max(peak, live[i]);
    }
    loads.push_back(sum + peak);
  }
  return loads;
}

std::vector<size_t> cutStages(const std::vector<uint64_t> &cost,
                              const std::vector<uint64_t> &live,
                              uint64_t budget) {
  std::vector<size_t> starts;
  if (cost.empty())
    return {0};
  uint64_t sum = 0, peak = 0;
  starts.push_back(0);
  for (size_t i = 0; i < cost.size(); ++i) {
    if (cost[i] + live[i] > budget)
      return {};
    uint64_t p = std::max(peak, live[i]);
    if (i > starts.back() && sum + cost[i] + p > budget) {
      starts.push_back(i);
      sum = 0;
      p = live[i];
    }
    sum += cost[i];
    peak = p;
  }
  return starts;
}

std::vector<size_t> balanceStages(const std::vector<uint64_t> &cost,
                                  const std::vector<uint64_t> &live,
                                  uint64_t budget, size_t n) {
  std::vector<size_t> best = cutStages(cost, live, budget);
  if (best.empty() || best.size() > n)
    return {};
  uint64_t lo = 0, hi = budget; // hi fits in <= n stages
  while (lo + 1 < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    std::vector<size_t> c = cutStages(cost, live, mid);
    if (!c.empty() && c.size() <= n) {
      hi = mid;
      best = std::move(c);
    } else {
      lo = mid;
    }
  }
  // Split the heaviest stage (that has two ops or more) at the op that
  // balances its halves until there are n stages.
  while (best.size() < n) {
    std::vector<uint64_t> loads = stageLoads(cost, live, best);
    size_t pick = SIZE_MAX;
    for (size_t s = 0; s < best.size(); ++s) {
      size_t end = s + 1 < best.size() ? best[s + 1] : cost.size();
      if (end - best[s] >= 2 && (pick == SIZE_MAX || loads[s] > loads[pick]))
        pick = s;
    }
    if (pick == SIZE_MAX)
      break; // fewer ops than chips
    size_t end = pick + 1 < best.size() ? best[pick + 1] : cost.size();
    uint64_t total = 0;
    for (size_t i = best[pick]; i < end; ++i)
      total += cost[i];
    uint64_t acc = 0;
    size_t cut = best[pick] + 1;
    for (size_t i = best[pick]; i + 1 < end; ++i) {
      acc += cost[i];
      cut = i + 1;
      if (2 * acc >= total)
        break;
    }
    best.insert(best.begin() + long(pick) + 1, cut);
  }
  return best;
}

} // namespace lpuc::partition

namespace {

using namespace lpuc;

std::string humanBytes(uint64_t b) {
  char buf[64];
  if (b >= (uint64_t(1) << 20))
    std::snprintf(buf, sizeof buf, "%.2f MiB", double(b) / double(1 << 20));
  else if (b >= 1024)
    std::snprintf(buf, sizeof buf, "%.1f KiB", double(b) / 1024.0);
  else
    std::snprintf(buf, sizeof buf, "%llu B", (unsigned long long)b);
  return buf;
}

struct LpuPartitionPass : lpuc::impl::LpuPartitionPassBase<LpuPartitionPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = dyn_cast_or_null<func::FuncOp>(
        SymbolTable::lookupSymbolIn(module, "main"));
    if (!main || main.isExternal()) {
      module.emitError() << "lpu-partition: no func.func @main with a body";
      return signalPassFailure();
    }
    FailureOr<std::unique_ptr<isa::Machine>> machine =
        lpuhw::getMachine(module);
    if (failed(machine))
      return signalPassFailure();
    const schema::Target &target = (*machine)->target();
    uint32_t requested = 0; // 0: auto
    if (chips != "auto") {
      char *end = nullptr;
      unsigned long n = std::strtoul(chips.c_str(), &end, 10);
      if (chips.empty() || *end != '\0' || n == 0) {
        module.emitError() << "lpu-partition: chips must be `auto` or a "
                              "positive number, got '"
                           << chips << "'";
        return signalPassFailure();
      }
      requested = uint32_t(n);
      uint64_t most = isa::Topology::maxChips(target);
      if (n > most) {
        module.emitError() << "lpu-partition: " << n << " chips of "
                           << target.name() << ": its topology wires at most "
                           << most;
        return signalPassFailure();
      }
    }

    Builder b(module.getContext());
    if (requested == 1) { // nothing to decide: no trial lowering
      module->setAttr(
          "lpu.partition",
          b.getDictionaryAttr(
              {b.getNamedAttr("strategy", b.getStringAttr("pipeline")),
               b.getNamedAttr("chips", b.getI32IntegerAttr(1)),
               b.getNamedAttr("requested", b.getStringAttr("1"))}));
      return;
    }

    // Measure: lower a copy on a chip with unbounded SRAM.
    schema::Target big = target;
    big.set_rows_per_bank(1u << 30);
    isa::Machine bigMachine(big);
    std::vector<layout::OpCost> costs;
    {
      OwningOpRef<ModuleOp> copy = module.clone();
      auto copyMain =
          cast<func::FuncOp>(SymbolTable::lookupSymbolIn(copy.get(), "main"));
      layout::Lowering lowering(copy.get(), copyMain, bigMachine);
      lowering.measure(&costs);
      if (failed(lowering.run()))
        return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    for (Operation &op : main.getBody().front().without_terminator())
      ops.push_back(&op);
    if (costs.size() != ops.size()) {
      main.emitError() << "lpu-partition: internal: measured " << costs.size()
                       << " ops of " << ops.size();
      return signalPassFailure();
    }
    std::vector<uint64_t> cost, live;
    uint64_t total = 0;
    for (const layout::OpCost &c : costs) {
      cost.push_back(c.weightBytes +
                     c.instructions * target.instruction_bytes());
      live.push_back(c.liveActivations);
      total += cost.back();
    }
    uint64_t capacity = (*machine)->sramBytes();
    uint64_t budget = uint64_t(double(capacity) * fill);
    std::vector<size_t> starts = partition::cutStages(cost, live, budget);
    if (starts.empty()) {
      size_t worst = 0;
      for (size_t i = 0; i < ops.size(); ++i)
        if (cost[i] + live[i] > cost[worst] + live[worst])
          worst = i;
      ops[worst]->emitError()
          << "lpu-partition: this op alone needs about "
          << humanBytes(cost[worst] + live[worst]) << " of SRAM, more than "
          << humanBytes(budget) << " (" << int(fill * 100) << "% of a "
          << target.name()
          << " chip); a stage cannot be split inside an op (tensor "
             "parallelism is not implemented)";
      return signalPassFailure();
    }
    if (requested) {
      if (starts.size() > requested) {
        std::vector<uint64_t> loads = partition::stageLoads(cost, live, starts);
        uint64_t sum = 0;
        for (uint64_t l : loads)
          sum += l;
        module.emitError() << "lpu-partition: the model needs at least "
                           << starts.size() << " chips of " << target.name()
                           << " (about " << humanBytes(sum)
                           << " of weights, instructions and activations at "
                           << int(fill * 100) << "% of " << humanBytes(capacity)
                           << " per chip); --chips " << requested << " is "
                           << starts.size() - requested << " short";
        return signalPassFailure();
      }
      starts = partition::balanceStages(cost, live, budget, requested);
      if (starts.size() < requested) {
        module.emitError() << "lpu-partition: " << requested
                           << " chips asked but the model has only "
                           << starts.size() << " ops to spread";
        return signalPassFailure();
      }
    }
    uint32_t n = uint32_t(starts.size());
    uint64_t most = isa::Topology::maxChips(target);
    if (n > most) {
      module.emitError() << "lpu-partition: the model needs " << n
                         << " chips of " << target.name()
                         << "; its topology wires at most " << most;
      return signalPassFailure();
    }

    std::vector<uint64_t> loads = partition::stageLoads(cost, live, starts);
    if (n > 1)
      for (uint32_t s = 0; s < n; ++s) {
        size_t end = s + 1 < n ? starts[s + 1] : ops.size();
        for (size_t i = starts[s]; i < end; ++i)
          ops[i]->setAttr("lpu.chip", b.getI32IntegerAttr(int32_t(s)));
      }
    SmallVector<Attribute> est, first;
    for (uint32_t s = 0; s < n; ++s) {
      est.push_back(b.getI64IntegerAttr(int64_t(loads[s])));
      first.push_back(b.getI64IntegerAttr(int64_t(starts[s])));
    }
    module->setAttr(
        "lpu.partition",
        b.getDictionaryAttr(
            {b.getNamedAttr("strategy", b.getStringAttr("pipeline")),
             b.getNamedAttr("chips", b.getI32IntegerAttr(int32_t(n))),
             b.getNamedAttr("requested",
                            b.getStringAttr(requested ? std::string(chips) : "auto")),
             b.getNamedAttr("capacity", b.getI64IntegerAttr(int64_t(capacity))),
             b.getNamedAttr("budget", b.getI64IntegerAttr(int64_t(budget))),
             b.getNamedAttr("estimated_total",
                            b.getI64IntegerAttr(int64_t(total))),
             b.getNamedAttr("estimated", b.getArrayAttr(est)),
             b.getNamedAttr("first_op", b.getArrayAttr(first))}));
  }
};

} // namespace
