//===- LpuhwSchedule.cpp - lpuhw-schedule pass ----------------------------===//
//
// Translates func @main's lpuhw instructions into sched::OpSpec (timing from
// isa::Machine), derives the SRAM and MXM plane dependences from program
// order, runs the bundle list scheduler and writes cycles, streams, ALUs and
// SXM units back. See docs/passes/lpuhw-schedule.md.
//
//===----------------------------------------------------------------------===//
#include "passes/schedule/Passes.h"
#include "passes/schedule/Scheduler.h"

#include "passes/layout/LayoutUtils.h"
#include "passes/verify/ScheduleInfo.h"

#include "dialects/lpuhw/LpuhwDialect.h"
#include "dialects/lpuhw/LpuhwOps.h"
#include "runtime/isa/Topology.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <map>
#include <tuple>

namespace lpuc {
#define GEN_PASS_DEF_LPUHWSCHEDULEPASS
#include "passes/schedule/Passes.h.inc"
} // namespace lpuc

using namespace mlir;
using namespace lpuc;
using namespace lpuc::lpuhw;

namespace {

bool isInstruction(Operation *op) {
  return llvm::isa<MemReadOp, MemWriteOp, MxmLoadOp, MxmInstallOp, MxmMulOp,
                   VxmOp, SxmPermuteOp, SxmShiftOp, SxmRotateOp, SxmTransposeOp,
                   C2cSendOp, C2cRecvOp>(op);
}

uint32_t chipOf(Operation *op) {
  if (auto c = op->getAttrOfType<IntegerAttr>("chip"))
    return uint32_t(c.getInt());
  return 0;
}

/// The fields the scheduler needs of an SXM instruction (`dtype` is null
/// for the byte transpose).
struct SxmView {
  isa::Opcode opcode;
  Type dtype;
  std::optional<uint32_t> unit;
  OperandRange inputs;
  uint32_t a = 0;
  uint8_t flags = 0;
};

std::optional<SxmView> sxmView(Operation *op) {
  if (auto p = dyn_cast<SxmPermuteOp>(op))
    return SxmView{isa::Opcode::SxmPermute, p.getDtype(), p.getUnit(),
                   p.getInputs()};
  auto move = [](auto o, isa::Opcode opcode) {
    return SxmView{opcode,
                   o.getDtype(),
                   o.getUnit(),
                   o.getInputs(),
                   o.getAmount(),
                   uint8_t(o.getDirection() == "down" ? isa::kShiftDown : 0)};
  };
  if (auto sh = dyn_cast<SxmShiftOp>(op))
    return move(sh, isa::Opcode::SxmShift);
  if (auto r = dyn_cast<SxmRotateOp>(op))
    return move(r, isa::Opcode::SxmRotate);
  if (auto t = dyn_cast<SxmTransposeOp>(op))
    return SxmView{isa::Opcode::SxmTranspose, Type(), t.getUnit(),
                   t.getInputs()};
  return std::nullopt;
}

/// Per MXM plane: the last load, install and multiply in program order.
struct PlaneState {
  int64_t lastLoad = -1, lastInstall = -1, lastMul = -1;
  /// Planes touched by the last load (an install swaps the same ones).
  unsigned loadPlanes = 1;
  /// Timing of the last load and multiply (they may be in an earlier
  /// window): queue cycles of each, and the load's mxmLoadCycles.
  int64_t loadQueueCycles = 0, loadCycles = 0, mulQueueCycles = 0;
};

/// Per SRAM address: the last write and the reads since, by program index
/// (one per row the program touches: 0.48M on the 55M GPT-2).
struct RowState {
  int32_t lastWrite = -1;
  llvm::SmallVector<uint32_t, 2> reads;
};

/// The key of an SRAM address in WindowScheduler's row states (the address
/// is in the target's range, and init() checked that the target's fit).
uint64_t rowKey(uint32_t chip, uint32_t slice, uint32_t bank, uint32_t row) {
  assert(slice < (1u << 12) && bank < (1u << 4) && row < (1u << 24) &&
         "SRAM address beyond the row key's fields");
  return uint64_t(chip) << 40 | uint64_t(slice) << 28 | uint64_t(bank) << 24 |
         row;
}

struct LpuhwSchedulePass
    : lpuc::impl::LpuhwSchedulePassBase<LpuhwSchedulePass> {
  using Base::Base;
  void runOnOperation() override;
};

/// Position of an op if it does not depend on a scheduling choice (an SXM
/// op without `unit` does).
std::optional<int> fixedPosition(Operation *op, const isa::Machine &m) {
  if (auto r = dyn_cast<MemReadOp>(op))
    return m.memPosition(r.getSlice());
  if (auto w = dyn_cast<MemWriteOp>(op))
    return m.memPosition(w.getSlice());
  if (auto l = dyn_cast<MxmLoadOp>(op))
    return m.mxmPosition(l.getPlane());
  if (auto i = dyn_cast<MxmInstallOp>(op))
    return m.mxmPosition(i.getPlane());
  if (auto mul = dyn_cast<MxmMulOp>(op))
    return m.mxmPosition(mul.getPlane());
  if (llvm::isa<VxmOp>(op))
    return m.vxmPosition();
  if (auto l = op->getAttrOfType<IntegerAttr>("link"))
    return m.queue(m.c2cQueue(uint32_t(l.getInt()))).position;
  if (std::optional<SxmView> s = sxmView(op))
    if (s->unit)
      return m.sxmPosition(*s->unit);
  return std::nullopt;
}

/// The rank of the unit a bundle's time is charged to (the most specialised
/// among its instructions: C2C, MXM, SXM, VXM, MEM, highest first).
int unitRank(Operation *op) {
  if (llvm::isa<C2cSendOp, C2cRecvOp>(op))
    return 5;
  if (llvm::isa<MxmLoadOp, MxmInstallOp, MxmMulOp>(op))
    return 4;
  if (sxmView(op))
    return 3;
  if (llvm::isa<VxmOp>(op))
    return 2;
  return 1;
}

/// The unit of a unitRank.
const char *rankName(int rank) {
  static const char *const names[] = {"mem", "mem", "vxm", "sxm", "mxm", "c2c"};
  return names[std::clamp(rank, 0, 5)];
}

} // namespace

namespace lpuc::sched {

struct WindowScheduler::State {
  State(ModuleOp module, const isa::Machine &m, int64_t horizon,
        int64_t floorLag)
      : module(module), m(m), horizon(horizon), floorLag(floorLag),
        table(1, 1) /* replaced in init() */ {}
  ModuleOp module;
  const isa::Machine &m;
  int64_t horizon;
  int64_t floorLag;
  uint32_t chips = 1;
  std::optional<isa::Topology> topo;
  // State carried across windows: the reservation table, each scheduled
  // op's cycle and global bundle, the bundles' traces (for the critical
  // path), and the SRAM row and MXM plane states.
  sched::ReservationTable table;
  /// Per scheduled op (program index): its cycle and global bundle. 8
  /// bytes each, in chunks (no doubling, no copy as the program grows).
  struct Placed {
    int32_t cycle = 0;
    uint32_t bundle = 0;
  };
  verify::ChunkedVector<Placed> placed;
  std::vector<sched::Scheduler::BundleTrace> traces;
  std::vector<LocationAttr> bundleLoc; // of its first member
  std::vector<uint8_t> bundleRank;     // unitRank of its members, the highest
  int64_t length = 0;
  uint32_t lastBundle = 0; // of the op that ends last
  /// Per chip: the end of its instructions so far (max cycle + busy
  /// cycles; 0 before its first) and its floor (see floors()).
  std::vector<int64_t> chipLength, floors;
  // Dependences from program order.
  // Looked up by key only (never iterated), so hash order cannot matter.
  llvm::DenseMap<uint64_t, RowState> rows; // by rowKey
  std::vector<PlaneState> planeStates;
  // The last send of each (chip, destination) so far, by program index
  // (lpuhw.after_send).
  llvm::DenseMap<std::pair<uint32_t, uint32_t>, uint32_t> lastSend;
  // The rows of loaded tensors (weights, inputs), per (chip, slice, bank):
  // [lo, hi) ranges sorted by lo. No instruction may write them
  // (lpuhw-verify-schedule), so their reads need no row state (on the 55M
  // GPT-2, 0.4M of the 0.48M rows the program touches).
  llvm::DenseMap<uint64_t, std::vector<std::pair<uint32_t, uint32_t>>>
      loadedRows;
  layout::LoadedTensorScan tensors; // the declarations scanned so far

  static uint64_t bankKey(uint32_t chip, uint32_t slice, uint32_t bank) {
    return uint64_t(chip) << 20 | uint64_t(slice) << 4 | bank;
  }
  /// Adds the loaded tensors declared since the last call.
  void scanTensors() {
    tensors.scan(module, m, [&](TensorOp, const layout::TensorRows &r) {
      for (uint32_t slice : r.slices) {
        auto &ranges = loadedRows[bankKey(r.chip, slice, r.bank)];
        ranges.insert(llvm::upper_bound(ranges, std::make_pair(r.lo, r.hi)),
                      {r.lo, r.hi});
      }
    });
  }
  bool isLoadedRow(uint32_t chip, uint32_t slice, uint32_t bank,
                   uint32_t row) const {
    auto it = loadedRows.find(bankKey(chip, slice, bank));
    if (it == loadedRows.end())
      return false;
    auto r =
        llvm::upper_bound(it->second, row, [](uint32_t v, const auto &range) {
          return v < range.first;
        });
    return r != it->second.begin() && row < std::prev(r)->second;
  }
};

WindowScheduler::WindowScheduler(ModuleOp module, const isa::Machine &m,
                                 int64_t horizon, int64_t floorLag)
    : s_(std::make_unique<State>(module, m, horizon, floorLag)) {}
WindowScheduler::~WindowScheduler() = default;

LogicalResult WindowScheduler::init() {
  State &S = *s_;
  const schema::Target &target = S.m.target();
  if (auto n = S.module->getAttrOfType<IntegerAttr>("lpuhw.chips"))
    S.chips = uint32_t(std::max<int64_t>(1, n.getInt()));
  // rowKey's fields.
  if (S.m.memSlices() >= (1u << 12) || S.m.banks() >= (1u << 4) ||
      S.m.rowsPerBank() >= (1u << 24) || S.chips >= (1u << 24))
    return S.module.emitError()
           << "lpuhw-schedule: target " << target.name()
           << " is too large for the scheduler's SRAM row keys (at most "
              "4,095 slices, 15 banks, 2^24 - 1 rows per bank and chips)";
  if (S.chips > 1) {
    absl::StatusOr<isa::Topology> t = isa::Topology::create(target, S.chips);
    if (!t.ok())
      return S.module.emitError() << "lpuhw-schedule: " << t.status().message();
    S.topo = std::move(*t);
  }
  S.table = sched::ReservationTable(sched::Scheduler::tableRows(S.m, S.chips),
                                    S.m.streamsPerDirection());
  S.planeStates.assign(size_t(target.mxm_planes()) * S.chips, PlaneState());
  S.chipLength.assign(S.chips, 0);
  S.floors.assign(S.chips, 0);
  return success();
}

LogicalResult WindowScheduler::schedule(ArrayRef<Operation *> windowOps) {
  State &S = *s_;
  const isa::Machine &m = S.m;
  const schema::Target &target = m.target();
  const uint32_t chips = S.chips;
  const std::optional<isa::Topology> &topo = S.topo;
  const uint32_t weightStreams = target.mxm_weight_streams();
  const uint32_t sxmHalf = target.sxm_units_per_hemisphere();
  auto &placed = S.placed;
  auto &traces = S.traces;
  auto &rows = S.rows;
  auto &planeStates = S.planeStates;
  auto &lastSend = S.lastSend;
  bool bad = false;
  for (Operation *op : windowOps)
    if (chipOf(op) >= chips)
      return op->emitError() << "lpuhw-schedule: chip " << chipOf(op)
                             << " out of range (the module has " << chips
                             << " chips: lpuhw.chips)";

  S.scanTensors();
  // Program indices: this window's ops are begin .. end - 1.
  const size_t begin = placed.size(), end = begin + windowOps.size();
  auto opAt = [&](size_t i) { return windowOps[i - begin]; };
  {
    // Window-local indices (op i of the program is i - begin).
    llvm::DenseMap<Operation *, uint32_t> index;
    index.reserve(unsigned(end - begin));
    for (size_t i = begin; i < end; ++i)
      index[opAt(i)] = uint32_t(i - begin);
    // The route of each send, by its index.
    llvm::DenseMap<uint32_t, isa::Route> routes;
    sched::Scheduler scheduler(m);
    scheduler.horizon = S.horizon;
    scheduler.floors = S.floors;
    scheduler.bundleBase = int64_t(traces.size());
    scheduler.reserve(end - begin);
    std::vector<int> position(end - begin, 0);
    // `to` (a program index in this window) issues at least `delta` cycles
    // after `from`: an edge inside the window, a release after one.
    auto addDep = [&](uint32_t from, uint32_t to, int64_t delta) {
      if (from >= begin)
        scheduler.addDep(uint32_t(from - begin), uint32_t(to - begin), delta);
      else
        scheduler.addRelease(uint32_t(to - begin),
                             int64_t(placed[from].cycle) + delta,
                             placed[from].bundle);
    };
    auto error = [&](Operation *op) {
      bad = true;
      return op->emitError();
    };

    // Operands: (producer, result) of a stream value.
    auto operand = [&](Operation *user, Value v, uint32_t group, uint32_t lane,
                       uint32_t readDelay) -> std::optional<sched::Operand> {
      auto res = dyn_cast<OpResult>(v);
      if (!res || !index.count(res.getOwner())) {
        error(user) << "lpuhw-schedule: stream operand is not the result of an "
                       "instruction of @main";
        return std::nullopt;
      }
      if (chipOf(res.getOwner()) != chipOf(user)) {
        error(user) << "lpuhw-schedule: reads a stream value of chip "
                    << chipOf(res.getOwner()) << " on chip " << chipOf(user)
                    << " (vectors cross chips only through c2c_send and "
                       "c2c_recv)";
        return std::nullopt;
      }
      sched::Operand o;
      o.producer = index.lookup(res.getOwner());
      o.result = res.getResultNumber();
      o.group = group;
      o.lane = lane;
      o.readDelay = readDelay;
      return o;
    };
    auto checkPlane = [&](Operation *op, uint32_t plane,
                          isa::DType dtype) -> bool {
      if (plane >= target.mxm_planes()) {
        error(op) << "MXM plane " << plane << " out of range (target has "
                  << target.mxm_planes() << ")";
        return false;
      }
      if (dtype != isa::DType::Invalid && m.mxmPlanesFor(dtype) == 2 &&
          plane % 2 != 0) {
        error(op) << "a " << isa::dtypeName(dtype)
                  << " tile uses a pair of planes: plane must be even, got "
                  << plane;
        return false;
      }
      return true;
    };
    auto checkMem = [&](Operation *op, uint32_t slice, uint32_t bank,
                        uint32_t row) -> bool {
      if (slice >= m.memSlices() || bank >= m.banks() ||
          row >= m.rowsPerBank()) {
        error(op) << "SRAM address (slice " << slice << ", bank " << bank
                  << ", row " << row << ") outside the target's "
                  << m.memSlices() << " slices x " << m.banks() << " banks x "
                  << m.rowsPerBank() << " rows";
        return false;
      }
      return true;
    };

    for (uint32_t i = uint32_t(begin); i < end && !bad; ++i) {
      Operation *op = opAt(i);
      sched::OpSpec spec;
      isa::Instruction &inst = spec.inst;
      spec.numResults = llvm::isa<C2cSendOp>(op) ? 0 : op->getNumResults();
      spec.chip = chipOf(op);
      PlaneState *planes =
          planeStates.data() + size_t(spec.chip) * target.mxm_planes();
      const size_t numPlanes = target.mxm_planes();
      auto addOperands = [&](ValueRange vals, uint32_t width, uint32_t delayDiv,
                             bool mxmLanes) {
        for (auto [k, v] : llvm::enumerate(vals)) {
          uint32_t kk = uint32_t(k);
          std::optional<sched::Operand> o =
              mxmLanes ? operand(op, v, 0, kk % delayDiv, kk / delayDiv)
                       : operand(op, v, kk / width, kk % width, 0);
          if (!o)
            return;
          spec.operands.push_back(*o);
        }
      };
      auto memDeps = [&](uint32_t slice, uint32_t bank, uint32_t row,
                         bool write) {
        if (!write && S.isLoadedRow(spec.chip, slice, bank, row))
          return;
        RowState &st = rows[rowKey(spec.chip, slice, bank, row)];
        if (!write) {
          if (st.lastWrite >= 0)
            addDep(uint32_t(st.lastWrite), i, m.memWriteLatency());
          // A later write only needs, of the reads of earlier windows, those
          // issued last (a release at the latest cycle binds; the others
          // are dominated): a weight's rows are read all program long and
          // never written, and kept every read (memory).
          if (st.reads.size() >= 8 && st.reads.front() < begin) {
            int64_t latest = -1;
            size_t old = 0;
            while (old < st.reads.size() && st.reads[old] < begin)
              latest = std::max(latest, int64_t(placed[st.reads[old++]].cycle));
            size_t kept = 0;
            for (size_t k = 0; k < st.reads.size(); ++k)
              if (k >= old || placed[st.reads[k]].cycle == latest)
                st.reads[kept++] = st.reads[k];
            st.reads.resize(kept);
          }
          st.reads.push_back(i);
          return;
        }
        for (uint32_t r : st.reads)
          addDep(r, i, 0);
        if (st.lastWrite >= 0)
          addDep(uint32_t(st.lastWrite), i, 1);
        st.reads.clear();
        st.lastWrite = int32_t(i);
      };
      // The planes an MXM op touches: its plane, and the partner for wide
      // types.
      auto touched = [&](uint32_t plane, unsigned n) {
        SmallVector<uint32_t, 2> ps{plane};
        if (n == 2 && plane + 1 < numPlanes)
          ps.push_back(plane + 1);
        return ps;
      };

      if (auto r = dyn_cast<MemReadOp>(op)) {
        if (!checkMem(op, r.getSlice(), r.getBank(), r.getRow()))
          break;
        inst.op = isa::Opcode::MemRead;
        spec.queues = {m.memQueue(r.getSlice())};
        spec.position = m.memPosition(r.getSlice());
        spec.memSlice = int(r.getSlice());
        spec.bank = r.getBank();
        memDeps(r.getSlice(), r.getBank(), r.getRow(), false);
      } else if (auto w = dyn_cast<MemWriteOp>(op)) {
        if (!checkMem(op, w.getSlice(), w.getBank(), w.getRow()))
          break;
        inst.op = isa::Opcode::MemWrite;
        spec.queues = {m.memQueue(w.getSlice())};
        spec.position = m.memPosition(w.getSlice());
        spec.memSlice = int(w.getSlice());
        spec.bank = w.getBank();
        addOperands(w->getOperands(), 1, 1, false);
        memDeps(w.getSlice(), w.getBank(), w.getRow(), true);
      } else if (auto l = dyn_cast<MxmLoadOp>(op)) {
        inst.op = isa::Opcode::MxmLoad;
        inst.dtype = toIsaType(l.getDtype());
        inst.a = l.getRows();
        if (!checkPlane(op, l.getPlane(), inst.dtype))
          break;
        unsigned n = m.mxmPlanesFor(inst.dtype);
        spec.queues = {m.mxmLoadQueue(l.getPlane())};
        if (n == 2)
          spec.extraQueues = {m.mxmLoadQueue(l.getPlane() + 1)};
        spec.position = m.mxmPosition(l.getPlane());
        addOperands(l.getTile(), 1, weightStreams, true);
        for (uint32_t p : touched(l.getPlane(), n)) {
          PlaneState &st = planes[p];
          if (st.lastInstall >= 0)
            addDep(uint32_t(st.lastInstall), i, 1);
          if (st.lastLoad >= 0)
            addDep(uint32_t(st.lastLoad), i, st.loadQueueCycles);
        }
        for (uint32_t p : touched(l.getPlane(), n)) {
          planes[p].lastLoad = i;
          planes[p].loadPlanes = n;
          planes[p].loadQueueCycles = m.queueCycles(inst);
          planes[p].loadCycles = m.mxmLoadCycles(inst.dtype, inst.a);
        }
      } else if (auto in = dyn_cast<MxmInstallOp>(op)) {
        inst.op = isa::Opcode::MxmInstall;
        if (!checkPlane(op, in.getPlane(), isa::DType::Invalid))
          break;
        unsigned n = planes[in.getPlane()].loadPlanes;
        spec.queues = {m.mxmMulQueue(in.getPlane())};
        if (n == 2 && in.getPlane() + 1 < numPlanes)
          spec.extraQueues = {m.mxmMulQueue(in.getPlane() + 1)};
        spec.position = m.mxmPosition(in.getPlane());
        for (uint32_t p : touched(in.getPlane(), n)) {
          PlaneState &st = planes[p];
          if (st.lastLoad >= 0)
            addDep(uint32_t(st.lastLoad), i, st.loadCycles);
          if (st.lastMul >= 0)
            addDep(uint32_t(st.lastMul), i, st.mulQueueCycles);
          if (st.lastInstall >= 0)
            addDep(uint32_t(st.lastInstall), i, 1);
        }
        for (uint32_t p : touched(in.getPlane(), n))
          planes[p].lastInstall = i;
      } else if (auto mul = dyn_cast<MxmMulOp>(op)) {
        inst.op = isa::Opcode::MxmMul;
        inst.dtype = toIsaType(mul.getDtype());
        inst.a = mul.getAccRow();
        inst.flags = (mul.getAccumulate() ? isa::kAccumulate : 0) |
                     (mul.getEmit() ? isa::kEmit : 0);
        if (!checkPlane(op, mul.getPlane(), inst.dtype))
          break;
        unsigned n = m.mxmPlanesFor(inst.dtype);
        spec.queues = {m.mxmMulQueue(mul.getPlane())};
        if (n == 2)
          spec.extraQueues = {m.mxmMulQueue(mul.getPlane() + 1)};
        spec.position = m.mxmPosition(mul.getPlane());
        addOperands(mul.getAct(), isa::widthBytes(inst.dtype), 1, false);
        for (uint32_t p : touched(mul.getPlane(), n)) {
          PlaneState &st = planes[p];
          if (st.lastInstall >= 0)
            addDep(uint32_t(st.lastInstall), i, 1);
          if (st.lastMul >= 0)
            addDep(uint32_t(st.lastMul), i, st.mulQueueCycles);
        }
        for (uint32_t p : touched(mul.getPlane(), n)) {
          planes[p].lastMul = i;
          planes[p].mulQueueCycles = m.queueCycles(inst);
        }
      } else if (auto v = dyn_cast<VxmOp>(op)) {
        inst.op = isa::Opcode::Vxm;
        inst.dtype = toIsaType(v.getDtype());
        isa::AluOp fn;
        isa::parseAluOp(v.getFn().str(), fn);
        inst.fn = uint8_t(fn);
        if (auto to = v.getToDtype())
          inst.b = uint32_t(toIsaType(*to));
        if (std::optional<uint32_t> alu = v.getAlu()) {
          if (*alu >= target.vxm_alus()) {
            error(op) << "VXM ALU " << *alu << " out of range (target has "
                      << target.vxm_alus() << ")";
            break;
          }
          spec.queues = {m.vxmQueue(*alu)};
        } else {
          for (uint32_t a = 0; a < target.vxm_alus(); ++a)
            spec.queues.push_back(m.vxmQueue(a));
        }
        spec.position = m.vxmPosition();
        addOperands(v.getInputs(), isa::widthBytes(inst.dtype), 1, false);
      } else if (auto send = dyn_cast<C2cSendOp>(op)) {
        inst.op = isa::Opcode::C2cSend;
        inst.a = send.getTo();
        if (!topo || send.getTo() >= chips) {
          error(op) << "lpuhw-schedule: sends to chip " << send.getTo()
                    << " of a program of " << chips << " chips";
          break;
        }
        isa::Route route = topo->route(spec.chip, send.getTo());
        uint32_t link = route[0].link;
        if (std::optional<uint32_t> l = send.getLink(); l && *l != link) {
          error(op) << "lpuhw-schedule: the route to chip " << send.getTo()
                    << " leaves on link " << link << ", not link " << *l;
          break;
        }
        spec.queues = {m.c2cQueue(link)};
        spec.position = m.queue(m.c2cQueue(link)).position;
        for (size_t h = 0; h < route.size(); ++h)
          spec.links.push_back(
              {route[h].chip, route[h].link, int64_t(topo->hopCycle(0, h))});
        addOperands(send->getOperands(), 1, 1, false);
        routes[i - uint32_t(begin)] = std::move(route);
        // A block of transfers (lpu-to-lpuhw on small targets): this send
        // issues one c2c_vector_cycles after the previous send of its chip
        // to the same chip, so the block is one bundle at one interval. A
        // block that a window boundary cuts continues as a new block.
        auto key = std::make_pair(spec.chip, send.getTo());
        if (send->hasAttr("lpuhw.after_send")) {
          auto prev = lastSend.find(key);
          if (prev == lastSend.end()) {
            error(op) << "lpuhw-schedule: lpuhw.after_send without an earlier "
                         "send of chip "
                      << spec.chip << " to chip " << send.getTo();
            break;
          }
          if (prev->second >= begin)
            scheduler.addRigid(prev->second - uint32_t(begin),
                               i - uint32_t(begin),
                               int64_t(target.c2c_vector_cycles()));
        }
        lastSend[key] = i;
      } else if (auto recv = dyn_cast<C2cRecvOp>(op)) {
        inst.op = isa::Opcode::C2cRecv;
        auto send = recv.getVector().getDefiningOp<C2cSendOp>();
        auto it = send && index.count(send) ? routes.find(index.lookup(send))
                                            : routes.end();
        if (it == routes.end()) {
          error(op) << "lpuhw-schedule: c2c_recv before its c2c_send";
          break;
        }
        const isa::Route &route = it->second;
        isa::LinkEnd last = topo->peer(route.back().chip, route.back().link);
        inst.a = chipOf(send);
        spec.queues = {m.c2cQueue(last.link)};
        spec.position = m.queue(m.c2cQueue(last.link)).position;
        scheduler.addRigid(index.lookup(send), i - uint32_t(begin),
                           int64_t(topo->arrivalCycle(0, route)));
      } else if (std::optional<SxmView> s = sxmView(op)) {
        inst.op = s->opcode;
        inst.dtype = s->dtype ? toIsaType(s->dtype) : isa::DType::Invalid;
        inst.a = s->a;
        inst.flags = s->flags;
        unsigned firstUnit = 0, numUnits = 2 * sxmHalf;
        if (std::optional<uint32_t> unit = s->unit) {
          if (*unit >= 2 * sxmHalf) {
            error(op) << "SXM unit " << *unit << " out of range (target has "
                      << 2 * sxmHalf << ")";
            break;
          }
          firstUnit = *unit;
          numUnits = 1;
        } else {
          // Pick the hemisphere: no value may be read on both sides of its
          // producer, and then the shorter total stream distance.
          int best = -1;
          int64_t bestCost = 0;
          for (int side = 0; side < 2; ++side) {
            int x = m.sxmPosition(side == 0 ? 0 : sxmHalf);
            bool ok = true;
            int64_t cost = 0;
            for (Value in : s->inputs) {
              auto res = dyn_cast<OpResult>(in);
              if (!res || !index.count(res.getOwner()))
                continue;
              int p = position[index.lookup(res.getOwner())];
              cost += std::abs(p - x);
              for (Operation *u : in.getUsers()) {
                std::optional<int> c = u == op ? x : fixedPosition(u, m);
                if (c && ((*c < p && x > p) || (*c > p && x < p)))
                  ok = false;
              }
            }
            bool west = false, east = false;
            for (Value r : op->getResults())
              for (Operation *u : r.getUsers())
                if (std::optional<int> c = fixedPosition(u, m)) {
                  cost += std::abs(*c - x);
                  west |= *c < x;
                  east |= *c > x;
                }
            ok &= !(west && east);
            if (ok && (best < 0 || cost < bestCost)) {
              best = side;
              bestCost = cost;
            }
          }
          firstUnit = best == 1 ? sxmHalf : 0;
          numUnits = sxmHalf;
        }
        for (uint32_t u = firstUnit; u < firstUnit + numUnits; ++u)
          spec.queues.push_back(m.sxmQueue(u));
        spec.position = m.sxmPosition(firstUnit);
        addOperands(s->inputs,
                    s->dtype ? isa::widthBytes(inst.dtype)
                             : isa::kTransposeStreams,
                    1, false);
      }
      if (bad)
        break;
      position[i - begin] = spec.position;
      scheduler.addOp(spec);
    }
    if (bad)
      return failure();

    if (!scheduler.run(&S.table)) {
      const sched::ScheduleError &e = scheduler.error();
      opAt(begin + e.op)->emitError() << "lpuhw-schedule: " << e.message;
      return failure();
    }

    if (scheduler.length() > int64_t(INT32_MAX))
      return opAt(begin + scheduler.lastOp())->emitError()
             << "lpuhw-schedule: the program runs past cycle 2^31 - 1 ("
             << scheduler.length() << " cycles)";
    Builder b(S.module.getContext());
    for (uint32_t i = uint32_t(begin); i < end; ++i) {
      Operation *op = opAt(i);
      const sched::ScheduledOp &r = scheduler.result(i - uint32_t(begin));
      placed.push_back(
          {int32_t(r.cycle),
           uint32_t(traces.size()) + scheduler.bundleOf(i - uint32_t(begin))});
      op->setAttr("cycle", b.getI64IntegerAttr(r.cycle));
      if (op->getNumResults() > 0 && !llvm::isa<C2cSendOp>(op))
        op->setAttr("stream", b.getI32IntegerAttr(r.stream));
      if (llvm::isa<VxmOp>(op))
        op->setAttr("alu", b.getI32IntegerAttr(r.queue - m.vxmQueue(0)));
      if (sxmView(op))
        op->setAttr("unit", b.getI32IntegerAttr(r.queue - m.sxmQueue(0)));
      if (llvm::isa<C2cSendOp, C2cRecvOp>(op))
        op->setAttr("link", b.getI32IntegerAttr(r.queue - m.c2cQueue(0)));
    }
    // The window's bundles, by global id.
    for (unsigned bi = 0; bi < scheduler.numBundles(); ++bi) {
      traces.push_back(scheduler.trace(bi));
      sched::Span<uint32_t> members = scheduler.bundleOps(bi);
      S.bundleLoc.push_back(opAt(begin + members.front())->getLoc());
      int rank = 0;
      for (uint32_t k : members)
        rank = std::max(rank, unitRank(opAt(begin + k)));
      S.bundleRank.push_back(uint8_t(rank));
    }
    // The op that ends last: the first window's on ties (the lowest index).
    if (scheduler.numOps() > 0 &&
        (begin == 0 || scheduler.length() > S.length)) {
      S.length = scheduler.length();
      S.lastBundle = placed[begin + scheduler.lastOp()].bundle;
    }
    // A chip's later instructions start at most floorLag cycles before the
    // end of its instructions so far: what lies before is final (lpuc
    // verifies and emits it as it goes), and the table forgets the stream
    // ranges it cannot need. A chip with no instruction yet keeps floor 0
    // (the later stages of a pipeline load their weights early).
    for (uint32_t i = uint32_t(begin); i < end; ++i) {
      uint32_t c = chipOf(opAt(i));
      const sched::ScheduledOp &r = scheduler.result(i - uint32_t(begin));
      S.chipLength[c] = std::max(
          S.chipLength[c],
          r.cycle + int64_t(m.busyCycles(scheduler.inst(i - uint32_t(begin)))));
    }
    for (uint32_t c = 0; c < chips; ++c)
      if (S.chipLength[c] > 0)
        S.floors[c] = std::max(S.floors[c], S.chipLength[c] - S.floorLag);
    S.table.forgetStreamsBefore(S.floors);
    S.table.shrinkStreams();
  }
  return success();
}

const std::vector<int64_t> &WindowScheduler::floors() const {
  return s_->floors;
}

void WindowScheduler::finish() {
  State &S = *s_;
  Builder b(S.module.getContext());
  S.module->setAttr(kCyclesAttrName, b.getI64IntegerAttr(S.length));

  // The critical path by (stage, unit), in order of first appearance: a
  // bundle counts for the most specialised unit among its instructions, a
  // wait for the stage of the bundle that waited.
  std::vector<sched::Scheduler::PathSegment> path;
  if (!S.placed.empty())
    path = sched::Scheduler::criticalPath(S.traces, S.lastBundle, S.length);
  std::vector<std::pair<std::string, std::string>> keys;
  std::map<std::pair<std::string, std::string>, int64_t> cycles;
  for (size_t k = 0; k < path.size(); ++k) {
    const sched::Scheduler::PathSegment &seg = path[k];
    if (seg.end <= seg.begin)
      continue;
    int bundle = seg.bundle;
    for (size_t j = k; bundle < 0 && j < path.size(); ++j)
      bundle = path[j].bundle;
    if (bundle < 0)
      continue;
    std::string unit = rankName(S.bundleRank[size_t(bundle)]);
    // A transfer that waits (for a link another vector holds, or for the
    // queue of its link) counts as communication.
    if (seg.bundle < 0 && unit != "c2c")
      unit = "wait";
    std::pair<std::string, std::string> key{
        stageOf(Location(S.bundleLoc[size_t(bundle)])), unit};
    auto [it, inserted] = cycles.insert({key, 0});
    if (inserted)
      keys.push_back(key);
    it->second += seg.end - seg.begin;
  }
  SmallVector<Attribute> parts;
  for (const auto &key : keys)
    parts.push_back(
        b.getArrayAttr({b.getStringAttr(key.first), b.getStringAttr(key.second),
                        b.getI64IntegerAttr(cycles[key])}));
  S.module->setAttr(kCriticalPathAttrName, b.getArrayAttr(parts));
}

} // namespace lpuc::sched

void LpuhwSchedulePass::runOnOperation() {
  ModuleOp module = getOperation();
  FailureOr<std::unique_ptr<isa::Machine>> machineOr = getMachine(module);
  if (failed(machineOr))
    return signalPassFailure();
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal()) {
    module.emitError() << "lpuhw-schedule: no func.func @main with a body";
    return signalPassFailure();
  }
  if (!main.getBody().hasOneBlock()) {
    main.emitError() << "lpuhw-schedule: @main must have a single block";
    return signalPassFailure();
  }

  std::vector<Operation *> ops;
  for (Operation &op : main.getBody().front()) {
    if (isInstruction(&op)) {
      ops.push_back(&op);
      continue;
    }
    if (llvm::isa<func::ReturnOp>(op) && op.getNumOperands() == 0)
      continue;
    op.emitError() << "lpuhw-schedule: not an lpuhw instruction";
    return signalPassFailure();
  }
  if (floorLag < 0) {
    module.emitError() << "lpuhw-schedule: floor-lag must be at least 0, got "
                       << int64_t(floorLag);
    return signalPassFailure();
  }
  sched::WindowScheduler scheduler(module, **machineOr, horizon, floorLag);
  if (failed(scheduler.init()))
    return signalPassFailure();
  Block &body = main.getBody().front();
  for (size_t begin = 0; begin < ops.size();) {
    // The window: at least `window` instructions (all if window <= 0), ended
    // at the first instruction that no stream value of the window reaches
    // (every user of every result so far comes before it).
    size_t end = ops.size();
    if (window > 0 && ops.size() - begin > size_t(window)) {
      Operation *frontier = nullptr;
      for (size_t i = begin; i < ops.size(); ++i) {
        if (i - begin >= size_t(window) &&
            (!frontier || frontier->isBeforeInBlock(ops[i]))) {
          end = i;
          break;
        }
        for (Operation *u : ops[i]->getUsers()) {
          if (u->getBlock() != &body) {
            i = ops.size(); // never cut: schedule the rest at once
            break;
          }
          if (!frontier || frontier->isBeforeInBlock(u))
            frontier = u;
        }
      }
    }
    if (failed(scheduler.schedule(ArrayRef(ops).slice(begin, end - begin))))
      return signalPassFailure();
    begin = end;
  }
  scheduler.finish();
}
