//===- ScheduleInfo.cpp - A scheduled lpuhw module as instructions --------===//
#include "passes/verify/ScheduleInfo.h"

#include "dialects/lpuhw/LpuhwDialect.h"
#include "dialects/lpuhw/LpuhwOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>

using namespace mlir;

namespace lpuc::verify {

bool isInstruction(Operation *op) {
  return mlir::isa<lpuhw::MemReadOp, lpuhw::MemWriteOp, lpuhw::MxmLoadOp,
                   lpuhw::MxmInstallOp, lpuhw::MxmMulOp, lpuhw::VxmOp,
                   lpuhw::SxmPermuteOp, lpuhw::SxmShiftOp, lpuhw::SxmRotateOp,
                   lpuhw::SxmTransposeOp, lpuhw::C2cSendOp, lpuhw::C2cRecvOp>(
      op);
}

uint32_t chipCount(ModuleOp module) {
  if (auto n = module->getAttrOfType<IntegerAttr>(kChipsAttrName))
    return uint32_t(std::max<int64_t>(1, n.getInt()));
  return 1;
}

namespace {

static_assert(sizeof(SchedInst) == 80,
              "SchedInst's size is documented (ScheduleInfo.h)");

/// Builds one SchedInst; emits at the op and returns failure on a missing or
/// out-of-range attribute.
class Builder {
public:
  Builder(const isa::Machine &m, uint32_t chips) : m_(m), chips_(chips) {}

  LogicalResult build(Operation *op, SchedInst &s) {
    s.loc = op->getLoc();
    s.numResults = uint8_t(op->getNumResults());
    if (auto chip = op->getAttrOfType<IntegerAttr>("chip")) {
      if (chip.getInt() < 0 || chip.getInt() >= int64_t(chips_))
        return op->emitError()
               << "chip " << chip.getInt() << " out of range (the program has "
               << chips_ << " chips)";
      s.chip = uint32_t(chip.getInt());
    }
    auto cycle = op->getAttrOfType<IntegerAttr>("cycle");
    if (!cycle)
      return op->emitError() << "instruction has no `cycle`: run "
                                "lpuhw-schedule first";
    if (cycle.getInt() < 0)
      return op->emitError() << "cycle " << cycle.getInt() << " is negative";
    if (cycle.getInt() > INT32_MAX)
      return op->emitError() << "cycle " << cycle.getInt()
                             << " is beyond the schedule checker's range "
                                "(below 2^31)";
    s.cycle = int32_t(cycle.getInt());
    if (op->getNumResults() > 0 && !llvm::isa<lpuhw::C2cSendOp>(op)) {
      auto stream = op->getAttrOfType<IntegerAttr>("stream");
      if (!stream)
        return op->emitError()
               << "instruction with results has no `stream` attribute";
      int64_t first = stream.getInt();
      unsigned w = op->getNumResults();
      if (first < 0 || first >= 2 * int64_t(m_.streamsPerDirection()) ||
          !m_.validGroup(uint8_t(first), w))
        return op->emitError()
               << "results on streams " << first << ".." << first + w - 1
               << " are not " << w << " consecutive streams of one direction ("
               << "0.." << m_.streamsPerDirection() - 1 << " east, "
               << m_.streamsPerDirection() << ".."
               << 2 * m_.streamsPerDirection() - 1 << " west)";
      s.stream = int16_t(first);
      s.inst.out = uint8_t(s.stream);
    }
    LogicalResult r =
        llvm::TypeSwitch<Operation *, LogicalResult>(op)
            .Case([&](lpuhw::MemReadOp o) -> LogicalResult {
              s.inst.op = isa::Opcode::MemRead;
              return mem(o, o.getSlice(), o.getBank(), o.getRow(), s);
            })
            .Case([&](lpuhw::MemWriteOp o) -> LogicalResult {
              s.inst.op = isa::Opcode::MemWrite;
              s.groups.push_back({0, 1, 1});
              return mem(o, o.getSlice(), o.getBank(), o.getRow(), s);
            })
            .Case([&](lpuhw::MxmLoadOp o) -> LogicalResult {
              s.inst.op = isa::Opcode::MxmLoad;
              s.inst.dtype = lpuhw::toIsaType(o.getDtype());
              s.inst.a = o.getRows();
              if (o.getRows() > m_.lanes())
                return o.emitError()
                       << "tile of " << o.getRows() << " rows exceeds the "
                       << m_.lanes() << " lanes of a plane";
              unsigned n = o.getTile().size();
              s.groups.push_back(
                  {0, n, std::min(n, m_.target().mxm_weight_streams())});
              return plane(o, o.getPlane(), s.inst.dtype, true, s);
            })
            .Case([&](lpuhw::MxmInstallOp o) -> LogicalResult {
              s.inst.op = isa::Opcode::MxmInstall;
              return plane(o, o.getPlane(), isa::DType::I8, false, s);
            })
            .Case([&](lpuhw::MxmMulOp o) -> LogicalResult {
              s.inst.op = isa::Opcode::MxmMul;
              s.inst.dtype = lpuhw::toIsaType(o.getDtype());
              s.inst.a = o.getAccRow();
              s.inst.flags = (o.getAccumulate() ? isa::kAccumulate : 0) |
                             (o.getEmit() ? isa::kEmit : 0);
              if (o.getAccRow() >= m_.target().mxm_accumulator_rows())
                return o.emitError()
                       << "accumulator row " << o.getAccRow()
                       << " out of range (plane has "
                       << m_.target().mxm_accumulator_rows() << ")";
              unsigned n = o.getAct().size();
              s.groups.push_back({0, n, n});
              return plane(o, o.getPlane(), s.inst.dtype, false, s);
            })
            .Case([&](lpuhw::VxmOp o) -> LogicalResult {
              s.inst.op = isa::Opcode::Vxm;
              isa::AluOp fn = isa::AluOp::Add;
              isa::parseAluOp(o.getFn().str(), fn); // the op verifier checked
              s.inst.fn = uint8_t(fn);
              s.inst.dtype = lpuhw::toIsaType(o.getDtype());
              s.inst.imm = o.getImm().convertToFloat();
              if (fn == isa::AluOp::Cast && o.getToDtype())
                s.inst.b = uint32_t(lpuhw::toIsaType(*o.getToDtype()));
              unsigned w = isa::widthBytes(s.inst.dtype);
              for (unsigned g = 0; g < isa::aluOperandCount(fn); ++g)
                s.groups.push_back({g * w, w, w});
              auto alu = o.getAluAttr();
              if (!alu)
                return o.emitError() << "vxm has no `alu`: run lpuhw-schedule";
              if (alu.getInt() < 0 || alu.getInt() >= m_.target().vxm_alus())
                return o.emitError()
                       << "ALU " << alu.getInt() << " out of range (VXM has "
                       << m_.target().vxm_alus() << " ALUs)";
              s.index = uint16_t(alu.getInt());
              s.queue = uint16_t(m_.vxmQueue(s.index));
              return success();
            })
            .Case([&](lpuhw::SxmPermuteOp o) -> LogicalResult {
              s.inst.op = isa::Opcode::SxmPermute;
              s.inst.dtype = lpuhw::toIsaType(o.getDtype());
              unsigned w = isa::widthBytes(s.inst.dtype);
              s.groups.push_back({0, w, w});
              if (o.getHasBase())
                s.groups.push_back({w, w, w});
              ArrayRef<int32_t> laneMap = o.getMap();
              if (laneMap.size() != m_.lanes())
                return o.emitError()
                       << "lane map has " << laneMap.size()
                       << " entries, the target has " << m_.lanes() << " lanes";
              for (int32_t e : laneMap)
                if (e >= int32_t(m_.lanes()))
                  return o.emitError()
                         << "lane map entry " << e
                         << " is not a lane (target has " << m_.lanes() << ")";
              return sxmUnit(o, o.getUnitAttr(), s);
            })
            .Case<lpuhw::SxmShiftOp, lpuhw::SxmRotateOp>(
                [&](auto o) -> LogicalResult {
                  s.inst.op = mlir::isa<lpuhw::SxmShiftOp>(o)
                                  ? isa::Opcode::SxmShift
                                  : isa::Opcode::SxmRotate;
                  s.inst.dtype = lpuhw::toIsaType(o.getDtype());
                  s.inst.a = o.getAmount();
                  s.inst.flags =
                      o.getDirection() == "down" ? isa::kShiftDown : 0;
                  unsigned w = isa::widthBytes(s.inst.dtype);
                  s.groups.push_back({0, w, w});
                  return sxmUnit(o, o.getUnitAttr(), s);
                })
            .Case([&](lpuhw::SxmTransposeOp o) -> LogicalResult {
              s.inst.op = isa::Opcode::SxmTranspose;
              unsigned n = isa::kTransposeStreams;
              if (m_.lanes() % n != 0)
                return o.emitError()
                       << "transpose needs the lane count to be a multiple "
                          "of "
                       << n << " (target has " << m_.lanes() << ")";
              s.groups.push_back({0, n, n});
              return sxmUnit(o, o.getUnitAttr(), s);
            })
            .Case([&](lpuhw::C2cSendOp o) -> LogicalResult {
              s.inst.op = isa::Opcode::C2cSend;
              s.inst.a = o.getTo();
              if (o.getTo() >= chips_)
                return o.emitError()
                       << "sends to chip " << o.getTo() << " of a program of "
                       << chips_ << " chips";
              s.groups.push_back({0, 1, 1});
              return link(o, o.getLinkAttr(), s);
            })
            .Case([&](lpuhw::C2cRecvOp o) -> LogicalResult {
              s.inst.op = isa::Opcode::C2cRecv;
              auto send =
                  o.getVector().template getDefiningOp<lpuhw::C2cSendOp>();
              s.inst.a = send ? send.getChip().value_or(0) : 0;
              return link(o, o.getLinkAttr(), s);
            })
            .Default([&](Operation *o) -> LogicalResult {
              return o->emitError() << "not an lpuhw instruction";
            });
    if (failed(r))
      return failure();
    s.position = int16_t(m_.queue(s.queue).position);
    return success();
  }

private:
  LogicalResult mem(Operation *op, uint32_t slice, uint32_t bank, uint32_t row,
                    SchedInst &s) {
    if (slice >= m_.memSlices())
      return op->emitError()
             << "slice " << slice << " out of range (target has "
             << m_.memSlices() << " MEM slices)";
    s.index = uint16_t(slice);
    s.queue = uint16_t(m_.memQueue(slice));
    std::string q = m_.queueName(s.queue);
    if (bank >= m_.banks())
      return op->emitError()
             << q << " at cycle " << s.cycle << ": bank " << bank
             << " out of range (slice has " << m_.banks() << " banks)";
    if (row >= m_.rowsPerBank())
      return op->emitError()
             << q << " at cycle " << s.cycle << ": row " << row
             << " out of range (bank has " << m_.rowsPerBank() << " rows)";
    s.inst.a = bank;
    s.inst.b = row;
    return success();
  }

  LogicalResult sxmUnit(Operation *op, IntegerAttr unit, SchedInst &s) {
    uint32_t units = 2 * m_.target().sxm_units_per_hemisphere();
    if (!unit)
      return op->emitError() << op->getName().stripDialect()
                             << " has no `unit`: run lpuhw-schedule";
    if (unit.getInt() < 0 || unit.getInt() >= int64_t(units))
      return op->emitError() << "SXM unit " << unit.getInt()
                             << " out of range (target has " << units << ")";
    s.index = uint16_t(unit.getInt());
    s.queue = uint16_t(m_.sxmQueue(s.index));
    return success();
  }

  LogicalResult plane(Operation *op, uint32_t plane, isa::DType dtype,
                      bool weights, SchedInst &s) {
    uint32_t planes = m_.target().mxm_planes();
    if (plane >= planes)
      return op->emitError() << "MXM plane " << plane
                             << " out of range (target has " << planes << ")";
    if (m_.mxmPlanesFor(dtype) == 2 && plane % 2 != 0)
      return op->emitError() << "a " << isa::dtypeName(dtype)
                             << " tile uses a plane pair: name the even plane, "
                                "not "
                             << plane;
    s.index = uint16_t(plane);
    s.queue =
        uint16_t(weights ? m_.mxmLoadQueue(plane) : m_.mxmMulQueue(plane));
    return success();
  }

  LogicalResult link(Operation *op, IntegerAttr link, SchedInst &s) {
    if (!link)
      return op->emitError() << op->getName().stripDialect()
                             << " has no `link`: run lpuhw-schedule";
    if (link.getInt() < 0 || link.getInt() >= int64_t(m_.target().c2c_links()))
      return op->emitError()
             << "C2C link " << link.getInt() << " out of range (target has "
             << m_.target().c2c_links() << ")";
    s.index = uint16_t(link.getInt());
    s.queue = uint16_t(m_.c2cQueue(s.index));
    return success();
  }

  const isa::Machine &m_;
  uint32_t chips_;
};

} // namespace

LogicalResult appendInstructions(ArrayRef<Operation *> ops,
                                 const isa::Machine &machine, uint32_t chips,
                                 InstructionList &out) {
  // SchedInst keeps queues, indices and positions in 16 bits.
  int maxPosition = 0;
  for (uint32_t q = 0; q < machine.numQueues(); ++q)
    maxPosition = std::max(maxPosition, std::abs(machine.queue(q).position));
  if (!ops.empty() &&
      (machine.numQueues() > UINT16_MAX || maxPosition > INT16_MAX ||
       machine.memSlices() > UINT16_MAX ||
       machine.target().c2c_links() > UINT16_MAX))
    return ops.front()->emitError()
           << "target " << machine.target().name()
           << " is too large for the schedule checker (more than 65,535 "
              "queues, slices or links, or positions beyond 32,767)";
  Builder builder(machine, chips);
  bool ok = true;
  const size_t base = out.insts.size();
  size_t operands = 0;
  for (Operation *op : ops)
    operands += op->getNumOperands();
  // Sized once, so the instructions' views into it stay valid.
  std::vector<OperandSource> &pool = out.pools.emplace_back();
  pool.reserve(operands);
  // Instruction index by op: (op, index) sorted by op, searched (half the
  // bytes of a hash map of this size).
  std::vector<std::pair<Operation *, int>> index;
  index.reserve(ops.size());
  for (Operation *op : ops) {
    SchedInst s;
    if (failed(builder.build(op, s)))
      ok = false;
    index.emplace_back(op, int(out.base + out.insts.size()));
    if (auto permute = dyn_cast<lpuhw::SxmPermuteOp>(op))
      out.laneMaps[uint32_t(out.base + out.insts.size())] =
          permute.getMapAttr();
    out.insts.push_back(s);
  }
  if (!ok)
    return failure();
  llvm::sort(index, llvm::less_first());
  auto indexOf = [&](Operation *op) -> int {
    auto it = llvm::lower_bound(
        index, op, [](const std::pair<Operation *, int> &e, Operation *o) {
          return std::less<Operation *>()(e.first, o);
        });
    return it != index.end() && it->first == op ? it->second : -1;
  };
  // Producers of operands and the in0/in1/in2 streams (in2: vxm select).
  for (auto [k, op] : llvm::enumerate(ops)) {
    SchedInst &s = out.insts[base + k];
    size_t begin = pool.size();
    for (auto [i, v] : llvm::enumerate(op->getOperands())) {
      OperandSource src;
      if (auto res = dyn_cast<OpResult>(v)) {
        int p = indexOf(res.getOwner());
        if (p >= 0) {
          src.producer = p;
          src.result = res.getResultNumber();
        }
      }
      if (src.producer < 0) {
        op->emitError() << "operand " << i
                        << " is not the result of an lpuhw instruction";
        ok = false;
      }
      pool.push_back(src);
    }
    if (pool.size() - begin > UINT16_MAX) {
      op->emitError() << "has " << pool.size() - begin << " operands (at most "
                      << UINT16_MAX << ")";
      ok = false;
      continue;
    }
    s.operandData = pool.data() + begin;
    s.numOperands = uint16_t(pool.size() - begin);
    for (auto [g, group] : llvm::enumerate(s.groups)) {
      if (group.count == 0 || group.first >= s.operands().size())
        continue;
      const OperandSource &src = s.operands()[group.first];
      if (src.producer < 0)
        continue;
      int64_t st = out.at(size_t(src.producer)).stream + src.result;
      (g == 0 ? s.inst.in0 : g == 1 ? s.inst.in1 : s.inst.in2) = uint8_t(st);
    }
  }
  return success(ok);
}

LogicalResult collectInstructions(ModuleOp module, const isa::Machine &machine,
                                  InstructionList &out) {
  out.clear();
  std::vector<Operation *> ops;
  module.walk([&](Operation *op) {
    if (isInstruction(op))
      ops.push_back(op);
  });
  return appendInstructions(ops, machine, chipCount(module), out);
}

int64_t programCycles(const ChunkedVector<SchedInst> &insts,
                      const isa::Machine &machine) {
  int64_t end = 0;
  for (const SchedInst &s : insts)
    end = std::max(end, s.cycle + int64_t(machine.busyCycles(s.inst)));
  return end;
}

} // namespace lpuc::verify
