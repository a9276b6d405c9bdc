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

/// One scheduled instruction of a queue with its tags and lane-map index:
/// waiting for its place, or placed (a read/write pair then merged into one
/// mem.read_write) and waiting to be encoded.
struct Raw {
  int64_t cycle = 0;
  uint64_t index = 0; // program index (ties of one cycle: program order)
  LocationAttr loc;
  isa::Instruction inst;
};

/// Encoded instructions of a queue in the temporary file: `size` bytes at
/// `offset` of mapping `map`.
struct Piece {
  uint32_t map = 0;
  size_t offset = 0;
  size_t size = 0;
};

/// The mappings of the temporary instruction file (unmapped when the last
/// image or builder using them is gone).
struct MappedStore {
  std::vector<WeightFile::Mapped> maps;
  ~MappedStore() {
    for (const WeightFile::Mapped &m : maps)
      WeightFile::Mapped::release(m.data, m.size);
  }
};

/// One queue (of one chip) while windows come in.
struct QueueState {
  /// Not yet placed: at or after its chip's floor, sorted by (cycle,
  /// index).
  std::vector<Raw> raw;
  /// Placed for good (a prefix of the queue's issue order) but not yet
  /// encoded: the tail that may still start or join a repeat run.
  std::vector<Raw> ready;
  /// Cycle at which the queue can issue next (after what is encoded).
  int64_t freeAt = 0;
  /// Busy cycles of the encoded issued instructions.
  uint64_t busy = 0;
  /// Instructions encoded (NOPs and repeats included).
  uint64_t emitted = 0;
  /// Encoded since the last flush.
  std::vector<uint8_t> fresh;
  /// Issue cycle of each encoded instruction (printAsm only).
  std::vector<int64_t> cycles;
  /// Flushed: in memory (blocks of exact size, in order), or pieces of the
  /// temporary file.
  std::vector<std::vector<uint8_t>> blocks;
  std::vector<Piece> pieces;
};

/// The instruction stream of one queue from the instructions it issues
/// (sorted by cycle, not overlapping): NOPs in the gaps, and each run of at
/// least kMinRepeatRun instructions that differ only by constant steps of
/// row, tag and expected tags, issued at a constant interval, as the first
/// one and `repeat n-1` (instructions live in SRAM: this is what keeps a
/// matmul's tile loads and row loops small).
///
/// Encodes `q.ready` (appending to q.fresh): all of it if `atEnd`, else up
/// to the first instruction whose encoding could still change with
/// instructions to come (one that may start or continue a run reaching the
/// end of `ready`). What it encodes is what the whole queue would give.
constexpr size_t kMinRepeatRun = 3;
LogicalResult encodeReady(const isa::Machine &machine, uint32_t queue,
                          QueueState &q, bool atEnd, bool keepCycles) {
  const std::vector<Raw> &real = q.ready;
  auto push = [&](int64_t cycle, const isa::Instruction &inst) {
    size_t at = q.fresh.size();
    q.fresh.resize(at + isa::kInstructionBytes);
    isa::encode(inst, q.fresh.data() + at);
    if (keepCycles)
      q.cycles.push_back(cycle);
    ++q.emitted;
  };
  auto pad = [&](int64_t cycle, LocationAttr loc) -> LogicalResult {
    int64_t gap = cycle - q.freeAt;
    if (gap < 0)
      return emitError(loc)
             << "internal: " << machine.queueName(queue) << " at cycle "
             << cycle << ": the queue is busy until cycle " << q.freeAt
             << " (schedule not verified?)";
    if (gap > int64_t(UINT32_MAX))
      return emitError(loc) << "gap of " << gap << " cycles on "
                            << machine.queueName(queue) << " exceeds one nop";
    if (gap > 0) {
      isa::Instruction nop;
      nop.op = isa::Opcode::Nop;
      nop.a = uint32_t(gap);
      push(q.freeAt, nop);
    }
    return success();
  };
  size_t i = 0;
  while (i < real.size()) {
    int64_t t0 = real[i].cycle;
    uint32_t busy = machine.queueCycles(real[i].inst);
    // The longest run from i with one interval and one step.
    size_t j = i + 1;
    if (j == real.size() && !atEnd)
      break; // instruction i may start a run with what comes next
    int64_t interval = 0;
    isa::Instruction step;
    if (j < real.size() && repeatable(real[i].inst, real[j].inst) &&
        real[j].cycle - t0 >= int64_t(busy) &&
        real[j].cycle - t0 <= int64_t(UINT32_MAX)) {
      interval = real[j].cycle - t0;
      step = repeatStep(real[i].inst, real[j].inst);
      for (++j; j < real.size(); ++j) {
        isa::Instruction s = repeatStep(real[j - 1].inst, real[j].inst);
        if (!repeatable(real[j - 1].inst, real[j].inst) ||
            real[j].cycle - real[j - 1].cycle != interval || s.b != step.b ||
            s.tag != step.tag || s.expect0 != step.expect0 ||
            s.expect1 != step.expect1 || s.expect2 != step.expect2)
          break;
      }
      if (j == real.size() && !atEnd)
        break; // the run may go on
    }
    // The queue is free one interval after the last repetition: the next
    // instruction must not come sooner.
    size_t n = j - i;
    while (n >= kMinRepeatRun && i + n < real.size() &&
           real[i + n].cycle < t0 + int64_t(n) * interval)
      --n;
    if (failed(pad(t0, real[i].loc)))
      return failure();
    push(t0, real[i].inst);
    if (n < kMinRepeatRun) {
      q.freeAt = t0 + busy;
      q.busy += busy;
      ++i;
      continue;
    }
    q.freeAt = t0 + busy;
    if (failed(pad(t0 + interval, real[i].loc)))
      return failure();
    step.a = uint32_t(n - 1);
    step.c = uint32_t(interval);
    push(t0 + interval, step);
    q.freeAt = t0 + int64_t(n) * interval;
    for (size_t k = i; k < i + n; ++k)
      q.busy += machine.queueCycles(real[k].inst);
    i += n;
  }
  q.ready.erase(q.ready.begin(), q.ready.begin() + std::ptrdiff_t(i));
  return success();
}

/// Tags: producers linked by a consumer's input group form one component;
/// components are numbered in program order of their first producer that
/// has a stream. A component never leaves its window (no stream value
/// crosses windows), so numbering window by window, continuing from the
/// previous window's last tag, is the numbering of the whole program.
/// Returns false if an operand's producer is outside the window.
bool assignTags(const verify::InstructionList &w, uint32_t &next,
                std::vector<uint32_t> &tag) {
  const size_t n = w.size();
  std::vector<uint32_t> parent(n);
  for (size_t i = 0; i < n; ++i)
    parent[i] = uint32_t(i);
  auto find = [&](uint32_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  auto local = [&](int producer, uint32_t &out) {
    if (producer < 0 || size_t(producer) < w.base ||
        size_t(producer) - w.base >= n)
      return false;
    out = uint32_t(size_t(producer) - w.base);
    return true;
  };
  for (const verify::SchedInst &s : w.insts)
    for (const verify::InputGroup &g : s.groups)
      for (unsigned j = 1; j < g.count; ++j) {
        uint32_t a, b;
        if (!local(s.operands()[g.first].producer, a) ||
            !local(s.operands()[g.first + j].producer, b))
          return false;
        a = find(a);
        b = find(b);
        if (a != b)
          parent[std::max(a, b)] = std::min(a, b);
      }
  // Every producer an expected tag is read from must be in the window too.
  for (const verify::SchedInst &s : w.insts) {
    uint32_t p;
    for (const verify::InputGroup &g : s.groups)
      if (g.count && !local(s.operands()[g.first].producer, p))
        return false;
    if (s.inst.op == isa::Opcode::C2cRecv &&
        (s.numOperands == 0 || !local(s.operands()[0].producer, p)))
      return false;
  }
  // Roots are the lowest index of their component, so numbering roots in
  // program order numbers components by their first producer.
  tag.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (w.insts[i].stream < 0)
      continue;
    uint32_t r = find(uint32_t(i));
    if (tag[r] == 0)
      tag[r] = next++;
    tag[i] = tag[r];
  }
  return true;
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

struct LpubinBuilder::Impl {
  ModuleOp module;
  EmitOptions opts;
  std::unique_ptr<isa::Machine> machine;
  uint32_t chips = 1;
  uint32_t nq = 0;
  /// printAsm: keep each encoded instruction's cycle.
  bool keepCycles = false;
  bool finished = false;
  /// Instructions added (the next window's base).
  size_t added = 0;
  /// Per chip: no instruction on the chip of a window to come issues
  /// before this.
  std::vector<int64_t> floors;
  /// The last tag given.
  uint32_t nextTag = 1;
  /// Indexed by chip * nq + queue.
  std::vector<QueueState> queues;
  /// Per chip: the lane maps in order of first use, and their indices.
  std::vector<std::vector<std::vector<int32_t>>> laneMaps;
  std::vector<std::map<std::vector<int32_t>, uint32_t>> mapIndex;
  /// MEM read/write pairs issued as one mem.read_write.
  uint64_t merged = 0;
  /// max(cycle + busyCycles) over the instructions added.
  int64_t cycles = 0;
  std::map<std::string, schema::Stage> stages;
  /// The temporary instruction file (opts.instructionDir) and its mappings.
  std::unique_ptr<WeightFile> file;
  std::shared_ptr<MappedStore> store;

  llvm::Error addWindow(const verify::InstructionList &w,
                        ArrayRef<int64_t> newFloors);
  /// Places what its chip's floor makes final in queue `qi` and encodes
  /// what is final.
  LogicalResult advance(size_t qi, bool atEnd);
  llvm::Error flush();
  llvm::Error drain();
  llvm::Expected<LpubinImage> finish();
};

/// Gives back the spare capacity of a vector that has shrunk (by a copy:
/// without exceptions, libstdc++'s shrink_to_fit does nothing).
template <typename T> void shrink(std::vector<T> &v) {
  if (v.empty())
    std::vector<T>().swap(v);
  else if (v.capacity() > 2 * v.size() + 64)
    std::vector<T>(v.begin(), v.end()).swap(v);
}

llvm::Error LpubinBuilder::Impl::addWindow(const verify::InstructionList &w,
                                           ArrayRef<int64_t> newFloors) {
  if (finished)
    return makeError("internal: instructions added after finish");
  if (w.base != added)
    return makeError("internal: a window of instructions from " +
                     llvm::Twine(w.base) + " after " + llvm::Twine(added) +
                     " instructions");
  if (newFloors.size() != chips)
    return makeError("internal: " + llvm::Twine(newFloors.size()) +
                     " floors for " + llvm::Twine(chips) + " chips");
  for (uint32_t c = 0; c < chips; ++c)
    if (newFloors[c] < floors[c])
      return makeError("internal: the floor of chip " + llvm::Twine(c) +
                       " went down from " + llvm::Twine(floors[c]) + " to " +
                       llvm::Twine(newFloors[c]));
  const verify::ChunkedVector<verify::SchedInst> &sched = w.insts;
  const size_t n = w.size();
  std::vector<uint32_t> tags;
  if (!assignTags(w, nextTag, tags))
    return makeError("internal: an operand of instructions " +
                     llvm::Twine(w.base) + ".." + llvm::Twine(w.base + n) +
                     " is produced outside them");
  // Stats, and the floor contract (what was placed must stay in place).
  for (const verify::SchedInst &s : sched) {
    if (s.chip >= chips || s.queue >= nq)
      return makeError("internal: an instruction on chip " +
                       llvm::Twine(s.chip) + " queue " + llvm::Twine(s.queue));
    if (s.cycle < floors[s.chip]) {
      s.emitError() << "internal: issues at cycle " << s.cycle
                    << ", before the emitter's floor " << floors[s.chip]
                    << " of chip " << s.chip;
      return makeError("an instruction issues before the floor (see "
                       "diagnostics)");
    }
    uint64_t first = uint64_t(s.cycle);
    uint64_t end = first + machine->busyCycles(s.inst);
    cycles = std::max(cycles, int64_t(end));
    std::string name = lpuhw::stageOf(Location(s.loc));
    auto [it, inserted] = stages.insert({name, schema::Stage()});
    schema::Stage &st = it->second;
    if (inserted) {
      st.set_name(name);
      st.set_first_cycle(first);
    }
    st.set_first_cycle(std::min(st.first_cycle(), first));
    st.set_end_cycle(std::max(st.end_cycle(), end));
    st.set_instructions(st.instructions() + 1);
  }
  // Lane maps, numbered per chip in program order.
  llvm::DenseMap<uint32_t, uint32_t> mapOf;
  for (size_t i = 0; i < n; ++i) {
    const verify::SchedInst &s = sched[i];
    if (s.inst.op != isa::Opcode::SxmPermute)
      continue;
    ArrayRef<int32_t> laneMap = w.laneMap(w.base + i);
    std::vector<int32_t> map(laneMap.begin(), laneMap.end());
    auto &maps = laneMaps[s.chip];
    auto [it, inserted] = mapIndex[s.chip].insert({map, uint32_t(maps.size())});
    if (inserted)
      maps.push_back(std::move(map));
    mapOf[uint32_t(i)] = it->second;
  }
  // The tag an instruction's input group g expects: its first producer's.
  auto expect = [&](const verify::SchedInst &s, unsigned g) -> uint32_t {
    if (g >= s.groups.size() || s.groups[g].count == 0)
      return 0;
    return tags[size_t(s.operands()[s.groups[g].first].producer) - w.base];
  };
  // Instruction i as issued: with its tag and the tags it expects.
  auto issued = [&](size_t i) {
    const verify::SchedInst &s = sched[i];
    isa::Instruction inst = s.inst;
    if (inst.op == isa::Opcode::SxmPermute)
      inst.a = mapOf.lookup(uint32_t(i));
    inst.tag = tags[i];
    inst.expect0 = expect(s, 0);
    inst.expect1 = expect(s, 1);
    inst.expect2 = expect(s, 2);
    // A receive expects the tag its vector had when it was sent.
    if (inst.op == isa::Opcode::C2cRecv)
      inst.expect0 =
          expect(sched[size_t(s.operands()[0].producer) - w.base], 0);
    return inst;
  };
  std::vector<std::vector<uint32_t>> byQueue(queues.size());
  for (size_t i = 0; i < n; ++i)
    byQueue[size_t(sched[i].chip) * nq + sched[i].queue].push_back(uint32_t(i));
  floors.assign(newFloors.begin(), newFloors.end());
  for (size_t qi = 0; qi < queues.size(); ++qi) {
    std::vector<uint32_t> &list = byQueue[qi];
    if (list.empty()) {
      if (failed(advance(qi, /*atEnd=*/false)))
        return makeError(
            "cannot build the instruction streams (see diagnostics)");
      continue;
    }
    std::sort(list.begin(), list.end(), [&](uint32_t a, uint32_t b) {
      return std::make_pair(sched[a].cycle, a) <
             std::make_pair(sched[b].cycle, b);
    });
    std::vector<Raw> incoming;
    incoming.reserve(list.size());
    for (uint32_t i : list)
      incoming.push_back(
          {sched[i].cycle, uint64_t(w.base + i), sched[i].loc, issued(i)});
    std::vector<uint32_t>().swap(list);
    std::vector<Raw> &raw = queues[qi].raw;
    if (raw.empty()) {
      raw = std::move(incoming);
    } else {
      // Held instructions come before this window's in program order.
      std::vector<Raw> all;
      all.reserve(raw.size() + incoming.size());
      std::merge(raw.begin(), raw.end(), incoming.begin(), incoming.end(),
                 std::back_inserter(all), [](const Raw &a, const Raw &b) {
                   return std::make_pair(a.cycle, a.index) <
                          std::make_pair(b.cycle, b.index);
                 });
      raw = std::move(all);
    }
    // Queue by queue: only one queue's new instructions are unencoded at
    // a time (one window of the whole program is the whole program).
    if (failed(advance(qi, /*atEnd=*/false)))
      return makeError(
          "cannot build the instruction streams (see diagnostics)");
  }
  added += n;
  return flush();
}

LogicalResult LpubinBuilder::Impl::advance(size_t qi, bool atEnd) {
  QueueState &q = queues[qi];
  // Before its chip's floor, a queue's order is final: nothing can come
  // before or between those instructions. They are placed in place:
  // raw[0, m) become the placed instructions of raw[0, k).
  const int64_t floor = floors[qi / nq];
  size_t k = 0, m = 0;
  std::vector<Raw> &raw = q.raw;
  for (; k < raw.size() && (atEnd || raw[k].cycle < floor); ++k) {
    Raw out = raw[k];
    // A read and a write of one slice in one cycle issue as one
    // mem.read_write (the verifier has checked their banks differ). Both
    // are before the floor if one is.
    if (k + 1 < raw.size() && raw[k + 1].cycle == raw[k].cycle) {
      const Raw *rd = nullptr, *wr = nullptr;
      for (const Raw *x : {&raw[k], &raw[k + 1]}) {
        if (x->inst.op == isa::Opcode::MemRead)
          rd = x;
        else if (x->inst.op == isa::Opcode::MemWrite)
          wr = x;
      }
      if (rd && wr) {
        const isa::Instruction &wi = wr->inst;
        out.inst = rd->inst;
        out.inst.op = isa::Opcode::MemReadWrite;
        out.inst.in0 = wi.in0;
        out.inst.expect0 = wi.expect0;
        out.inst.fn = uint8_t(wi.a);
        out.inst.c = wi.b;
        ++k;
        ++merged;
      }
    }
    raw[m++] = out;
  }
  if (q.ready.empty() && k == raw.size()) {
    // Everything is placed (one window of the whole program): no copy.
    raw.resize(m);
    q.ready = std::move(raw);
    raw = std::vector<Raw>();
    k = 0;
  } else {
    q.ready.insert(q.ready.end(), raw.begin(), raw.begin() + std::ptrdiff_t(m));
  }
  raw.erase(raw.begin(), raw.begin() + std::ptrdiff_t(k));
  if (failed(encodeReady(*machine, uint32_t(qi % nq), q, atEnd, keepCycles)))
    return failure();
  // What is placed or encoded is not held twice.
  shrink(raw);
  shrink(q.ready);
  if (!file) {
    // In memory: appended at once, without the growth's spare capacity.
    if (!q.fresh.empty())
      q.blocks.emplace_back(q.fresh.begin(), q.fresh.end());
    std::vector<uint8_t>().swap(q.fresh);
  }
  return success();
}

llvm::Error LpubinBuilder::Impl::flush() {
  if (!file)
    return llvm::Error::success(); // advance keeps them in q.blocks
  // One block per flush: every queue's new instructions, queue after queue.
  size_t total = 0;
  for (const QueueState &q : queues)
    total += q.fresh.size();
  if (total == 0)
    return llvm::Error::success();
  size_t qi = 0, in = 0; // the queue and position the next byte comes from
  llvm::Expected<WeightFile::Mapped> mapped =
      file->append(total, [&](size_t, llvm::MutableArrayRef<char> piece) {
        size_t done = 0;
        while (done < piece.size()) {
          const std::vector<uint8_t> &src = queues[qi].fresh;
          size_t take = std::min(piece.size() - done, src.size() - in);
          std::memcpy(piece.data() + done, src.data() + in, take);
          done += take;
          in += take;
          if (in == src.size()) {
            ++qi;
            in = 0;
          }
        }
      });
  if (!mapped)
    return mapped.takeError();
  uint32_t map = uint32_t(store->maps.size());
  store->maps.push_back(*mapped);
  size_t offset = 0;
  for (QueueState &q : queues) {
    if (!q.fresh.empty())
      q.pieces.push_back({map, offset, q.fresh.size()});
    offset += q.fresh.size();
    std::vector<uint8_t>().swap(q.fresh);
  }
  return llvm::Error::success();
}

llvm::Error LpubinBuilder::Impl::drain() {
  if (finished)
    return makeError("internal: the emitter has already finished");
  finished = true;
  floors.assign(chips, INT64_MAX);
  for (size_t qi = 0; qi < queues.size(); ++qi)
    if (failed(advance(qi, /*atEnd=*/true)))
      return makeError(
          "cannot build the instruction streams (see diagnostics)");
  return flush();
}

llvm::Expected<LpubinImage> LpubinBuilder::Impl::finish() {
  if (llvm::Error e = drain())
    return std::move(e);
  LpubinImage image;
  schema::Manifest &m = image.manifest;
  *m.mutable_target() = machine->target();
  m.set_chip_count(chips);
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

  // Predicted stats (the emulator must measure the same).
  schema::Stats *stats = m.mutable_predicted();
  if (auto attr = module->getAttrOfType<IntegerAttr>(verify::kCyclesAttrName);
      attr && attr.getInt() != cycles)
    return makeError("internal: lpuhw.cycles is " + llvm::Twine(attr.getInt()) +
                     " but the program is busy until cycle " +
                     llvm::Twine(cycles));
  stats->set_cycles(uint64_t(cycles));
  // Stages, ordered by first issue (then name).
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
  stats->set_instructions(uint64_t(added) - merged);
  const isa::Unit units[] = {isa::Unit::Mem, isa::Unit::Vxm, isa::Unit::Mxm,
                             isa::Unit::Sxm, isa::Unit::C2c};
  for (isa::Unit u : units) {
    uint64_t busy = 0;
    uint32_t count = 0;
    for (uint32_t q = 0; q < nq; ++q) {
      if (machine->queue(q).unit != u)
        continue;
      count += chips;
      for (uint32_t c = 0; c < chips; ++c)
        busy += queues[size_t(c) * nq + q].busy;
    }
    schema::UnitStats *us = stats->add_units();
    us->set_unit(isa::unitName(u));
    us->set_busy_cycles(busy);
    us->set_queues(count);
  }
  std::map<std::string, schema::Stage>().swap(stages);
  std::vector<format::SegmentSource> &segments = image.segments;
  std::vector<format::SegmentSource> weightSegments;
  const isa::Machine &mach = *machine;
  const size_t cells = size_t(mach.memSlices()) * mach.banks();
  for (uint32_t c = 0; c < chips; ++c) {
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
        std::vector<bool> &bank = rows[size_t(a.slice) * mach.banks() + a.bank];
        if (bank.empty())
          bank.resize(mach.rowsPerBank());
        bank[a.row] = true;
      }
    };
    for (lpuhw::TensorOp t : module.getOps<lpuhw::TensorOp>()) {
      if (chipOf(t) != c)
        continue;
      isa::TensorLayout l = layout::layoutOf(t, mach);
      uint64_t bytes = uint64_t(l.planeRows()) * mach.lanes();
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
      QueueState &qs = queues[size_t(c) * nq + q];
      if (qs.emitted == 0)
        continue;
      format::SegmentSource seg;
      seg.info.set_kind(schema::Segment::INSTRUCTIONS);
      seg.info.set_chip(c);
      seg.info.set_queue(q);
      seg.info.set_instructions(uint32_t(qs.emitted));
      instructionCount += qs.emitted;
      if (file) {
        // Copied back from the temporary file, whose pages are given back
        // as they are copied (they come back from the file if read again).
        seg.fill = [store = store,
                    pieces = std::move(qs.pieces)](std::vector<uint8_t> &out) {
          for (const Piece &p : pieces) {
            const char *data = store->maps[p.map].data + p.offset;
            out.insert(out.end(), data, data + p.size);
            releaseMappedPages(llvm::ArrayRef<char>(data, p.size));
          }
        };
      } else {
        auto held = std::make_shared<std::vector<std::vector<uint8_t>>>(
            std::move(qs.blocks));
        seg.fill = [held](std::vector<uint8_t> &out) {
          for (const std::vector<uint8_t> &block : *held)
            out.insert(out.end(), block.begin(), block.end());
        };
      }
      segments.push_back(std::move(seg));
    }
    const auto &maps = laneMaps[c];
    chip->set_lane_maps(uint32_t(maps.size()));
    if (!maps.empty()) {
      format::SegmentSource seg;
      seg.info.set_kind(schema::Segment::LANE_MAPS);
      seg.info.set_chip(c);
      auto bytes = std::make_shared<std::vector<uint8_t>>();
      for (const std::vector<int32_t> &map : maps)
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
          activationBytes += mach.lanes();
    chip->set_sram_weight_bytes(weightBytes);
    chip->set_sram_kv_cache_bytes(kvCacheBytes);
    chip->set_sram_activation_bytes(activationBytes);
    chip->set_sram_instruction_bytes(instructionCount *
                                     mach.target().instruction_bytes());
  }
  for (format::SegmentSource &seg : weightSegments)
    segments.push_back(std::move(seg));
  std::vector<QueueState>().swap(queues);
  return image;
}

/// A builder of `module`'s program (its target and chip count).
static llvm::Expected<std::unique_ptr<LpubinBuilder::Impl>>
makeImpl(ModuleOp module, const EmitOptions &opts) {
  FailureOr<std::unique_ptr<isa::Machine>> machine = lpuhw::getMachine(module);
  if (failed(machine))
    return makeError("cannot load the module's target (see diagnostics)");
  auto impl = std::make_unique<LpubinBuilder::Impl>();
  impl->module = module;
  impl->opts = opts;
  impl->machine = std::move(*machine);
  impl->chips = verify::chipCount(module);
  impl->nq = impl->machine->numQueues();
  impl->queues.resize(size_t(impl->nq) * impl->chips);
  impl->floors.assign(impl->chips, 0);
  impl->laneMaps.resize(impl->chips);
  impl->mapIndex.resize(impl->chips);
  if (!opts.instructionDir.empty()) {
    llvm::Expected<std::unique_ptr<WeightFile>> file =
        WeightFile::create(opts.instructionDir);
    if (!file)
      return file.takeError();
    impl->file = std::move(*file);
    impl->store = std::make_shared<MappedStore>();
  }
  return impl;
}

LpubinBuilder::LpubinBuilder(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
LpubinBuilder::LpubinBuilder(LpubinBuilder &&) = default;
LpubinBuilder &LpubinBuilder::operator=(LpubinBuilder &&) = default;
LpubinBuilder::~LpubinBuilder() = default;

llvm::Expected<LpubinBuilder> LpubinBuilder::create(ModuleOp module,
                                                    const EmitOptions &opts) {
  llvm::Expected<std::unique_ptr<Impl>> impl = makeImpl(module, opts);
  if (!impl)
    return impl.takeError();
  return LpubinBuilder(std::move(*impl));
}

llvm::Error LpubinBuilder::addWindow(const verify::InstructionList &window,
                                     ArrayRef<int64_t> floors) {
  return impl_->addWindow(window, floors);
}

llvm::Error LpubinBuilder::addWindow(const verify::InstructionList &window,
                                     int64_t floor) {
  std::vector<int64_t> floors(impl_->chips, floor);
  return impl_->addWindow(window, floors);
}

llvm::Expected<LpubinImage> LpubinBuilder::finish() { return impl_->finish(); }

size_t LpubinBuilder::pending() const {
  size_t n = 0;
  for (const QueueState &q : impl_->queues)
    n += q.raw.size() + q.ready.size();
  return n;
}

uint64_t LpubinBuilder::encoded() const {
  uint64_t n = 0;
  for (const QueueState &q : impl_->queues)
    n += q.emitted;
  return n;
}

llvm::Expected<LpubinImage> buildLpubin(ModuleOp module,
                                        const EmitOptions &opts,
                                        verify::InstructionList &&insts) {
  llvm::Expected<LpubinBuilder> builder = LpubinBuilder::create(module, opts);
  if (!builder)
    return builder.takeError();
  if (llvm::Error e = builder->addWindow(insts, INT64_MAX))
    return std::move(e);
  // Everything is in the queues: free the records before the file is
  // written (memory: the 55M GPT-2 has 1.7M).
  insts.clear();
  return builder->finish();
}

LogicalResult printAsm(ModuleOp module, llvm::raw_ostream &os) {
  llvm::Expected<std::unique_ptr<LpubinBuilder::Impl>> impl =
      makeImpl(module, EmitOptions());
  if (!impl) {
    llvm::consumeError(impl.takeError());
    return failure();
  }
  LpubinBuilder::Impl &b = **impl;
  b.keepCycles = true;
  verify::InstructionList list;
  if (failed(verify::collectInstructions(module, *b.machine, list)))
    return failure();
  if (llvm::Error e =
          b.addWindow(list, std::vector<int64_t>(b.chips, INT64_MAX))) {
    llvm::consumeError(std::move(e));
    return failure();
  }
  list.clear();
  if (llvm::Error e = b.drain()) {
    llvm::consumeError(std::move(e));
    return failure();
  }
  for (auto [i, q] : llvm::enumerate(b.queues)) {
    std::string name = b.machine->queueName(uint32_t(i % b.nq));
    if (b.chips > 1)
      name = "chip " + std::to_string(i / b.nq) + " " + name;
    size_t k = 0;
    for (const std::vector<uint8_t> &block : q.blocks)
      for (size_t at = 0; at < block.size(); at += isa::kInstructionBytes)
        os << llvm::formatv("{0,8}  {1,-22}  {2}\n", q.cycles[k++], name,
                            isa::toString(isa::decode(block.data() + at)));
  }
  return success();
}

} // namespace lpuc
