//===- LowerPrecision.cpp - lpu-precision ---------------------------------===//
//
// Runs every f32 lpu computation in fp16 or bf16: constants are rounded at
// compile time (round to nearest, ties to even), values entering lpu ops in
// f32 are cast down, values leaving lpu ops are cast back up to f32.
//
//===----------------------------------------------------------------------===//

#include "passes/precision/Passes.h"

#include "compiler/support/MappedPages.h"
#include "dialects/lpu/LpuDialect.h"
#include "dialects/lpu/LpuOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

namespace lpuc {
#define GEN_PASS_DEF_LPUPRECISION
#include "passes/precision/Passes.h.inc"
} // namespace lpuc

using namespace mlir;

namespace {

bool isF32Tensor(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  return rt && rt.getElementType().isF32();
}

bool isLpuOp(Operation *op) {
  return isa<lpuc::lpu::LpuDialect>(op->getDialect());
}

/// f32 -> narrow, round to nearest, ties to even; a finite constant beyond
/// the narrow type's range saturates to its largest finite value instead of
/// becoming an infinity. Exporters write "the most negative float" as a
/// mask value (finfo(float32).min = -3.4e38, beyond fp16 and, after
/// rounding, bf16); as an infinity it would turn the mask's 0 * value into
/// NaN, while the narrow type's own minimum keeps its meaning (as torch's
/// finfo(float16).min would).
APInt roundBits(const APFloat &v, const llvm::fltSemantics &sem) {
  APFloat c = v;
  bool losesInfo = false;
  c.convert(sem, APFloat::rmNearestTiesToEven, &losesInfo);
  if (c.isInfinity() && v.isFinite())
    c = APFloat::getLargest(sem, v.isNegative());
  return c.bitcastToAPInt();
}

struct LpuPrecisionPass : lpuc::impl::LpuPrecisionBase<LpuPrecisionPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (precision == "fp32") {
      narrow = nullptr;
      return success();
    }
    if (precision == "fp16")
      narrow = Float16Type::get(ctx);
    else if (precision == "bf16")
      narrow = BFloat16Type::get(ctx);
    else
      return emitError(UnknownLoc::get(ctx))
             << "unknown precision '" << precision
             << "' (expected fp32, fp16 or bf16)";
    return success();
  }

  void runOnOperation() override {
    if (!narrow)
      return; // fp32: nothing to do.
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());

    // Values now holding narrow data that stood for f32 values.
    llvm::SetVector<Value> narrowed;
    // Per resource blob, the number of ops whose attributes reference it: a
    // blob whose last reference goes is released at once, so the module
    // holds both copies of one weight at a time, not of all of them (a
    // weight mapped from the model file gives its pages back).
    llvm::StringMap<unsigned> references;
    module.walk([&](Operation *op) {
      llvm::StringSet<> keys;
      op->getAttrDictionary().walk([&](DenseResourceElementsAttr a) {
        if (keys.insert(a.getRawHandle().getKey()).second)
          ++references[a.getRawHandle().getKey()];
      });
    });

    // 1. Constants used by lpu ops: round at compile time.
    SmallVector<arith::ConstantOp> constants;
    module.walk([&](arith::ConstantOp c) {
      if (isF32Tensor(c.getType()) &&
          llvm::any_of(c->getUsers(), [](Operation *u) { return isLpuOp(u); }))
        constants.push_back(c);
    });
    for (arith::ConstantOp c : constants) {
      FailureOr<TypedAttr> rounded = narrowConstant(c);
      if (failed(rounded))
        return signalPassFailure();
      TypedAttr value = *rounded;
      if (!value)
        continue; // left f32; step 2 casts it where lpu ops use it
      rewriter.setInsertionPoint(c);
      Value repl = arith::ConstantOp::create(rewriter, c.getLoc(), value);
      narrowed.insert(repl);
      rewriter.replaceUsesWithIf(c.getResult(), repl, [](OpOperand &use) {
        return isLpuOp(use.getOwner());
      });
      if (!c->use_empty())
        continue;
      auto res = dyn_cast<DenseResourceElementsAttr>(c.getValue());
      rewriter.eraseOp(c);
      if (res && --references[res.getRawHandle().getKey()] == 0) {
        DenseResourceElementsHandle h = res.getRawHandle();
        if (h.getBlob())
          h.getResource()->setBlob(AsmResourceBlob());
      }
    }

    // 2. lpu ops compute in the narrow type: f32 operands from outside are
    // cast down (once per value), f32 results become narrow.
    SmallVector<Operation *> lpuOps;
    module.walk([&](Operation *op) {
      if (isLpuOp(op))
        lpuOps.push_back(op);
    });
    llvm::DenseMap<Value, Value> castDown, castUp;
    for (Operation *op : lpuOps) {
      for (OpOperand &operand : op->getOpOperands()) {
        Value v = operand.get();
        if (!isF32Tensor(v.getType()))
          continue;
        Value &down = castDown[v];
        if (!down) {
          rewriter.setInsertionPointAfterValue(v);
          down = lpuc::lpu::CastOp::create(
              rewriter, v.getLoc(),
              cast<RankedTensorType>(v.getType()).clone(narrow), v);
        }
        operand.set(down);
      }
      for (Value r : op->getResults())
        if (isF32Tensor(r.getType())) {
          r.setType(cast<RankedTensorType>(r.getType()).clone(narrow));
          narrowed.insert(r);
        }
    }

    // 3. Narrow values used outside lpu ops are cast back up to f32.
    for (Value v : narrowed) {
      for (OpOperand &use : llvm::make_early_inc_range(v.getUses())) {
        if (isLpuOp(use.getOwner()))
          continue;
        Value &up = castUp[v];
        if (!up) {
          rewriter.setInsertionPointAfterValue(v);
          up = lpuc::lpu::CastOp::create(
              rewriter, v.getLoc(),
              cast<RankedTensorType>(v.getType()).clone(rewriter.getF32Type()),
              v);
        }
        use.set(up);
      }
    }

    // 4. Casts that became the identity (an explicit f32 -> narrow cast
    // whose input is now narrow) go away.
    module.walk([&](lpuc::lpu::CastOp c) {
      if (c.getInput().getType() == c.getType()) {
        rewriter.replaceAllUsesWith(c.getResult(), c.getInput());
        rewriter.eraseOp(c);
      }
    });
    file.reset(); // the mappings stay valid without the descriptor
  }

  /// The narrow copy of an f32 constant, or null if its kind is unknown;
  /// fails (with an error at `c`) if the weight file cannot be written.
  FailureOr<TypedAttr> narrowConstant(arith::ConstantOp c) {
    Attribute attr = c.getValue();
    auto type = cast<RankedTensorType>(cast<TypedAttr>(attr).getType());
    RankedTensorType to = type.clone(narrow);
    const llvm::fltSemantics &sem = narrow.getFloatSemantics();
    if (auto dense = dyn_cast<DenseElementsAttr>(attr))
      return TypedAttr(dense.mapValues(
          narrow, [&](const APFloat &v) { return roundBits(v, sem); }));
    auto res = dyn_cast<DenseF32ResourceElementsAttr>(attr);
    if (!res)
      return TypedAttr();
    std::string name = (res.getRawHandle().getKey() + "_" + precision).str();
    const AsmResourceBlob *from = res.getRawHandle().getBlob();
    if (!from) {
      // Shapes only (weights not loaded): a blob-less resource of the new
      // type.
      return cast<TypedAttr>(lpuc::lpu::constantWithoutData(to, name));
    }
    // The f32 bytes are read with memcpy: a weight used in place from the
    // model file may sit at any address (its blob's alignment says so).
    ArrayRef<char> in = from->getData();
    size_t n = in.size() / sizeof(float);
    auto convert = [&](size_t first, MutableArrayRef<char> out) {
      for (size_t i = 0; i < out.size() / sizeof(uint16_t); ++i) {
        float f;
        std::memcpy(&f, in.data() + (first + i) * sizeof(float), sizeof(f));
        uint16_t bits =
            static_cast<uint16_t>(roundBits(APFloat(f), sem).getZExtValue());
        std::memcpy(out.data() + i * sizeof(uint16_t), &bits, sizeof(bits));
      }
    };
    constexpr size_t kFileBytes = 4096; // a page: smaller ones stay
    size_t bytes = n * sizeof(uint16_t);
    if (weightDir.empty() || bytes < kFileBytes) {
      AsmResourceBlob blob =
          HeapAsmResourceBlob::allocate(bytes, alignof(uint16_t));
      convert(0, blob.getMutableData());
      return TypedAttr(
          DenseResourceElementsAttr::get(to, name, std::move(blob)));
    }
    if (!file) {
      llvm::Expected<std::unique_ptr<lpuc::WeightFile>> f =
          lpuc::WeightFile::create(weightDir);
      if (!f) {
        c.emitError() << llvm::toString(f.takeError());
        return failure();
      }
      file = std::move(*f);
    }
    llvm::Expected<lpuc::WeightFile::Mapped> mapped =
        file->append(bytes, [&](size_t offset, MutableArrayRef<char> piece) {
          convert(offset / sizeof(uint16_t), piece);
        });
    if (!mapped) {
      c.emitError() << llvm::toString(mapped.takeError());
      return failure();
    }
    AsmResourceBlob blob = UnmanagedAsmResourceBlob::allocateWithAlign(
        ArrayRef<char>(mapped->data, mapped->size), alignof(uint16_t),
        [](void *data, size_t size, size_t) {
          lpuc::WeightFile::Mapped::release(static_cast<const char *>(data),
                                            size);
        });
    return TypedAttr(DenseResourceElementsAttr::get(to, name, std::move(blob)));
  }

  /// Where narrowed weights go with weight-dir (created at the first).
  /// (A shared_ptr: passes are copied when a pipeline is cloned.)
  std::shared_ptr<lpuc::WeightFile> file;
  FloatType narrow;
};

} // namespace
