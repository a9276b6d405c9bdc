//===- Emulator.h - Cycle-faithful emulator of LPU chips -------*- C++ -*-===//
//
// Runs verified per-queue instruction lists on one or more chips with the
// timing rules of ARCH.md section 6, taken from isa::Machine. A timing
// mistake is an error naming chip, unit, cycle and instruction; it never
// stalls and never yields silently wrong numbers. See docs/emulator.md.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_RUNTIME_EMULATOR_EMULATOR_H
#define LPUC_RUNTIME_EMULATOR_EMULATOR_H

#include "runtime/isa/Isa.h"
#include "runtime/isa/Machine.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace lpuc::emu {

/// SRAM of one chip: per slice, per bank, rows of `lanes` bytes. Pages of
/// kPageRows rows are allocated on first write; untouched rows read as 0.
class Sram {
public:
  static constexpr uint32_t kPageRows = 64;
  Sram(uint32_t slices, uint32_t banks, uint32_t rows, uint32_t lanes);
  ~Sram();
  Sram(const Sram &) = delete;
  Sram &operator=(const Sram &) = delete;

  bool inRange(uint32_t slice, uint32_t bank, uint32_t row) const {
    return slice < slices_ && bank < banks_ && row < rows_;
  }
  /// The row's bytes (a shared zero row if never written). Must be in range.
  const uint8_t *row(uint32_t slice, uint32_t bank, uint32_t row) const;
  /// The row's bytes for writing (allocates its page). Must be in range.
  uint8_t *mutableRow(uint32_t slice, uint32_t bank, uint32_t row) {
    return mutableRowAt(rowIndex(slice, bank, row));
  }
  /// A number for the row (in range), dense over the SRAM:
  /// rowAt(index) is row(slice, bank, row). Depends only on the geometry.
  uint64_t rowIndex(uint32_t slice, uint32_t bank, uint32_t row) const {
    return pageIndex(slice, bank, row) * kPageRows + row % kPageRows;
  }
  const uint8_t *rowAt(uint64_t index) const {
    const uint8_t *page = pages_[index / kPageRows];
    return page ? page + size_t(index % kPageRows) * lanes_ : zero_.data();
  }
  uint8_t *mutableRowAt(uint64_t index) {
    uint8_t *page = pages_[index / kPageRows];
    if (!page) [[unlikely]]
      page = allocatePage(index / kPageRows);
    return page + size_t(index % kPageRows) * lanes_;
  }
  uint32_t lanes() const { return lanes_; }
  /// Bytes actually allocated (pages touched by writes).
  uint64_t allocatedBytes() const;
  uint64_t capacityBytes() const {
    return uint64_t(slices_) * banks_ * rows_ * lanes_;
  }

private:
  uint8_t *allocatePage(uint64_t page);
  uint64_t pageIndex(uint32_t slice, uint32_t bank, uint32_t row) const {
    return (uint64_t(slice) * banks_ + bank) * pagesPerBank_ + row / kPageRows;
  }
  uint32_t slices_, banks_, rows_, lanes_, pagesPerBank_;
  // Only touched pages exist; the table of page pointers is flat (8 bytes
  // per page of kPageRows rows, e.g. 88 KiB for lpu-v1's 220 MiB). Pages
  // are cut from zeroed 2 MiB chunks (huge pages where the OS gives them),
  // so a new page costs neither a memset nor a fault per 4 KiB.
  std::vector<uint8_t *> pages_;
  uint64_t allocatedPages_ = 0;
  std::vector<std::pair<void *, size_t>> chunks_;
  uint8_t *chunkNext_ = nullptr;
  size_t chunkLeft_ = 0; // pages left in the current chunk
  std::vector<uint8_t> zero_;
};

struct ChipTrace;

/// The program of one chip: instructions per queue (index = isa::Machine
/// queue number; missing queues are empty) and the SXM lane maps.
struct ChipProgram {
  std::vector<std::vector<isa::Instruction>> queues;
  std::vector<std::vector<int16_t>> laneMaps;
  /// The chain table of vxm.chain instructions (steps a .. a + b - 1).
  std::vector<isa::ChainStep> chainSteps;
  /// Set by prepareProgram for a program without C2C instructions: the
  /// outcome of its timing walk (statistics, or the first timing error) and
  /// its data operations in execution order with every stream value
  /// resolved to a buffer (docs/emulator.md, "Replay"). Emulator::run
  /// executes only these.
  std::shared_ptr<const ChipTrace> trace;
};

struct UnitBusy {
  isa::Unit unit;
  uint64_t busyCycles = 0; // sum of queueCycles of non-NOP instructions
  uint32_t queues = 0;     // queues of this unit over all chips
  double utilisation = 0;  // busy / (cycles * queues)
};

/// Traffic of one directed C2C link (leaving `chip` on `link`), forwarded
/// hops included.
struct LinkStats {
  uint32_t chip = 0, link = 0;
  uint32_t peer = 0;       // the chip at the far end
  uint64_t vectors = 0;    // vectors carried
  uint64_t bytes = 0;      // vectors x lanes
  uint64_t busyCycles = 0; // vectors x c2c_vector_cycles
};

struct RunStats {
  /// max over executed non-NOP instructions of issue + busyCycles (0 if
  /// none): the number the compiler predicts.
  uint64_t cycles = 0;
  std::vector<UnitBusy> units;  // mem, vxm, mxm, sxm, c2c
  uint64_t instructions = 0;    // non-NOP instructions executed
  std::vector<LinkStats> links; // by (chip, link); links that carried data
};

/// MEM port rule per slice and cycle: at most one read and one write, and
/// not both to the same bank. Used by the emulator; exported for tests.
class MemPorts {
public:
  explicit MemPorts(uint32_t slices) : ports_(slices) {}
  /// Empty string if allowed, else what is wrong.
  std::string claimRead(uint32_t slice, uint32_t bank, uint64_t cycle);
  std::string claimWrite(uint32_t slice, uint32_t bank, uint64_t cycle);

private:
  struct Port {
    int64_t readCycle = -1, writeCycle = -1;
    uint32_t readBank = 0, writeBank = 0;
  };
  std::vector<Port> ports_;
};

/// binary16 planes (low and high bytes) to floats and floats to binary16
/// (in the low 16 bits of `bits`): the emulator's conversions (F16C where
/// the CPU has it), bit for bit isa::halfToFloat and isa::floatToHalf.
/// Exported for tests.
void halvesToFloats(const uint8_t *lo, const uint8_t *hi, uint32_t n,
                    float *out);
void floatsToHalves(const float *v, uint32_t n, uint32_t *bits);
/// floatsToHalves straight into the two planes of the halves (AVX-512 where
/// the CPU has it), bit for bit isa::floatToHalf. Exported for tests.
void floatsToHalfPlanes(const float *v, uint32_t n, uint8_t *lo, uint8_t *hi);

/// Four byte planes (bytes 0..3 of each lane) to little-endian 32-bit
/// words and back: the emulator's f32 and i32 decoding and encoding
/// (SSE2), bit for bit the scalar byte loops. Exported for tests.
void planesToWords(const uint8_t *const *planes, uint32_t n, uint32_t *out);
void wordsToPlanes(const uint32_t *words, uint32_t n, uint8_t *const *planes);
/// Bytes 0 and 1 of n words to two planes (16-bit types' encoding; bytes 2
/// and 3 are ignored), bit for bit the scalar byte loop. Exported for tests.
void halfWordsToPlanes(const uint32_t *words, uint32_t n, uint8_t *p0,
                       uint8_t *p1);

/// The batched MXM float kernel: M activation vectors (rows of A, stride
/// lda) times one tile W (stride ldw: a multiple of 16 with zero padding),
/// for the 16-lane vectors [vBegin, vEnd) of the columns: C[i][n] = sum_k
/// A[i][k] * W[k][n] over the tile rows k = ks[0], ..., ks[nk-1] (ascending;
/// ks == nullptr: k = 0 .. nk-1) in order from +0, a product rounded to
/// fp32 then an add per k (no contraction): the bits of the multiply of
/// each vector alone. `products` says whether every product is exact in
/// fp32 (fp16 and fp8 values: at most 11 significant bits each, exponents
/// far inside fp32's range): then a fused multiply-add rounds a * w + acc
/// exactly as the multiply and the add do, and the kernel uses FMA where
/// the CPU has AVX-512 and FMA. Generic is the portable multiply-and-add
/// code whatever the CPU (for tests). Exported for tests.
enum class MxmProducts { Inexact, Exact, Generic };
void mxmGemmF32(const float *A, size_t lda, uint32_t M, const float *W,
                size_t ldw, const uint32_t *ks, uint32_t nk, uint32_t vBegin,
                uint32_t vEnd, float *C, size_t ldc, MxmProducts products);
/// The tile rows k < rows that mxmGemmF32 must sum over for these M
/// activation vectors, written to ks (room for `rows`), their count
/// returned: all but the rows where every A[i][k] is +-0 and W[k][0, cols)
/// is finite. Those products are +-0, and adding +-0 leaves a sum that
/// started at +0 unchanged (such a sum is never -0; a NaN or infinite sum
/// stays what it is). W may be null when every weight is known finite.
/// Exported for tests.
uint32_t mxmNeededRows(const float *A, size_t lda, uint32_t M, const float *W,
                       size_t ldw, uint32_t rows, uint32_t cols, uint32_t *ks);

/// The VXM's exp and tanh: float(std::exp(double(x))) and
/// float(std::tanh(double(x))) bit for bit, with the lanes whose result is
/// known (exp to 0 or inf, tanh to +-1 or x) not sent to libm. Exported
/// for tests.
float expFloat(float x);
float tanhFloat(float x);
/// tanhFloat of n lanes, the same bits: with AVX-512, tanh in double by
/// series (relative error far below 2^-45) rounded to float, and every
/// lane whose double lies within 2^-40 (relative) of a rounding boundary
/// between floats, or outside 2^-13 <= |x| < 10, through tanhFloat (libm).
/// Checked against tanhFloat on every float with 2^-13 <= |x| < 10 (a
/// disabled gtest: Emulator.DISABLED_TanhFloatsExhaustive). Exported for
/// tests.
void tanhFloats(const float *x, uint32_t n, float *r);

/// Static checks of a chip program (queue count, opcode per queue, NOP
/// counts, dtypes, ALU ops, stream groups, MXM rows). Errors name the chip,
/// queue, issue cycle and instruction.
absl::Status validateProgram(const isa::Machine &machine, uint32_t chip,
                             const ChipProgram &program);

/// Asks the OS to back the 2 MiB-aligned part of [p, p + bytes) with
/// transparent huge pages and, with `populate`, to map all its pages now
/// in one call (Linux; a no-op elsewhere). Call it on a fresh array before
/// it is first written: the program's and the trace's large arrays then
/// cost a fault per 2 MiB, or none, instead of one per 4 KiB (on the
/// shared VM a fault costs several microseconds). Populate only what will
/// be written.
void adviseHugePages(const void *p, size_t bytes, bool populate = false);

/// The length of `queue` once expandRepeats has replaced its repeats (a
/// repeat with nothing before it counts 1: validateProgram rejects it).
size_t expandedSize(const isa::Machine &machine,
                    const std::vector<isa::Instruction> &queue);

/// Replaces every `repeat n, stride, interval` (validated: it follows the
/// instruction it repeats) by n copies of that instruction, row address(es)
/// + k * stride, with NOPs filling each interval. Timing is unchanged:
/// issue cycles, busy cycles and the queue's later instructions are those
/// of the repeat. Emulator::setProgram calls it. A queue whose capacity
/// already holds expandedSize instructions is expanded in place.
void expandRepeats(const isa::Machine &machine, ChipProgram &program);

/// What Emulator::setProgram installs for chip `chip` of a system of
/// `chips`: `program` checked (validateProgram, C2C peers in the system and
/// not the chip itself) with its repeats expanded. Prepared once, a program
/// can be installed in any number of emulators without copying it.
absl::StatusOr<std::shared_ptr<const ChipProgram>>
prepareProgram(const isa::Machine &machine, uint32_t chip, uint32_t chips,
               ChipProgram program);

class Emulator {
public:
  Emulator(const isa::Machine &machine, uint32_t chips);
  ~Emulator();
  Emulator(Emulator &&);
  Emulator &operator=(Emulator &&);

  const isa::Machine &machine() const { return machine_; }
  uint32_t chips() const { return uint32_t(sram_.size()); }
  /// Validates (validateProgram) and installs the program of one chip.
  absl::Status setProgram(uint32_t chip, ChipProgram program);
  /// Installs a program prepareProgram made for this chip and chip count.
  void setProgram(uint32_t chip, std::shared_ptr<const ChipProgram> prepared);
  Sram &sram(uint32_t chip) { return *sram_[chip]; }
  const Sram &sram(uint32_t chip) const { return *sram_[chip]; }

  /// Allocates now the SRAM pages of every row the installed programs'
  /// traces write (what run() would allocate at their first write), so a
  /// run starts with its memory mapped: rt::Session does it when it is
  /// created. Contents are unchanged (new rows read as zero either way);
  /// nothing in timing-only mode.
  void allocateWrittenRows();

  /// Runs every chip's program from cycle 0 to its end. SRAM keeps its
  /// contents across runs; streams and MXM state start empty.
  absl::StatusOr<RunStats> run();

  /// Timing-only mode: every timing and hazard check and the same cycle
  /// count, but no data (SRAM is neither read nor written, no arithmetic),
  /// for systems too large to hold in memory.
  void setTimingOnly(bool on) { timingOnly_ = on; }
  bool timingOnly() const { return timingOnly_; }

  /// Host threads for run(): chips are spread over them (chip c on thread
  /// c mod n). Outputs, cycles and statistics are identical for every
  /// thread count (each chip has its own state; results merge in chip
  /// order). 1 (the default) runs everything on the calling thread.
  void setThreads(uint32_t n) { threads_ = n; }
  uint32_t threads() const { return threads_; }

private:
  isa::Machine machine_;
  std::vector<std::unique_ptr<Sram>> sram_;
  std::vector<std::shared_ptr<const ChipProgram>> programs_;
  bool timingOnly_ = false;
  uint32_t threads_ = 1;
};

} // namespace lpuc::emu

#endif
