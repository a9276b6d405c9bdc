//===- Emit.cpp - Scheduled lpuhw module to .lpubin -----------------------===//
//
// Per queue, the instructions sorted by cycle with NOPs in the gaps (so that
// the emulator issues each at its scheduled cycle); stream ids from the
// `stream` attributes; tags shared by all producers that feed one consumer
// input group; SXM lane maps deduplicated; weights packed in plane-row order.
// Everything is iterated in program or index order: the bytes depend only on
// the module. See docs/passes/emit.md.
//
//===----------------------------------------------------------------------===//
#include "compiler/target/lpubin/Emit.h"

#include "compiler/support/MappedPages.h"
#include "dialects/lpuhw/LpuhwDialect.h"
#include "dialects/lpuhw/LpuhwOps.h"
#include "passes/layout/LayoutUtils.h"
#include "passes/schedule/Passes.h"
#include "passes/verify/Passes.h"
#include "passes/verify/ScheduleInfo.h"
#include "runtime/isa/Layout.h"
#include "runtime/isa/Machine.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cstring>
#include <map>

using namespace mlir;

namespace lpuc {
namespace {

constexpr const char *kCompilerName = "lpuc 0.1";

llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// One queue's emitted instructions (NOPs and repeats included) with their
/// issue cycles (kept for printAsm only), and while it is encoded the
/// instructions it issues (repeats expanded).
struct QueueProgram {
  std::vector<int64_t> cycles;
  std::vector<isa::Instruction> insts;
  std::vector<isa::Instruction> issued;
  /// Busy cycles of the issued instructions (kept once `issued` is freed).
  uint64_t busy = 0;
};

/// Whether `b` is `a` issued again by a repeat: every field equal except the
/// row address(es) (MEM only), the tag and the expected tags.
bool repeatable(const isa::Instruction &a, const isa::Instruction &b) {
  using isa::Opcode;
  if (a.op != b.op || a.op == Opcode::Nop || a.op == Opcode::Repeat ||
      a.op == Opcode::Sync || a.op == Opcode::Notify)
    return false;
  bool mem = a.op == Opcode::MemRead || a.op == Opcode::MemWrite ||
             a.op == Opcode::MemReadWrite;
  uint32_t aImm, bImm;
  std::memcpy(&aImm, &a.imm, 4);
  std::memcpy(&bImm, &b.imm, 4);
  return a.dtype == b.dtype && a.fn == b.fn && a.flags == b.flags &&
         a.in0 == b.in0 && a.in1 == b.in1 && a.out == b.out && a.in2 == b.in2 &&
         a.a == b.a && aImm == bImm && (mem || a.b == b.b) &&
         (a.op == Opcode::MemReadWrite ? b.c - a.c == b.b - a.b : a.c == b.c);
}

/// The repeat that turns `a` into `b` one interval later (a = 1, c = 0).
isa::Instruction repeatStep(const isa::Instruction &a,
                            const isa::Instruction &b) {
  isa::Instruction r;
  r.op = isa::Opcode::Repeat;
  r.a = 1;
  r.b = b.b - a.b; // mod 2^32, as the emulator adds it
  r.tag = b.tag - a.tag;
  r.expect0 = b.expect0 - a.expect0;
  r.expect1 = b.expect1 - a.expect1;
  r.expect2 = b.expect2 - a.expect2;
  return r;
}

/// The instruction stream of one queue from the instructions it issues
/// (sorted by cycle, not overlapping): NOPs in the gaps, and each run of at
/// least kMinRepeatRun instructions that differ only by constant steps of
/// row, tag and expected tags, issued at a constant interval, as the first
/// one and `repeat n-1` (instructions live in SRAM: this is what keeps a
/// matmul's tile loads and row loops small).
constexpr size_t kMinRepeatRun = 3;
LogicalResult
encodeQueue(const std::vector<std::pair<int64_t, LocationAttr>> &at,
            const isa::Machine &machine, uint32_t q, QueueProgram &out) {
  const std::vector<isa::Instruction> &real = out.issued;
  int64_t freeAt = 0; // cycle at which the queue can issue next
  auto push = [&](int64_t cycle, const isa::Instruction &inst) {
    out.cycles.push_back(cycle);
    out.insts.push_back(inst);
  };
  auto pad = [&](int64_t cycle, LocationAttr loc) -> LogicalResult {
    int64_t gap = cycle - freeAt;
    if (gap < 0)
      return emitError(loc)
             << "internal: " << machine.queueName(q) << " at cycle " << cycle
             << ": the queue is busy until cycle " << freeAt
             << " (schedule not verified?)";
    if (gap > int64_t(UINT32_MAX))
      return emitError(loc) << "gap of " << gap << " cycles on "
                            << machine.queueName(q) << " exceeds one nop";
    if (gap > 0) {
      isa::Instruction nop;
      nop.op = isa::Opcode::Nop;
      nop.a = uint32_t(gap);
      push(freeAt, nop);
    }
    return success();
  };
  for (size_t i = 0; i < real.size();) {
    int64_t t0 = at[i].first;
    uint32_t busy = machine.queueCycles(real[i]);
    // The longest run from i with one interval and one step.
    size_t j = i + 1;
    int64_t interval = 0;
    isa::Instruction step;
    if (j < real.size() && repeatable(real[i], real[j]) &&
        at[j].first - t0 >= int64_t(busy) &&
        at[j].first - t0 <= int64_t(UINT32_MAX)) {
      interval = at[j].first - t0;
      step = repeatStep(real[i], real[j]);
      for (++j; j < real.size(); ++j) {
        isa::Instruction s = repeatStep(real[j - 1], real[j]);
        if (!repeatable(real[j - 1], real[j]) ||
            at[j].first - at[j - 1].first != interval || s.b != step.b ||
            s.tag != step.tag || s.expect0 != step.expect0 ||
            s.expect1 != step.expect1 || s.expect2 != step.expect2)
          break;
      }
    }
    // The queue is free one interval after the last repetition: the next
    // instruction must not come sooner.
    size_t n = j - i;
    while (n >= kMinRepeatRun && i + n < real.size() &&
           at[i + n].first < t0 + int64_t(n) * interval)
      --n;
    if (failed(pad(t0, at[i].second)))
      return failure();
    push(t0, real[i]);
    if (n < kMinRepeatRun) {
      freeAt = t0 + busy;
      ++i;
      continue;
    }
    freeAt = t0 + busy;
    if (failed(pad(t0 + interval, at[i].second)))
      return failure();
    step.a = uint32_t(n - 1);
    step.c = uint32_t(interval);
    push(t0 + interval, step);
    freeAt = t0 + int64_t(n) * interval;
    i += n;
  }
  return success();
}

/// The instructions of one chip, ready to encode.
struct Program {
  uint32_t chips = 1;
  /// Indexed by chip * numQueues + queue.
  std::vector<QueueProgram> queues;
  /// Per chip.
  std::vector<std::vector<std::vector<int32_t>>> laneMaps;
  verify::InstructionList list;
  /// MEM read/write pairs issued as one mem.read_write.
  uint64_t merged = 0;
};

/// Tags: producers linked by a consumer's input group form one component;
/// components are numbered from 1 in program order of their first producer.
/// (A union-find over program indices: 4 bytes per instruction.)
std::vector<uint32_t>
assignTags(const verify::ChunkedVector<verify::SchedInst> &insts) {
  std::vector<uint32_t> parent(insts.size());
  for (size_t i = 0; i < parent.size(); ++i)
    parent[i] = uint32_t(i);
  auto find = [&](uint32_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  for (const verify::SchedInst &s : insts)
    for (const verify::InputGroup &g : s.groups)
      for (unsigned j = 1; j < g.count; ++j) {
        uint32_t a = find(uint32_t(s.operands()[g.first].producer));
        uint32_t b = find(uint32_t(s.operands()[g.first + j].producer));
        if (a != b)
          parent[std::max(a, b)] = std::min(a, b);
      }
  // Roots are the lowest index of their component, so numbering roots in
  // program order numbers components by their first producer.
  std::vector<uint32_t> tag(insts.size(), 0);
  uint32_t next = 1;
  for (size_t i = 0; i < insts.size(); ++i) {
    if (insts[i].stream < 0)
      continue;
    uint32_t r = find(uint32_t(i));
    if (tag[r] == 0)
      tag[r] = next++;
    tag[i] = tag[r];
  }
  return tag;
}

/// The queues of `prog` from its instructions (prog.list) in a program of
/// `chips` chips. `keepCycles`: keep each emitted instruction's issue cycle
/// (printAsm).
LogicalResult buildProgram(uint32_t chips, const isa::Machine &machine,
                           Program &prog, bool keepCycles = false) {
  verify::ChunkedVector<verify::SchedInst> &sched = prog.list.insts;
  std::vector<uint32_t> tags = assignTags(sched);
  prog.chips = chips;
  prog.laneMaps.assign(prog.chips, {});
  std::vector<std::map<std::vector<int32_t>, uint32_t>> mapIndex(prog.chips);
  for (auto [i, s] : llvm::enumerate(sched)) {
    if (s.inst.op == isa::Opcode::SxmPermute) {
      ArrayRef<int32_t> laneMap = prog.list.laneMap(i);
      std::vector<int32_t> map(laneMap.begin(), laneMap.end());
      auto &maps = prog.laneMaps[s.chip];
      auto [it, inserted] =
          mapIndex[s.chip].insert({map, uint32_t(maps.size())});
      if (inserted)
        maps.push_back(std::move(map));
      s.inst.a = it->second;
    }
  }
  // The tag an instruction's input group g expects: its first producer's.
  auto expect = [&](const verify::SchedInst &s, unsigned g) -> uint32_t {
    if (g >= s.groups.size() || s.groups[g].count == 0)
      return 0;
    return tags[s.operands()[s.groups[g].first].producer];
  };
  // Instruction i as issued: with its tag and the tags it expects.
  auto issued = [&](size_t i) {
    const verify::SchedInst &s = sched[i];
    isa::Instruction inst = s.inst;
    inst.tag = tags[i];
    inst.expect0 = expect(s, 0);
    inst.expect1 = expect(s, 1);
    inst.expect2 = expect(s, 2);
    // A receive expects the tag its vector had when it was sent.
    if (inst.op == isa::Opcode::C2cRecv)
      inst.expect0 = expect(sched[s.operands()[0].producer], 0);
    return inst;
  };

  const uint32_t nq = machine.numQueues();
  std::vector<std::vector<int>> byQueue(size_t(nq) * prog.chips);
  for (auto [i, s] : llvm::enumerate(sched))
    byQueue[size_t(s.chip) * nq + s.queue].push_back(int(i));
  prog.queues.assign(size_t(nq) * prog.chips, {});
  for (auto [q, list] : llvm::enumerate(byQueue)) {
    std::sort(list.begin(), list.end(), [&](int a, int b) {
      return std::make_pair(sched[a].cycle, a) <
             std::make_pair(sched[b].cycle, b);
    });
    QueueProgram &out = prog.queues[q];
    std::vector<std::pair<int64_t, LocationAttr>> at;
    for (size_t k = 0; k < list.size(); ++k) {
      const verify::SchedInst &s = sched[list[k]];
      isa::Instruction inst = issued(list[k]);
      // A read and a write of one slice in one cycle issue as one
      // mem.read_write (the verifier has checked their banks differ).
      if (k + 1 < list.size() && sched[list[k + 1]].cycle == s.cycle) {
        int rd = -1, wr = -1;
        for (int x : {list[k], list[k + 1]}) {
          if (sched[x].inst.op == isa::Opcode::MemRead)
            rd = x;
          else if (sched[x].inst.op == isa::Opcode::MemWrite)
            wr = x;
        }
        if (rd >= 0 && wr >= 0) {
          const isa::Instruction w = issued(size_t(wr));
          inst = issued(size_t(rd));
          inst.op = isa::Opcode::MemReadWrite;
          inst.in0 = w.in0;
          inst.expect0 = w.expect0;
          inst.fn = uint8_t(w.a);
          inst.c = w.b;
          ++k;
          ++prog.merged;
        }
      }
      at.push_back({s.cycle, s.loc});
      out.issued.push_back(inst);
    }
    if (failed(encodeQueue(at, machine, uint32_t(q % nq), out)))
      return failure();
    for (const isa::Instruction &inst : out.issued)
      out.busy += machine.queueCycles(inst);
    // Only the encoded stream (and, for printAsm, its cycles) is used later.
    std::vector<isa::Instruction>().swap(out.issued);
    if (!keepCycles)
      std::vector<int64_t>().swap(out.cycles);
  }
  return success();
}

/// The segment producer of a weight: its plane-rows, packed from the
/// value's bytes when the file is written (the bytes of a weight in a
/// mapped file are given back once packed). Checks the value's size now.
llvm::Expected<std::function<void(std::vector<uint8_t> &)>>
weightFill(lpuhw::TensorOp t, ElementsAttr value, const isa::TensorLayout &l) {
  size_t width = l.width();
  int64_t n = 1;
  for (int64_t d : t.getShape())
    n *= d;
  size_t want = size_t(n) * width;
  bool splat = false;
  size_t have = 0;
  if (auto res = dyn_cast<DenseResourceElementsAttr>(value)) {
    const AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return makeError("weight @" + t.getSymName() + ": resource '" +
                       res.getRawHandle().getKey() + "' has no data");
    have = blob->getData().size();
  } else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    have = dense.getRawData().size();
    splat = dense.isSplat() && have == width;
  } else {
    return makeError("weight @" + t.getSymName() +
                     ": value is neither dense nor dense_resource");
  }
  if (!splat && have != want)
    return makeError("weight @" + t.getSymName() + ": " + llvm::Twine(have) +
                     " bytes of data, expected " + llvm::Twine(want));
  return [value, l, splat, n, width](std::vector<uint8_t> &out) {
    ArrayRef<char> data;
    if (auto res = dyn_cast<DenseResourceElementsAttr>(value))
      data = res.getRawHandle().getBlob()->getData();
    else
      data = cast<DenseElementsAttr>(value).getRawData();
    if (splat) {
      std::vector<uint8_t> elems(size_t(n) * width);
      for (int64_t e = 0; e < n; ++e)
        std::memcpy(elems.data() + size_t(e) * width, data.data(), width);
      out = isa::packPlaneRows(l, elems.data());
      return;
    }
    out = isa::packPlaneRows(l, reinterpret_cast<const uint8_t *>(data.data()));
    releaseMappedPages(data);
  };
}

uint32_t chipOf(lpuhw::TensorOp t) { return t.getChip().value_or(0); }

void fillTensorInfo(lpuhw::TensorOp t, const isa::TensorLayout &l,
                    schema::TensorInfo &info) {
  info.set_name(t.getOnnxName() ? t.getOnnxName()->str()
                                : t.getSymName().str());
  info.set_dtype(schema::DType(int(l.dtype)));
  if (std::optional<Type> host = t.getHostDtype()) {
    schema::DType d = schema::DTYPE_INVALID;
    if (host->isInteger(1))
      d = schema::DTYPE_BOOL;
    else if (host->isInteger(64))
      d = schema::DTYPE_I64;
    else if (host->isInteger(32))
      d = schema::DTYPE_I32;
    else if (host->isInteger(8))
      d = schema::DTYPE_I8;
    info.set_host_dtype(d);
  }
  for (int64_t d : l.shape)
    info.add_shape(d);
  schema::TensorPlacement *p = info.mutable_placement();
  p->set_chip(chipOf(t));
  for (uint32_t s : l.slices)
    p->add_slices(s);
  p->set_bank(l.bank);
  p->set_base_row(l.baseRow);
}

} // namespace

llvm::Expected<std::vector<uint8_t>> emitLpubin(ModuleOp module,
                                                const EmitOptions &opts) {
  FailureOr<std::unique_ptr<isa::Machine>> machinePtr =
      lpuhw::getMachine(module);
  if (failed(machinePtr))
    return makeError("cannot load the module's target (see diagnostics)");
  const isa::Machine &machine = **machinePtr;
  if (opts.verify && failed(verify::verifySchedule(module, machine)))
    return makeError("the schedule does not verify (see diagnostics)");
  verify::InstructionList list;
  if (failed(verify::collectInstructions(module, machine, list)))
    return makeError("cannot build the instruction streams (see diagnostics)");
  return emitLpubin(module, opts, std::move(list));
}

llvm::Expected<std::vector<uint8_t>>
emitLpubin(ModuleOp module, const EmitOptions &opts,
           verify::InstructionList &&insts) {
  llvm::Expected<LpubinImage> image =
      buildLpubin(module, opts, std::move(insts));
  if (!image)
    return image.takeError();
  std::vector<uint8_t> bytes;
  absl::Status st = image->write([&](const uint8_t *data, size_t size) {
    bytes.insert(bytes.end(), data, data + size);
    return true;
  });
  if (!st.ok())
    return makeError(std::string(st.message()));
  return bytes;
}

absl::Status LpubinImage::write(const format::ByteSink &sink, uint64_t *size) {
  return format::writeLpubinStreamed(manifest, segments, sink, size);
}

llvm::Expected<LpubinImage> buildLpubin(ModuleOp module,
                                        const EmitOptions &opts,
                                        verify::InstructionList &&insts) {
  FailureOr<std::unique_ptr<isa::Machine>> machinePtr =
      lpuhw::getMachine(module);
  if (failed(machinePtr))
    return makeError("cannot load the module's target (see diagnostics)");
  const isa::Machine &machine = **machinePtr;
  Program prog;
  prog.list = std::move(insts);
  if (failed(buildProgram(verify::chipCount(module), machine, prog)))
    return makeError("cannot build the instruction streams (see diagnostics)");

  LpubinImage image;
  schema::Manifest &m = image.manifest;
  *m.mutable_target() = machine.target();
  m.set_chip_count(prog.chips);
  m.set_precision(opts.precision);
  m.set_model_name(llvm::sys::path::filename(opts.modelName).str());
  m.set_compiler(kCompilerName);

  std::vector<std::string> frozen = opts.frozenInputs;
  if (auto attr = module->getAttrOfType<ArrayAttr>(kFrozenInputsAttrName))
    for (Attribute a : attr)
      if (auto s = dyn_cast<StringAttr>(a))
        frozen.push_back(s.str());
  std::vector<std::string> seen;
  for (const std::string &f : frozen)
    if (std::find(seen.begin(), seen.end(), f) == seen.end()) {
      seen.push_back(f);
      m.add_frozen_inputs(f);
    }

  const uint32_t nq = machine.numQueues();
  // Predicted stats (the emulator must measure the same).
  schema::Stats *stats = m.mutable_predicted();
  int64_t cycles = verify::programCycles(prog.list.insts, machine);
  if (auto attr = module->getAttrOfType<IntegerAttr>(verify::kCyclesAttrName);
      attr && attr.getInt() != cycles)
    return makeError("internal: lpuhw.cycles is " + llvm::Twine(attr.getInt()) +
                     " but the program is busy until cycle " +
                     llvm::Twine(cycles));
  stats->set_cycles(uint64_t(cycles));
  // Stages, ordered by first issue (then name).
  std::map<std::string, schema::Stage> stages;
  for (const verify::SchedInst &si : prog.list.insts) {
    std::string name = lpuhw::stageOf(Location(si.loc));
    auto [it, inserted] = stages.insert({name, schema::Stage()});
    schema::Stage &st = it->second;
    uint64_t first = uint64_t(si.cycle);
    uint64_t end = first + machine.busyCycles(si.inst);
    if (inserted) {
      st.set_name(name);
      st.set_first_cycle(first);
    }
    st.set_first_cycle(std::min(st.first_cycle(), first));
    st.set_end_cycle(std::max(st.end_cycle(), end));
    st.set_instructions(st.instructions() + 1);
  }
  std::vector<const schema::Stage *> order;
  for (const auto &[name, st] : stages)
    order.push_back(&st);
  std::sort(order.begin(), order.end(), [](auto *a, auto *b) {
    return a->first_cycle() != b->first_cycle()
               ? a->first_cycle() < b->first_cycle()
               : a->name() < b->name();
  });
  for (const schema::Stage *st : order)
    *stats->add_stages() = *st;
  if (auto path = module->getAttrOfType<ArrayAttr>(kCriticalPathAttrName))
    for (Attribute a : path) {
      auto triple = dyn_cast<ArrayAttr>(a);
      if (!triple || triple.size() != 3)
        continue;
      schema::PathPart *part = stats->add_critical_path();
      part->set_stage(cast<StringAttr>(triple[0]).str());
      part->set_unit(cast<StringAttr>(triple[1]).str());
      part->set_cycles(uint64_t(cast<IntegerAttr>(triple[2]).getInt()));
    }
  // The emulator counts issued instructions, NOPs excluded.
  // A mem.read_write is one instruction for two scheduled ops.
  stats->set_instructions(uint64_t(prog.list.size()) - prog.merged);
  const isa::Unit units[] = {isa::Unit::Mem, isa::Unit::Vxm, isa::Unit::Mxm,
                             isa::Unit::Sxm, isa::Unit::C2c};
  for (isa::Unit u : units) {
    uint64_t busy = 0;
    uint32_t queues = 0;
    for (uint32_t q = 0; q < nq; ++q) {
      if (machine.queue(q).unit != u)
        continue;
      queues += prog.chips;
      for (uint32_t c = 0; c < prog.chips; ++c)
        busy += prog.queues[size_t(c) * nq + q].busy;
    }
    schema::UnitStats *us = stats->add_units();
    us->set_unit(isa::unitName(u));
    us->set_busy_cycles(busy);
    us->set_queues(queues);
  }
  // The scheduled instructions are in the queues: free them before the
  // file is written (memory: the 55M GPT-2 has 1.7M).
  prog.list.clear();
  std::vector<format::SegmentSource> &segments = image.segments;
  std::vector<format::SegmentSource> weightSegments;
  const size_t cells = size_t(machine.memSlices()) * machine.banks();
  for (uint32_t c = 0; c < prog.chips; ++c) {
    schema::ChipProgram *chip = m.add_chips();
    chip->set_chip(c);
    uint64_t weightBytes = 0, activationBytes = 0, kvCacheBytes = 0;
    // Activation tensors share rows once one is dead (lpu-to-lpuhw reuses
    // them): count the SRAM rows they cover, not the sum of their sizes.
    std::vector<std::vector<bool>> activationRows(cells), weightRows(cells);
    auto markRows = [&](const isa::TensorLayout &l,
                        std::vector<std::vector<bool>> &rows) {
      for (int64_t q = 0, n = l.planeRows(); q < n; ++q) {
        isa::SramAddress a = l.address(q);
        std::vector<bool> &bank =
            rows[size_t(a.slice) * machine.banks() + a.bank];
        if (bank.empty())
          bank.resize(machine.rowsPerBank());
        bank[a.row] = true;
      }
    };
    for (lpuhw::TensorOp t : module.getOps<lpuhw::TensorOp>()) {
      if (chipOf(t) != c)
        continue;
      isa::TensorLayout l = layout::layoutOf(t, machine);
      uint64_t bytes = uint64_t(l.planeRows()) * machine.lanes();
      StringRef kind = t.getKind();
      if (kind == "input")
        fillTensorInfo(t, l, *m.add_inputs());
      else if (kind == "output")
        fillTensorInfo(t, l, *m.add_outputs());
      if (t.getKvCache()) {
        kvCacheBytes += bytes;
        continue;
      }
      if (kind != "weight") {
        markRows(l, activationRows);
        continue;
      }
      markRows(l, weightRows);
      weightBytes += bytes;
      if (!t.getValue())
        return makeError("weight @" + t.getSymName() + " has no value");
      if (opts.withoutWeights) {
        fillTensorInfo(t, l, *chip->add_weights());
        continue;
      }
      llvm::Expected<std::function<void(std::vector<uint8_t> &)>> fill =
          weightFill(t, *t.getValue(), l);
      if (!fill)
        return fill.takeError();
      format::SegmentSource seg;
      seg.info.set_kind(schema::Segment::WEIGHTS);
      seg.info.set_chip(c);
      seg.info.set_tensor(uint32_t(chip->weights_size()));
      fillTensorInfo(t, l, *chip->add_weights());
      seg.fill = std::move(*fill);
      weightSegments.push_back(std::move(seg));
    }
    // Segments: instructions by queue, lane maps, then (after every chip's)
    // weights by tensor order.
    uint64_t instructionCount = 0; // emitted, NOPs included (SRAM)
    for (uint32_t q = 0; q < nq; ++q) {
      QueueProgram &qp = prog.queues[size_t(c) * nq + q];
      if (qp.insts.empty())
        continue;
      format::SegmentSource seg;
      seg.info.set_kind(schema::Segment::INSTRUCTIONS);
      seg.info.set_chip(c);
      seg.info.set_queue(q);
      seg.info.set_instructions(uint32_t(qp.insts.size()));
      instructionCount += qp.insts.size();
      // Encoded as the file is written (40 bytes each, as they are held).
      auto held =
          std::make_shared<std::vector<isa::Instruction>>(std::move(qp.insts));
      seg.fill = [held](std::vector<uint8_t> &out) {
        isa::encodeAll(*held, out);
      };
      segments.push_back(std::move(seg));
      std::vector<int64_t>().swap(qp.cycles);
    }
    const auto &laneMaps = prog.laneMaps[c];
    chip->set_lane_maps(uint32_t(laneMaps.size()));
    if (!laneMaps.empty()) {
      format::SegmentSource seg;
      seg.info.set_kind(schema::Segment::LANE_MAPS);
      seg.info.set_chip(c);
      auto bytes = std::make_shared<std::vector<uint8_t>>();
      for (const std::vector<int32_t> &map : laneMaps)
        for (int32_t e : map) {
          uint16_t v = uint16_t(int16_t(e));
          bytes->push_back(uint8_t(v & 0xFF));
          bytes->push_back(uint8_t(v >> 8));
        }
      seg.fill = [bytes](std::vector<uint8_t> &out) { out = *bytes; };
      segments.push_back(std::move(seg));
    }
    for (size_t k = 0; k < cells; ++k)
      for (size_t r = 0; r < activationRows[k].size(); ++r)
        if (activationRows[k][r] &&
            (weightRows[k].empty() || !weightRows[k][r]))
          activationBytes += machine.lanes();
    chip->set_sram_weight_bytes(weightBytes);
    chip->set_sram_kv_cache_bytes(kvCacheBytes);
    chip->set_sram_activation_bytes(activationBytes);
    chip->set_sram_instruction_bytes(instructionCount *
                                     machine.target().instruction_bytes());
  }
  for (format::SegmentSource &seg : weightSegments)
    segments.push_back(std::move(seg));
  return image;
}

LogicalResult printAsm(ModuleOp module, llvm::raw_ostream &os) {
  FailureOr<std::unique_ptr<isa::Machine>> machine = lpuhw::getMachine(module);
  if (failed(machine))
    return failure();
  Program prog;
  if (failed(verify::collectInstructions(module, **machine, prog.list)) ||
      failed(buildProgram(verify::chipCount(module), **machine, prog,
                          /*keepCycles=*/true)))
    return failure();
  uint32_t nq = (*machine)->numQueues();
  for (auto [i, qp] : llvm::enumerate(prog.queues)) {
    std::string name = (*machine)->queueName(uint32_t(i % nq));
    if (prog.chips > 1)
      name = "chip " + std::to_string(i / nq) + " " + name;
    for (size_t k = 0; k < qp.insts.size(); ++k)
      os << llvm::formatv("{0,8}  {1,-22}  {2}\n", qp.cycles[k], name,
                          isa::toString(qp.insts[k]));
  }
  return success();
}

} // namespace lpuc
