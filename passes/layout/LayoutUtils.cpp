//===- LayoutUtils.cpp - SRAM placement of tensors, MEM builders ----------===//
#include "passes/layout/LayoutUtils.h"

#include "llvm/Support/ErrorHandling.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cassert>
#include <optional>

using namespace mlir;

namespace lpuc::layout {

bool isLoaded(lpuhw::TensorOp tensor) {
  return tensor.getKind() == "weight" || tensor.getKind() == "input";
}

TensorRows rowsOf(lpuhw::TensorOp tensor, const isa::Machine &machine) {
  isa::TensorLayout l = layoutOf(tensor, machine);
  TensorRows r;
  r.chip = tensor.getChip().value_or(0);
  r.bank = l.bank;
  r.lo = l.baseRow;
  r.hi = l.baseRow + uint32_t(l.sramRowsPerSlice());
  r.slices.assign(l.slices.begin(), l.slices.end());
  return r;
}

void LoadedTensorScan::scan(
    mlir::ModuleOp module, const isa::Machine &machine,
    llvm::function_ref<void(lpuhw::TensorOp, const TensorRows &)> f) {
  mlir::Block *body = module.getBody();
  mlir::Operation *op = last_           ? last_->getNextNode()
                        : body->empty() ? nullptr
                                        : &body->front();
  for (; op; op = op->getNextNode()) {
    auto t = llvm::dyn_cast<lpuhw::TensorOp>(op);
    if (!t)
      continue;
    last_ = op;
    if (isLoaded(t))
      f(t, rowsOf(t, machine));
  }
}

isa::TensorLayout layoutOf(lpuhw::TensorOp tensor,
                           const isa::Machine &machine) {
  isa::TensorLayout l;
  l.dtype = lpuhw::toIsaType(tensor.getDtype());
  l.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  l.lanes = machine.lanes();
  for (int32_t s : tensor.getSlices())
    l.slices.push_back(uint32_t(s));
  l.bank = tensor.getBank();
  l.baseRow = tensor.getBaseRow();
  return l;
}

isa::TensorLayout makeLayout(isa::DType dtype, ArrayRef<int64_t> shape,
                             const Placement &placement,
                             const isa::Machine &machine) {
  isa::TensorLayout l;
  l.dtype = dtype;
  l.shape.assign(shape.begin(), shape.end());
  l.lanes = machine.lanes();
  l.slices = placement.slices;
  l.bank = placement.bank;
  l.baseRow = placement.baseRow;
  return l;
}

std::vector<std::vector<uint32_t>> sliceGroups(const isa::Machine &machine) {
  uint32_t n = machine.memSlices() / 2;
  uint32_t s = machine.target().layout_stripe_slices();
  std::vector<std::vector<uint32_t>> groups;
  if (s == 0 || s > 2 * n) {
    std::vector<uint32_t> all;
    for (uint32_t i = 0; i < 2 * n; ++i)
      all.push_back(i);
    groups.push_back(std::move(all));
    return groups;
  }
  std::vector<uint32_t> leftover;
  for (uint32_t hemi = 0; hemi < 2; ++hemi) {
    uint32_t first = hemi * n, end = first + n;
    uint32_t i = first;
    for (; i + s <= end; i += s) {
      std::vector<uint32_t> g;
      for (uint32_t k = 0; k < s; ++k)
        g.push_back(i + k);
      groups.push_back(std::move(g));
    }
    for (; i < end; ++i)
      leftover.push_back(i);
  }
  for (size_t i = 0; i + s <= leftover.size(); i += s)
    groups.emplace_back(leftover.begin() + i, leftover.begin() + i + s);
  return groups;
}

namespace {
/// Adds [lo, hi) to a map of disjoint ranges (first -> one past the last),
/// merging overlapping and touching ones.
void addRange(std::map<uint32_t, uint32_t> &ranges, uint32_t lo, uint32_t hi) {
  auto it = ranges.upper_bound(lo);
  if (it != ranges.begin() && std::prev(it)->second >= lo) {
    --it;
    lo = it->first;
  }
  while (it != ranges.end() && it->first <= hi) {
    hi = std::max(hi, it->second);
    it = ranges.erase(it);
  }
  ranges[lo] = hi;
}
} // namespace

SramAllocator::SramAllocator(const isa::Machine &machine, uint32_t rowsPerBank)
    : machine_(machine), groups_(sliceGroups(machine)),
      banks_(machine.banks() ? machine.banks() : 1),
      rowsPerBank_(rowsPerBank ? rowsPerBank : machine.rowsPerBank()) {
  slots_.resize(groups_.size() * banks_);
  for (Slot &s : slots_)
    if (rowsPerBank_)
      s.free[0] = rowsPerBank_;
}

LogicalResult SramAllocator::reserveLoaded(ArrayRef<LoadedRequest> requests) {
  // Placed with reserved_ empty (allocateRows would hand them out).
  std::deque<Placement> reserved;
  uint64_t next = next_;
  for (const LoadedRequest &r : requests) {
    next_ = r.turn;
    FailureOr<Placement> p = allocateRows(r.rows, r.loc, Lifetime::Loaded);
    if (failed(p))
      return failure();
    reserved.push_back(*p);
  }
  next_ = next;
  reserved_.insert(reserved_.end(), reserved.begin(), reserved.end());
  return success();
}

FailureOr<Placement> SramAllocator::allocate(isa::DType dtype,
                                             ArrayRef<int64_t> shape,
                                             Location loc, Lifetime life) {
  // Every group has the same number of slices except the all-slices
  // fallback, which is the only group then.
  Placement probe;
  probe.slices = groups_.front();
  isa::TensorLayout l = makeLayout(dtype, shape, probe, machine_);
  return allocateRows(l.sramRowsPerSlice(), loc, life);
}

FailureOr<Placement> SramAllocator::allocateRows(int64_t rowsPerSlice,
                                                 Location loc, Lifetime life) {
  uint64_t g = groups_.size();
  uint64_t candidates = g * banks_;
  uint64_t rowsPerBank = rowsPerBank_;
  if (life == Lifetime::Loaded) {
    if (record_)
      record_->push_back({rowsPerSlice, next_, loc});
    if (!reserved_.empty()) {
      Placement p = std::move(reserved_.front());
      reserved_.pop_front();
      if (p.rows == uint64_t(rowsPerSlice)) {
        ++next_;
        return p;
      }
      // The lowering asked for something else than it did the first time:
      // the rest is placed as it comes (in rows no transient has held).
      // The reserved rows stay in use.
      reserved_.clear();
    }
  }
  uint64_t first = next_ % candidates;
  ++next_;
  uint64_t bestFree = 0, bestIdx = first;
  for (uint64_t i = 0; i < candidates; ++i) {
    uint64_t k = (first + i) % candidates;
    uint32_t group = uint32_t(k % g), bank = uint32_t(k / g);
    Slot &slot = slots_[group * banks_ + bank];
    Placement p;
    p.slices = groups_[group];
    p.bank = bank;
    p.rows = uint32_t(rowsPerSlice);
    p.slot = int32_t(group * banks_ + bank);
    if (rowsPerSlice == 0)
      return p;
    // Loaded and Program: the lowest range that fits (Loaded: of rows no
    // transient placement has held); Transient: the highest.
    std::optional<uint32_t> base;
    uint64_t largest = 0;
    auto consider = [&](uint32_t lo, uint32_t hi) {
      uint64_t len = hi - lo;
      largest = std::max(largest, len);
      if (len < uint64_t(rowsPerSlice) || (base && life != Lifetime::Transient))
        return;
      base = life == Lifetime::Transient ? hi - p.rows : lo;
    };
    for (auto [lo, hi] : slot.free) {
      if (life != Lifetime::Loaded) {
        consider(lo, hi);
        continue;
      }
      // The gaps between held ranges inside [lo, hi).
      uint32_t at = lo;
      auto h = slot.held.upper_bound(lo);
      if (h != slot.held.begin() && std::prev(h)->second > lo)
        at = std::prev(h)->second;
      for (; at < hi; ++h) {
        uint32_t end = h == slot.held.end() ? hi : std::min(h->first, hi);
        if (end > at)
          consider(at, end);
        if (h == slot.held.end())
          break;
        at = std::max(at, h->second);
      }
    }
    if (!base) {
      if (largest > bestFree) {
        bestFree = largest;
        bestIdx = k;
      }
      continue;
    }
    p.baseRow = *base;
    auto fit = std::prev(slot.free.upper_bound(p.baseRow));
    uint32_t lo = fit->first, hi = fit->second;
    slot.free.erase(fit);
    if (lo < p.baseRow)
      slot.free[lo] = p.baseRow;
    if (p.baseRow + p.rows < hi)
      slot.free[p.baseRow + p.rows] = hi;
    if (life == Lifetime::Transient)
      addRange(slot.held, p.baseRow, p.baseRow + p.rows);
    slot.used += p.rows;
    slot.peak = std::max(slot.peak, slot.used);
    return p;
  }
  // Bytes of one row in every slice of a group: what the shortfall costs.
  uint64_t rowBytes = uint64_t(groups_[bestIdx % g].size()) * machine_.lanes();
  auto kib = [](uint64_t b) {
    return llvm::formatv("{0:F1} KiB", double(b) / 1024.0).str();
  };
  emitError(loc) << "does not fit in SRAM: needs " << rowsPerSlice
                 << " rows in slice group " << bestIdx % g << " bank "
                 << bestIdx / g << ", target has " << rowsPerBank
                 << " rows per bank (" << bestFree << " free)"
                 << ": the tensor needs "
                 << kib(uint64_t(rowsPerSlice) * rowBytes)
                 << " in one slice group and bank; the largest free space is "
                 << kib(bestFree * rowBytes) << " ("
                 << kib((uint64_t(rowsPerSlice) - bestFree) * rowBytes)
                 << " short; one chip of " << machine_.target().name()
                 << " has " << kib(machine_.sramBytes()) << " of SRAM)";
  return failure();
}

void SramAllocator::release(const Placement &p) {
  if (p.slot < 0 || p.rows == 0)
    return;
  Slot &slot = slots_[size_t(p.slot)];
  uint32_t lo = p.baseRow, hi = p.baseRow + p.rows;
  // Releasing rows that are already free would let two tensors share them:
  // a lowering bug, reported even in release builds.
  {
    auto n = slot.free.upper_bound(lo);
    bool overlap = n != slot.free.end() && n->first < hi;
    if (n != slot.free.begin() && std::prev(n)->second > lo)
      overlap = true;
    if (overlap || slot.used < p.rows)
      llvm::report_fatal_error("lpu-to-lpuhw: internal: SRAM rows released "
                               "twice");
  }
  assert(slot.used >= p.rows && "releasing more rows than allocated");
  slot.used -= p.rows;
  // Merge with the neighbouring free ranges.
  auto next = slot.free.lower_bound(lo);
  assert((next == slot.free.end() || next->first >= hi) &&
         "releasing rows that are free");
  if (next != slot.free.end() && next->first == hi) {
    hi = next->second;
    next = slot.free.erase(next);
  }
  if (next != slot.free.begin()) {
    auto prev = std::prev(next);
    assert(prev->second <= lo && "releasing rows that are free");
    if (prev->second == lo) {
      lo = prev->first;
      slot.free.erase(prev);
    }
  }
  slot.free[lo] = hi;
}

SmallVector<Type> streamTypes(MLIRContext *ctx, unsigned n) {
  return SmallVector<Type>(n, lpuhw::StreamType::get(ctx));
}

Value readPlaneRow(OpBuilder &b, Location loc, const isa::TensorLayout &l,
                   int64_t q) {
  isa::SramAddress a = l.address(q);
  return lpuhw::MemReadOp::create(
             b, loc, lpuhw::StreamType::get(b.getContext()), a.slice, a.bank,
             a.row, IntegerAttr(), IntegerAttr(), IntegerAttr())
      .getResult();
}

SmallVector<Value> readVector(OpBuilder &b, Location loc,
                              const isa::TensorLayout &l, int64_t row,
                              int64_t vec) {
  SmallVector<Value> planes;
  for (unsigned p = 0, w = l.width(); p < w; ++p)
    planes.push_back(readPlaneRow(b, loc, l, l.planeRowIndex(row, vec, p)));
  return planes;
}

void writePlaneRow(OpBuilder &b, Location loc, const isa::TensorLayout &l,
                   int64_t q, Value value) {
  isa::SramAddress a = l.address(q);
  lpuhw::MemWriteOp::create(b, loc, value, a.slice, a.bank, a.row,
                            IntegerAttr(), IntegerAttr(), IntegerAttr());
}

void writeVector(OpBuilder &b, Location loc, const isa::TensorLayout &l,
                 int64_t row, int64_t vec, ValueRange planes) {
  for (unsigned p = 0, w = l.width(); p < w && p < planes.size(); ++p)
    writePlaneRow(b, loc, l, l.planeRowIndex(row, vec, p), planes[p]);
}

lpuhw::TensorOp declareTensor(OpBuilder &b, Location loc, StringRef symName,
                              StringRef kind, StringAttr onnxName, Type dtype,
                              ArrayRef<int64_t> shape,
                              const Placement &placement, ElementsAttr value) {
  SmallVector<int32_t> slices(placement.slices.begin(), placement.slices.end());
  return lpuhw::TensorOp::create(b, loc, symName, kind, onnxName, dtype, shape,
                                 slices, placement.bank, placement.baseRow,
                                 value, TypeAttr(), false, IntegerAttr());
}

} // namespace lpuc::layout
