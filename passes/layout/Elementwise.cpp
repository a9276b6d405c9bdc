//===- Elementwise.cpp - lanewise math as VXM chains ----------------------===//
//
// Elementwise ops that are not a single ALU operation (sqrt, reciprocal, div,
// sigmoid, erf, pow) are computed per vector as one chain of VXM operations:
// operands are read from SRAM, intermediate values travel on streams only,
// and the result is written once. Inputs of 16-bit types are cast to f32 first
// and the result is cast back (the chain computes in f32).
//
// Timing: a value read from SRAM can be read again whenever it is needed (a
// fresh mem_read per use); a value computed in the chain passes the VXM once,
// so every use at a later cycle goes through a chain of `copy` operations
// (Lowering::delay). `ready` is the cycle (relative to the chain) at which a
// computed value is on its streams.
//
//===----------------------------------------------------------------------===//
#include "passes/layout/Lowering.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <cfloat>
#include <cmath>

using namespace mlir;

namespace lpuc::layout {

namespace {
Planes toPlanes(ValueRange r) { return Planes(r.begin(), r.end()); }
} // namespace

Planes Lowering::Chain::at(const Val &v, int64_t cycle) {
  if (v.leaf) {
    // The read reaches the VXM at `arrive`, `d` copies before it is used.
    // A MEM slice serves one read per cycle: two leaves in one slice cannot
    // arrive in the same cycle (their reads would issue together), so a
    // conflicting leaf is read earlier and delayed by copies. The same vector
    // needed twice in one cycle is read once.
    const isa::TensorLayout &l = v.leaf->layout;
    bool needsCast = v.leaf->elemType != type;
    int64_t lat = needsCast ? L.vxmLatency("cast") : 0;
    SmallVector<uint32_t> slices;
    for (unsigned b = 0; b < l.width(); ++b)
      slices.push_back(l.address(l.planeRowIndex(v.row, v.vec, b)).slice);
    auto key = std::make_tuple(v.leaf, v.row, v.vec);
    int64_t d = 0;
    for (;; ++d) {
      int64_t arrive = cycle - lat - d;
      bool free = true;
      for (uint32_t s : slices) {
        auto it = slots.find({s, arrive});
        free = free && (it == slots.end() || it->second == key);
      }
      if (free)
        break;
    }
    int64_t arrive = cycle - lat - d;
    Planes &raw = reads[std::make_tuple(v.leaf, v.row, v.vec, arrive)];
    if (raw.empty()) {
      raw = toPlanes(readVector(L.body_, loc, l, v.row, v.vec));
      for (uint32_t s : slices)
        slots[{s, arrive}] = key;
    }
    Planes p = raw;
    for (int64_t k = 0; k < d; ++k)
      p = toPlanes(vxmOp(L.body_, loc, "copy", v.leaf->elemType, p));
    if (needsCast)
      p = toPlanes(vxmOp(L.body_, loc, "cast", v.leaf->elemType, p, 0.0, type));
    return p;
  }
  if (cycle <= v.ready)
    return v.planes;
  // Delays of one value are built once and extended.
  SmallVector<Planes> &line = delays[v.planes.front()];
  if (line.empty())
    line.push_back(v.planes);
  int64_t want = cycle - v.ready;
  uint32_t step = L.vxmLatency("copy");
  while (int64_t(line.size() - 1) * step < want)
    line.push_back(toPlanes(vxmOp(L.body_, loc, "copy", type, line.back())));
  return line[size_t((want + step - 1) / step)];
}

int64_t Lowering::Chain::readyOf(const Val &v) const {
  return v.leaf ? 0 : v.ready;
}

Lowering::Val Lowering::Chain::op(StringRef fn, const Val &a, double imm) {
  int64_t t = readyOf(a);
  Val r;
  r.planes = toPlanes(vxmOp(L.body_, loc, fn, type, at(a, t), imm));
  r.ready = t + L.vxmLatency(fn);
  return r;
}

Lowering::Val Lowering::Chain::op(StringRef fn, const Val &a, const Val &b) {
  int64_t t = std::max(readyOf(a), readyOf(b));
  Planes in = at(a, t);
  Planes pb = at(b, t);
  in.append(pb.begin(), pb.end());
  Val r;
  r.planes = toPlanes(vxmOp(L.body_, loc, fn, type, in));
  r.ready = t + L.vxmLatency(fn);
  return r;
}

Lowering::Val Lowering::Chain::op(StringRef fn, const Val &a, const Val &b,
                                  const Val &c) {
  int64_t t = std::max({readyOf(a), readyOf(b), readyOf(c)});
  Planes in = at(a, t);
  for (const Val *x : {&b, &c}) {
    Planes p = at(*x, t);
    in.append(p.begin(), p.end());
  }
  Val r;
  r.planes = toPlanes(vxmOp(L.body_, loc, fn, type, in));
  r.ready = t + L.vxmLatency(fn);
  return r;
}

// x = m * 2^e exactly, by scalings with powers of two chosen by compares
// (select, so that no rounding enters): m first in [1, 2), then in
// [sqrt(1/2), sqrt(2)); then ln x = e ln 2 + 2 atanh(s), s = (m - 1) /
// (m + 1), |s| <= 0.1716, atanh by its series to s^9 (error below 1e-9).
Lowering::Val Lowering::Chain::log(const Val &x, const LogConstants &k) {
  auto c = [&](const Tensor *t) { return leaf(*t, 0, 0); };
  Val m = x, e = c(k.zero);
  static const int bigK[7] = {64, 32, 16, 8, 4, 2, 1};
  for (int i = 0; i < 7; ++i) {
    Val hit = op("ge", m, c(k.big[i]));
    m = op("select", hit, op("mul_imm", m, std::ldexp(1.0, -bigK[i])), m);
    e = op("add", e, op("mul_imm", hit, double(bigK[i])));
  }
  static const int smallK[8] = {64, 64, 32, 16, 8, 4, 2, 1};
  for (int i = 0; i < 8; ++i) {
    Val hit = op("lt", m, c(k.small[i])); // m * 2^k still below 2
    m = op("select", hit, op("mul_imm", m, std::ldexp(1.0, smallK[i])), m);
    e = op("sub", e, op("mul_imm", hit, double(smallK[i])));
  }
  Val high = op("gt", m, c(k.sqrt2));
  m = op("select", high, op("mul_imm", m, 0.5), m);
  e = op("add", e, high);
  Val s = op("mul", op("add_imm", m, -1.0), recipPos(op("add_imm", m, 1.0)));
  Val s2 = op("mul", s, s);
  Val p = op("add_imm", op("mul_imm", s2, 1.0 / 9), 1.0 / 7);
  for (double a : {1.0 / 5, 1.0 / 3, 1.0})
    p = op("add_imm", op("mul", p, s2), a);
  Val lnm = op("mul_imm", op("mul", s, p), 2.0);
  Val r = op("add", op("mul_imm", e, M_LN2), lnm);
  r = op("select", op("eq", x, c(k.zero)), c(k.ninf), r);
  r = op("select", op("lt", x, c(k.zero)), c(k.nan), r);
  return op("select", op("eq", x, c(k.inf)), c(k.inf), r);
}

Lowering::Val Lowering::Chain::computed(ValueRange planes) {
  Val v;
  v.planes = toPlanes(planes);
  return v;
}

Lowering::Val Lowering::Chain::leaf(const Tensor &t, int64_t row, int64_t vec) {
  Val v;
  v.leaf = &t;
  v.row = row;
  v.vec = vec;
  return v;
}

Planes Lowering::Chain::result(const Val &v, Type to) {
  Planes p = at(v, readyOf(v));
  if (to != type)
    p = toPlanes(vxmOp(L.body_, loc, "cast", type, p, 0.0, to));
  return p;
}

// 1/x = x * rsqrt(x*x)^2 (x read twice; no delays).
Lowering::Val Lowering::Chain::recip(const Val &x) {
  Val r = op("rsqrt", op("mul", x, x));
  return op("mul", x, op("mul", r, r));
}

Lowering::Val Lowering::Chain::sqrt(const Val &x) {
  // x * rsqrt(max(x, FLT_MIN)): 0 for x = 0 (not 0 * inf).
  return op("mul", x, op("rsqrt", op("max_imm", x, double(FLT_MIN))));
}

// 1/x for x > 0 (or +inf): rsqrt(x)^2.
Lowering::Val Lowering::Chain::recipPos(const Val &x) {
  Val r = op("rsqrt", x);
  return op("mul", r, r);
}

Lowering::Val Lowering::Chain::sigmoid(const Val &x) {
  // 1 / (1 + e^-x) with the positive reciprocal: no cancellation for very
  // negative x (1 + e^-x = inf gives 0).
  return recipPos(op("add_imm", op("exp", op("neg", x)), 1.0));
}

Lowering::Val Lowering::Chain::erf(const Val &x) {
  // z = |x|; erfc(z) = t * exp(-z^2 + P(t)), t = 1 / (1 + z/2) (Numerical
  // Recipes' erfcc: fractional error below 1.2e-7 for every z >= 0);
  // erf(x) = sign(x) * (1 - erfc(z)), sign(x) = clamp(x * 2^100, -1, 1).
  static const double c[] = {-1.26551223, 1.00002368, 0.37409196,  0.09678418,
                             -0.18628806, 0.27886807, -1.13520398, 1.48851587,
                             -0.82215223, 0.17087277};
  Val z = op("max", x, op("neg", x));
  Val t = recipPos(op("add_imm", op("mul_imm", z, 0.5), 1.0));
  Val p = op("mul_imm", t, c[9]);
  for (int k = 8; k >= 1; --k)
    p = op("mul", op("add_imm", p, c[k]), t);
  p = op("add_imm", p, c[0]);
  Val e = op("exp", op("sub", p, op("mul", z, z)));
  Val erfc = op("mul", t, e);
  Val one = op("add_imm", op("neg", erfc), 1.0);
  // min(y, 1) = -max(-y, -1).
  Val y = op("mul_imm", x, std::ldexp(1.0, 100));
  Val s = op("max_imm", op("neg", op("max_imm", op("neg", y), -1.0)), -1.0);
  return op("mul", s, one);
}

FailureOr<Lowering::LogConstants> Lowering::logConstants(Location loc) {
  Type f32 = Float32Type::get(body_.getContext());
  int64_t lanes = machine_.lanes();
  LogConstants k;
  auto make = [&](const char *key, double v,
                  const Tensor *&slot) -> LogicalResult {
    FailureOr<Tensor *> t = constant(loc, key, f32, {1, lanes}, v);
    if (failed(t))
      return failure();
    slot = *t;
    return success();
  };
  static const char *bigKeys[7] = {"pow2_64", "pow2_32", "pow2_16", "pow2_8",
                                   "pow2_4",  "pow2_2",  "pow2_1"};
  static const int bigK[7] = {64, 32, 16, 8, 4, 2, 1};
  static const char *smallKeys[8] = {"pow2_m63", "pow2_m63", "pow2_m31",
                                     "pow2_m15", "pow2_m7",  "pow2_m3",
                                     "pow2_m1",  "pow2_0"};
  static const int smallE[8] = {-63, -63, -31, -15, -7, -3, -1, 0};
  for (int i = 0; i < 7; ++i)
    if (failed(make(bigKeys[i], std::ldexp(1.0, bigK[i]), k.big[i])))
      return failure();
  for (int i = 0; i < 8; ++i)
    if (failed(make(smallKeys[i], std::ldexp(1.0, smallE[i]), k.small[i])))
      return failure();
  if (failed(make("sqrt2", M_SQRT2, k.sqrt2)) ||
      failed(make("zero", 0.0, k.zero)) ||
      failed(make("inf", INFINITY, k.inf)) ||
      failed(make("ninf", -INFINITY, k.ninf)) ||
      failed(make("nan", NAN, k.nan)) || failed(make("one", 1.0, k.one)))
    return failure();
  return k;
}

LogicalResult
Lowering::lowerMap(Operation *op, ValueRange inputs, Value result,
                   llvm::function_ref<Val(Chain &, ArrayRef<Val>)> f) {
  SmallVector<Tensor *> ins;
  for (Value in : inputs) {
    FailureOr<Tensor *> t = tensorOf(in);
    if (failed(t))
      return failure();
    ins.push_back(*t);
  }
  FailureOr<Tensor *> c = defineResult(op, result);
  if (failed(c))
    return failure();
  const isa::TensorLayout &lc = (*c)->layout;
  Type f32 = Float32Type::get(op->getContext());
  for (int64_t r = 0, rows = lc.rows(); r < rows; ++r)
    for (int64_t v = 0, vecs = lc.vectors(); v < vecs; ++v) {
      Chain chain(*this, op->getLoc(), f32);
      SmallVector<Val> leaves;
      for (Tensor *t : ins)
        leaves.push_back(chain.leaf(*t, r, v));
      Val y = f(chain, leaves);
      writeVector(body_, op->getLoc(), lc, r, v,
                  chain.result(y, (*c)->elemType));
    }
  return success();
}

} // namespace lpuc::layout
