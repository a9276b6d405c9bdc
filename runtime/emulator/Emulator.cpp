//===- Emulator.cpp - Cycle-faithful emulator of LPU chips ----------------===//
//
// Event-driven: instructions issue in (cycle, queue) order from a priority
// queue of per-queue next-issue cycles; MEM write commits and the later
// stream reads of MXM load_weights are deferred events. Streams are stored
// by diagonals (see docs/emulator.md).
//
//===----------------------------------------------------------------------===//
#include "runtime/emulator/Emulator.h"

#include "runtime/emulator/ProgramBuilder.h"
#include "runtime/isa/Numerics.h"
#include "runtime/isa/Topology.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <queue>
#include <thread>
#include <unordered_map>

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif
#include <cstdlib>
#include <new>

namespace lpuc::emu {

using isa::AluOp;
using isa::DType;
using isa::Instruction;
using isa::Opcode;
using isa::Unit;

//===----------------------------------------------------------------------===//
// Sram and MemPorts
//===----------------------------------------------------------------------===//

Sram::Sram(uint32_t slices, uint32_t banks, uint32_t rows, uint32_t lanes)
    : slices_(slices), banks_(banks), rows_(rows), lanes_(lanes),
      pagesPerBank_((rows + kPageRows - 1) / kPageRows),
      pages_(size_t(slices) * banks * pagesPerBank_, nullptr), zero_(lanes, 0) {
}

Sram::~Sram() {
  for (auto [base, len] : chunks_) {
#if defined(__linux__)
    munmap(base, len);
#else
    std::free(base);
#endif
  }
}

const uint8_t *Sram::row(uint32_t slice, uint32_t bank, uint32_t row) const {
  const uint8_t *page = pages_[pageIndex(slice, bank, row)];
  if (!page)
    return zero_.data();
  return page + size_t(row % kPageRows) * lanes_;
}

uint8_t *Sram::allocatePage(uint64_t index) {
  uint8_t *&page = pages_[index];
  size_t pageBytes = size_t(kPageRows) * lanes_;
  if (chunkLeft_ == 0) {
    // A zeroed chunk of about 2 MiB (at least one page).
    constexpr size_t kChunk = size_t(2) << 20;
    size_t n = std::max<size_t>(1, kChunk / pageBytes);
    size_t len = n * pageBytes;
#if defined(__linux__)
    // Over-allocate to align to 2 MiB for transparent huge pages.
    size_t mapLen = len + kChunk;
    void *base = mmap(nullptr, mapLen, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
      std::abort(); // out of memory (as operator new without exceptions)
    uintptr_t start = (uintptr_t(base) + kChunk - 1) & ~uintptr_t(kChunk - 1);
#ifdef MADV_HUGEPAGE
    madvise(reinterpret_cast<void *>(start), (len + kChunk - 1) & ~(kChunk - 1),
            MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
    // Mapped now (zeroed by the kernel, a huge page where given) rather
    // than at the first write of a row: the chunk's pages are handed out
    // in order and written soon after (Emulator::allocateWrittenRows).
    madvise(reinterpret_cast<void *>(start), len, MADV_POPULATE_WRITE);
#endif
    chunks_.push_back({base, mapLen});
    chunkNext_ = reinterpret_cast<uint8_t *>(start);
#else
    void *base = std::calloc(1, len);
    if (!base)
      std::abort(); // out of memory (as operator new without exceptions)
    chunks_.push_back({base, len});
    chunkNext_ = static_cast<uint8_t *>(base);
#endif
    chunkLeft_ = n;
  }
  page = chunkNext_;
  chunkNext_ += pageBytes;
  --chunkLeft_;
  ++allocatedPages_;
  return page;
}

uint64_t Sram::allocatedBytes() const {
  return allocatedPages_ * kPageRows * lanes_;
}

std::string MemPorts::claimRead(uint32_t slice, uint32_t bank, uint64_t cycle) {
  Port &p = ports_[slice];
  if (p.readCycle == int64_t(cycle))
    return "a second MEM read in this slice in the same cycle";
  if (p.writeCycle == int64_t(cycle) && p.writeBank == bank)
    return "a MEM read and a write to bank " + std::to_string(bank) +
           " of this slice in the same cycle";
  p.readCycle = int64_t(cycle);
  p.readBank = bank;
  return "";
}

std::string MemPorts::claimWrite(uint32_t slice, uint32_t bank,
                                 uint64_t cycle) {
  Port &p = ports_[slice];
  if (p.writeCycle == int64_t(cycle))
    return "a second MEM write in this slice in the same cycle";
  if (p.readCycle == int64_t(cycle) && p.readBank == bank)
    return "a MEM read and a write to bank " + std::to_string(bank) +
           " of this slice in the same cycle";
  p.writeCycle = int64_t(cycle);
  p.writeBank = bank;
  return "";
}

//===----------------------------------------------------------------------===//
// Static validation
//===----------------------------------------------------------------------===//

namespace {

std::string where(const isa::Machine &m, uint32_t chip, uint32_t q,
                  uint64_t cycle, const Instruction &inst) {
  return "chip " + std::to_string(chip) + ", " + m.queueName(q) + ", cycle " +
         std::to_string(cycle) + ": " + isa::toString(inst) + ": ";
}

bool validDType(DType d) { return isa::widthBytes(d) != 0; }

bool isFloat(DType d) {
  return d == DType::F32 || d == DType::F16 || d == DType::BF16 ||
         d == DType::FP8E4M3;
}

} // namespace

absl::Status validateProgram(const isa::Machine &m, uint32_t chip,
                             const ChipProgram &p) {
  if (p.queues.size() > m.numQueues())
    return absl::InvalidArgumentError(
        "chip " + std::to_string(chip) + ": program has " +
        std::to_string(p.queues.size()) + " queues, the target has " +
        std::to_string(m.numQueues()));
  for (size_t i = 0; i < p.laneMaps.size(); ++i)
    if (p.laneMaps[i].size() != m.lanes())
      return absl::InvalidArgumentError(
          "chip " + std::to_string(chip) + ": lane map " + std::to_string(i) +
          " has " + std::to_string(p.laneMaps[i].size()) + " entries, not " +
          std::to_string(m.lanes()));
  for (uint32_t q = 0; q < p.queues.size(); ++q) {
    uint64_t cycle = 0;
    for (const Instruction &inst : p.queues[q]) {
      auto fail = [&](const std::string &msg) {
        return absl::InvalidArgumentError(where(m, chip, q, cycle, inst) + msg);
      };
      if (uint8_t(inst.op) > isa::kLastOpcode)
        return fail("unknown opcode " + std::to_string(unsigned(inst.op)));
      if (!m.opcodeAllowed(q, inst.op))
        return fail(std::string(isa::opcodeName(inst.op)) +
                    " cannot issue on this queue");
      if (inst.op == Opcode::Nop) {
        if (inst.a == 0)
          return fail("nop must wait at least 1 cycle");
        cycle += inst.a;
        continue;
      }
      if (inst.op == Opcode::Repeat) {
        const Instruction *prev = nullptr;
        for (const Instruction *x = &inst; x != p.queues[q].data();) {
          --x;
          if (x->op != Opcode::Nop) {
            prev = x;
            break;
          }
        }
        if (!prev || prev->op == Opcode::Repeat || prev->op == Opcode::Sync ||
            prev->op == Opcode::Notify)
          return fail("repeat must follow the instruction it repeats");
        if (inst.a == 0)
          return fail("repeat count must be at least 1");
        if (inst.c < m.queueCycles(*prev))
          return fail("repeat interval " + std::to_string(inst.c) +
                      " is shorter than the " +
                      std::to_string(m.queueCycles(*prev)) +
                      " cycles the repeated instruction holds its queue");
        bool mem = prev->op == Opcode::MemRead ||
                   prev->op == Opcode::MemWrite ||
                   prev->op == Opcode::MemReadWrite;
        if (inst.b != 0 && !mem)
          return fail("a stride needs a MEM instruction (row addresses)");
      }
      if (inst.op == Opcode::VxmChain) {
        if (inst.b == 0 || inst.b > isa::kMaxChainSteps)
          return fail("a chain has 1 to " +
                      std::to_string(isa::kMaxChainSteps) + " steps");
        if (uint64_t(inst.a) + inst.b > p.chainSteps.size())
          return fail("chain steps " + std::to_string(inst.a) + ".." +
                      std::to_string(uint64_t(inst.a) + inst.b - 1) +
                      " outside the chain table (" +
                      std::to_string(p.chainSteps.size()) + " steps)");
        const isa::ChainStep *steps = p.chainSteps.data() + inst.a;
        for (uint32_t k = 0; k < inst.b; ++k) {
          const isa::ChainStep &st = steps[k];
          std::string at = "chain step " + std::to_string(inst.a + k) + ": ";
          if (uint8_t(st.fn) > isa::kLastAluOp)
            return fail(at + "unknown ALU op " +
                        std::to_string(unsigned(st.fn)));
          if (st.fn == AluOp::Cast || st.fn == AluOp::Select)
            return fail(at + isa::aluOpName(st.fn) + " cannot be chained");
          bool binary = isa::aluOperandCount(st.fn) == 2;
          if (binary != bool(st.flags & isa::kStepIn1) ||
              (st.flags & ~isa::kStepIn1) != 0)
            return fail(at + isa::aluOpName(st.fn) +
                        (binary ? " needs in1 (flag kStepIn1)"
                                : " takes no stream operand"));
          if (binary && inst.in1 == isa::kNoStream)
            return fail(at + isa::aluOpName(st.fn) +
                        " reads in1, which the chain does not name");
          if (isa::aluIsTranscendental(st.fn) && !isFloat(inst.dtype))
            return fail(at + isa::aluOpName(st.fn) + " needs a float dtype");
        }
        uint32_t lat = m.chainLatency(steps, inst.b);
        if (inst.c != lat)
          return fail("chain latency field is " + std::to_string(inst.c) +
                      ", its steps take " + std::to_string(lat) + " cycles");
      }
      if (inst.op == Opcode::Sync && inst.b == 0)
        return fail("sync must wait at least 1 cycle");
      if (inst.op == Opcode::SxmTranspose &&
          m.lanes() % isa::kTransposeStreams != 0)
        return fail("transpose needs lanes to be a multiple of 16");
      if ((inst.op == Opcode::SxmShift || inst.op == Opcode::SxmRotate) &&
          (inst.flags & ~isa::kShiftDown) != 0)
        return fail("unknown shift flags " + std::to_string(inst.flags));
      bool needsType =
          inst.op == Opcode::MxmLoad || inst.op == Opcode::MxmMul ||
          inst.op == Opcode::Vxm || inst.op == Opcode::SxmPermute ||
          inst.op == Opcode::SxmShift || inst.op == Opcode::SxmRotate;
      if (needsType && !validDType(inst.dtype))
        return fail("invalid dtype " + std::to_string(unsigned(inst.dtype)));
      if (inst.op == Opcode::Vxm) {
        if (inst.fn > isa::kLastAluOp)
          return fail("unknown ALU op " + std::to_string(unsigned(inst.fn)));
        if (isa::aluIsTranscendental(AluOp(inst.fn)) && !isFloat(inst.dtype))
          return fail(std::string(isa::aluOpName(AluOp(inst.fn))) +
                      " needs a float dtype");
        if (AluOp(inst.fn) == AluOp::Cast &&
            (inst.b > 255 || !validDType(DType(inst.b))))
          return fail("cast to invalid dtype " + std::to_string(inst.b));
      }
      if (inst.op == Opcode::MxmLoad && (inst.a == 0 || inst.a > m.lanes()))
        return fail("load_weights rows must be in [1, " +
                    std::to_string(m.lanes()) + "]");
      for (unsigned i = 0; i < 3; ++i) {
        unsigned w = m.inputWidth(inst, i);
        uint8_t s = i == 0 ? inst.in0 : i == 1 ? inst.in1 : inst.in2;
        if (w > 0 && !m.validGroup(s, w))
          return fail("input " + std::to_string(i) +
                      " is not a valid group of " + std::to_string(w) +
                      " streams");
      }
      unsigned ow = m.outputWidth(inst);
      if (ow > 0 && !m.validGroup(inst.out, ow))
        return fail("output is not a valid group of " + std::to_string(ow) +
                    " streams");
      cycle += m.queueCycles(inst);
    }
  }
  return absl::OkStatus();
}

//===----------------------------------------------------------------------===//
// Trace of a program's data operations (see ChipProgram::trace)
//===----------------------------------------------------------------------===//

namespace {
enum class TraceKind : uint8_t {
  Dead,    // a MEM read whose value nothing reads, a forwarded copy
           // (dropped from the trace when it is finished)
  Read,    // buffer <- SRAM row (a read whose row is committed to before
           // the value's last reader; the others are row references)
  Commit,  // a MEM write of a multiply's result the multiply writes into
           // the row itself: computes the multiply (the row-th on plane
           // `unit`) if it is still pending
  Write,   // SRAM row <- buffer (the commit of a MEM write)
  Tile,    // the completed load_weights of plane `unit` from nIn plane-rows
  Install, // install on plane `unit`
  Mul,     // multiply on plane `unit`: nIn activation planes, 4 or 0 out
  Vxm,
  Chain,
  Sxm, // shift, rotate, transpose
  Permute,
};

/// TraceOp::wide: float groups passed as floats between replayed ops (see
/// markWideValues). Bit g < 3: VXM operand g is read as the floats of its
/// producer; kWideOut: the op writes its output group's floats; kNoPlanes:
/// and no reader needs the group's byte planes (not written).
constexpr uint8_t kWideOut = 1 << 3, kNoPlanes = 1 << 4, kPlaneRead = 1 << 5;

/// An operand in ChipTrace::vals with this bit is not a buffer but an SRAM
/// row (the rest is Sram::rowIndex): a MEM read whose row no commit changes
/// before the value's last reader is no op of its own; its readers read the
/// row in place (finishTrace).
constexpr uint32_t kRowRef = 1u << 31;

struct TraceOp {
  TraceKind kind = TraceKind::Dead;
  uint8_t wide = 0;
  uint16_t nIn = 0, nOut = 0;
  uint32_t unit = 0; // slice (Read, Write) or plane (Tile, Install, Mul)
  uint32_t bank = 0, row = 0;
  uint32_t off = 0; // the op's nIn then nOut buffers in ChipTrace::vals
  const Instruction *inst = nullptr; // in the program that owns the trace
};
} // namespace

struct ChipTrace {
  std::vector<TraceOp> ops;
  std::vector<uint32_t> vals; // value numbers while recording, then buffers
  uint32_t values = 0;        // values recorded
  uint32_t buffers = 0;       // buffers a replay needs (0: the write-only one)
  uint32_t storeBuffers = 0;  // buffers [0, storeBuffers) hold bytes
  absl::Status status;        // the timing walk's outcome
  RunStats stats;             // cycles and instructions of this chip
  std::vector<uint64_t> unitBusy;
  std::vector<Instruction> insts;    // the ops' instructions, in op order
  std::vector<uint32_t> throughRows; // rows values are written straight into
  // Per buffer: its float store's index (see markWideValues), or
  // UINT32_MAX; wideSlots of them.
  std::vector<uint32_t> wideSlot;
  uint32_t wideSlots = 0;
};

//===----------------------------------------------------------------------===//
// One chip's run
//===----------------------------------------------------------------------===//

namespace {

/// Stable-address pool of lane vectors (chunks never move), reference
/// counted: a stream put holds one reference, a pending MEM write another.
class VectorPool {
public:
  explicit VectorPool(uint32_t lanes) : lanes_(lanes) {}
  uint32_t alloc() {
    if (free_.empty()) {
      if (next_ % kChunk == 0) {
        chunks_.emplace_back(new (std::align_val_t(64))
                                 uint8_t[size_t(kChunk) * lanes_]);
        refs_.resize(refs_.size() + kChunk, 0);
        pending_.resize(pending_.size() + kChunk, 0);
      }
      refs_[next_] = 1;
      return next_++;
    }
    uint32_t i = free_.back();
    free_.pop_back();
    refs_[i] = 1;
    return i;
  }
  void retain(uint32_t i) { ++refs_[i]; }
  void release(uint32_t i) {
    if (--refs_[i] == 0)
      free_.push_back(i);
  }
  uint8_t *get(uint32_t i) {
    return chunks_[i / kChunk].get() + size_t(i % kChunk) * lanes_;
  }
  /// Whether the vector is the result of an MXM multiply not yet computed.
  bool pending(uint32_t i) const { return pending_[i]; }
  void setPending(uint32_t i, bool p) { pending_[i] = p; }

private:
  struct AlignedDelete {
    void operator()(uint8_t *p) const {
      ::operator delete[](p, std::align_val_t(64));
    }
  };
  static constexpr uint32_t kChunk = 1024;
  uint32_t lanes_;
  uint32_t next_ = 0;
  std::vector<std::unique_ptr<uint8_t[], AlignedDelete>> chunks_;
  std::vector<uint32_t> refs_;
  std::vector<uint8_t> pending_;
  std::vector<uint32_t> free_;
};

struct Put {
  int32_t pos;
  uint32_t tag;
  uint32_t slot;
};

/// The puts on one diagonal of one stream (see docs/emulator.md): two
/// inline, more in `more`. `d` is the diagonal held (kNoDiag: none).
struct Diag {
  static constexpr int64_t kNoDiag = INT64_MIN;
  int64_t d = kNoDiag;
  uint32_t n = 0; // inline puts used
  Put inl[2];
  std::vector<Put> more;
};

struct Event {
  uint64_t cycle;
  uint8_t phase; // 0: MEM write commit, 1: MXM load read, 2: sync check,
                 // 3: issue
  uint32_t queue;
  uint32_t k; // phase 0: pending write index; phase 1: load step;
              // phase 2: the sync's issue cycle's low bits (unused)
  bool operator>(const Event &o) const {
    if (cycle != o.cycle)
      return cycle > o.cycle;
    if (phase != o.phase)
      return phase > o.phase;
    if (queue != o.queue)
      return queue > o.queue;
    return k > o.k;
  }
};

/// An event of phase 0..2 in the cycle ring (the cycle is the slot's).
struct SideEvent {
  uint8_t phase;
  uint32_t queue;
  uint32_t k;
  bool operator<(const SideEvent &o) const {
    if (phase != o.phase)
      return phase < o.phase;
    if (queue != o.queue)
      return queue < o.queue;
    return k < o.k;
  }
};

struct PendingWrite {
  uint32_t slice, bank, row, slot;
};

/// A vector on its way between chips.
struct C2cMessage {
  uint32_t src = 0, dst = 0;
  uint32_t queue = 0; // the sender's C2C queue
  uint64_t sendCycle = 0;
  Instruction send;
  uint32_t tag = 0;          // the tag the vector had on the sender's stream
  std::vector<uint8_t> data; // lanes bytes (empty in timing-only mode)
};

struct AccRow {
  bool valid = false;
  bool isInt = false;
  std::vector<float> f;
  std::vector<int32_t> i;
};

/// A float multiply whose product is not yet computed (see flushPlane).
struct PendingMul {
  AccRow *acc;
  bool accumulate, emit;
  bool finite;         // every activation is finite
  uint32_t rows, cols; // the product's extent (see issue: MxmMul)
  uint32_t slots[4];   // the emitted group (held until computed)
  uint8_t wide;        // replay: kWideOut, kNoPlanes of the Mul op
};

struct Plane {
  // Shadow buffer.
  bool shadowLoaded = false; // a complete tile, or one being loaded
  uint64_t shadowDone = 0;   // first cycle install may use it
  DType shadowType = DType::Invalid;
  uint32_t shadowRows = 0; // loaded tile rows; the rest are zero
  // Columns up to the last one with a nonzero (or non-finite) float weight;
  // the rest of the tile is +-0 (their products sum to +0, skipped when the
  // activations are finite).
  uint32_t shadowCols = 0, activeCols = 0;
  // The tile holds a NaN weight: its products go through mxmKernelF32 one
  // vector at a time (the NaN operand that propagates through an add is
  // the compiler's choice; this keeps the NaN bits of that kernel).
  bool shadowNaN = false, activeNaN = false;
  // The tile holds an infinite or NaN weight (else mxmNeededRows need not
  // look at the weights of rows whose activations are all +-0).
  bool shadowNonFinite = false, activeNonFinite = false;
  // Every row's columns [0, cols) hold the same bits (a tile of ones that
  // sums the lanes, as lpuc's layer norms use): every column's sum is the
  // first's.
  bool shadowUniform = false, activeUniform = false;
  std::vector<float> shadowF;
  std::vector<int32_t> shadowI;
  std::vector<uint32_t> rawSlots; // plane-rows while loading (referenced)
  // Rows of shadowF / activeF that may be nonzero (the rest are zero).
  uint32_t shadowDirtyRows = 0, activeDirtyRows = 0;
  // Load in progress.
  Instruction load;
  const Instruction *loadInst = nullptr; // the program's (for traces)
  uint64_t loadIssue = 0;
  // Active tile.
  bool active = false;
  DType activeType = DType::Invalid;
  uint32_t activeRows = 0;
  std::vector<float> activeF;
  std::vector<int32_t> activeI;
  std::vector<std::unique_ptr<AccRow>> acc;
  // Float multiplies of the active tile not yet computed, in issue order,
  // and their activations (lanes floats each).
  std::vector<PendingMul> pending;
  std::vector<float> pendingAct;
  // Replay: multiply ops on this plane so far, and how many of them are
  // computed (Commit).
  uint32_t mulsIssued = 0, mulsComputed = 0;
};

/// binary16 <-> binary32 with the x86 F16C instructions where the CPU has
/// them: both round to nearest even and treat subnormals, infinities and
/// overflow as isa::halfToFloat / isa::floatToHalf do; NaN lanes (whose
/// payload and quiet bit handling may differ) are redone by the scalar
/// functions, so the bits are theirs (gtest Emulator.F16cConversionsExact).
#if defined(__x86_64__)
bool haveF16c() {
  static const bool have =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
  return have;
}

bool haveAvx512Bw() {
  static const bool have = __builtin_cpu_supports("avx512f") &&
                           __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512vl");
  return have;
}

/// What halvesToFloatsF16c found among the lanes.
constexpr unsigned kWidenedNaN = 1, kWidenedNonFinite = 2;

/// halvesToFloatsF16c 32 lanes a step. Infinite and NaN halves are found on
/// the halves (magnitude 0x7c00 and above 0x7c00), once per call; NaNs are
/// widened again by isa::halfToFloat (the instruction quiets signalling
/// NaNs).
__attribute__((target("avx512f,avx512bw,avx512vl,f16c"))) unsigned
halvesToFloatsAvx512(const uint8_t *lo, const uint8_t *hi, uint32_t n,
                     float *out) {
  const __m256i mag = _mm256_set1_epi16(0x7fff),
                big = _mm256_set1_epi16(0x7bff),
                inf = _mm256_set1_epi16(0x7c00);
  __mmask16 nonFinite = 0, nan = 0;
  uint32_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i l = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(lo + i));
    __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(hi + i));
    __m256i a = _mm256_unpacklo_epi8(l, h); // halves 0-7 | 16-23
    __m256i b = _mm256_unpackhi_epi8(l, h); // halves 8-15 | 24-31
    __m256i x = _mm256_permute2x128_si256(a, b, 0x20);
    __m256i y = _mm256_permute2x128_si256(a, b, 0x31);
    _mm512_storeu_ps(out + i, _mm512_cvtph_ps(x));
    _mm512_storeu_ps(out + i + 16, _mm512_cvtph_ps(y));
    __m256i mx = _mm256_and_si256(x, mag), my = _mm256_and_si256(y, mag);
    nonFinite |=
        _mm256_cmpgt_epu16_mask(mx, big) | _mm256_cmpgt_epu16_mask(my, big);
    nan |= _mm256_cmpgt_epu16_mask(mx, inf) | _mm256_cmpgt_epu16_mask(my, inf);
  }
  unsigned found = (nonFinite ? kWidenedNonFinite : 0) |
                   (nan ? kWidenedNaN | kWidenedNonFinite : 0);
  for (; i < n; ++i) {
    uint16_t hv = uint16_t(lo[i] | hi[i] << 8);
    out[i] = _cvtsh_ss(hv);
    if ((hv & 0x7fff) >= 0x7c00)
      found |= (hv & 0x7fff) > 0x7c00 ? kWidenedNaN | kWidenedNonFinite
                                      : kWidenedNonFinite;
  }
  if (found & kWidenedNaN)
    for (i = 0; i < n; ++i)
      if (uint16_t hv = uint16_t(lo[i] | hi[i] << 8); (hv & 0x7fff) > 0x7c00)
        out[i] = isa::halfToFloat(hv);
  return found;
}

/// Returns kWidenedNaN if a lane is NaN, kWidenedNonFinite if one is
/// infinite or NaN.
__attribute__((target("avx2,f16c"))) unsigned
halvesToFloatsF16c(const uint8_t *lo, const uint8_t *hi, uint32_t n,
                   float *out) {
  if (haveAvx512Bw())
    return halvesToFloatsAvx512(lo, hi, n, out);
  const __m256 inf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
  const __m256 mag = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  uint32_t i = 0;
  unsigned found = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i l = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(lo + i));
    __m128i h = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(hi + i));
    __m256 f = _mm256_cvtph_ps(_mm_unpacklo_epi8(l, h));
    _mm256_storeu_ps(out + i, f);
    // |f| not below inf: inf or NaN.
    if (!_mm256_movemask_ps(
            _mm256_cmp_ps(_mm256_and_ps(f, mag), inf, _CMP_NLT_UQ)))
      continue;
    found |= kWidenedNonFinite;
    if (int nan = _mm256_movemask_ps(_mm256_cmp_ps(f, f, _CMP_UNORD_Q))) {
      found |= kWidenedNaN;
      for (int k = 0; k < 8; ++k)
        if (nan & (1 << k))
          out[i + k] = isa::halfToFloat(uint16_t(lo[i + k] | hi[i + k] << 8));
    }
  }
  for (; i < n; ++i) {
    out[i] = isa::halfToFloat(uint16_t(lo[i] | hi[i] << 8));
    if (!std::isfinite(out[i]))
      found |= out[i] != out[i] ? kWidenedNaN | kWidenedNonFinite
                                : kWidenedNonFinite;
  }
  return found;
}

__attribute__((target("avx2,f16c"))) void
floatsToHalvesF16c(const float *v, uint32_t n, uint32_t *bits) {
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 f = _mm256_loadu_ps(v + i);
    __m128i h =
        _mm256_cvtps_ph(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(bits + i),
                        _mm256_cvtepu16_epi32(h));
    if (int nan = _mm256_movemask_ps(_mm256_cmp_ps(f, f, _CMP_UNORD_Q)))
      for (int k = 0; k < 8; ++k)
        if (nan & (1 << k))
          bits[i + k] = isa::floatToHalf(v[i + k]);
  }
  for (; i < n; ++i)
    bits[i] = isa::floatToHalf(v[i]);
}
/// Floats to binary16 planes 16 lanes a step (the conversion of
/// floatsToHalvesF16c, the bytes split by vpmovwb). A NaN becomes what
/// isa::floatToHalf makes of it too: quiet, the payload's top bits kept.
__attribute__((target("avx512f,avx512bw,avx512vl,f16c"))) void
floatsToHalfPlanesAvx512(const float *v, uint32_t n, uint8_t *lo, uint8_t *hi) {
  uint32_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i h = _mm512_cvtps_ph(_mm512_loadu_ps(v + i),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i *>(lo + i),
                     _mm256_cvtepi16_epi8(h));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(hi + i),
                     _mm256_cvtepi16_epi8(_mm256_srli_epi16(h, 8)));
  }
  for (; i < n; ++i) {
    uint16_t hv = isa::floatToHalf(v[i]);
    lo[i] = uint8_t(hv);
    hi[i] = uint8_t(hv >> 8);
  }
}

/// halvesToFloatsF16c of halves held in the low 16 bits of words.
__attribute__((target("avx2,f16c"))) void
halfWordsToFloatsF16c(const uint32_t *bits, uint32_t n, float *out) {
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i *q = reinterpret_cast<const __m128i *>(bits + i);
    __m128i h = _mm_packus_epi32(_mm_loadu_si128(q), _mm_loadu_si128(q + 1));
    __m256 f = _mm256_cvtph_ps(h);
    _mm256_storeu_ps(out + i, f);
    if (int nan = _mm256_movemask_ps(_mm256_cmp_ps(f, f, _CMP_UNORD_Q)))
      for (int k = 0; k < 8; ++k)
        if (nan & (1 << k))
          out[i + k] = isa::halfToFloat(uint16_t(bits[i + k]));
  }
  for (; i < n; ++i)
    out[i] = isa::halfToFloat(uint16_t(bits[i]));
}
#else
bool haveF16c() { return false; }
constexpr unsigned kWidenedNaN = 1, kWidenedNonFinite = 2;
unsigned halvesToFloatsF16c(const uint8_t *, const uint8_t *, uint32_t,
                            float *) {
  return 0;
}
void halfWordsToFloatsF16c(const uint32_t *, uint32_t, float *) {}
void floatsToHalvesF16c(const float *, uint32_t, uint32_t *) {}
#endif

} // namespace

/// 16 lanes of 4 byte planes to 16 little-endian words: two rounds of
/// interleaving (bytes 0,1 and 2,3 into halves, halves into words). SSE2,
/// so every x86-64 CPU has it; lanes past the last multiple of 16 by the
/// scalar loop.
void planesToWords(const uint8_t *const *p, uint32_t n, uint32_t *out) {
  const uint8_t *p0 = p[0], *p1 = p[1], *p2 = p[2], *p3 = p[3];
  uint32_t i = 0;
#if defined(__x86_64__)
  for (; i + 16 <= n; i += 16) {
    auto ld = [&](const uint8_t *q) {
      return _mm_loadu_si128(reinterpret_cast<const __m128i *>(q + i));
    };
    __m128i a = ld(p0), b = ld(p1), c = ld(p2), d = ld(p3);
    __m128i abLo = _mm_unpacklo_epi8(a, b), abHi = _mm_unpackhi_epi8(a, b);
    __m128i cdLo = _mm_unpacklo_epi8(c, d), cdHi = _mm_unpackhi_epi8(c, d);
    __m128i *o = reinterpret_cast<__m128i *>(out + i);
    _mm_storeu_si128(o, _mm_unpacklo_epi16(abLo, cdLo));
    _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(abLo, cdLo));
    _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(abHi, cdHi));
    _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(abHi, cdHi));
  }
#endif
  for (; i < n; ++i)
    out[i] = uint32_t(p0[i]) | uint32_t(p1[i]) << 8 | uint32_t(p2[i]) << 16 |
             uint32_t(p3[i]) << 24;
}

/// The inverse: 16 words to 4 byte planes at a time. Each word's bytes are
/// gathered plane by plane (an unzip by two rounds of interleaving: SSE2).
void wordsToPlanes(const uint32_t *bits, uint32_t n, uint8_t *const *p) {
  uint8_t *p0 = p[0], *p1 = p[1], *p2 = p[2], *p3 = p[3];
  uint32_t i = 0;
#if defined(__x86_64__)
  const __m128i lo8 = _mm_set1_epi16(0x00ff);
  for (; i + 16 <= n; i += 16) {
    const __m128i *q = reinterpret_cast<const __m128i *>(bits + i);
    __m128i w0 = _mm_loadu_si128(q), w1 = _mm_loadu_si128(q + 1),
            w2 = _mm_loadu_si128(q + 2), w3 = _mm_loadu_si128(q + 3);
    // Even bytes (planes 0 and 2) and odd bytes (planes 1 and 3) of each
    // 16-bit half, packed: e = b0 b2 of lanes 0..15 in order.
    __m128i e01 =
        _mm_packus_epi16(_mm_and_si128(w0, lo8), _mm_and_si128(w1, lo8));
    __m128i e23 =
        _mm_packus_epi16(_mm_and_si128(w2, lo8), _mm_and_si128(w3, lo8));
    __m128i o01 =
        _mm_packus_epi16(_mm_srli_epi16(w0, 8), _mm_srli_epi16(w1, 8));
    __m128i o23 =
        _mm_packus_epi16(_mm_srli_epi16(w2, 8), _mm_srli_epi16(w3, 8));
    // e01 holds (b0, b2) pairs of lanes 0..7, e23 of lanes 8..15.
    __m128i b0 =
        _mm_packus_epi16(_mm_and_si128(e01, lo8), _mm_and_si128(e23, lo8));
    __m128i b2 =
        _mm_packus_epi16(_mm_srli_epi16(e01, 8), _mm_srli_epi16(e23, 8));
    __m128i b1 =
        _mm_packus_epi16(_mm_and_si128(o01, lo8), _mm_and_si128(o23, lo8));
    __m128i b3 =
        _mm_packus_epi16(_mm_srli_epi16(o01, 8), _mm_srli_epi16(o23, 8));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(p0 + i), b0);
    _mm_storeu_si128(reinterpret_cast<__m128i *>(p1 + i), b1);
    _mm_storeu_si128(reinterpret_cast<__m128i *>(p2 + i), b2);
    _mm_storeu_si128(reinterpret_cast<__m128i *>(p3 + i), b3);
  }
#endif
  for (; i < n; ++i) {
    uint32_t b = bits[i];
    p0[i] = uint8_t(b);
    p1[i] = uint8_t(b >> 8);
    p2[i] = uint8_t(b >> 16);
    p3[i] = uint8_t(b >> 24);
  }
}

/// The low 16 bits of n words to two byte planes (bits 0-7, bits 8-15):
/// 16 lanes at a time by SSE2 (the words' high halves are ignored).
void halfWordsToPlanes(const uint32_t *bits, uint32_t n, uint8_t *p0,
                       uint8_t *p1) {
  uint32_t i = 0;
#if defined(__x86_64__)
  const __m128i lo8 = _mm_set1_epi16(0x00ff);
  for (; i + 16 <= n; i += 16) {
    const __m128i *q = reinterpret_cast<const __m128i *>(bits + i);
    // The low halves of 8 words, as 16-bit lanes (shift out the high half
    // then arithmetic-shift back: packs_epi32 saturates signed values).
    auto halves = [](__m128i a, __m128i b) {
      a = _mm_srai_epi32(_mm_slli_epi32(a, 16), 16);
      b = _mm_srai_epi32(_mm_slli_epi32(b, 16), 16);
      return _mm_packs_epi32(a, b);
    };
    __m128i h0 = halves(_mm_loadu_si128(q), _mm_loadu_si128(q + 1));
    __m128i h1 = halves(_mm_loadu_si128(q + 2), _mm_loadu_si128(q + 3));
    __m128i b0 =
        _mm_packus_epi16(_mm_and_si128(h0, lo8), _mm_and_si128(h1, lo8));
    __m128i b1 = _mm_packus_epi16(_mm_srli_epi16(h0, 8), _mm_srli_epi16(h1, 8));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(p0 + i), b0);
    _mm_storeu_si128(reinterpret_cast<__m128i *>(p1 + i), b1);
  }
#endif
  for (; i < n; ++i) {
    p0[i] = uint8_t(bits[i]);
    p1[i] = uint8_t(bits[i] >> 8);
  }
}

namespace {

/// Decodes `lanes` elements from byte planes.
void decodeF(DType d, const uint8_t *const *p, uint32_t lanes, float *out) {
  switch (d) {
  case DType::F32:
    planesToWords(p, lanes, reinterpret_cast<uint32_t *>(out));
    break;
  case DType::F16: {
    if (haveF16c()) {
      halvesToFloatsF16c(p[0], p[1], lanes, out);
      break;
    }
    // Every binary16 widened once (exact: the same bits as halfToFloat).
    static const std::vector<float> table = [] {
      std::vector<float> t(65536);
      for (uint32_t h = 0; h < 65536; ++h)
        t[h] = isa::halfToFloat(uint16_t(h));
      return t;
    }();
    for (uint32_t i = 0; i < lanes; ++i)
      out[i] = table[uint16_t(p[0][i] | p[1][i] << 8)];
    break;
  }
  case DType::BF16:
    for (uint32_t i = 0; i < lanes; ++i)
      out[i] = isa::bf16ToFloat(uint16_t(p[0][i] | p[1][i] << 8));
    break;
  case DType::FP8E4M3:
    for (uint32_t i = 0; i < lanes; ++i)
      out[i] = isa::fp8E4M3ToFloat(p[0][i]);
    break;
  case DType::I8:
    for (uint32_t i = 0; i < lanes; ++i)
      out[i] = float(int8_t(p[0][i]));
    break;
  case DType::I32:
    for (uint32_t i = 0; i < lanes; ++i)
      out[i] =
          float(int32_t(uint32_t(p[0][i]) | uint32_t(p[1][i]) << 8 |
                        uint32_t(p[2][i]) << 16 | uint32_t(p[3][i]) << 24));
    break;
  default:
    break;
  }
}

/// decodeF of the planes encodeBits would write from `bits` (a float type's
/// lane bits, one per word): the same floats, without the planes.
void decodeBitsF(DType d, const uint32_t *bits, uint32_t lanes, float *out) {
  switch (d) {
  case DType::F32:
    std::memcpy(out, bits, size_t(lanes) * sizeof(float));
    break;
  case DType::F16:
    if (haveF16c()) {
      halfWordsToFloatsF16c(bits, lanes, out);
      break;
    }
    for (uint32_t i = 0; i < lanes; ++i) // decodeF's table holds these
      out[i] = isa::halfToFloat(uint16_t(bits[i]));
    break;
  case DType::BF16:
    for (uint32_t i = 0; i < lanes; ++i)
      out[i] = isa::bf16ToFloat(uint16_t(bits[i]));
    break;
  case DType::FP8E4M3:
    for (uint32_t i = 0; i < lanes; ++i)
      out[i] = isa::fp8E4M3ToFloat(uint8_t(bits[i]));
    break;
  default:
    break;
  }
}

void decodeI(DType d, const uint8_t *const *p, uint32_t lanes, int64_t *out) {
  if (d == DType::I8) {
    for (uint32_t i = 0; i < lanes; ++i)
      out[i] = int8_t(p[0][i]);
  } else {
    // Through a 32-bit scratch that the widening loop then reads.
    uint32_t tmp[64];
    for (uint32_t i = 0; i < lanes; i += 64) {
      uint32_t n = std::min<uint32_t>(64, lanes - i);
      const uint8_t *q[4] = {p[0] + i, p[1] + i, p[2] + i, p[3] + i};
      planesToWords(q, n, tmp);
      for (uint32_t k = 0; k < n; ++k)
        out[i + k] = int32_t(tmp[k]);
    }
  }
}

void encodeBits(unsigned w, const uint32_t *__restrict bits, uint32_t lanes,
                uint8_t *const *p) {
  if (w == 4) {
    wordsToPlanes(bits, lanes, p);
    return;
  }
  if (w == 2) {
    halfWordsToPlanes(bits, lanes, p[0], p[1]);
    return;
  }
  // One plane at a time through a restrict pointer: vectorised (the plane
  // pointers would otherwise be reloaded per lane, as they may alias).
  for (unsigned b = 0; b < w; ++b) {
    uint8_t *__restrict o = p[b];
    unsigned sh = 8 * b;
    for (uint32_t i = 0; i < lanes; ++i)
      o[i] = uint8_t(bits[i] >> sh);
  }
}

/// Rounds a float to an integer type: nearest even, saturating, NaN -> 0.
int64_t toInt(float v, DType d) {
  double lo = d == DType::I8 ? -128.0 : -2147483648.0;
  double hi = d == DType::I8 ? 127.0 : 2147483647.0;
  if (std::isnan(v))
    return 0;
  double r = std::nearbyint(double(v));
  return int64_t(std::min(hi, std::max(lo, r)));
}

uint32_t wrapInt(int64_t v, DType d) {
  return d == DType::I8 ? uint32_t(uint8_t(int8_t(v))) : uint32_t(v);
}

void encodeFloats(DType d, const float *v, uint32_t lanes, uint32_t *bits) {
  switch (d) {
  case DType::F32:
    for (uint32_t i = 0; i < lanes; ++i)
      bits[i] = isa::floatBits(v[i]);
    break;
  case DType::F16:
    if (haveF16c()) {
      floatsToHalvesF16c(v, lanes, bits);
      break;
    }
    for (uint32_t i = 0; i < lanes; ++i)
      bits[i] = isa::floatToHalf(v[i]);
    break;
  case DType::BF16:
    for (uint32_t i = 0; i < lanes; ++i)
      bits[i] = isa::floatToBF16(v[i]);
    break;
  case DType::FP8E4M3:
    for (uint32_t i = 0; i < lanes; ++i)
      bits[i] = isa::floatToFp8E4M3(v[i]);
    break;
  case DType::I8:
  case DType::I32:
    for (uint32_t i = 0; i < lanes; ++i)
      bits[i] = wrapInt(toInt(v[i], d), d);
    break;
  default:
    break;
  }
}

float fmaxNan(float a, float b) {
  if (a != a)
    return a;
  if (b != b)
    return b;
  return a > b ? a : b;
}
float fminNan(float a, float b) {
  if (a != a)
    return a;
  if (b != b)
    return b;
  return a < b ? a : b;
}

/// out[i] = src[idx[i]] for i < n (restrict: the byte stores cannot alias
/// the indices or the count).
void gatherBytes(uint8_t *__restrict out, const uint8_t *__restrict src,
                 const uint16_t *__restrict idx, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i)
    out[i] = src[idx[i]];
}

#if defined(__x86_64__)
bool haveVbmi() {
  static const bool have = __builtin_cpu_supports("avx512vbmi") &&
                           __builtin_cpu_supports("avx512bw");
  return have;
}

/// gatherBytes for n a multiple of 64 from the 2n bytes a, then b (or n
/// zeros when b is null), with the index split into its low 7 bits (`lo`)
/// and its 128-byte window (`win`): per 64 output bytes, one two-register
/// byte permute per window that one of them uses (bit k of used[c / 64]).
/// The windows are read from a and b in place (n is a multiple of 64: no
/// window straddles them within a register).
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void
gatherBytesVbmi(uint8_t *out, const uint8_t *a, const uint8_t *b,
                const uint8_t *lo, const uint8_t *win, const uint32_t *used,
                uint32_t n) {
  uint32_t chunksA = n / 64;
  alignas(64) static const uint8_t zeros[64] = {};
  // The 64 source bytes of chunk j (a's, b's or zeros).
  auto chunk = [&](uint32_t j) -> const uint8_t * {
    if (j < chunksA)
      return a + 64 * size_t(j);
    return b ? b + 64 * size_t(j - chunksA) : zeros;
  };
  for (uint32_t c = 0; c < n; c += 64) {
    __m512i l = _mm512_loadu_si512(lo + c);
    __m512i w = _mm512_loadu_si512(win + c);
    __m512i r = _mm512_setzero_si512();
    for (uint32_t m = used[c / 64]; m; m &= m - 1) {
      uint32_t k = uint32_t(__builtin_ctz(m));
      __m512i t =
          _mm512_permutex2var_epi8(_mm512_loadu_si512(chunk(2 * k)), l,
                                   _mm512_loadu_si512(chunk(2 * k + 1)));
      __mmask64 sel = _mm512_cmpeq_epi8_mask(w, _mm512_set1_epi8(char(k)));
      r = _mm512_mask_mov_epi8(r, sel, t);
    }
    _mm512_storeu_si512(out + c, r);
  }
}
#else
bool haveVbmi() { return false; }
void gatherBytesVbmi(uint8_t *, const uint8_t *, const uint8_t *,
                     const uint8_t *, const uint8_t *, const uint32_t *,
                     uint32_t) {}
#endif

/// The MXM kernels: r[n] += act[k] * W[k][n] for k = 0 .. rows-1 in order
/// (the float kernel for n < cols; the caller leaves the rest at +0)
/// (float: fp32 products and sums, no contraction; int: wrapping int32).
/// Built for AVX2 and the baseline (the loader picks at run time); both
/// compute lane-wise in the same order, so the bits are the same.
__attribute__((target_clones("avx2", "default"))) void
mxmKernelF32(const float *act, const float *W, uint32_t rows, uint32_t L,
             uint32_t cols, float *r) {
  for (uint32_t k = 0; k < rows; ++k) {
    float a = act[k];
    const float *wk = W + size_t(k) * L;
    for (uint32_t n = 0; n < cols; ++n)
      r[n] += a * wk[n];
  }
}

/// Sixteen fp32 lanes (clang vector extension: lane-wise IEEE operations;
/// with -ffp-contract=off `x + a * w` is a multiply and an add).
typedef float F16Lanes __attribute__((ext_vector_type(16)));

/// C[i][n] = sum_k A[i][k] * W[k][n] for i < MR, n in [n0, n0 + 16 NB),
/// over k = ks[kk] (List; else k = kk) for kk in [k0, k1) in order: the
/// sums start at +0 when k0 == 0, else at the values in C (the sums so far,
/// stored as floats: exact). Per lane exactly mxmKernelF32's arithmetic: a
/// product rounded to fp32, then an add. With Fma, one fused multiply-add
/// instead; only used where every product is exact in fp32 (see
/// mxmGemmF32), where round(a * w + acc) == round(round(a * w) + acc).
template <int MR, int NB, bool Fma, bool List>
__attribute__((always_inline)) inline void
mxmBlockF32(const float *A, size_t lda, const float *W, size_t ldw,
            const uint32_t *ks, uint32_t k0, uint32_t k1, uint32_t n0, float *C,
            size_t ldc) {
  F16Lanes acc[MR][NB];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NB; ++j) {
      if (k0 == 0)
        acc[i][j] = 0.0f;
      else
        std::memcpy(&acc[i][j], C + size_t(i) * ldc + n0 + 16 * j,
                    sizeof(F16Lanes));
    }
  for (uint32_t kk = k0; kk < k1; ++kk) {
    uint32_t k = List ? ks[kk] : kk;
    const float *wk = W + size_t(k) * ldw + n0;
    F16Lanes w[NB];
    for (int j = 0; j < NB; ++j)
      std::memcpy(&w[j], wk + 16 * j, sizeof(F16Lanes));
    for (int i = 0; i < MR; ++i) {
      F16Lanes a = A[size_t(i) * lda + k];
      for (int j = 0; j < NB; ++j) {
        if constexpr (Fma)
          acc[i][j] = __builtin_elementwise_fma(a, w[j], acc[i][j]);
        else
          acc[i][j] = acc[i][j] + a * w[j];
      }
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NB; ++j)
      std::memcpy(C + size_t(i) * ldc + n0 + 16 * j, &acc[i][j],
                  sizeof(F16Lanes));
}

/// Every row of A (blocks of MR, one of MR / 2, then single rows) for one
/// column block.
template <int MR, int NB, bool Fma, bool List>
__attribute__((always_inline)) inline void
mxmColsF32(const float *A, size_t lda, uint32_t M, const float *W, size_t ldw,
           const uint32_t *ks, uint32_t k0, uint32_t k1, uint32_t n0, float *C,
           size_t ldc) {
  uint32_t i = 0;
  for (; i + MR <= M; i += MR)
    mxmBlockF32<MR, NB, Fma, List>(A + i * lda, lda, W, ldw, ks, k0, k1, n0,
                                   C + i * ldc, ldc);
  if constexpr (MR > 1)
    if (M - i >= MR / 2) {
      mxmBlockF32<MR / 2, NB, Fma, List>(A + i * lda, lda, W, ldw, ks, k0, k1,
                                         n0, C + i * ldc, ldc);
      i += MR / 2;
    }
  for (; i < M; ++i)
    mxmBlockF32<1, NB, Fma, List>(A + i * lda, lda, W, ldw, ks, k0, k1, n0,
                                  C + i * ldc, ldc);
}

/// The loop nest: column blocks of 16 NB lanes (the rest one vector at a
/// time), k in blocks of kMxmKBlock (that part of the tile stays in L1
/// while every row of A passes over it), rows of A in blocks of MR. Each
/// C[i][n] still sums over its k in order.
constexpr uint32_t kMxmKBlock = 64;

template <int MR, int NB, bool Fma, bool List>
__attribute__((always_inline)) inline void
mxmGemmBody(const float *A, size_t lda, uint32_t M, const float *W, size_t ldw,
            const uint32_t *ks, uint32_t nk, uint32_t vBegin, uint32_t vEnd,
            float *C, size_t ldc) {
  uint32_t v = vBegin;
  for (; v + NB <= vEnd; v += NB) {
    uint32_t k0 = 0;
    do {
      uint32_t k1 = std::min(nk, k0 + kMxmKBlock);
      mxmColsF32<MR, NB, Fma, List>(A, lda, M, W, ldw, ks, k0, k1, 16 * v, C,
                                    ldc);
      k0 = k1;
    } while (k0 < nk);
  }
  for (; v < vEnd; ++v) {
    uint32_t k0 = 0;
    do {
      uint32_t k1 = std::min(nk, k0 + kMxmKBlock);
      mxmColsF32<MR, 1, Fma, List>(A, lda, M, W, ldw, ks, k0, k1, 16 * v, C,
                                   ldc);
      k0 = k1;
    } while (k0 < nk);
  }
}

#if defined(__x86_64__)
bool haveAvx512Fma() {
  static const bool have =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  return have;
}

// 8 x 2 blocks: 16 accumulators, 2 tile vectors and a broadcast in the 32
// registers.
__attribute__((target("avx512f,fma"))) void
mxmGemmF32Avx512(const float *A, size_t lda, uint32_t M, const float *W,
                 size_t ldw, const uint32_t *ks, uint32_t nk, uint32_t vBegin,
                 uint32_t vEnd, float *C, size_t ldc, bool fma) {
  if (fma && ks)
    mxmGemmBody<8, 2, true, true>(A, lda, M, W, ldw, ks, nk, vBegin, vEnd, C,
                                  ldc);
  else if (fma)
    mxmGemmBody<8, 2, true, false>(A, lda, M, W, ldw, ks, nk, vBegin, vEnd, C,
                                   ldc);
  else if (ks)
    mxmGemmBody<8, 2, false, true>(A, lda, M, W, ldw, ks, nk, vBegin, vEnd, C,
                                   ldc);
  else
    mxmGemmBody<8, 2, false, false>(A, lda, M, W, ldw, ks, nk, vBegin, vEnd, C,
                                    ldc);
}
#else
bool haveAvx512Fma() { return false; }
void mxmGemmF32Avx512(const float *, size_t, uint32_t, const float *, size_t,
                      const uint32_t *, uint32_t, uint32_t, uint32_t, float *,
                      size_t, bool) {}
#endif

__attribute__((target_clones("avx2", "default"))) void
mxmGemmF32Generic(const float *A, size_t lda, uint32_t M, const float *W,
                  size_t ldw, const uint32_t *ks, uint32_t nk, uint32_t vBegin,
                  uint32_t vEnd, float *C, size_t ldc) {
  if (ks)
    mxmGemmBody<4, 2, false, true>(A, lda, M, W, ldw, ks, nk, vBegin, vEnd, C,
                                   ldc);
  else
    mxmGemmBody<4, 2, false, false>(A, lda, M, W, ldw, ks, nk, vBegin, vEnd, C,
                                    ldc);
}

} // namespace

void mxmGemmF32(const float *A, size_t lda, uint32_t M, const float *W,
                size_t ldw, const uint32_t *ks, uint32_t nk, uint32_t vBegin,
                uint32_t vEnd, float *C, size_t ldc, MxmProducts products) {
  if (products != MxmProducts::Generic && haveAvx512Fma())
    mxmGemmF32Avx512(A, lda, M, W, ldw, ks, nk, vBegin, vEnd, C, ldc,
                     products == MxmProducts::Exact);
  else
    mxmGemmF32Generic(A, lda, M, W, ldw, ks, nk, vBegin, vEnd, C, ldc);
}

// Built for AVX-512, AVX2 and the baseline: integer ORs and compares, the
// same result on each.
__attribute__((target_clones("avx512f", "avx2", "default"))) uint32_t
mxmNeededRows(const float *A, size_t lda, uint32_t M, const float *W,
              size_t ldw, uint32_t rows, uint32_t cols, uint32_t *ks) {
  // ks[k] first holds the OR of the activations' magnitude bits at k; the
  // list then overwrites it from the front (ks[nk] with nk <= k, already
  // read).
  std::fill(ks, ks + rows, 0u);
  for (uint32_t i = 0; i < M; ++i) {
    const float *a = A + size_t(i) * lda;
    for (uint32_t k = 0; k < rows; ++k) {
      uint32_t bits;
      std::memcpy(&bits, a + k, sizeof(bits));
      ks[k] |= bits & 0x7fffffffu;
    }
  }
  uint32_t nk = 0;
  for (uint32_t k = 0; k < rows; ++k) {
    uint32_t needed = ks[k] != 0;
    if (!needed && W) {
      // Without an early exit (vectorised).
      const float *wk = W + size_t(k) * ldw;
      for (uint32_t n = 0; n < cols; ++n) {
        uint32_t bits;
        std::memcpy(&bits, wk + n, sizeof(bits));
        needed |= uint32_t((bits & 0x7f800000u) == 0x7f800000u);
      }
    }
    if (needed)
      ks[nk++] = k;
  }
  return nk;
}

namespace {

/// acc[n] += r[n] (lane-wise fp32 adds: the same bits on every build).
__attribute__((target_clones("avx512f", "avx2", "default"))) void
addFloats(float *__restrict acc, const float *__restrict r, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i)
    acc[i] += r[i];
}

__attribute__((target_clones("avx2", "default"))) void
mxmKernelI32(const int64_t *act, const int32_t *W, uint32_t rows, uint32_t L,
             uint32_t *r) {
  for (uint32_t k = 0; k < rows; ++k) {
    uint32_t a = uint32_t(int32_t(act[k]));
    const int32_t *wk = W + size_t(k) * L;
    for (uint32_t n = 0; n < L; ++n)
      r[n] += a * uint32_t(wk[n]);
  }
}

/// Float multiplies of one plane computed together at most.
constexpr size_t kMaxPendingMuls = 64;

class ChipRun {
public:
  ChipRun(const isa::Machine &m, uint32_t chip, const ChipProgram &prog,
          Sram &sram, bool timingOnly);

  /// Sets up the event-driven state and queues the first issue of every
  /// queue (a replay calls neither).
  void start();
  /// Recording (timing-only runs): every data operation is appended to `t`
  /// with the stream values it reads and writes numbered (finishTrace then
  /// assigns buffers).
  void setRecorder(ChipTrace *t) { rec_ = t; }
  /// Executes a finished trace (a data run): the data operations only, in
  /// the recorded order; returns the recorded timing outcome.
  absl::Status replay(const ChipTrace &t);
  /// Runs every event before cycle `limit`.
  absl::Status runUntil(uint64_t limit, RunStats &stats,
                        std::vector<uint64_t> &unitBusy);
  /// The cycle of the next event (UINT64_MAX when the chip is done).
  uint64_t nextCycle() const;
  /// Vectors sent since the last call, in issue order.
  std::vector<C2cMessage> takeOutbox() {
    std::vector<C2cMessage> out;
    out.swap(outbox_);
    return out;
  }
  /// A vector that arrives on `link` of this chip in `cycle`.
  void deliver(uint32_t link, uint64_t cycle, C2cMessage msg) {
    inbox_.emplace(std::make_pair(link, cycle), std::move(msg));
  }
  /// Arrivals no receive took, by (link, cycle).
  const std::map<std::pair<uint32_t, uint64_t>, C2cMessage> &inbox() const {
    return inbox_;
  }

private:
  absl::Status fail(uint32_t q, uint64_t cycle, const Instruction &inst,
                    const std::string &msg) const {
    return absl::FailedPreconditionError(where(m_, chip_, q, cycle, inst) +
                                         msg);
  }
  int64_t diagOf(uint8_t stream, int pos, uint64_t cycle) const {
    return stream < S_ ? int64_t(cycle) - pos : int64_t(cycle) + pos;
  }
  Diag &diagSlot(uint8_t stream, int64_t d) {
    return diags_[size_t(stream) * D_ + size_t(uint64_t(d) & (D_ - 1))];
  }
  /// Queue and busy cycles of an instruction (memoised per opcode, dtype
  /// and ALU op where they depend on nothing else; else from the Machine).
  struct Timing {
    uint32_t queue = 0, busy = 0, latency = 0;
  };
  Timing timing(const Instruction &inst);
  /// Schedules an event (cycle > the cycle being processed).
  void schedule(const Event &e);
  /// Moves far events that come within the ring into it.
  void refill();
  absl::Status processCycle(uint64_t c, RunStats &stats,
                            std::vector<uint64_t> &unitBusy);
  /// Reads a group of `w` streams at (pos, cycle); fills planes.
  absl::Status readGroup(uint32_t q, uint64_t cycle, const Instruction &inst,
                         uint8_t first, unsigned w, uint32_t expect,
                         const uint8_t **planes);
  absl::Status readOne(uint32_t q, uint64_t cycle, const Instruction &inst,
                       uint8_t stream, uint32_t expect, const uint8_t *&out) {
    uint32_t slot;
    if (absl::Status s = readSlot(q, cycle, inst, stream, expect, slot);
        !s.ok())
      return s;
    out = pool_.get(slot);
    return absl::OkStatus();
  }
  absl::Status readSlot(uint32_t q, uint64_t cycle, const Instruction &inst,
                        uint8_t stream, uint32_t expect, uint32_t &slot);
  /// Puts slot values on a group at the queue's position and `cycle`.
  absl::Status putGroup(uint32_t q, uint64_t issue, uint64_t cycle,
                        const Instruction &inst, uint8_t first, unsigned w,
                        uint32_t tag, const uint32_t *slots);
  absl::Status issue(uint32_t q, uint64_t t, const Instruction &inst);
  absl::Status issueVxm(uint32_t q, uint64_t t, const Instruction &inst);
  absl::Status issueSxm(uint32_t q, uint64_t t, const Instruction &inst);
  absl::Status issueChain(uint32_t q, uint64_t t, const Instruction &inst);
  absl::Status syncCheck(uint32_t q, uint64_t cycle);
  absl::Status memRead(uint32_t q, uint64_t t, const Instruction &inst,
                       uint32_t bank, uint32_t row);
  absl::Status memWrite(uint32_t q, uint64_t t, const Instruction &inst,
                        uint32_t bank, uint32_t row);
  absl::Status loadStep(uint32_t q, uint64_t cycle, uint32_t k);
  /// Computes the plane's pending multiplies (batched over the tile) and
  /// applies them in issue order: accumulator rows, emitted vectors.
  void flushPlane(Plane &pl);
  void flushAll() {
    for (Plane &pl : planes_)
      flushPlane(pl);
  }
  absl::Status checkPair(uint32_t q, uint64_t t, const Instruction &inst,
                         uint32_t plane, DType d);
  // Data parts of the instructions (shared by the event-driven run and the
  // replay of a trace).
  void buildTile(Plane &pl, const Instruction &inst,
                 const uint8_t *const *rows);
  void installTile(Plane &pl);
  AccRow &accRow(Plane &pl, uint32_t row);
  void mulData(Plane &pl, AccRow &acc, const Instruction &inst,
               const uint8_t *const *planes, const uint32_t *slots,
               uint8_t wide = 0);
  /// wideIn[g] (when given and not null): operand g's decoded floats
  /// instead of its planes; wideOut: also write the output's floats as a
  /// reader would decode them; planes false: do not write the planes.
  void vxmData(const Instruction &inst, const uint8_t *(*in)[4],
               uint8_t *const *out, const float *const *wideIn = nullptr,
               float *wideOut = nullptr, bool planes = true);
  /// Replay: the float store of buffer b (Lp_ floats, 64-byte aligned).
  float *wideOf(uint32_t b) { return wide_[b]; }
  /// expFloat of each x through a direct-mapped memo of (input bits,
  /// result) pairs: a hit returns the result computed for the same bits, a
  /// miss computes and stores it. (Softmax inputs repeat: on the 55M GPT-2
  /// 97% of the lanes hit; tanh's inputs in the GELU do not, 16%.)
  void memoExp(const float *x, uint32_t L, float *r);
  void chainData(const Instruction &inst, const uint8_t *const *a,
                 const uint8_t *const *b, uint8_t *const *out);
  void sxmData(const Instruction &inst, const uint8_t *const *in,
               uint8_t *const *out);
  absl::Status permuteMap(uint32_t q, uint64_t t, const Instruction &inst);
  void permuteData(const Instruction &inst, const uint8_t *const *a,
                   const uint8_t *const *b, uint8_t *const *out);
  /// A new output vector (numbered when recording).
  uint32_t allocOut() {
    uint32_t slot = pool_.alloc();
    if (rec_) {
      if (valOf_.size() <= slot)
        valOf_.resize(size_t(slot) * 2 + 64);
      valOf_[slot] = rec_->values++;
      recOut_.push_back(valOf_[slot]);
    }
    return slot;
  }
  void record(TraceKind kind, uint32_t unit, uint32_t bank, uint32_t row,
              const Instruction *inst, const std::vector<uint32_t> &in,
              const std::vector<uint32_t> &out) {
    TraceOp op;
    op.kind = kind;
    op.nIn = uint16_t(in.size());
    op.nOut = uint16_t(out.size());
    op.unit = unit;
    op.bank = bank;
    op.row = row;
    op.off = uint32_t(rec_->vals.size());
    op.inst = inst;
    rec_->vals.insert(rec_->vals.end(), in.begin(), in.end());
    rec_->vals.insert(rec_->vals.end(), out.begin(), out.end());
    rec_->ops.push_back(op);
  }
  void recordIssue(uint32_t q, const Instruction &inst);

  const isa::Machine &m_;
  uint32_t chip_;
  const ChipProgram &prog_;
  Sram &sram_;
  bool timing_; // timing-only: every check, no data
  uint32_t lanes_;
  uint32_t Lp_; // row stride of float tiles: lanes rounded up to 16
  uint32_t S_;  // streams per direction
  VectorPool pool_;
  MemPorts ports_;
  std::vector<Plane> planes_;
  uint32_t pendingMuls_ = 0;           // over all planes
  std::vector<float> mulOut_;          // flushPlane's products
  std::vector<uint32_t> mulRows_;      // flushPlane's tile rows
  std::vector<isa::QueueInfo> queues_; // m_.queue(q), cached
  // Streams: per stream, a ring of D_ diagonals (a power of two larger than
  // the span of diagonals any read or put can touch, so a slot holding
  // another diagonal holds one whose values have left the chip).
  uint32_t D_ = 0;
  int numPositions_ = 0;
  std::vector<Diag> diags_;
  /// Releases the values of a diagonal slot (and empties it).
  void dropDiag(Diag &dg) {
    for (uint32_t i = 0; i < dg.n; ++i)
      pool_.release(dg.inl[i].slot);
    for (const Put &p : dg.more)
      pool_.release(p.slot);
    dg.more.clear();
    dg.n = 0;
    dg.d = Diag::kNoDiag;
  }
  // Events: a ring of R_ cycles from now_ (issue bits per queue, side
  // events of phases 0..2), and a heap for events further ahead.
  uint32_t R_ = 0, qWords_ = 0;
  uint64_t now_ = 0;       // the cycle being (or next to be) processed
  uint64_t ringCount_ = 0; // events in the ring
  std::vector<uint64_t> issueBits_;
  std::vector<std::vector<SideEvent>> side_;
  std::vector<SideEvent> sideScratch_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> far_;
  // Timing memo: [op][dtype] (Vxm: [fn]); busy == 0 when not yet known.
  std::vector<Timing> timingMemo_, vxmTimingMemo_;
  std::vector<PendingWrite> writes_;
  // Flags: cycle of the pending notify per flag id.
  std::unordered_map<uint32_t, uint64_t> flags_;
  // Per queue: the sync being waited on (instruction, issue cycle).
  std::unordered_map<uint32_t, std::pair<Instruction, uint64_t>> syncs_;
  std::vector<uint32_t> freeWrites_;
  std::vector<size_t> pc_;
  // C2C: vectors sent in this window; arrivals by (link, cycle).
  std::vector<C2cMessage> outbox_;
  std::map<std::pair<uint32_t, uint64_t>, C2cMessage> inbox_;
  // Per lane map: gather indices (empty until its first use checks it).
  std::vector<std::vector<uint16_t>> mapIndex_;
  std::vector<std::vector<uint8_t>> mapSplit_;
  std::vector<std::vector<uint32_t>> mapWindows_; // per 64 lanes: windows
  // Scratch.
  std::vector<uint8_t> permuteSrc_, chainTmp_;
  std::vector<float> fa_, fb_, fr_;
  // memoExp's memo (2^kMemoBits entries, allocated on first use; every
  // entry is valid: (bits, expFloat(bits)), starting with the input +0).
  static constexpr uint32_t kMemoBits = 15;
  std::vector<std::pair<uint32_t, float>> expMemo_;
  std::vector<int64_t> ia_, ib_;
  std::vector<uint32_t> bits_;
  // Recording and replay.
  ChipTrace *rec_ = nullptr;
  bool replay_ = false;
  std::vector<uint32_t> valOf_; // pool slot -> value number (recording)
  std::vector<uint32_t> recIn_, recOut_;
  std::vector<const uint8_t *> ptr_, tileRows_; // replay
  /// Where an op writes its output value `b` (a buffer, or in a replay the
  /// SRAM row it is written straight into).
  uint8_t *outVector(uint32_t b) {
    return b & kRowRef ? sram_.mutableRowAt(b & ~kRowRef) : pool_.get(b);
  }
  std::vector<float *> wide_; // per buffer: its float store (or null)
  std::vector<float> wideArena_;
};

ChipRun::ChipRun(const isa::Machine &m, uint32_t chip, const ChipProgram &prog,
                 Sram &sram, bool timingOnly)
    : m_(m), chip_(chip), prog_(prog), sram_(sram), timing_(timingOnly),
      lanes_(m.lanes()), Lp_((m.lanes() + 15) / 16 * 16),
      S_(m.streamsPerDirection()), pool_(m.lanes()), ports_(m.memSlices()),
      planes_(m.target().mxm_planes()) {
  for (uint32_t q = 0; q < m.numQueues(); ++q)
    queues_.push_back(m.queue(q));
}

void ChipRun::start() {
  // The event-driven state (a replay needs none of it): the stream rings,
  // the cycle ring and the timing memos.
  const isa::Machine &m = m_;
  const ChipProgram &prog = prog_;
  // The latest output of any instruction: reads and puts of cycle-now
  // instructions touch diagonals within numPositions + maxLatency.
  const schema::Target &t = m.target();
  uint32_t maxLat =
      std::max({t.mem_read_latency(), t.mxm_result_latency(), t.sxm_latency(),
                t.c2c_receive_latency(), t.vxm_simple_latency(),
                t.vxm_transcendental_latency()});
  // A chain's latency is its `c` field (validated: the sum of its steps').
  for (const std::vector<Instruction> &queue : prog.queues)
    for (const Instruction &i : queue)
      if (i.op == Opcode::VxmChain)
        maxLat = std::max(maxLat, i.c);
  numPositions_ = m.numPositions();
  uint64_t span = uint64_t(m.numPositions()) + maxLat + 2;
  D_ = 1;
  while (D_ < span)
    D_ *= 2;
  diags_.resize(size_t(2) * S_ * D_);
  R_ = 1024;
  qWords_ = (m.numQueues() + 63) / 64;
  issueBits_.assign(size_t(R_) * qWords_, 0);
  side_.resize(R_);
  timingMemo_.resize(size_t(isa::kLastOpcode + 1) * 512);
  vxmTimingMemo_.resize(256);
  pc_.assign(prog_.queues.size(), 0);
  for (uint32_t q = 0; q < prog_.queues.size(); ++q)
    if (!prog_.queues[q].empty())
      schedule({0, 3, q, 0});
}

uint64_t ChipRun::nextCycle() const {
  if (ringCount_ == 0)
    return far_.empty() ? UINT64_MAX : far_.top().cycle;
  for (uint64_t c = now_;; ++c) {
    size_t slot = size_t(c & (R_ - 1));
    if (!side_[slot].empty())
      return c;
    for (uint32_t w = 0; w < qWords_; ++w)
      if (issueBits_[slot * qWords_ + w])
        return c;
  }
}

void ChipRun::schedule(const Event &e) {
  if (e.cycle - now_ >= R_) {
    far_.push(e);
    return;
  }
  size_t slot = size_t(e.cycle & (R_ - 1));
  if (e.phase == 3)
    issueBits_[slot * qWords_ + e.queue / 64] |= uint64_t(1) << (e.queue % 64);
  else
    side_[slot].push_back({e.phase, e.queue, e.k});
  ++ringCount_;
}

void ChipRun::refill() {
  while (!far_.empty() && far_.top().cycle - now_ < R_) {
    Event e = far_.top();
    far_.pop();
    schedule(e);
  }
}

ChipRun::Timing ChipRun::timing(const Instruction &inst) {
  Timing *memo = nullptr;
  switch (inst.op) {
  case Opcode::Nop:
  case Opcode::Sync:
  case Opcode::Repeat:
  case Opcode::VxmChain:
  case Opcode::MxmLoad:
    break; // depend on a, b or c
  case Opcode::Vxm:
    memo = &vxmTimingMemo_[inst.fn];
    break;
  case Opcode::MxmMul: // busy cycles depend on kEmit
    memo = &timingMemo_[size_t(inst.op) * 512 +
                        ((inst.flags & isa::kEmit) ? 256 : 0) +
                        uint8_t(inst.dtype)];
    break;
  default:
    memo = &timingMemo_[size_t(inst.op) * 512 + uint8_t(inst.dtype)];
    break;
  }
  if (memo && memo->busy)
    return *memo;
  Timing t{m_.queueCycles(inst), m_.busyCycles(inst), m_.outputLatency(inst)};
  if (memo)
    *memo = t;
  return t;
}

absl::Status ChipRun::readSlot(uint32_t q, uint64_t cycle,
                               const Instruction &inst, uint8_t stream,
                               uint32_t expect, uint32_t &slot) {
  int pos = queues_[q].position;
  bool east = stream < S_;
  int64_t d = diagOf(stream, pos, cycle);
  const Diag &dg = diagSlot(stream, d);
  const Put *best = nullptr;
  if (dg.d == d) {
    auto consider = [&](const Put &p) {
      if (east ? p.pos <= pos && (!best || p.pos > best->pos)
               : p.pos >= pos && (!best || p.pos < best->pos))
        best = &p;
    };
    for (uint32_t i = 0; i < dg.n; ++i)
      consider(dg.inl[i]);
    for (const Put &p : dg.more)
      consider(p);
  }
  if (!best)
    return fail(q, cycle, inst,
                "stream s" + std::to_string(stream) +
                    " holds no value at position " + std::to_string(pos) +
                    " in cycle " + std::to_string(cycle));
  if (expect != 0 && best->tag != expect)
    return fail(q, cycle, inst,
                "stream s" + std::to_string(stream) + " at position " +
                    std::to_string(pos) + " in cycle " + std::to_string(cycle) +
                    " holds tag " + std::to_string(best->tag) +
                    ", expected tag " + std::to_string(expect));
  slot = best->slot;
  if (pendingMuls_ && pool_.pending(slot))
    flushAll();
  if (rec_)
    recIn_.push_back(valOf_[slot]);
  return absl::OkStatus();
}

/// One ALU operation on floats (fp32 arithmetic; the caller rounds to the
/// result type). Compares give 1 or 0; select is done on bytes elsewhere.
} // namespace

// The ranges where the float result is known without libm (softmax's
// masked lanes are far below -104; libm's underflow path is slow).
float expFloat(float x) {
  // e^-104 < 2^-150 (half the least subnormal, a tie that rounds to +0);
  // -inf too.
  if (x <= -104.0f)
    return 0.0f;
  // e^89 > 2^128: rounds to inf; +inf too.
  if (x >= 89.0f)
    return std::numeric_limits<float>::infinity();
  return float(std::exp(double(x)));
}

float tanhFloat(float x) {
  float a = std::fabs(x);
  // 1 - tanh(10) < 4.2e-9 < 2^-25 (half an ulp below 1): rounds to +-1;
  // +-inf too.
  if (a >= 10.0f)
    return std::copysign(1.0f, x);
  // |tanh(x) - x| < |x| * x^2 / 3 < |x| * 2^-27: rounds to x (-0, +0 and
  // subnormals included).
  if (a < 0x1p-13f)
    return x;
  return float(std::tanh(double(x)));
}

namespace {

#if defined(__x86_64__)
typedef double D8 __attribute__((ext_vector_type(8)));
typedef float F8 __attribute__((ext_vector_type(8)));
typedef int64_t I8x __attribute__((ext_vector_type(8)));
typedef int32_t I8w __attribute__((ext_vector_type(8)));

/// m ? x : y per lane (m from a comparison: all ones or zero).
__attribute__((target("avx512f"))) inline D8 select8(I8x m, D8 x, D8 y) {
  I8x xb, yb;
  std::memcpy(&xb, &x, sizeof(xb));
  std::memcpy(&yb, &y, sizeof(yb));
  I8x rb = (xb & m) | (yb & ~m);
  D8 r;
  std::memcpy(&r, &rb, sizeof(r));
  return r;
}

/// tanh of 8 lanes with 2^-13 <= a < 10 (a = |x|) in double: relative error
/// well under 2^-45 (Taylor series of expm1 to degree 21 for 2a < 1.25,
/// truncation < 2e-18, then em1 / (em1 + 2); else exp(2a) = 2^k exp(r),
/// |r| <= ln2 / 2, Taylor to degree 13, truncation < 1e-17, then
/// (e - 1) / (e + 1), with e >= exp(1.25): no cancellation), a few
/// roundings; one division for both.
__attribute__((target("avx512f"))) D8 tanhPositive8(D8 a) {
  D8 y = a + a;
  // Small: expm1(y) = sum_{k=1..21} y^k / k!, t = e / (e + 2).
  static const double inv[22] = {1.0,
                                 1.0,
                                 1.0 / 2,
                                 1.0 / 6,
                                 1.0 / 24,
                                 1.0 / 120,
                                 1.0 / 720,
                                 1.0 / 5040,
                                 1.0 / 40320,
                                 1.0 / 362880,
                                 1.0 / 3628800,
                                 1.0 / 39916800,
                                 1.0 / 479001600,
                                 1.0 / 6227020800.0,
                                 1.0 / 87178291200.0,
                                 1.0 / 1307674368000.0,
                                 1.0 / 20922789888000.0,
                                 1.0 / 355687428096000.0,
                                 1.0 / 6402373705728000.0,
                                 1.0 / 121645100408832000.0,
                                 1.0 / 2432902008176640000.0,
                                 1.0 / 51090942171709440000.0};
  D8 q = inv[21];
  for (int k = 20; k >= 1; --k)
    q = q * y + inv[k];
  D8 em1 = q * y;
  // Large: e = exp(y) = 2^k exp(r), r = y - k ln2 (ln2 in two parts).
  const double log2e = 1.4426950408889634, ln2hi = 0.6931471803691238,
               ln2lo = 1.9082149292705877e-10;
  D8 kf = __builtin_elementwise_roundeven(y * log2e);
  D8 r = (y - kf * ln2hi) - kf * ln2lo;
  D8 p = inv[13];
  for (int k = 12; k >= 0; --k)
    p = p * r + inv[k];
  I8x ki = __builtin_convertvector(kf, I8x);
  D8 scale;
  I8x sbits = (ki + 1023) << 52;
  std::memcpy(&scale, &sbits, sizeof(scale));
  D8 e = p * scale;
  I8x isSmall = a < 0.625;
  return select8(isSmall, em1, e - 1.0) / select8(isSmall, em1 + 2.0, e + 1.0);
}

__attribute__((target("avx512f"))) void tanhFloatsAvx512(const float *x,
                                                         uint32_t n, float *r) {
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    F8 xv;
    std::memcpy(&xv, x + i, sizeof(xv));
    D8 a = __builtin_elementwise_abs(__builtin_convertvector(xv, D8));
    D8 t = tanhPositive8(a);
    F8 f = __builtin_convertvector(t, F8); // round to nearest even
    // The float's neighbours and the midpoints to them (exact in double):
    // a lane whose t lies within t * 2^-40 of one goes to libm.
    I8w fb;
    std::memcpy(&fb, &f, sizeof(fb));
    I8w lob = fb - 1, hib = fb + 1;
    F8 lo, hi;
    std::memcpy(&lo, &lob, sizeof(lo));
    std::memcpy(&hi, &hib, sizeof(hi));
    D8 fd = __builtin_convertvector(f, D8);
    D8 m1 = (fd + __builtin_convertvector(lo, D8)) * 0.5;
    D8 m2 = (fd + __builtin_convertvector(hi, D8)) * 0.5;
    D8 d1 = __builtin_elementwise_abs(t - m1),
       d2 = __builtin_elementwise_abs(t - m2);
    D8 tol = t * 0x1p-40;
    I8x ordinary = (a >= 0x1p-13) & (a < 10.0) & (d1 > tol) & (d2 > tol);
    I8w xb;
    std::memcpy(&xb, x + i, sizeof(xb));
    I8w rb = fb | (xb & int32_t(0x80000000u)); // copysign (f >= +0)
    std::memcpy(r + i, &rb, sizeof(rb));
    // The lanes for libm, as a bit mask (rare).
    I8x odd = ~ordinary;
    unsigned mask = 0;
    for (int k = 0; k < 8; ++k)
      mask |= unsigned(odd[k] & 1) << k;
    for (; mask; mask &= mask - 1) {
      int k = __builtin_ctz(mask);
      r[i + k] = tanhFloat(xv[k]); // x may be r
    }
  }
  for (; i < n; ++i)
    r[i] = tanhFloat(x[i]);
}
#endif

} // namespace

void tanhFloats(const float *x, uint32_t n, float *r) {
#if defined(__x86_64__)
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx512) {
    tanhFloatsAvx512(x, n, r);
    return;
  }
#endif
  for (uint32_t i = 0; i < n; ++i)
    r[i] = tanhFloat(x[i]);
}

namespace {

__attribute__((target_clones("avx512f", "avx2", "default"))) void
aluFloat(AluOp op, const float *x, const float *y, float imm, uint32_t L,
         float *r) {
  switch (op) {
  case AluOp::Add:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = x[i] + y[i];
    break;
  case AluOp::Sub:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = x[i] - y[i];
    break;
  case AluOp::Mul:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = x[i] * y[i];
    break;
  case AluOp::Max:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = fmaxNan(x[i], y[i]);
    break;
  case AluOp::Min:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = fminNan(x[i], y[i]);
    break;
  case AluOp::Neg:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = -x[i];
    break;
  case AluOp::Abs:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = std::fabs(x[i]);
    break;
  case AluOp::AddImm:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = x[i] + imm;
    break;
  case AluOp::SubImm:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = x[i] - imm;
    break;
  case AluOp::RsubImm:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = imm - x[i];
    break;
  case AluOp::MulImm:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = x[i] * imm;
    break;
  case AluOp::MaxImm:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = fmaxNan(x[i], imm);
    break;
  case AluOp::MinImm:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = fminNan(x[i], imm);
    break;
  case AluOp::Exp:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = expFloat(x[i]);
    break;
  case AluOp::Rsqrt:
    // The square root instruction itself (no errno, so vectorised): libm's
    // sqrt is that instruction (negative and NaN inputs included).
    for (uint32_t i = 0; i < L; ++i)
      r[i] = float(1.0 / __builtin_elementwise_sqrt(double(x[i])));
    break;
  case AluOp::Tanh:
    tanhFloats(x, L, r);
    break;
  case AluOp::Eq:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = x[i] == y[i] ? 1.0f : 0.0f;
    break;
  case AluOp::Ne:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = x[i] != y[i] ? 1.0f : 0.0f;
    break;
  case AluOp::Lt:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = x[i] < y[i] ? 1.0f : 0.0f;
    break;
  case AluOp::Le:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = x[i] <= y[i] ? 1.0f : 0.0f;
    break;
  case AluOp::Gt:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = x[i] > y[i] ? 1.0f : 0.0f;
    break;
  case AluOp::Ge:
    for (uint32_t i = 0; i < L; ++i)
      r[i] = x[i] >= y[i] ? 1.0f : 0.0f;
    break;
  default: // copy, cast: the value
    for (uint32_t i = 0; i < L; ++i)
      r[i] = x[i];
    break;
  }
}

/// One ALU operation on an integer lane (int64; the caller wraps).
int64_t aluInt(AluOp op, int64_t x, int64_t y, int64_t imm) {
  switch (op) {
  case AluOp::Add:
    return x + y;
  case AluOp::Sub:
    return x - y;
  case AluOp::Mul:
    return int64_t(uint64_t(x) * uint64_t(y));
  case AluOp::Max:
    return std::max(x, y);
  case AluOp::Min:
    return std::min(x, y);
  case AluOp::Neg:
    return -x;
  case AluOp::Abs:
    return x < 0 ? -x : x;
  case AluOp::AddImm:
    return x + imm;
  case AluOp::SubImm:
    return x - imm;
  case AluOp::RsubImm:
    return imm - x;
  case AluOp::MulImm:
    return int64_t(uint64_t(x) * uint64_t(imm));
  case AluOp::MaxImm:
    return std::max(x, imm);
  case AluOp::MinImm:
    return std::min(x, imm);
  case AluOp::Eq:
    return x == y;
  case AluOp::Ne:
    return x != y;
  case AluOp::Lt:
    return x < y;
  case AluOp::Le:
    return x <= y;
  case AluOp::Gt:
    return x > y;
  case AluOp::Ge:
    return x >= y;
  default:
    return x;
  }
}

absl::Status ChipRun::syncCheck(uint32_t q, uint64_t cycle) {
  auto [inst, t] = syncs_[q];
  syncs_.erase(q);
  auto it = flags_.find(inst.a);
  if (it == flags_.end())
    return fail(q, t, inst,
                "no notify of flag " + std::to_string(inst.a) + " by cycle " +
                    std::to_string(cycle - 1) +
                    ": the sync would wait past its " + std::to_string(inst.b) +
                    " cycles");
  uint64_t at = it->second;
  flags_.erase(it);
  if (at + 1 != cycle)
    return fail(q, t, inst,
                "flag " + std::to_string(inst.a) + " was notified in cycle " +
                    std::to_string(at) + ", the sync expects cycle " +
                    std::to_string(cycle - 1) +
                    " (a statically scheduled sync releases exactly one cycle "
                    "after its notify)");
  return absl::OkStatus();
}

absl::Status ChipRun::issueChain(uint32_t q, uint64_t t,
                                 const Instruction &inst) {
  DType d = inst.dtype;
  unsigned w = isa::widthBytes(d);
  const uint8_t *a[4], *b[4];
  if (absl::Status s = readGroup(q, t, inst, inst.in0, w, inst.expect0, a);
      !s.ok())
    return s;
  bool hasIn1 = inst.in1 != isa::kNoStream;
  if (hasIn1)
    if (absl::Status s = readGroup(q, t, inst, inst.in1, w, inst.expect1, b);
        !s.ok())
      return s;
  uint32_t slots[4];
  uint8_t *out[4];
  for (unsigned k = 0; k < w; ++k) {
    slots[k] = allocOut();
    out[k] = pool_.get(slots[k]);
  }
  if (!timing_)
    chainData(inst, a, hasIn1 ? b : nullptr, out);
  return putGroup(q, t, t + timing(inst).latency, inst, inst.out, w, inst.tag,
                  slots);
}

void ChipRun::chainData(const Instruction &inst, const uint8_t *const *a,
                        const uint8_t *const *b, uint8_t *const *out) {
  DType d = inst.dtype;
  unsigned w = isa::widthBytes(d);
  bool hasIn1 = b != nullptr;
  uint32_t L = lanes_;
  {
    const isa::ChainStep *steps = prog_.chainSteps.data() + inst.a;
    bits_.resize(L);
    if (isFloat(d)) {
      std::vector<float> &acc = fa_, &nxt = fr_, &y = fb_;
      acc.resize(L);
      nxt.resize(L);
      decodeF(d, a, L, acc.data());
      if (hasIn1) {
        y.resize(L);
        decodeF(d, b, L, y.data());
      }
      std::vector<uint8_t> &tmp = chainTmp_;
      tmp.resize(size_t(w) * L);
      uint8_t *tp[4];
      for (unsigned k = 0; k < w; ++k)
        tp[k] = tmp.data() + size_t(k) * L;
      for (uint32_t k = 0; k < inst.b; ++k) {
        aluFloat(steps[k].fn, acc.data(), y.data(), steps[k].imm, L,
                 nxt.data());
        // Round to the dtype between steps, as on a stream.
        encodeFloats(d, nxt.data(), L, bits_.data());
        encodeBits(w, bits_.data(), L, tp);
        decodeF(d, tp, L, acc.data());
      }
      encodeFloats(d, acc.data(), L, bits_.data());
    } else {
      ia_.resize(L);
      decodeI(d, a, L, ia_.data());
      if (hasIn1) {
        ib_.resize(L);
        decodeI(d, b, L, ib_.data());
      }
      for (uint32_t k = 0; k < inst.b; ++k) {
        double di = std::nearbyint(double(steps[k].imm));
        int64_t imm =
            std::isnan(di)
                ? 0
                : int64_t(std::min(8589934592.0, std::max(-8589934592.0, di)));
        for (uint32_t i = 0; i < L; ++i) {
          uint32_t r =
              wrapInt(aluInt(steps[k].fn, ia_[i], hasIn1 ? ib_[i] : 0, imm), d);
          ia_[i] = d == DType::I8 ? int8_t(r) : int32_t(r);
        }
      }
      for (uint32_t i = 0; i < L; ++i)
        bits_[i] = wrapInt(ia_[i], d);
    }
    encodeBits(w, bits_.data(), L, out);
  }
}

absl::Status ChipRun::issueSxm(uint32_t q, uint64_t t,
                               const Instruction &inst) {
  bool transpose = inst.op == Opcode::SxmTranspose;
  unsigned w = transpose ? isa::kTransposeStreams : isa::widthBytes(inst.dtype);
  const uint8_t *in[isa::kTransposeStreams];
  if (absl::Status s = readGroup(q, t, inst, inst.in0, w, inst.expect0, in);
      !s.ok())
    return s;
  uint32_t slots[isa::kTransposeStreams];
  uint8_t *out[isa::kTransposeStreams];
  for (unsigned k = 0; k < w; ++k) {
    slots[k] = allocOut();
    out[k] = pool_.get(slots[k]);
  }
  if (!timing_)
    sxmData(inst, in, out);
  return putGroup(q, t, t + timing(inst).latency, inst, inst.out, w, inst.tag,
                  slots);
}

void ChipRun::sxmData(const Instruction &inst, const uint8_t *const *in,
                      uint8_t *const *out) {
  bool transpose = inst.op == Opcode::SxmTranspose;
  unsigned w = transpose ? isa::kTransposeStreams : isa::widthBytes(inst.dtype);
  uint32_t L = lanes_;
  for (unsigned k = 0; k < w; ++k) {
    uint8_t *o = out[k];
    if (transpose) {
      // Per superlane g: out stream k, lane 16g + i = in stream i, lane
      // 16g + k.
      for (uint32_t g = 0; g < L; g += isa::kTransposeStreams)
        for (unsigned i = 0; i < isa::kTransposeStreams; ++i)
          o[g + i] = in[i][g + k];
    } else if (inst.op == Opcode::SxmRotate) {
      uint32_t n = inst.a % L;
      uint32_t sh = (inst.flags & isa::kShiftDown) ? n : (L - n) % L;
      // out[i] = in[(i + sh) mod L].
      std::memcpy(o, in[k] + sh, L - sh);
      std::memcpy(o + (L - sh), in[k], sh);
    } else {
      uint32_t n = std::min<uint32_t>(inst.a, L);
      std::memset(o, 0, L);
      if (inst.flags & isa::kShiftDown)
        std::memcpy(o, in[k] + n, L - n); // out[i] = in[i + n]
      else
        std::memcpy(o + n, in[k], L - n); // out[i] = in[i - n]
    }
  }
}

absl::Status ChipRun::issueVxm(uint32_t q, uint64_t t,
                               const Instruction &inst) {
  AluOp op = AluOp(inst.fn);
  DType d = inst.dtype;
  unsigned w = isa::widthBytes(d);
  unsigned n = isa::aluOperandCount(op);
  const uint8_t *in[3][4];
  const uint8_t streams[3] = {inst.in0, inst.in1, inst.in2};
  const uint32_t expects[3] = {inst.expect0, inst.expect1, inst.expect2};
  for (unsigned g = 0; g < n; ++g)
    if (absl::Status s =
            readGroup(q, t, inst, streams[g], w, expects[g], in[g]);
        !s.ok())
      return s;
  DType outType = op == AluOp::Cast ? DType(inst.b) : d;
  unsigned ow = isa::widthBytes(outType);
  uint32_t slots[4];
  uint8_t *out[4];
  for (unsigned k = 0; k < ow; ++k) {
    slots[k] = allocOut();
    out[k] = pool_.get(slots[k]);
  }
  // Timing-only: no data, the output slots are put as they are.
  if (!timing_)
    vxmData(inst, in, out);
  return putGroup(q, t, t + timing(inst).latency, inst, inst.out, ow, inst.tag,
                  slots);
}

void ChipRun::vxmData(const Instruction &inst, const uint8_t *(*in)[4],
                      uint8_t *const *out, const float *const *wideIn,
                      float *wideOut, bool planes) {
  auto wideOf = [&](unsigned g) -> const float * {
    return wideIn ? wideIn[g] : nullptr;
  };
  AluOp op = AluOp(inst.fn);
  DType d = inst.dtype;
  unsigned w = isa::widthBytes(d);
  unsigned n = isa::aluOperandCount(op);
  DType outType = op == AluOp::Cast ? DType(inst.b) : d;
  unsigned ow = isa::widthBytes(outType);
  uint32_t L = lanes_;
  if (op == AluOp::Copy || (op == AluOp::Cast && outType == d)) {
    for (unsigned k = 0; k < ow; ++k)
      std::memcpy(out[k], in[0][k], L);
  } else if (op == AluOp::Select) {
    // Bytes of in1 or in2, chosen by in0 != 0 (float: NaN != 0 selects in1,
    // -0 == 0 selects in2); values are passed unchanged.
    std::vector<uint8_t> &take = chainTmp_;
    take.resize(L);
    if (isFloat(d)) {
      const float *a = wideOf(0);
      if (!a) {
        fa_.resize(L);
        decodeF(d, in[0], L, fa_.data());
        a = fa_.data();
      }
      for (uint32_t i = 0; i < L; ++i)
        take[i] = a[i] != 0.0f ? 0xff : 0;
    } else {
      ia_.resize(L);
      decodeI(d, in[0], L, ia_.data());
      for (uint32_t i = 0; i < L; ++i)
        take[i] = ia_[i] != 0 ? 0xff : 0;
    }
    for (unsigned k = 0; k < w; ++k) {
      // Restrict pointers: one plane at a time, vectorised.
      const uint8_t *__restrict t = take.data(), *__restrict x = in[1][k],
                                *__restrict y = in[2][k];
      uint8_t *__restrict o = out[k];
      for (uint32_t i = 0; i < L; ++i) // a mask: no branch, vectorised
        o[i] = uint8_t((x[i] & t[i]) | (y[i] & ~t[i]));
    }
  } else if (isFloat(d)) {
    // An f32 result is its lanes' bits: computed into the float store.
    float *store = wideOut && outType == DType::F32 ? wideOut : nullptr;
    const float *a = wideOf(0), *b = n == 2 ? wideOf(1) : nullptr;
    // A cast between float types is the value itself (rounded to the
    // destination type below): an f32 one is decoded straight into its
    // store.
    bool cast = op == AluOp::Cast;
    if (!a && cast && store) {
      decodeF(d, in[0], L, store);
      a = store;
    } else if (!a) {
      fa_.resize(L);
      decodeF(d, in[0], L, fa_.data());
      a = fa_.data();
    }
    if (n == 2 && !b) {
      fb_.resize(L);
      decodeF(d, in[1], L, fb_.data());
      b = fb_.data();
    }
    const float *r = a;
    if (cast) {
      if (store && store != a)
        std::memcpy(store, a, L * sizeof(float));
    } else {
      float *res = store;
      if (!res) {
        fr_.resize(L);
        res = fr_.data();
      }
      if (op == AluOp::Exp)
        memoExp(a, L, res);
      else
        aluFloat(op, a, b, inst.imm, L, res);
      r = res;
    }
    if (outType == DType::F32) { // the float's bits are the lane's
      if (planes)
        wordsToPlanes(reinterpret_cast<const uint32_t *>(r), L, out);
      return;
    }
    if (outType == DType::F16 && planes && !wideOut) {
      floatsToHalfPlanes(r, L, out[0], out[1]);
      return;
    }
    bits_.resize(L);
    encodeFloats(outType, r, L, bits_.data());
    if (planes)
      encodeBits(ow, bits_.data(), L, out);
    if (wideOut)
      decodeBitsF(outType, bits_.data(), L, wideOut);
  } else if (op == AluOp::Cast) {
    // Integer source. To an integer: saturate. To f32: RNE. To a narrower
    // float: round-to-odd to f32 first, so that the RNE to the target is the
    // correctly rounded value of the integer.
    ia_.resize(L);
    decodeI(d, in[0], L, ia_.data());
    bits_.resize(L);
    if (!isFloat(outType)) {
      int64_t lo = outType == DType::I8 ? -128 : INT32_MIN;
      int64_t hi = outType == DType::I8 ? 127 : INT32_MAX;
      for (uint32_t i = 0; i < L; ++i)
        bits_[i] = wrapInt(std::min(hi, std::max(lo, ia_[i])), outType);
    } else {
      fr_.resize(L);
      for (uint32_t i = 0; i < L; ++i)
        fr_[i] = outType == DType::F32
                     ? float(ia_[i])
                     : isa::doubleToFloatRoundOdd(double(ia_[i]));
      encodeFloats(outType, fr_.data(), L, bits_.data());
    }
    encodeBits(ow, bits_.data(), L, out);
  } else {
    // Integer arithmetic in int64, wrapped to the type's width.
    ia_.resize(L);
    decodeI(d, in[0], L, ia_.data());
    if (n == 2) {
      ib_.resize(L);
      decodeI(d, in[1], L, ib_.data());
    }
    // Immediates round to the nearest integer (NaN -> 0), clamped so the
    // conversion is defined; results wrap to the type's width.
    double di = std::nearbyint(double(inst.imm));
    int64_t imm =
        std::isnan(di)
            ? 0
            : int64_t(std::min(8589934592.0, std::max(-8589934592.0, di)));
    bits_.resize(L);
    for (uint32_t i = 0; i < L; ++i)
      bits_[i] = wrapInt(aluInt(op, ia_[i], n == 2 ? ib_[i] : 0, imm), d);
    encodeBits(ow, bits_.data(), L, out);
  }
}

void ChipRun::memoExp(const float *x, uint32_t L, float *r) {
  std::vector<std::pair<uint32_t, float>> &m = expMemo_;
  if (m.empty())
    m.assign(size_t(1) << kMemoBits, {0u, expFloat(0.0f)});
  for (uint32_t i = 0; i < L; ++i) {
    uint32_t bits;
    std::memcpy(&bits, x + i, sizeof(bits));
    std::pair<uint32_t, float> &e = m[(bits * 0x9e3779b1u) >> (32 - kMemoBits)];
    if (e.first != bits)
      e = {bits, expFloat(x[i])};
    r[i] = e.second;
  }
}

absl::Status ChipRun::readGroup(uint32_t q, uint64_t cycle,
                                const Instruction &inst, uint8_t first,
                                unsigned w, uint32_t expect,
                                const uint8_t **planes) {
  for (unsigned b = 0; b < w; ++b)
    if (absl::Status s =
            readOne(q, cycle, inst, uint8_t(first + b), expect, planes[b]);
        !s.ok())
      return s;
  return absl::OkStatus();
}

absl::Status ChipRun::putGroup(uint32_t q, uint64_t issue, uint64_t cycle,
                               const Instruction &inst, uint8_t first,
                               unsigned w, uint32_t tag,
                               const uint32_t *slots) {
  int pos = queues_[q].position;
  for (unsigned b = 0; b < w; ++b) {
    uint8_t s = uint8_t(first + b);
    int64_t d = diagOf(s, pos, cycle);
    Diag &dg = diagSlot(s, d);
    if (dg.d != d) {
      // The slot's old diagonal has left the chip (see D_): drop its values.
      dropDiag(dg);
      dg.d = d;
    }
    bool dup = false;
    for (uint32_t i = 0; i < dg.n; ++i)
      dup |= dg.inl[i].pos == pos;
    for (const Put &p : dg.more)
      dup |= p.pos == pos;
    if (dup) {
      for (unsigned r = b; r < w; ++r)
        pool_.release(slots[r]);
      return fail(q, issue, inst,
                  "a second value put on stream s" + std::to_string(s) +
                      " at position " + std::to_string(pos) + " in cycle " +
                      std::to_string(cycle));
    }
    if (dg.n < 2)
      dg.inl[dg.n++] = {pos, tag, slots[b]};
    else
      dg.more.push_back({pos, tag, slots[b]});
  }
  return absl::OkStatus();
}

absl::Status ChipRun::checkPair(uint32_t q, uint64_t t, const Instruction &inst,
                                uint32_t plane, DType d) {
  if (plane % 2 == 1) {
    if (d != DType::Invalid && isa::widthBytes(d) > 1)
      return fail(q, t, inst,
                  "16/32-bit tiles use an even/odd plane pair: issue on the "
                  "even plane " +
                      std::to_string(plane - 1));
    const Plane &even = planes_[plane - 1];
    if ((even.active && isa::widthBytes(even.activeType) > 1) ||
        (even.shadowLoaded && isa::widthBytes(even.shadowType) > 1))
      return fail(q, t, inst,
                  "plane " + std::to_string(plane) + " is paired with plane " +
                      std::to_string(plane - 1) +
                      ", which holds a 16/32-bit tile");
  }
  return absl::OkStatus();
}

absl::Status ChipRun::loadStep(uint32_t q, uint64_t cycle, uint32_t k) {
  uint32_t plane = queues_[q].index;
  Plane &pl = planes_[plane];
  const Instruction &inst = pl.load;
  unsigned w = isa::widthBytes(inst.dtype);
  uint32_t S = m_.target().mxm_weight_streams();
  uint32_t planeRows = inst.a * w;
  for (uint32_t i = 0; i < S; ++i) {
    uint32_t pr = k * S + i;
    if (pr >= planeRows)
      break;
    uint32_t slot;
    if (absl::Status s =
            readSlot(q, cycle, inst, uint8_t(inst.in0 + i), inst.expect0, slot);
        !s.ok())
      return s;
    if (!timing_) {
      // Stream vectors are immutable: hold a reference, no copy.
      pool_.retain(slot);
      pl.rawSlots[pr] = slot;
    } else if (rec_) {
      pl.rawSlots[pr] = valOf_[slot];
    }
  }
  if (rec_ && k + 1 == m_.mxmLoadCycles(inst.dtype, inst.a)) {
    recOut_.clear();
    record(TraceKind::Tile, plane, 0, 0, pl.loadInst, pl.rawSlots, recOut_);
  }
  if (!timing_ && k + 1 == m_.mxmLoadCycles(inst.dtype, inst.a)) {
    tileRows_.resize(pl.rawSlots.size());
    for (size_t i = 0; i < pl.rawSlots.size(); ++i)
      tileRows_[i] = pool_.get(pl.rawSlots[i]);
    buildTile(pl, inst, tileRows_.data());
    for (uint32_t slot : pl.rawSlots)
      pool_.release(slot);
  }
  return absl::OkStatus();
}

/// One past the last c in [from, to) where v[c] is neither +0 nor -0 (NaN
/// and inf count), or `from` when there is none. Blocks of 16 lanes are
/// tested at once from the end (zero columns of a padded tile would
/// otherwise be compared one by one on every row).
uint32_t lastNonzero(const float *v, uint32_t from, uint32_t to) {
  while (to > from) {
    uint32_t lo = to - std::min<uint32_t>(16, to - from);
    uint32_t any = 0;
    for (uint32_t c = lo; c < to; ++c) {
      uint32_t b;
      std::memcpy(&b, v + c, sizeof(b));
      any |= b & 0x7fffffffu;
    }
    if (any)
      for (uint32_t c = to; c > lo; --c)
        if (v[c - 1] != 0.0f || !std::isfinite(v[c - 1]))
          return c;
    to = lo;
  }
  return from;
}

/// Whether rows [0, rows) of a float tile hold, in columns [0, cols), the
/// bits of their column 0 (tested row by row: most tiles fail at once).
bool uniformColumns(const float *tile, size_t ld, uint32_t rows,
                    uint32_t cols) {
  for (uint32_t r = 0; r < rows; ++r) {
    const uint32_t *row = reinterpret_cast<const uint32_t *>(tile + r * ld);
    uint32_t differ = 0;
    for (uint32_t c = 1; c < cols; ++c)
      differ |= row[c] ^ row[0];
    if (differ)
      return false;
  }
  return true;
}

/// Tile rows buildTile fetches ahead of the one it widens.
constexpr uint32_t kTileAhead = 4;

void ChipRun::buildTile(Plane &pl, const Instruction &inst,
                        const uint8_t *const *rows) {
  unsigned w = isa::widthBytes(inst.dtype);
  {
    // Complete: build the tile (rows >= a are zero).
    size_t n = size_t(lanes_) * lanes_;
    if (isFloat(inst.dtype)) {
      // Rows >= a must be zero: only rows an earlier tile in this buffer
      // wrote are cleared.
      if (pl.shadowF.size() != size_t(lanes_) * Lp_) {
        pl.shadowF.assign(size_t(lanes_) * Lp_, 0.0f);
        pl.shadowDirtyRows = 0;
      }
      if (pl.shadowDirtyRows > inst.a)
        std::fill(pl.shadowF.begin() + size_t(inst.a) * Lp_,
                  pl.shadowF.begin() + size_t(pl.shadowDirtyRows) * Lp_, 0.0f);
      pl.shadowDirtyRows = inst.a;
      const uint8_t *planes[4];
      uint32_t cols = 0;
      unsigned found = 0; // kWidenedNaN, kWidenedNonFinite
      for (uint32_t r = 0; r < inst.a; ++r) {
        for (unsigned b = 0; b < w; ++b)
          planes[b] = rows[r * w + b];
        // The plane rows lie anywhere in SRAM: fetch a later tile row's.
        if (r + kTileAhead < inst.a)
          for (unsigned b = 0; b < w; ++b)
            for (uint32_t o = 0; o < lanes_; o += 64)
              __builtin_prefetch(rows[(r + kTileAhead) * w + b] + o);
        float *row = pl.shadowF.data() + size_t(r) * Lp_;
        if (inst.dtype == DType::F16 && haveF16c()) {
          found |= halvesToFloatsF16c(planes[0], planes[1], lanes_, row);
        } else {
          decodeF(inst.dtype, planes, lanes_, row);
          for (uint32_t c = 0; c < lanes_; ++c)
            if (!std::isfinite(row[c]))
              found |= row[c] != row[c] ? kWidenedNaN | kWidenedNonFinite
                                        : kWidenedNonFinite;
        }
        cols = lastNonzero(row, cols, lanes_);
      }
      pl.shadowCols = cols;
      pl.shadowUniform = uniformColumns(pl.shadowF.data(), Lp_, inst.a, cols);
      pl.shadowNaN = found & kWidenedNaN;
      pl.shadowNonFinite = found & kWidenedNonFinite;
    } else {
      pl.shadowI.assign(n, 0);
      pl.shadowUniform = false;
      std::vector<int64_t> tmp(lanes_);
      const uint8_t *planes[4];
      for (uint32_t r = 0; r < inst.a; ++r) {
        for (unsigned b = 0; b < w; ++b)
          planes[b] = rows[r * w + b];
        decodeI(inst.dtype, planes, lanes_, tmp.data());
        for (uint32_t c = 0; c < lanes_; ++c)
          pl.shadowI[size_t(r) * lanes_ + c] = int32_t(tmp[c]);
      }
    }
  }
}

absl::Status ChipRun::memRead(uint32_t q, uint64_t t, const Instruction &inst,
                              uint32_t bank, uint32_t row) {
  const isa::QueueInfo &info = queues_[q];
  if (!sram_.inRange(info.index, bank, row))
    return fail(q, t, inst,
                "bank " + std::to_string(bank) + " row " + std::to_string(row) +
                    " out of range (" + std::to_string(m_.banks()) +
                    " banks of " + std::to_string(m_.rowsPerBank()) + " rows)");
  if (std::string e = ports_.claimRead(info.index, bank, t); !e.empty())
    return fail(q, t, inst, e);
  uint32_t slot = allocOut();
  if (!timing_) {
    std::memcpy(pool_.get(slot), sram_.row(info.index, bank, row), lanes_);
    // Prefetch the row of the queue's next read (most rows are read once:
    // streamed weights), which issues a few host microseconds later.
    const std::vector<Instruction> &queue = prog_.queues[q];
    for (size_t i = pc_[q], e = std::min(queue.size(), i + 4); i < e; ++i) {
      const Instruction &n = queue[i];
      if (n.op != Opcode::MemRead && n.op != Opcode::MemReadWrite)
        continue;
      if (sram_.inRange(info.index, n.a, n.b)) {
        const uint8_t *p = sram_.row(info.index, n.a, n.b);
        for (uint32_t o = 0; o < lanes_; o += 64)
          __builtin_prefetch(p + o);
      }
      break;
    }
  }
  return putGroup(q, t, t + timing(inst).latency, inst, inst.out, 1, inst.tag,
                  &slot);
}

absl::Status ChipRun::memWrite(uint32_t q, uint64_t t, const Instruction &inst,
                               uint32_t bank, uint32_t row) {
  const isa::QueueInfo &info = queues_[q];
  uint32_t slot;
  if (absl::Status s = readSlot(q, t, inst, inst.in0, inst.expect0, slot);
      !s.ok())
    return s;
  if (!sram_.inRange(info.index, bank, row))
    return fail(q, t, inst,
                "bank " + std::to_string(bank) + " row " + std::to_string(row) +
                    " out of range (" + std::to_string(m_.banks()) +
                    " banks of " + std::to_string(m_.rowsPerBank()) + " rows)");
  if (std::string e = ports_.claimWrite(info.index, bank, t); !e.empty())
    return fail(q, t, inst, e);
  if (timing_ && !rec_)
    return absl::OkStatus();
  // The stream's vector is immutable: the pending write holds a reference
  // (recording: the commit records the value's number).
  if (rec_)
    slot = valOf_[slot];
  else
    pool_.retain(slot);
  uint32_t idx;
  if (!freeWrites_.empty()) {
    idx = freeWrites_.back();
    freeWrites_.pop_back();
  } else {
    idx = uint32_t(writes_.size());
    writes_.emplace_back();
  }
  writes_[idx] = {info.index, bank, row, slot};
  schedule({t + m_.memWriteLatency(), 0, q, idx});
  return absl::OkStatus();
}

AccRow &ChipRun::accRow(Plane &pl, uint32_t row) {
  if (pl.acc.empty())
    pl.acc.resize(m_.target().mxm_accumulator_rows());
  std::unique_ptr<AccRow> &rowp = pl.acc[row];
  if (!rowp)
    rowp = std::make_unique<AccRow>();
  return *rowp;
}

void ChipRun::installTile(Plane &pl) {
  flushPlane(pl); // the pending multiplies use the outgoing tile
  bool wasActive = pl.active;
  std::swap(pl.activeF, pl.shadowF);
  std::swap(pl.activeDirtyRows, pl.shadowDirtyRows);
  std::swap(pl.activeI, pl.shadowI);
  std::swap(pl.activeType, pl.shadowType);
  std::swap(pl.activeRows, pl.shadowRows);
  std::swap(pl.activeCols, pl.shadowCols);
  std::swap(pl.activeNaN, pl.shadowNaN);
  std::swap(pl.activeNonFinite, pl.shadowNonFinite);
  std::swap(pl.activeUniform, pl.shadowUniform);
  pl.active = true;
  pl.shadowLoaded = wasActive;
}

void ChipRun::mulData(Plane &pl, AccRow &acc, const Instruction &inst,
                      const uint8_t *const *planes, const uint32_t *slots,
                      uint8_t wide) {
  uint32_t L = lanes_;
  bool isInt = !isFloat(inst.dtype);
  bool accumulate = inst.flags & isa::kAccumulate;
  bool emit = inst.flags & isa::kEmit;
  if (!isInt) {
    // Computed later, batched with the tile's other multiplies
    // (flushPlane): when a reader needs the emitted vector, the plane
    // installs another tile, an integer multiply uses the plane, the batch
    // is full, or the run ends. Checks and stream timing happen at issue.
    if (pl.pending.size() >= kMaxPendingMuls)
      flushPlane(pl);
    size_t j = pl.pending.size();
    if (pl.pendingAct.size() < (j + 1) * L)
      pl.pendingAct.resize(size_t(kMaxPendingMuls) * L);
    float *act = pl.pendingAct.data() + j * L;
    decodeF(inst.dtype, planes, L, act);
    // result[n] = sum_k act[k] * W[k][n], in fp32, k = 0 .. lanes-1.
    // Rows >= activeRows are zero: their products are +-0 when the
    // activation is finite and adding +-0 leaves a sum that starts at +0
    // unchanged, so they are skipped unless an activation there is inf or
    // NaN (then 0 * inf = NaN must reach the sum). Columns past the last
    // nonzero weight give +0 unless an activation is inf or NaN (0 * inf
    // = NaN must reach them).
    uint32_t rows = pl.activeRows, cols = pl.activeCols;
    bool finite = true;
    for (uint32_t k = 0; k < L; ++k)
      finite &= std::isfinite(act[k]);
    if (!finite) {
      for (uint32_t k = rows; k < L && rows < L; ++k)
        if (!std::isfinite(act[k]))
          rows = L;
      for (uint32_t k = 0; k < rows && cols < L; ++k)
        if (!std::isfinite(act[k]))
          cols = L;
    }
    PendingMul pm{&acc, accumulate, emit, finite, rows, cols, {}, wide};
    acc.valid = true;
    acc.isInt = false;
    if (emit)
      for (int b = 0; b < 4; ++b) {
        pm.slots[b] = slots[b];
        if (!(slots[b] & kRowRef)) // a row: its Commit computes it
          pool_.setPending(slots[b], true);
      }
    pl.pending.push_back(pm);
    ++pendingMuls_;
    return;
  }
  flushPlane(pl); // accumulator rows in issue order
  ia_.resize(L);
  decodeI(inst.dtype, planes, L, ia_.data());
  std::vector<uint32_t> r(L, 0);
  mxmKernelI32(ia_.data(), pl.activeI.data(), pl.activeRows, L, r.data());
  acc.i.resize(L);
  for (uint32_t n = 0; n < L; ++n)
    acc.i[n] = int32_t(accumulate ? uint32_t(acc.i[n]) + r[n] : r[n]);
  acc.valid = true;
  acc.isInt = true;
  if (emit) {
    bits_.resize(L);
    for (uint32_t n = 0; n < L; ++n)
      bits_[n] = uint32_t(acc.i[n]);
    uint8_t *out[4];
    for (int b = 0; b < 4; ++b)
      out[b] = outVector(slots[b]);
    encodeBits(4, bits_.data(), L, out);
  }
}

absl::Status ChipRun::permuteMap(uint32_t q, uint64_t t,
                                 const Instruction &inst) {
  if (inst.a >= prog_.laneMaps.size())
    return fail(q, t, inst,
                "lane map " + std::to_string(inst.a) + " does not exist (" +
                    std::to_string(prog_.laneMaps.size()) + " maps)");
  const std::vector<int16_t> &map = prog_.laneMaps[inst.a];
  // Each map is checked once; its gather index (into the input plane
  // followed by the base plane or zeros) is built then.
  if (mapIndex_.size() < prog_.laneMaps.size()) {
    mapIndex_.resize(prog_.laneMaps.size());
    mapSplit_.resize(prog_.laneMaps.size());
    mapWindows_.resize(prog_.laneMaps.size());
  }
  std::vector<uint16_t> &idx = mapIndex_[inst.a];
  if (idx.empty()) {
    for (uint32_t i = 0; i < lanes_; ++i)
      if (map[i] < -1 || map[i] >= int(lanes_))
        return fail(q, t, inst,
                    "lane map " + std::to_string(inst.a) + " entry " +
                        std::to_string(i) + " = " + std::to_string(map[i]) +
                        " is out of range");
    idx.resize(lanes_);
    for (uint32_t i = 0; i < lanes_; ++i)
      idx[i] = uint16_t(map[i] >= 0 ? uint32_t(map[i]) : lanes_ + i);
    // The same index as low 7 bits and 128-byte window (VBMI gather).
    std::vector<uint8_t> &split = mapSplit_[inst.a];
    split.resize(size_t(2) * lanes_);
    for (uint32_t i = 0; i < lanes_; ++i) {
      split[i] = uint8_t(idx[i] & 127);
      split[lanes_ + i] = uint8_t(idx[i] >> 7);
    }
    // The windows each 64 output lanes use (2 lanes / 128 <= 32 of them
    // when VBMI is used, lanes <= 2048; else unused).
    std::vector<uint32_t> &used = mapWindows_[inst.a];
    used.assign((lanes_ + 63) / 64, 0);
    if (lanes_ <= 2048)
      for (uint32_t i = 0; i < lanes_; ++i)
        used[i / 64] |= 1u << (idx[i] >> 7);
  }
  return absl::OkStatus();
}

void ChipRun::permuteData(const Instruction &inst, const uint8_t *const *a,
                          const uint8_t *const *b, uint8_t *const *out) {
  bool vbmi = lanes_ % 64 == 0 && lanes_ <= 2048 && haveVbmi();
  unsigned w = isa::widthBytes(inst.dtype);
  bool base = b != nullptr;
  if (vbmi) {
    const uint8_t *split = mapSplit_[inst.a].data();
    for (unsigned k = 0; k < w; ++k)
      gatherBytesVbmi(out[k], a[k], base ? b[k] : nullptr, split,
                      split + lanes_, mapWindows_[inst.a].data(), lanes_);
    return;
  }
  const std::vector<uint16_t> &idx = mapIndex_[inst.a];
  permuteSrc_.resize(size_t(2) * lanes_);
  if (!base)
    std::memset(permuteSrc_.data() + lanes_, 0, lanes_);
  for (unsigned k = 0; k < w; ++k) {
    // out[i] = map[i] >= 0 ? a[map[i]] : (base ? b[i] : 0).
    uint8_t *o = out[k];
    uint8_t *src = permuteSrc_.data();
    std::memcpy(src, a[k], lanes_);
    if (base)
      std::memcpy(src + lanes_, b[k], lanes_);
    gatherBytes(o, src, idx.data(), lanes_);
  }
}

absl::Status ChipRun::issue(uint32_t q, uint64_t t, const Instruction &inst) {
  const isa::QueueInfo &info = queues_[q];
  switch (inst.op) {
  case Opcode::MemRead:
    return memRead(q, t, inst, inst.a, inst.b);
  case Opcode::MemWrite:
    return memWrite(q, t, inst, inst.a, inst.b);
  case Opcode::MemReadWrite:
    // The write's input is read and its port claimed first, then the read:
    // a same-bank pair fails on the read's claim.
    if (absl::Status s = memWrite(q, t, inst, inst.fn, inst.c); !s.ok())
      return s;
    return memRead(q, t, inst, inst.a, inst.b);
  case Opcode::MxmLoad: {
    uint32_t plane = info.index;
    if (absl::Status s = checkPair(q, t, inst, plane, inst.dtype); !s.ok())
      return s;
    Plane &pl = planes_[plane];
    uint32_t L = m_.mxmLoadCycles(inst.dtype, inst.a);
    pl.load = inst;
    pl.loadInst = &inst;
    pl.loadIssue = t;
    pl.shadowLoaded = true;
    pl.shadowType = inst.dtype;
    pl.shadowRows = inst.a;
    pl.shadowDone = t + L;
    if (!timing_ || rec_)
      pl.rawSlots.assign(size_t(inst.a) * isa::widthBytes(inst.dtype), 0);
    if (absl::Status s = loadStep(q, t, 0); !s.ok())
      return s;
    for (uint32_t k = 1; k < L; ++k)
      schedule({t + k, 1, q, k});
    return absl::OkStatus();
  }
  case Opcode::MxmInstall: {
    uint32_t plane = info.index;
    if (absl::Status s = checkPair(q, t, inst, plane, DType::Invalid); !s.ok())
      return s;
    Plane &pl = planes_[plane];
    if (!pl.shadowLoaded)
      return fail(q, t, inst,
                  "install with no weights loaded in the shadow "
                  "buffer of plane " +
                      std::to_string(plane));
    if (t < pl.shadowDone)
      return fail(q, t, inst,
                  "install while load_weights is still loading plane " +
                      std::to_string(plane) + " (complete at cycle " +
                      std::to_string(pl.shadowDone) + ")");
    installTile(pl);
    pl.shadowDone = t;
    return absl::OkStatus();
  }
  case Opcode::MxmMul: {
    uint32_t plane = info.index;
    if (absl::Status s = checkPair(q, t, inst, plane, inst.dtype); !s.ok())
      return s;
    Plane &pl = planes_[plane];
    if (!pl.active)
      return fail(q, t, inst,
                  "multiply with no installed weights on plane " +
                      std::to_string(plane));
    if (pl.activeType != inst.dtype)
      return fail(q, t, inst,
                  std::string("activations are ") + isa::dtypeName(inst.dtype) +
                      " but the installed tile is " +
                      isa::dtypeName(pl.activeType));
    if (inst.a >= m_.target().mxm_accumulator_rows())
      return fail(
          q, t, inst,
          "accumulator row " + std::to_string(inst.a) + " out of range (" +
              std::to_string(m_.target().mxm_accumulator_rows()) + " rows)");
    unsigned w = isa::widthBytes(inst.dtype);
    const uint8_t *planes[4];
    if (absl::Status s =
            readGroup(q, t, inst, inst.in0, w, inst.expect0, planes);
        !s.ok())
      return s;
    AccRow &acc = accRow(pl, inst.a);
    bool isInt = !isFloat(inst.dtype);
    bool accumulate = inst.flags & isa::kAccumulate;
    if (accumulate && !acc.valid)
      return fail(q, t, inst,
                  "accumulate into accumulator row " + std::to_string(inst.a) +
                      ", which holds no value");
    if (accumulate && acc.isInt != isInt)
      return fail(q, t, inst,
                  "accumulate mixes integer and float results in row " +
                      std::to_string(inst.a));
    bool emit = inst.flags & isa::kEmit;
    uint32_t slots[4];
    if (emit)
      for (int b = 0; b < 4; ++b)
        slots[b] = allocOut();
    if (timing_) {
      acc.valid = true;
      acc.isInt = isInt;
    } else {
      // A float product is computed later (mulData): the stream's and the
      // pending multiply's references.
      if (emit && !isInt)
        for (int b = 0; b < 4; ++b)
          pool_.retain(slots[b]);
      mulData(pl, acc, inst, planes, slots);
    }
    if (emit)
      return putGroup(q, t, t + timing(inst).latency, inst, inst.out, 4,
                      inst.tag, slots);
    return absl::OkStatus();
  }
  case Opcode::Vxm:
    return issueVxm(q, t, inst);
  case Opcode::VxmChain:
    return issueChain(q, t, inst);
  case Opcode::SxmShift:
  case Opcode::SxmRotate:
  case Opcode::SxmTranspose:
    return issueSxm(q, t, inst);
  case Opcode::Notify: {
    auto it = flags_.find(inst.a);
    if (it != flags_.end())
      return fail(q, t, inst,
                  "flag " + std::to_string(inst.a) +
                      " is still set by the notify of cycle " +
                      std::to_string(it->second) + " (no sync consumed it)");
    flags_[inst.a] = t;
    return absl::OkStatus();
  }
  case Opcode::Sync:
    syncs_[q] = {inst, t};
    schedule({t + inst.b, 2, q, 0});
    return absl::OkStatus();
  case Opcode::Repeat:
    return fail(q, t, inst, "internal: repeat was not expanded");
  case Opcode::C2cSend: {
    const uint8_t *v = nullptr;
    if (absl::Status s = readOne(q, t, inst, inst.in0, inst.expect0, v);
        !s.ok())
      return s;
    C2cMessage msg;
    msg.src = chip_;
    msg.dst = inst.a;
    msg.queue = q;
    msg.sendCycle = t;
    msg.send = inst;
    msg.tag = inst.expect0;
    if (!timing_)
      msg.data.assign(v, v + lanes_);
    outbox_.push_back(std::move(msg));
    return absl::OkStatus();
  }
  case Opcode::C2cRecv: {
    uint32_t link = info.index;
    auto it = inbox_.find({link, t});
    if (it == inbox_.end()) {
      auto next = inbox_.lower_bound({link, t});
      std::string hint = next != inbox_.end() && next->first.first == link
                             ? " (the next arrives in cycle " +
                                   std::to_string(next->first.second) + ")"
                             : "";
      return fail(q, t, inst,
                  "no vector arrives on link " + std::to_string(link) +
                      " in this cycle" + hint);
    }
    const C2cMessage &msg = it->second;
    if (msg.src != inst.a)
      return fail(q, t, inst,
                  "the vector arriving in this cycle comes from chip " +
                      std::to_string(msg.src) + ", not chip " +
                      std::to_string(inst.a));
    if (inst.expect0 != 0 && msg.tag != inst.expect0)
      return fail(q, t, inst,
                  "the vector arriving in this cycle has tag " +
                      std::to_string(msg.tag) + ", expected tag " +
                      std::to_string(inst.expect0));
    uint32_t slot = allocOut();
    if (!timing_)
      std::memcpy(pool_.get(slot), msg.data.data(), lanes_);
    inbox_.erase(it);
    return putGroup(q, t, t + timing(inst).latency, inst, inst.out, 1, inst.tag,
                    &slot);
  }
  case Opcode::SxmPermute: {
    if (absl::Status s = permuteMap(q, t, inst); !s.ok())
      return s;
    unsigned w = isa::widthBytes(inst.dtype);
    const uint8_t *a[4], *b[4];
    if (absl::Status s = readGroup(q, t, inst, inst.in0, w, inst.expect0, a);
        !s.ok())
      return s;
    bool base = inst.in1 != isa::kNoStream;
    if (base)
      if (absl::Status s = readGroup(q, t, inst, inst.in1, w, inst.expect1, b);
          !s.ok())
        return s;
    uint32_t slots[4];
    uint8_t *out[4];
    for (unsigned k = 0; k < w; ++k) {
      slots[k] = allocOut();
      out[k] = pool_.get(slots[k]);
    }
    if (!timing_)
      permuteData(inst, a, base ? b : nullptr, out);
    return putGroup(q, t, t + timing(inst).latency, inst, inst.out, w, inst.tag,
                    slots);
  }
  default:
    return fail(q, t, inst, "unknown opcode");
  }
}

absl::Status ChipRun::processCycle(uint64_t c, RunStats &stats,
                                   std::vector<uint64_t> &unitBusy) {
  size_t slot = size_t(c & (R_ - 1));
  // Values whose diagonal left the chip before cycle c go back to the pool
  // (no read can reach them; pending writes and multiplies hold their own
  // references): eastward the diagonal c - numPositions (it passed the
  // last position in cycle c - 1), westward c - 1 (it passed position 0).
  for (uint32_t st = 0; st < 2 * S_; ++st) {
    int64_t d = st < S_ ? int64_t(c) - numPositions_ : int64_t(c) - 1;
    Diag &dg = diagSlot(uint8_t(st), d);
    if (dg.d == d)
      dropDiag(dg);
  }
  // Phases 0..2 in (phase, queue, k) order. Their own events go to later
  // cycles (every latency is >= 1), never into this slot.
  if (!side_[slot].empty()) {
    sideScratch_.clear();
    sideScratch_.swap(side_[slot]);
    ringCount_ -= sideScratch_.size();
    if (sideScratch_.size() > 1)
      std::sort(sideScratch_.begin(), sideScratch_.end());
    for (const SideEvent &e : sideScratch_) {
      if (e.phase == 0 && rec_) {
        PendingWrite &w = writes_[e.k];
        recIn_.assign(1, w.slot);
        recOut_.clear();
        record(TraceKind::Write, w.slice, w.bank, w.row, nullptr, recIn_,
               recOut_);
        freeWrites_.push_back(e.k);
      } else if (e.phase == 0) {
        PendingWrite &w = writes_[e.k];
        std::memcpy(sram_.mutableRow(w.slice, w.bank, w.row), pool_.get(w.slot),
                    lanes_);
        pool_.release(w.slot);
        freeWrites_.push_back(e.k);
      } else if (e.phase == 1) {
        if (absl::Status s = loadStep(e.queue, c, e.k); !s.ok())
          return s;
      } else {
        if (absl::Status s = syncCheck(e.queue, c); !s.ok())
          return s;
      }
    }
  }
  // Issues in queue order.
  uint64_t *bits = issueBits_.data() + slot * qWords_;
  for (uint32_t w = 0; w < qWords_; ++w) {
    uint64_t b = bits[w];
    bits[w] = 0;
    while (b) {
      uint32_t q = w * 64 + uint32_t(__builtin_ctzll(b));
      b &= b - 1;
      --ringCount_;
      const std::vector<Instruction> &queue = prog_.queues[q];
      // Each queue streams its own instructions (144 streams on lpu-v1, too
      // many for the hardware prefetchers): fetch a few lines ahead.
      if (pc_[q] + 4 < queue.size())
        __builtin_prefetch(&queue[pc_[q] + 4]);
      const Instruction &inst = queue[pc_[q]++];
      uint64_t next;
      if (inst.op == Opcode::Nop) {
        next = c + inst.a;
      } else {
        Timing tm = timing(inst);
        next = c + tm.queue;
        if (rec_) {
          recIn_.clear();
          recOut_.clear();
        }
        if (absl::Status s = issue(q, c, inst); !s.ok())
          return s;
        if (rec_)
          recordIssue(q, inst);
        stats.cycles = std::max(stats.cycles, c + tm.busy);
        stats.instructions++;
        unitBusy[size_t(queues_[q].unit)] += tm.queue;
      }
      if (pc_[q] < queue.size())
        schedule({next, 3, q, 0});
    }
  }
  return absl::OkStatus();
}

absl::Status ChipRun::runUntil(uint64_t limit, RunStats &stats,
                               std::vector<uint64_t> &unitBusy) {
  for (;;) {
    if (ringCount_ == 0) {
      if (far_.empty())
        break;
      now_ = std::max(now_, far_.top().cycle);
      refill();
    }
    if (now_ >= limit)
      break;
    if (absl::Status s = processCycle(now_, stats, unitBusy); !s.ok())
      return s;
    ++now_;
    refill();
  }
  flushAll();
  return absl::OkStatus();
}

void ChipRun::recordIssue(uint32_t q, const Instruction &inst) {
  static const std::vector<uint32_t> none;
  uint32_t unit = queues_[q].index;
  switch (inst.op) {
  case Opcode::MemRead:
    record(TraceKind::Read, unit, inst.a, inst.b, &inst, none, recOut_);
    break;
  case Opcode::MemReadWrite: // the write's input went to its commit
    record(TraceKind::Read, unit, inst.a, inst.b, &inst, none, recOut_);
    break;
  case Opcode::MxmInstall:
    record(TraceKind::Install, unit, 0, 0, &inst, none, none);
    break;
  case Opcode::MxmMul:
    record(TraceKind::Mul, unit, 0, 0, &inst, recIn_, recOut_);
    break;
  case Opcode::Vxm:
    record(TraceKind::Vxm, unit, 0, 0, &inst, recIn_, recOut_);
    break;
  case Opcode::VxmChain:
    record(TraceKind::Chain, unit, 0, 0, &inst, recIn_, recOut_);
    break;
  case Opcode::SxmShift:
  case Opcode::SxmRotate:
  case Opcode::SxmTranspose:
    record(TraceKind::Sxm, unit, 0, 0, &inst, recIn_, recOut_);
    break;
  case Opcode::SxmPermute:
    record(TraceKind::Permute, unit, 0, 0, &inst, recIn_, recOut_);
    break;
  default: // MemWrite (its commit is recorded), MxmLoad (its last step),
           // Notify, Sync: no data
    break;
  }
}

absl::Status ChipRun::replay(const ChipTrace &t) {
  replay_ = true;
  for (uint32_t i = 0; i < t.buffers; ++i)
    pool_.alloc(); // buffer i is pool slot i
  ptr_.resize(t.buffers);
  for (uint32_t i = 0; i < t.buffers; ++i)
    ptr_[i] = pool_.get(i);
  // The float stores (ChipTrace::wideSlot) in one block, populated at once
  // (a page fault per 4 KiB costs microseconds on a VM).
  wide_.assign(t.buffers, nullptr);
  if (t.wideSlots) {
    size_t n = size_t(t.wideSlots) * Lp_ + 16;
    wideArena_.reserve(n);
    adviseHugePages(wideArena_.data(), n * sizeof(float), /*populate=*/true);
    wideArena_.resize(n);
    float *base = wideArena_.data();
    base += (16 - (uintptr_t(base) / sizeof(float)) % 16) % 16; // 64 bytes
    for (uint32_t b = 0; b < t.buffers; ++b)
      if (t.wideSlot[b] != UINT32_MAX)
        wide_[b] = base + size_t(t.wideSlot[b]) * Lp_;
  }
  const uint32_t *vals = t.vals.data();
  const TraceOp *ops = t.ops.data();
  size_t nOps = t.ops.size();
  auto in = [&](uint32_t b) -> const uint8_t * {
    if (b & kRowRef)
      return sram_.rowAt(b & ~kRowRef);
    if (pendingMuls_ && pool_.pending(b))
      flushAll();
    return ptr_[b];
  };
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < nOps; ++i) {
    const TraceOp &op = ops[i];
    // Streamed rows are mostly read once: fetch the row of a later read.
    if (i + kAhead < nOps) {
      const TraceOp &ahead = ops[i + kAhead];
      // Its instruction (in one of the queues: a cache miss otherwise).
      if (ahead.inst) { // 40 bytes: it may span two lines
        __builtin_prefetch(ahead.inst);
        __builtin_prefetch(reinterpret_cast<const char *>(ahead.inst + 1) - 1);
      }
      if (ahead.kind == TraceKind::Read) {
        const uint8_t *p = sram_.row(ahead.unit, ahead.bank, ahead.row);
        for (uint32_t o = 0; o < lanes_; o += 64)
          __builtin_prefetch(p + o);
      } else {
        // The rows it reads in place (a tile's first ones: buildTile
        // fetches the rest as it goes).
        const uint32_t *av = vals + ahead.off;
        for (uint32_t k = 0, e = std::min<uint32_t>(ahead.nIn, 8); k < e; ++k)
          if (av[k] & kRowRef) {
            const uint8_t *p = sram_.rowAt(av[k] & ~kRowRef);
            for (uint32_t o = 0; o < lanes_; o += 64)
              __builtin_prefetch(p + o);
          }
      }
    }
    const uint32_t *v = vals + op.off;
    switch (op.kind) {
    case TraceKind::Dead:
      break;
    case TraceKind::Read:
      std::memcpy(pool_.get(v[0]), sram_.row(op.unit, op.bank, op.row), lanes_);
      break;
    case TraceKind::Write: {
      const uint8_t *src = in(v[0]);
      uint8_t *dst = sram_.mutableRow(op.unit, op.bank, op.row);
      if (dst != src)
        std::memcpy(dst, src, lanes_);
      break;
    }
    case TraceKind::Tile: {
      Plane &pl = planes_[op.unit];
      tileRows_.resize(op.nIn);
      for (uint32_t k = 0; k < op.nIn; ++k)
        tileRows_[k] = in(v[k]);
      pl.shadowType = op.inst->dtype;
      pl.shadowRows = op.inst->a;
      buildTile(pl, *op.inst, tileRows_.data());
      break;
    }
    case TraceKind::Install:
      installTile(planes_[op.unit]);
      break;
    case TraceKind::Mul: {
      Plane &pl = planes_[op.unit];
      const uint8_t *planes[4];
      for (uint32_t k = 0; k < op.nIn; ++k)
        planes[k] = in(v[k]);
      mulData(pl, accRow(pl, op.inst->a), *op.inst, planes,
              op.nOut ? v + op.nIn : nullptr, op.wide);
      ++pl.mulsIssued;
      break;
    }
    case TraceKind::Commit: {
      Plane &pl = planes_[op.unit];
      if (pl.mulsComputed <= op.row)
        flushPlane(pl);
      break;
    }
    case TraceKind::Vxm: {
      const Instruction &inst = *op.inst;
      unsigned w = isa::widthBytes(inst.dtype);
      unsigned n = isa::aluOperandCount(AluOp(inst.fn));
      const uint8_t *ins[3][4];
      const float *wideIn[3] = {nullptr, nullptr, nullptr};
      for (unsigned g = 0; g < n; ++g) {
        if (op.wide & (1u << g)) {
          (void)in(v[g * w]); // computes a pending multiply
          wideIn[g] = wide_[v[g * w]];
          continue;
        }
        for (unsigned k = 0; k < w; ++k)
          ins[g][k] = in(v[g * w + k]);
      }
      uint8_t *out[4];
      for (uint32_t k = 0; k < op.nOut; ++k)
        out[k] = outVector(v[op.nIn + k]);
      vxmData(inst, ins, out, wideIn,
              op.wide & kWideOut ? wideOf(v[op.nIn]) : nullptr,
              !(op.wide & kNoPlanes));
      break;
    }
    case TraceKind::Chain:
    case TraceKind::Permute: {
      const Instruction &inst = *op.inst;
      unsigned w = isa::widthBytes(inst.dtype);
      const uint8_t *a[4], *b[4];
      for (unsigned k = 0; k < w; ++k)
        a[k] = in(v[k]);
      bool two = op.nIn == 2 * w;
      if (two)
        for (unsigned k = 0; k < w; ++k)
          b[k] = in(v[w + k]);
      uint8_t *out[4];
      for (uint32_t k = 0; k < op.nOut; ++k)
        out[k] = outVector(v[op.nIn + k]);
      if (op.kind == TraceKind::Chain) {
        chainData(inst, a, two ? b : nullptr, out);
      } else {
        // Checked by the timing walk; builds the map's index.
        (void)permuteMap(0, 0, inst);
        permuteData(inst, a, two ? b : nullptr, out);
      }
      break;
    }
    case TraceKind::Sxm: {
      const uint8_t *ins[isa::kTransposeStreams];
      uint8_t *out[isa::kTransposeStreams];
      for (uint32_t k = 0; k < op.nIn; ++k)
        ins[k] = in(v[k]);
      for (uint32_t k = 0; k < op.nOut; ++k)
        out[k] = outVector(v[op.nIn + k]);
      sxmData(*op.inst, ins, out);
      break;
    }
    }
  }
  if (!t.status.ok())
    return t.status;
  flushAll();
  return absl::OkStatus();
}

void ChipRun::flushPlane(Plane &pl) {
  size_t M = pl.pending.size();
  if (M == 0) {
    pl.mulsComputed = pl.mulsIssued;
    return;
  }
  uint32_t L = lanes_;
  const float *W = pl.activeF.data();
  uint32_t rows = pl.activeRows, cols = pl.activeCols;
  mulOut_.resize(M * Lp_);
  // Every product in one batched kernel (the bits of mxmKernelF32 per
  // vector); those with inf/NaN activations or weights one by one through
  // mxmKernelF32 itself (which NaN an add propagates is up to the code).
  if (!pl.activeNaN) {
    // Rows of the tile where every activation is +-0 add nothing.
    uint32_t nVec = (cols + 15) / 16;
    // Identical columns give identical sums: one block of 16 is computed
    // and its first lane copied to the others (below).
    if (pl.activeUniform)
      nVec = std::min<uint32_t>(nVec, 1);
    mulRows_.resize(Lp_);
    uint32_t nk = mxmNeededRows(pl.pendingAct.data(), L, uint32_t(M),
                                pl.activeNonFinite ? W : nullptr, Lp_, rows,
                                16 * nVec, mulRows_.data());
    mxmGemmF32(pl.pendingAct.data(), L, uint32_t(M), W, Lp_,
               nk == rows ? nullptr : mulRows_.data(), nk, 0, nVec,
               mulOut_.data(), Lp_,
               // fp16 and fp8 products are exact in fp32 (not bf16's: its
               // exponents are fp32's, a product can underflow or overflow).
               pl.activeType == DType::F16 || pl.activeType == DType::FP8E4M3
                   ? MxmProducts::Exact
                   : MxmProducts::Inexact);
  }
  for (size_t j = 0; j < M; ++j) {
    const PendingMul &pm = pl.pending[j];
    float *r = mulOut_.data() + j * Lp_;
    if (pl.activeNaN || !pm.finite) {
      std::fill(r, r + L, 0.0f);
      mxmKernelF32(pl.pendingAct.data() + j * L, W, pm.rows, Lp_, pm.cols, r);
    } else {
      if (pl.activeUniform)
        std::fill(r + 1, r + cols, r[0]);
      // Columns past the last nonzero weight are +0 (see issue: MxmMul).
      std::fill(r + cols, r + L, 0.0f);
    }
    AccRow &acc = *pm.acc;
    acc.f.resize(L);
    if (pm.accumulate)
      addFloats(acc.f.data(), r, L);
    else
      std::memcpy(acc.f.data(), r, L * sizeof(float));
    if (pm.emit) {
      // The f32 lanes are the sums' bits: the float store is a copy.
      if (pm.wide & kWideOut)
        std::memcpy(wideOf(pm.slots[0]), acc.f.data(), L * sizeof(float));
      if (!(pm.wide & kNoPlanes)) {
        bits_.resize(L);
        std::memcpy(bits_.data(), acc.f.data(), L * sizeof(float));
        uint8_t *out[4];
        for (int b = 0; b < 4; ++b)
          out[b] = outVector(pm.slots[b]);
        encodeBits(4, bits_.data(), L, out);
      }
      for (int b = 0; b < 4; ++b) {
        if (pm.slots[b] & kRowRef)
          continue;
        pool_.setPending(pm.slots[b], false);
        if (!replay_)
          pool_.release(pm.slots[b]);
      }
    }
  }
  pl.pending.clear();
  pendingMuls_ -= uint32_t(M);
  pl.mulsComputed = pl.mulsIssued;
}

/// A VXM copy (or a cast to its own type) puts its input group's bytes
/// unchanged: its readers read the input values instead, and the copy
/// becomes a Dead op that reads and writes nothing (on the 55M GPT-2, 68k of
/// the 0.26M VXM ops). `alias` has one entry per value, kNone-filled.
void forwardCopies(ChipTrace &t, std::vector<uint32_t> alias) {
  constexpr uint32_t kNone = UINT32_MAX;
  for (TraceOp &op : t.ops) {
    uint32_t *v = t.vals.data() + op.off;
    for (uint32_t k = 0; k < op.nIn; ++k)
      if (alias[v[k]] != kNone)
        v[k] = alias[v[k]]; // resolved when set: one step suffices
    if (op.kind != TraceKind::Vxm)
      continue;
    AluOp fn = AluOp(op.inst->fn);
    if ((fn == AluOp::Copy ||
         (fn == AluOp::Cast && DType(op.inst->b) == op.inst->dtype)) &&
        op.nIn == op.nOut) {
      for (uint32_t k = 0; k < op.nOut; ++k)
        alias[v[op.nIn + k]] = v[k];
      op.kind = TraceKind::Dead;
      op.nIn = op.nOut = 0;
      op.inst = nullptr;
    }
  }
}

/// The output type of an op whose output group a replay can pass as floats
/// (the floats a reader would decode from its planes), or Invalid: float
/// VXM ops other than copy and select, emitting float multiplies (f32).
DType wideType(const TraceOp &op) {
  if (op.kind == TraceKind::Mul)
    return op.nOut == 4 && isFloat(op.inst->dtype) ? DType::F32
                                                   : DType::Invalid;
  if (op.kind != TraceKind::Vxm)
    return DType::Invalid;
  AluOp fn = AluOp(op.inst->fn);
  DType d = op.inst->dtype;
  DType outType = fn == AluOp::Cast ? DType(op.inst->b) : d;
  if (fn == AluOp::Copy || fn == AluOp::Select || !isFloat(d) ||
      !isFloat(outType))
    return DType::Invalid;
  return outType;
}

/// Sets TraceOp::wide: a float VXM operand group that is exactly the output
/// group of such an op, in its type, is read as the producer's floats (no
/// decode); the producer writes them, and skips its planes when no reader
/// reads them as bytes (MEM writes, SXM, multiplies, other VXM operands do).
/// The floats are those the planes would decode to (decodeBitsF, or the
/// f32 bits themselves), so results are the same bits. `prod` has one entry
/// per value, kNone-filled. On the 55M GPT-2 the values between VXM ops are
/// mostly f32 (casts at the ends of each chain of ops).
void markWideValues(ChipTrace &t, std::vector<uint32_t> prod) {
  constexpr uint32_t kNone = UINT32_MAX;
  for (uint32_t i = 0; i < t.ops.size(); ++i) {
    TraceOp &op = t.ops[i];
    const uint32_t *v = t.vals.data() + op.off;
    uint8_t wideGroups = 0;
    unsigned w = 0;
    if (op.kind == TraceKind::Vxm && isFloat(op.inst->dtype)) {
      AluOp fn = AluOp(op.inst->fn);
      DType d = op.inst->dtype;
      w = isa::widthBytes(d);
      unsigned n = fn == AluOp::Copy     ? 0
                   : fn == AluOp::Select ? 1 // in1, in2: bytes passed on
                                         : isa::aluOperandCount(fn);
      for (unsigned g = 0; g < n; ++g) {
        uint32_t p = prod[v[g * w]];
        if (p == kNone || wideType(t.ops[p]) != d)
          continue;
        TraceOp &pr = t.ops[p];
        const uint32_t *pv = t.vals.data() + pr.off + pr.nIn;
        bool same = true;
        for (unsigned k = 0; k < w; ++k)
          same &= v[g * w + k] == pv[k];
        if (same) {
          wideGroups |= uint8_t(1u << g);
          pr.wide |= kWideOut;
        }
      }
    }
    op.wide = wideGroups;
    for (uint32_t k = 0; k < op.nIn; ++k)
      if (!(w && k / w < 3 && (wideGroups >> (k / w)) & 1) &&
          prod[v[k]] != kNone)
        t.ops[prod[v[k]]].wide |= kPlaneRead;
    if (wideType(op) != DType::Invalid)
      for (uint32_t k = 0; k < op.nOut; ++k)
        prod[v[op.nIn + k]] = i;
  }
  for (TraceOp &op : t.ops) {
    if ((op.wide & kWideOut) && !(op.wide & kPlaneRead))
      op.wide |= kNoPlanes;
    op.wide &= uint8_t(~kPlaneRead);
  }
}

/// Gives every recorded value a buffer: values live from their op to their
/// last reader, an op's outputs never share a buffer with its inputs, and
/// values nothing reads go to buffer 0 (written, never read; a MEM read of
/// such a value is dropped). A MEM read whose row no commit overwrites
/// before the value's last reader is dropped and its readers read the row
/// in place; a value written straight into the row of the MEM write that
/// alone reads it needs no buffer either (both kRowRef operands; row
/// numbers from `geometry`, an Sram of the chip's shape).
void finishTrace(ChipTrace &t, const Sram &geometry) {
  constexpr uint32_t kNone = UINT32_MAX, kFreed = UINT32_MAX - 1;
  // Arrays of one number per value (millions on a large model): huge pages.
  auto perValue = [&](uint32_t init) {
    std::vector<uint32_t> v;
    v.reserve(t.values);
    adviseHugePages(v.data(), size_t(t.values) * sizeof(uint32_t));
    v.assign(t.values, init);
    return v;
  };
  forwardCopies(t, perValue(kNone));
  markWideValues(t, perValue(kNone));
  std::vector<uint32_t> last = perValue(kNone), readers = perValue(0);
  for (uint32_t i = 0; i < t.ops.size(); ++i) {
    const TraceOp &op = t.ops[i];
    for (uint32_t k = 0; k < op.nIn; ++k) {
      last[t.vals[op.off + k]] = i;
      ++readers[t.vals[op.off + k]];
    }
  }
  // Which reads can be read in place (kRowRef), in one backward pass: the
  // next commit to each row (none: UINT32_MAX) is known at every op.
  uint32_t slices = 1, banks = 1, rows = 1;
  for (const TraceOp &op : t.ops)
    if (op.kind == TraceKind::Read || op.kind == TraceKind::Write) {
      slices = std::max(slices, op.unit + 1);
      banks = std::max(banks, op.bank + 1);
      rows = std::max(rows, op.row + 1);
    }
  auto key = [&](const TraceOp &op) {
    return (size_t(op.unit) * banks + op.bank) * rows + op.row;
  };
  std::vector<bool> refRead(t.ops.size(), false);
  {
    std::vector<uint32_t> nextCommit(size_t(slices) * banks * rows, kNone);
    for (uint32_t i = uint32_t(t.ops.size()); i-- > 0;) {
      const TraceOp &op = t.ops[i];
      if (op.kind == TraceKind::Write) {
        nextCommit[key(op)] = i;
      } else if (op.kind == TraceKind::Read && op.nOut == 1) {
        // The row holds the value until a commit to it; one that is the
        // last reader writes the row the value came from. (A row index
        // too large for the operand's bits keeps its copy.)
        uint32_t x = t.vals[op.off + op.nIn];
        uint32_t c = nextCommit[key(op)];
        refRead[i] = last[x] != kNone && (c == kNone || c >= last[x]) &&
                     geometry.rowIndex(op.unit, op.bank, op.row) < kRowRef;
      }
    }
  }
  // Values written straight into the row a MEM write commits them to
  // (through[value]: its Sram::rowIndex): the value of a VXM, SXM or MXM
  // op that the write alone reads, when nothing reads or commits the row
  // from the op to the write (so the row may change anywhere in between).
  // The write then moves nothing: it is dropped, or for a multiply (which
  // is computed later, batched) becomes a Commit that computes it.
  std::vector<uint32_t> through = perValue(kNone);
  {
    std::vector<uint32_t> prod = perValue(kNone), rowOf = perValue(kNone);
    std::vector<uint32_t> lastRead(size_t(slices) * banks * rows, kNone);
    std::vector<uint32_t> lastCommit(size_t(slices) * banks * rows, kNone);
    std::vector<uint32_t> mulsOnPlane;
    std::vector<uint32_t> mulSeq(t.ops.size(), 0);
    for (uint32_t i = 0; i < t.ops.size(); ++i) {
      TraceOp &op = t.ops[i];
      const uint32_t *v = t.vals.data() + op.off;
      for (uint32_t k = 0; k < op.nIn; ++k)
        if (rowOf[v[k]] != kNone)
          lastRead[rowOf[v[k]]] = i; // read in place here
      for (uint32_t k = 0; k < op.nOut; ++k)
        prod[v[op.nIn + k]] = i;
      if (op.kind == TraceKind::Mul) {
        if (mulsOnPlane.size() <= op.unit)
          mulsOnPlane.resize(op.unit + 1, 0);
        mulSeq[i] = mulsOnPlane[op.unit]++;
      } else if (op.kind == TraceKind::Read) {
        if (refRead[i])
          rowOf[v[op.nIn]] = uint32_t(key(op));
        else
          lastRead[key(op)] = i;
      } else if (op.kind == TraceKind::Write) {
        uint32_t x = v[0], p = prod[x], r = uint32_t(key(op));
        uint64_t index = geometry.rowIndex(op.unit, op.bank, op.row);
        TraceKind pk = p == kNone ? TraceKind::Dead : t.ops[p].kind;
        bool writer = pk == TraceKind::Vxm || pk == TraceKind::Chain ||
                      pk == TraceKind::Permute || pk == TraceKind::Sxm ||
                      pk == TraceKind::Mul;
        if (writer && readers[x] == 1 && !(t.ops[p].wide & kWideOut) &&
            (lastRead[r] == kNone || lastRead[r] < p) &&
            (lastCommit[r] == kNone || lastCommit[r] < p) && index < kRowRef) {
          through[x] = uint32_t(index);
          t.throughRows.push_back(uint32_t(index));
          if (pk == TraceKind::Mul) {
            op.kind = TraceKind::Commit;
            op.unit = t.ops[p].unit;
            op.row = mulSeq[p];
          } else {
            op.kind = TraceKind::Dead;
          }
        }
        lastCommit[r] = i;
      }
    }
  }
  std::vector<uint32_t> buf = perValue(0), freeStore;
  uint32_t nStore = 1; // buffer 0: outputs nothing reads
  for (uint32_t i = 0; i < t.ops.size(); ++i) {
    TraceOp &op = t.ops[i];
    uint32_t *v = t.vals.data() + op.off;
    for (uint32_t k = 0; k < op.nOut; ++k) {
      uint32_t x = v[op.nIn + k];
      if (last[x] == kNone) {
        if (op.kind == TraceKind::Read)
          op.kind = TraceKind::Dead;
        buf[x] = 0;
        continue;
      }
      if (through[x] != kNone) {
        buf[x] = kRowRef | through[x];
      } else if (op.kind == TraceKind::Read && refRead[i]) {
        buf[x] =
            kRowRef | uint32_t(geometry.rowIndex(op.unit, op.bank, op.row));
        op.kind = TraceKind::Dead;
      } else if (freeStore.empty()) {
        buf[x] = nStore++;
      } else {
        buf[x] = freeStore.back();
        freeStore.pop_back();
      }
    }
    for (uint32_t k = 0; k < op.nIn; ++k) {
      uint32_t x = v[k];
      if (last[x] == i) {
        last[x] = kFreed;
        if (!(buf[x] & kRowRef))
          freeStore.push_back(buf[x]);
      }
    }
    for (uint32_t k = 0; k < uint32_t(op.nIn) + op.nOut; ++k)
      v[k] = buf[v[k]];
  }
  t.storeBuffers = nStore;
  t.buffers = nStore;
  t.wideSlot.assign(t.buffers, UINT32_MAX);
  for (const TraceOp &op : t.ops)
    if (op.wide & kWideOut) {
      uint32_t &slot = t.wideSlot[t.vals[op.off + op.nIn]];
      if (slot == UINT32_MAX)
        slot = t.wideSlots++;
    }
  // Dead ops (MEM reads unread or read in place, forwarded copies) do
  // nothing: dropped.
  t.ops.erase(std::remove_if(
                  t.ops.begin(), t.ops.end(),
                  [](const TraceOp &op) { return op.kind == TraceKind::Dead; }),
              t.ops.end());
  // The ops' instructions copied in op order: the replay then streams
  // them instead of missing the cache on each (they lie in 144 queues).
  // MEM reads and writes and installs use none (on the 55M GPT-2 they are
  // 1.3M of the 1.7M ops): they keep none.
  size_t withInst = 0;
  for (TraceOp &op : t.ops) {
    if (op.kind == TraceKind::Read || op.kind == TraceKind::Write ||
        op.kind == TraceKind::Commit || op.kind == TraceKind::Install)
      op.inst = nullptr;
    withInst += op.inst != nullptr;
  }
  t.insts.reserve(withInst);
  adviseHugePages(t.insts.data(), withInst * sizeof(Instruction));
  for (TraceOp &op : t.ops)
    if (op.inst) {
      t.insts.push_back(*op.inst);
      op.inst = &t.insts.back(); // reserved: no reallocation
    }
}

} // namespace

//===----------------------------------------------------------------------===//
// Emulator
//===----------------------------------------------------------------------===//

Emulator::Emulator(const isa::Machine &machine, uint32_t chips)
    : machine_(machine), programs_(chips) {
  for (std::shared_ptr<const ChipProgram> &p : programs_)
    p = std::make_shared<const ChipProgram>();
  for (uint32_t c = 0; c < chips; ++c)
    sram_.push_back(std::make_unique<Sram>(machine.memSlices(), machine.banks(),
                                           machine.rowsPerBank(),
                                           machine.lanes()));
}
Emulator::~Emulator() = default;
Emulator::Emulator(Emulator &&) = default;
Emulator &Emulator::operator=(Emulator &&) = default;

absl::StatusOr<std::shared_ptr<const ChipProgram>>
prepareProgram(const isa::Machine &machine, uint32_t chip, uint32_t chips,
               ChipProgram program) {
  if (absl::Status s = validateProgram(machine, chip, program); !s.ok())
    return s;
  for (uint32_t q = 0; q < program.queues.size(); ++q)
    for (const Instruction &i : program.queues[q])
      if ((i.op == Opcode::C2cSend || i.op == Opcode::C2cRecv) &&
          (i.a >= chips || i.a == chip))
        return absl::InvalidArgumentError(
            "chip " + std::to_string(chip) + ", " + machine.queueName(q) +
            ": " + isa::toString(i) + ": chip " + std::to_string(i.a) +
            (i.a == chip ? " is this chip"
                         : " is not in the system of " + std::to_string(chips) +
                               " chips"));
  expandRepeats(machine, program);
  auto prepared = std::make_shared<ChipProgram>(std::move(program));
  bool c2c = false;
  for (const std::vector<Instruction> &queue : prepared->queues)
    for (const Instruction &i : queue)
      c2c |= i.op == Opcode::C2cSend || i.op == Opcode::C2cRecv;
  if (!c2c) {
    // The timing walk, once per program: its outcome and the data
    // operations it records are what Emulator::run executes.
    auto trace = std::make_shared<ChipTrace>();
    size_t ops = 0, vals = 0;
    for (const std::vector<Instruction> &queue : prepared->queues)
      for (const Instruction &i : queue)
        if (i.op != Opcode::Nop) {
          ops += i.op == Opcode::MemReadWrite ? 2 : 1;
          vals += i.op == Opcode::MxmLoad ? size_t(i.a) * 4 : 8;
        }
    trace->ops.reserve(ops);
    trace->vals.reserve(vals);
    adviseHugePages(trace->ops.data(), ops * sizeof(TraceOp));
    adviseHugePages(trace->vals.data(), vals * sizeof(uint32_t));
    Sram none(machine.memSlices(), machine.banks(), machine.rowsPerBank(),
              machine.lanes());
    ChipRun walk(machine, chip, *prepared, none, /*timingOnly=*/true);
    walk.setRecorder(trace.get());
    walk.start();
    trace->unitBusy.assign(5, 0);
    trace->status = walk.runUntil(UINT64_MAX, trace->stats, trace->unitBusy);
    finishTrace(*trace, none);
    trace->vals.shrink_to_fit();
    prepared->trace = std::move(trace);
  }
  return std::shared_ptr<const ChipProgram>(std::move(prepared));
}

absl::Status Emulator::setProgram(uint32_t chip, ChipProgram program) {
  if (chip >= programs_.size())
    return absl::InvalidArgumentError("chip " + std::to_string(chip) +
                                      " out of range");
  absl::StatusOr<std::shared_ptr<const ChipProgram>> p = prepareProgram(
      machine_, chip, uint32_t(programs_.size()), std::move(program));
  if (!p.ok())
    return p.status();
  programs_[chip] = std::move(*p);
  return absl::OkStatus();
}

void Emulator::allocateWrittenRows() {
  if (timingOnly_)
    return;
  for (size_t c = 0; c < programs_.size(); ++c) {
    if (!programs_[c] || !programs_[c]->trace)
      continue;
    for (const TraceOp &op : programs_[c]->trace->ops)
      if (op.kind == TraceKind::Write)
        (void)sram_[c]->mutableRow(op.unit, op.bank, op.row);
    for (uint32_t row : programs_[c]->trace->throughRows)
      (void)sram_[c]->mutableRowAt(row);
  }
}

void Emulator::setProgram(uint32_t chip,
                          std::shared_ptr<const ChipProgram> prepared) {
  programs_[chip] = std::move(prepared);
}

void adviseHugePages(const void *p, size_t bytes, bool populate) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t(2) << 20;
  uintptr_t start = (uintptr_t(p) + kHuge - 1) & ~(kHuge - 1);
  uintptr_t end = (uintptr_t(p) + bytes) & ~(kHuge - 1);
  if (end > start)
    madvise(reinterpret_cast<void *>(start), end - start, MADV_HUGEPAGE);
#endif
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
  if (populate) {
    const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
    uintptr_t s = (uintptr_t(p) + page - 1) & ~(page - 1);
    uintptr_t e = (uintptr_t(p) + bytes) & ~(page - 1);
    if (e > s) // an error (old kernel) leaves the pages to fault as before
      madvise(reinterpret_cast<void *>(s), e - s, MADV_POPULATE_WRITE);
  }
#endif
  (void)p;
  (void)bytes;
  (void)populate;
}

namespace {
/// The index of the instruction the repeat at j repeats (the last non-NOP
/// before it), or SIZE_MAX if none.
size_t repeatedIndex(const std::vector<Instruction> &queue, size_t j) {
  size_t pj = j;
  while (pj > 0) {
    --pj;
    if (queue[pj].op != Opcode::Nop)
      return pj;
  }
  return SIZE_MAX;
}
} // namespace

size_t expandedSize(const isa::Machine &m,
                    const std::vector<Instruction> &queue) {
  size_t n = 0;
  for (size_t j = 0; j < queue.size(); ++j) {
    const Instruction &r = queue[j];
    size_t pj = r.op == Opcode::Repeat ? repeatedIndex(queue, j) : SIZE_MAX;
    n += pj == SIZE_MAX
             ? 1
             : size_t(r.a) * (r.c > m.queueCycles(queue[pj]) ? 2 : 1);
  }
  return n;
}

void expandRepeats(const isa::Machine &m, ChipProgram &program) {
  for (std::vector<Instruction> &queue : program.queues) {
    bool any = false;
    for (const Instruction &i : queue)
      any |= i.op == Opcode::Repeat;
    if (!any)
      continue;
    // In place, from the back: the expansion of instructions 0 .. j-1 is at
    // least j long, so writing the expansion of j never overwrites an
    // instruction before j (the one a repeat repeats is read first).
    size_t old = queue.size(), n = expandedSize(m, queue);
    if (queue.capacity() < n) {
      queue.reserve(n); // one allocation, no regrowth copies
      adviseHugePages(queue.data(), n * sizeof(Instruction),
                      /*populate=*/true);
    }
    queue.resize(n);
    size_t w = n;
    for (size_t j = old; j-- > 0;) {
      const Instruction r = queue[j];
      if (r.op != Opcode::Repeat) {
        queue[--w] = r;
        continue;
      }
      const Instruction prev = queue[repeatedIndex(queue, j)];
      uint32_t gap = r.c - m.queueCycles(prev);
      for (uint32_t k = r.a; k >= 1; --k) {
        if (gap > 0)
          queue[--w] = emu::nop(gap);
        Instruction x = prev;
        uint32_t add = r.b * k;
        x.b += add; // the row of MemRead/MemWrite, the read row of both
        if (x.op == Opcode::MemReadWrite)
          x.c += add; // and the write row
        x.tag += r.tag * k;
        x.expect0 += r.expect0 * k;
        x.expect1 += r.expect1 * k;
        x.expect2 += r.expect2 * k;
        queue[--w] = x;
      }
    }
  }
}

absl::StatusOr<RunStats> Emulator::run() {
  RunStats stats;
  std::vector<uint64_t> busy(5, 0);
  // Each chip runs on its own state and statistics, merged in chip order, so
  // results do not depend on the thread count; with several failing chips
  // the lowest chip's error is reported, as in a sequential run. Chips that
  // exchange vectors run in windows of c2c_link_latency_cycles: a vector
  // sent in a window arrives in a later one, so the chips of one window are
  // independent, and the vectors sent in it are routed (in chip order)
  // before the next window starts.
  size_t n = programs_.size();
  bool c2c = false;
  // prepareProgram traces exactly the programs without C2C instructions.
  for (const std::shared_ptr<const ChipProgram> &p : programs_)
    if (!p->trace)
      for (const std::vector<Instruction> &queue : p->queues)
        for (const Instruction &i : queue)
          c2c |= i.op == Opcode::C2cSend || i.op == Opcode::C2cRecv;
  std::optional<isa::Topology> topo;
  if (c2c) {
    absl::StatusOr<isa::Topology> t =
        isa::Topology::create(machine_.target(), uint32_t(n));
    if (!t.ok())
      return t.status();
    topo = std::move(*t);
  }
  std::vector<RunStats> chipStats(n);
  std::vector<std::vector<uint64_t>> chipBusy(n, std::vector<uint64_t>(5, 0));
  std::vector<absl::Status> status(n);
  std::vector<std::unique_ptr<ChipRun>> runs;
  // Programs with their trace (every one without C2C, see prepareProgram)
  // replay it: the data operations only, the timing outcome as recorded.
  bool traced = !c2c;
  for (const std::shared_ptr<const ChipProgram> &p : programs_)
    traced &= p->trace != nullptr;
  for (size_t c = 0; c < n; ++c) {
    runs.push_back(std::make_unique<ChipRun>(
        machine_, uint32_t(c), *programs_[c], *sram_[c], timingOnly_));
    if (!traced)
      runs.back()->start();
  }
  auto runAll = [&](uint64_t limit) -> absl::Status {
    auto runChip = [&](size_t c) {
      if (traced) {
        const ChipTrace &t = *programs_[c]->trace;
        status[c] = timingOnly_ ? t.status : runs[c]->replay(t);
        chipStats[c] = t.stats;
        chipBusy[c] = t.unitBusy;
        return;
      }
      status[c] = runs[c]->runUntil(limit, chipStats[c], chipBusy[c]);
    };
    uint32_t workers = std::min<uint32_t>(std::max(threads_, 1u), uint32_t(n));
    if (workers <= 1) {
      for (size_t c = 0; c < n; ++c) {
        runChip(c);
        if (!status[c].ok())
          return status[c];
      }
      return absl::OkStatus();
    }
    std::vector<std::thread> pool;
    for (uint32_t w = 0; w < workers; ++w)
      pool.emplace_back([&, w] {
        for (size_t c = w; c < n; c += workers)
          runChip(c);
      });
    for (std::thread &t : pool)
      t.join();
    for (size_t c = 0; c < n; ++c)
      if (!status[c].ok())
        return status[c];
    return absl::OkStatus();
  };
  if (!c2c) {
    if (absl::Status s = runAll(UINT64_MAX); !s.ok())
      return s;
  } else {
    isa::LinkSchedule links(*topo);
    std::map<std::pair<uint32_t, uint32_t>, uint64_t> vectors;
    for (;;) {
      uint64_t lo = UINT64_MAX;
      for (const std::unique_ptr<ChipRun> &r : runs)
        lo = std::min(lo, r->nextCycle());
      if (lo == UINT64_MAX)
        break;
      if (absl::Status s = runAll(lo + topo->linkLatencyCycles()); !s.ok())
        return s;
      for (size_t c = 0; c < n; ++c)
        for (C2cMessage &msg : runs[c]->takeOutbox()) {
          std::string at = "chip " + std::to_string(msg.src) + ", " +
                           machine_.queueName(msg.queue) + ", cycle " +
                           std::to_string(msg.sendCycle) + ": " +
                           isa::toString(msg.send) + ": ";
          uint32_t link = machine_.queue(msg.queue).index;
          isa::Route route = topo->route(msg.src, msg.dst);
          if (route.empty() || route[0].link != link)
            return absl::FailedPreconditionError(
                at + "the route to chip " + std::to_string(msg.dst) +
                " leaves on link " +
                (route.empty() ? std::string("(none)")
                               : std::to_string(route[0].link)) +
                ", not link " + std::to_string(link));
          if (absl::Status s = links.reserveRoute(route, msg.sendCycle);
              !s.ok())
            return absl::FailedPreconditionError(at + std::string(s.message()));
          for (const isa::LinkEnd &hop : route)
            vectors[{hop.chip, hop.link}]++;
          isa::LinkEnd last = topo->peer(route.back().chip, route.back().link);
          runs[msg.dst]->deliver(last.link,
                                 topo->arrivalCycle(msg.sendCycle, route),
                                 std::move(msg));
        }
    }
    for (size_t c = 0; c < n; ++c)
      for (const auto &[where, msg] : runs[c]->inbox())
        return absl::FailedPreconditionError(
            "chip " + std::to_string(msg.src) + ", " +
            machine_.queueName(msg.queue) + ", cycle " +
            std::to_string(msg.sendCycle) + ": " + isa::toString(msg.send) +
            ": the vector arrives at chip " + std::to_string(c) + " on link " +
            std::to_string(where.first) + " in cycle " +
            std::to_string(where.second) + " and no receive takes it");
    for (const auto &[key, count] : vectors) {
      LinkStats ls;
      ls.chip = key.first;
      ls.link = key.second;
      ls.peer = topo->peer(key.first, key.second).chip;
      ls.vectors = count;
      ls.bytes = count * machine_.lanes();
      ls.busyCycles = count * topo->vectorCycles();
      stats.links.push_back(ls);
    }
  }
  for (size_t c = 0; c < n; ++c) {
    stats.cycles = std::max(stats.cycles, chipStats[c].cycles);
    stats.instructions += chipStats[c].instructions;
    for (int u = 0; u < 5; ++u)
      busy[u] += chipBusy[c][u];
  }
  const schema::Target &t = machine_.target();
  uint32_t chips = uint32_t(programs_.size());
  uint32_t queues[5] = {machine_.memSlices(), t.vxm_alus(), 2 * t.mxm_planes(),
                        2 * t.sxm_units_per_hemisphere(), t.c2c_links()};
  for (int u = 0; u < 5; ++u) {
    UnitBusy ub;
    ub.unit = Unit(u);
    ub.busyCycles = busy[u];
    ub.queues = queues[u] * chips;
    ub.utilisation = stats.cycles && ub.queues
                         ? double(busy[u]) / (double(stats.cycles) * ub.queues)
                         : 0.0;
    stats.units.push_back(ub);
  }
  return stats;
}

void halvesToFloats(const uint8_t *lo, const uint8_t *hi, uint32_t n,
                    float *out) {
  const uint8_t *p[2] = {lo, hi};
  decodeF(DType::F16, p, n, out);
}

void floatsToHalves(const float *v, uint32_t n, uint32_t *bits) {
  encodeFloats(DType::F16, v, n, bits);
}

void floatsToHalfPlanes(const float *v, uint32_t n, uint8_t *lo, uint8_t *hi) {
#if defined(__x86_64__)
  if (haveAvx512Bw() && haveF16c()) {
    floatsToHalfPlanesAvx512(v, n, lo, hi);
    return;
  }
#endif
  std::vector<uint32_t> bits(n);
  encodeFloats(DType::F16, v, n, bits.data());
  halfWordsToPlanes(bits.data(), n, lo, hi);
}

} // namespace lpuc::emu
