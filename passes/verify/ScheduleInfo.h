//===- ScheduleInfo.h - A scheduled lpuhw module as instructions -*- C++
//-*-===//
//
// Reads the instructions of a scheduled lpuhw module (every op with its
// `cycle`, `stream`, `alu`/`unit` attributes) into isa::Instruction form with
// the queue, position and issue cycle of each, and the producer of every
// operand. Shared by `lpuhw-verify-schedule` and the .lpubin emitter so that
// both see the same instructions; it checks only what it needs to build them
// (attributes present, indices in range), the timing rules are the verifier's.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_PASSES_VERIFY_SCHEDULEINFO_H
#define LPUC_PASSES_VERIFY_SCHEDULEINFO_H

#include "runtime/isa/Isa.h"
#include "runtime/isa/Machine.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/iterator.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"

#include <cassert>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace lpuc::verify {

/// The module attribute holding the program length (max cycle + busyCycles).
constexpr const char *kCyclesAttrName = "lpuhw.cycles";
/// The module attribute holding the number of chips of a multi-chip program
/// (absent: one chip).
constexpr const char *kChipsAttrName = "lpuhw.chips";
/// The chip count of a module (kChipsAttrName, 1 if absent).
uint32_t chipCount(mlir::ModuleOp module);

/// One input group of an instruction: operands [first, first + count). The
/// operands are read on consecutive streams base .. base + perCycle - 1
/// (base = stream of operand `first`); operand first + i is read on stream
/// base + i % perCycle at cycle issue + i / perCycle. perCycle == count for
/// every group except mxm_load's tile (perCycle = mxm_weight_streams).
struct InputGroup {
  InputGroup() = default;
  InputGroup(unsigned first, unsigned count, unsigned perCycle)
      : first(uint16_t(first)), count(uint16_t(count)),
        perCycle(uint16_t(perCycle)) {
    assert(first + count <= UINT16_MAX && perCycle <= UINT16_MAX &&
           "input group beyond 16-bit operand indices");
  }
  uint16_t first = 0;
  uint16_t count = 0;
  uint16_t perCycle = 0;
};

/// An instruction's input groups: at most three (vxm select), held inline.
class InputGroups {
public:
  static constexpr unsigned kMax = 3;
  void push_back(const InputGroup &g) {
    assert(size_ < kMax && "more input groups than an instruction has");
    groups_[size_++] = g;
  }
  const InputGroup *begin() const { return groups_; }
  const InputGroup *end() const { return groups_ + size_; }
  unsigned size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const InputGroup &operator[](unsigned i) const { return groups_[i]; }

private:
  InputGroup groups_[kMax];
  uint8_t size_ = 0;
};

/// The producer of an operand: index of the instruction in program order and
/// result number, or -1 if the operand is not an instruction's result.
struct OperandSource {
  int producer = -1;
  unsigned result = 0;
};

/// An isa::Instruction without its tag and expected tags (24 bytes instead
/// of 40): those are the emitter's, computed from the operands when it
/// builds the queues. Converts to an isa::Instruction with them zero.
struct SchedInstruction {
  isa::Opcode op = isa::Opcode::Nop;
  isa::DType dtype = isa::DType::Invalid;
  uint8_t fn = 0;
  uint8_t flags = 0;
  uint8_t in0 = isa::kNoStream;
  uint8_t in1 = isa::kNoStream;
  uint8_t out = isa::kNoStream;
  uint8_t in2 = 0;
  uint32_t a = 0;
  uint32_t b = 0;
  uint32_t c = 0;
  float imm = 0.0f;

  operator isa::Instruction() const {
    isa::Instruction i;
    i.op = op;
    i.dtype = dtype;
    i.fn = fn;
    i.flags = flags;
    i.in0 = in0;
    i.in1 = in1;
    i.out = out;
    i.in2 = in2;
    i.a = a;
    i.b = b;
    i.c = c;
    i.imm = imm;
    return i;
  }
};

/// One instruction as the verifier and the emitter see it. It does not point
/// at its op: the op may be gone (lpuc's streaming back end erases each
/// window's ops once scheduled and collected); locations and attributes live
/// in the context.
struct SchedInst {
  // 80 bytes (one per instruction of the program, 1.78M on the 55M GPT-2):
  // the 8-byte fields first, narrow ones packed after the instruction.
  /// The op's location (the ONNX node), for diagnostics and stages.
  mlir::LocationAttr loc;
  /// numOperands of them, one per operand, in an InstructionList's pool.
  const OperandSource *operandData = nullptr;
  /// Issue cycle (appendInstructions rejects cycles from 2^31).
  int32_t cycle = 0;
  /// Opcode, dtype, fn, flags, a, b, imm; `out` from the op's `stream`, in0
  /// and in1 from the producers' streams (a of sxm shift/rotate: the amount).
  /// The SXM permute's lane-map index (a) is the emitter's business and is
  /// 0 here; its lane map is in InstructionList::laneMaps.
  SchedInstruction inst;
  /// The chip (the op's `chip`, 0 if absent).
  uint32_t chip = 0;
  uint16_t queue = 0;
  int16_t position = 0;
  /// First output stream (-1 if the op has no results).
  int16_t stream = -1;
  /// MEM: slice; MXM: plane; VXM: alu; SXM: unit; C2C: link.
  uint16_t index = 0;
  uint16_t numOperands = 0;
  InputGroups groups;
  /// The op's result count (c2c_send: 1, its vector, which has no stream).
  uint8_t numResults = 0;

  llvm::ArrayRef<OperandSource> operands() const {
    return llvm::ArrayRef<OperandSource>(operandData, numOperands);
  }
  mlir::InFlightDiagnostic emitError() const {
    return mlir::emitError(mlir::Location(loc));
  }
};

/// A vector in fixed chunks of 2^16 elements: appending never moves an
/// element (a std::vector that grows holds its old and new arrays at once),
/// and each chunk is one large allocation, returned to the system when
/// freed (std::deque's 512-byte nodes stay in the heap for whatever comes
/// next, and on the 55M GPT-2 kept 95 MiB resident under the emitter).
template <typename T> class ChunkedVector {
  static constexpr unsigned kBits = 16;
  static constexpr size_t kChunk = size_t(1) << kBits;

public:
  template <typename V>
  class Iter
      : public llvm::iterator_facade_base<Iter<V>,
                                          std::random_access_iterator_tag, V> {
  public:
    using Owner = std::conditional_t<std::is_const_v<V>, const ChunkedVector,
                                     ChunkedVector>;
    Iter() = default;
    Iter(Owner *v, size_t i) : v_(v), i_(i) {}
    V &operator*() const { return (*v_)[i_]; }
    Iter &operator+=(std::ptrdiff_t n) {
      i_ = size_t(std::ptrdiff_t(i_) + n);
      return *this;
    }
    Iter &operator-=(std::ptrdiff_t n) {
      i_ = size_t(std::ptrdiff_t(i_) - n);
      return *this;
    }
    std::ptrdiff_t operator-(const Iter &o) const {
      return std::ptrdiff_t(i_) - std::ptrdiff_t(o.i_);
    }
    bool operator==(const Iter &o) const { return i_ == o.i_; }
    bool operator<(const Iter &o) const { return i_ < o.i_; }

  private:
    Owner *v_ = nullptr;
    size_t i_ = 0;
  };
  using iterator = Iter<T>;
  using const_iterator = Iter<const T>;

  T &operator[](size_t i) { return chunks_[i >> kBits][i & (kChunk - 1)]; }
  const T &operator[](size_t i) const {
    return chunks_[i >> kBits][i & (kChunk - 1)];
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T &front() { return (*this)[0]; }
  const T &front() const { return (*this)[0]; }
  void push_back(const T &v) {
    if ((size_ >> kBits) == chunks_.size())
      chunks_.push_back(std::make_unique<T[]>(kChunk));
    (*this)[size_++] = v;
  }
  void clear() {
    std::vector<std::unique_ptr<T[]>>().swap(chunks_);
    size_ = 0;
  }
  iterator begin() { return iterator(this, 0); }
  iterator end() { return iterator(this, size_); }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size_); }

private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  size_t size_ = 0;
};

/// The instructions of a program (or of one window of it) in program order,
/// with the operand pools their `operands` point into (one per append, never
/// reallocated). Program indices (OperandSource::producer, laneMaps' keys)
/// count from the program's first instruction: insts[i] is instruction
/// base + i (a list holding one window of a longer program has base > 0).
struct InstructionList {
  size_t base = 0;
  ChunkedVector<SchedInst> insts;
  std::deque<std::vector<OperandSource>> pools;
  /// The lane map of each SXM permute, by instruction index (checked by
  /// appendInstructions).
  llvm::DenseMap<uint32_t, mlir::DenseI32ArrayAttr> laneMaps;
  size_t size() const { return insts.size(); }
  /// Instruction `programIndex` (base <= programIndex < base + size()).
  const SchedInst &at(size_t programIndex) const {
    assert(programIndex >= base && programIndex - base < insts.size() &&
           "instruction outside this list");
    return insts[programIndex - base];
  }
  /// Empties the list (base is kept).
  void clear() {
    insts.clear();
    pools.clear();
    laneMaps.clear();
  }
  llvm::ArrayRef<int32_t> laneMap(size_t i) const {
    mlir::DenseI32ArrayAttr map = laneMaps.lookup(uint32_t(i));
    return map ? map.asArrayRef() : llvm::ArrayRef<int32_t>();
  }
};

/// True for ops that are instructions (every lpuhw op except lpuhw.tensor).
bool isInstruction(mlir::Operation *op);

/// Appends the instructions `ops` (program order, after those already in
/// `out`; the first is program index out.base + out.size()) of a program of
/// `chips` chips. Every operand must be the result of one of `ops` (a
/// window of the program that no stream value crosses).
/// Emits an error at each op whose schedule attributes are missing or out of
/// range for `machine` and fails if there was any. (About 90 bytes per
/// instruction with its operands: 1.78M on the 55M GPT-2.)
mlir::LogicalResult appendInstructions(llvm::ArrayRef<mlir::Operation *> ops,
                                       const isa::Machine &machine,
                                       uint32_t chips, InstructionList &out);

/// Collects every instruction of `module` in program order (walk order)
/// into `out` (cleared first), as appendInstructions does.
mlir::LogicalResult collectInstructions(mlir::ModuleOp module,
                                        const isa::Machine &machine,
                                        InstructionList &out);

/// Program length: max over instructions of cycle + busyCycles (0 if none).
int64_t programCycles(const ChunkedVector<SchedInst> &insts,
                      const isa::Machine &machine);

} // namespace lpuc::verify

#endif
