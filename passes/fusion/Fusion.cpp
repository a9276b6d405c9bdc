//===- Fusion.cpp - lpu-fuse: elementwise DAGs into lpu.fused -------------===//
//
// Groups elementwise lpu ops whose intermediate values have no other users
// into one lpu.fused op each (docs/passes/lpu-fuse.md). A group grows from
// its last op (its root) upwards: a producer joins when it is fusible, has
// the group's shape (or, for the per-row part of a normalisation, the
// group's shape with a last dimension of 1, seen through a lane broadcast)
// and every user of its result is in the group. So the group is convex and
// only the root's result leaves it.
//
//===----------------------------------------------------------------------===//
#include "passes/fusion/Passes.h"

#include "dialects/lpu/LpuDialect.h"
#include "dialects/lpu/LpuOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallVector.h"

#include <cmath>
#include <optional>

namespace lpuc {
#define GEN_PASS_DEF_LPUFUSE
#include "passes/fusion/Passes.h.inc"
} // namespace lpuc

using namespace mlir;
namespace lpu = lpuc::lpu;

namespace {

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// The element of a splat float constant, seen through broadcasts and
/// reshapes.
std::optional<APFloat> splatOf(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (auto cst = dyn_cast<arith::ConstantOp>(def)) {
    auto dense = dyn_cast<DenseFPElementsAttr>(cst.getValue());
    if (!dense || !dense.isSplat())
      return std::nullopt;
    return dense.getSplatValue<APFloat>();
  }
  if (auto b = dyn_cast<lpu::BroadcastOp>(def))
    return splatOf(b.getInput());
  if (auto r = dyn_cast<lpu::ReshapeOp>(def))
    return splatOf(r.getInput());
  return std::nullopt;
}

bool floatOrBool(Type t) {
  Type e = cast<ShapedType>(t).getElementType();
  return isa<FloatType>(e) || e.isInteger(1);
}

bool isFusible(Operation *op) {
  if (op->getNumResults() != 1 || op->getNumRegions() != 0)
    return false;
  if (auto pow = dyn_cast<lpu::PowOp>(op)) {
    // The exponents the lowering computes in one chain.
    std::optional<APFloat> e = splatOf(pow.getRhs());
    if (!e)
      return false;
    double d = e->convertToDouble();
    if (d != 0.5 && d != 1.0 && d != 2.0 && d != 3.0 && d != -1.0 &&
        d != -0.5 && d != -2.0)
      return false;
  } else if (!isa<lpu::AddOp, lpu::SubOp, lpu::MulOp, lpu::DivOp, lpu::NegOp,
                  lpu::ExpOp, lpu::ErfOp, lpu::TanhOp, lpu::SigmoidOp,
                  lpu::SqrtOp, lpu::RsqrtOp, lpu::RecipOp, lpu::ReluOp,
                  lpu::SelectOp, lpu::CompareOp, lpu::NotOp>(op)) {
    return false;
  }
  for (Value v : op->getOperands())
    if (!floatOrBool(v.getType()))
      return false;
  return floatOrBool(op->getResult(0).getType());
}

/// [..., 1] -> [..., N] with the same leading dimensions.
bool isLaneBroadcast(lpu::BroadcastOp b) {
  ArrayRef<int64_t> in = shapeOf(b.getInput()), out = shapeOf(b.getResult());
  return in.size() == out.size() && !in.empty() && in.back() == 1 &&
         out.back() > 1 && in.drop_back() == out.drop_back();
}

/// A broadcast over leading dimensions only (the last one is kept).
bool isRowBroadcast(lpu::BroadcastOp b) {
  ArrayRef<int64_t> in = shapeOf(b.getInput()), out = shapeOf(b.getResult());
  return !in.empty() && !out.empty() && in.back() == out.back();
}

enum class Role { Full, Row };

struct Group {
  SmallVector<int64_t> full, row;
  llvm::SetVector<Operation *> members;
  llvm::DenseMap<Operation *, Role> role;
};

class Fuser {
public:
  Fuser(func::FuncOp f, unsigned maxOps) : func_(f), maxOps_(maxOps) {}
  void run();

private:
  std::optional<Role> roleOf(const Group &g, Operation *p) const {
    ArrayRef<int64_t> s = shapeOf(p->getResult(0));
    if (s == ArrayRef<int64_t>(g.full))
      return Role::Full;
    if (s == ArrayRef<int64_t>(g.row))
      return Role::Row;
    return std::nullopt;
  }
  /// Whether `p` may join `g`: every use is a member of its role or (for a
  /// per-row value) a lane broadcast whose users are all full members.
  bool mayJoin(const Group &g, Operation *p, Role want) const {
    if (assigned_.contains(p) || g.members.contains(p) || !isFusible(p))
      return false;
    std::optional<Role> r = roleOf(g, p);
    if (!r || *r != want)
      return false;
    for (Operation *user : p->getResult(0).getUsers()) {
      if (g.members.contains(user) && g.role.lookup(user) == want)
        continue;
      auto b = dyn_cast<lpu::BroadcastOp>(user);
      if (want == Role::Row && b && isLaneBroadcast(b) &&
          shapeOf(b.getResult()) == ArrayRef<int64_t>(g.full) &&
          !b->use_empty() && llvm::all_of(b->getUsers(), [&](Operation *u) {
            return g.members.contains(u) && g.role.lookup(u) == Role::Full;
          }))
        continue;
      return false;
    }
    return true;
  }
  Group grow(Operation *root);
  void build(Group &g);

  func::FuncOp func_;
  unsigned maxOps_;
  llvm::DenseSet<Operation *> assigned_;
  /// Ops erased by build (the candidate list still holds them).
  llvm::DenseSet<Operation *> erased_;
};

Group Fuser::grow(Operation *root) {
  Group g;
  g.full.assign(shapeOf(root->getResult(0)).begin(),
                shapeOf(root->getResult(0)).end());
  g.row = g.full;
  if (!g.row.empty())
    g.row.back() = 1;
  g.members.insert(root);
  g.role[root] = Role::Full;
  for (bool changed = true; changed && g.members.size() < maxOps_;) {
    changed = false;
    for (size_t i = 0; i < g.members.size() && g.members.size() < maxOps_;
         ++i) {
      Operation *m = g.members[i];
      Role mr = g.role.lookup(m);
      for (Value v : m->getOperands()) {
        if (splatOf(v))
          continue;
        Operation *d = v.getDefiningOp();
        if (!d)
          continue;
        Role want = mr;
        if (auto b = dyn_cast<lpu::BroadcastOp>(d)) {
          if (mr != Role::Full || !isLaneBroadcast(b))
            continue;
          d = b.getInput().getDefiningOp();
          want = Role::Row;
          if (!d)
            continue;
        }
        if (mayJoin(g, d, want)) {
          g.members.insert(d);
          g.role[d] = want;
          changed = true;
        }
      }
    }
  }
  return g;
}

//===----------------------------------------------------------------------===//
// Pattern names (by structure)
//===----------------------------------------------------------------------===//

std::optional<double> cst(Value v) {
  if (auto c = v.getDefiningOp<arith::ConstantOp>())
    if (auto d = dyn_cast<DenseFPElementsAttr>(c.getValue()); d && d.isSplat())
      return d.getSplatValue<APFloat>().convertToDouble();
  return std::nullopt;
}
bool isC(Value v, double c) {
  std::optional<double> x = cst(v);
  return x && std::fabs(*x - c) <= 1e-3 * std::fabs(c);
}
void factors(Value v, SmallVectorImpl<Value> &out) {
  if (auto m = v.getDefiningOp<lpu::MulOp>()) {
    factors(m.getLhs(), out);
    factors(m.getRhs(), out);
    return;
  }
  out.push_back(v);
}
/// Non-constant factors of a product, and whether a splat `c` is one.
SmallVector<Value> varFactors(Value v, double c, bool &hasC) {
  SmallVector<Value> all, vars;
  factors(v, all);
  hasC = false;
  for (Value f : all) {
    if (!hasC && isC(f, c))
      hasC = true;
    else if (!cst(f))
      vars.push_back(f);
  }
  return vars;
}
/// add(1, e) or add(e, 1): e.
Value onePlus(Value v) {
  auto a = v.getDefiningOp<lpu::AddOp>();
  if (!a)
    return {};
  if (isC(a.getLhs(), 1.0))
    return a.getRhs();
  if (isC(a.getRhs(), 1.0))
    return a.getLhs();
  return {};
}
/// x scaled by `c` (mul by c or div by 1/c).
bool scaled(Value v, Value x, double c) {
  if (auto d = v.getDefiningOp<lpu::DivOp>())
    return d.getLhs() == x && isC(d.getRhs(), 1.0 / c);
  bool hasC = false;
  SmallVector<Value> f = varFactors(v, c, hasC);
  return hasC && f.size() == 1 && f[0] == x;
}
bool isCube(Value v, Value x) {
  if (auto p = v.getDefiningOp<lpu::PowOp>())
    return p.getLhs() == x && isC(p.getRhs(), 3.0);
  SmallVector<Value> f;
  factors(v, f);
  return f.size() == 3 && llvm::all_of(f, [&](Value y) { return y == x; });
}

/// 0.5 * x * (1 + erf(x / sqrt 2)) or with tanh(sqrt(2/pi) (x + 0.044715
/// x^3)).
std::optional<StringRef> gelu(Value y) {
  bool half = false;
  SmallVector<Value> f = varFactors(y, 0.5, half);
  if (!half || f.size() != 2)
    return std::nullopt;
  for (int i = 0; i < 2; ++i) {
    Value x = f[i], e = onePlus(f[1 - i]);
    if (!e)
      continue;
    if (auto erf = e.getDefiningOp<lpu::ErfOp>();
        erf && scaled(erf.getInput(), x, M_SQRT1_2))
      return StringRef("gelu_erf");
    if (auto th = e.getDefiningOp<lpu::TanhOp>()) {
      bool hasK = false;
      SmallVector<Value> u =
          varFactors(th.getInput(), std::sqrt(2.0 / M_PI), hasK);
      auto inner =
          u.size() == 1 ? u[0].getDefiningOp<lpu::AddOp>() : lpu::AddOp();
      if (!hasK || !inner)
        continue;
      for (auto [a, q] : {std::make_pair(inner.getLhs(), inner.getRhs()),
                          std::make_pair(inner.getRhs(), inner.getLhs())}) {
        if (a != x)
          continue;
        bool hasA = false;
        SmallVector<Value> cube = varFactors(q, 0.044715, hasA);
        if (hasA && ((cube.size() == 1 && isCube(cube[0], x)) ||
                     (cube.size() == 3 &&
                      llvm::all_of(cube, [&](Value z) { return z == x; }))))
          return StringRef("gelu_tanh");
      }
    }
  }
  return std::nullopt;
}

std::optional<StringRef> silu(Value y) {
  SmallVector<Value> f;
  factors(y, f);
  if (f.size() != 2 && f.size() != 3)
    return std::nullopt;
  for (Value s : f)
    if (auto sig = s.getDefiningOp<lpu::SigmoidOp>())
      if (llvm::is_contained(f, sig.getInput()) && sig.getInput() != s)
        return StringRef(f.size() == 2 ? "silu" : "swiglu");
  return std::nullopt;
}

Value outerOf(lpu::FusedOp f, Value inner) {
  auto arg = dyn_cast<BlockArgument>(inner);
  if (!arg || arg.getOwner() != &f.getBody().front())
    return {};
  return f.getInputs()[arg.getArgNumber()];
}
bool isReduceMean(Value v) {
  auto r = v ? v.getDefiningOp<lpu::ReduceOp>() : lpu::ReduceOp();
  return r && r.getKind() == lpu::ReduceKind::mean;
}
/// The outer value of a lane-broadcast argument that is a reduce mean.
bool isBroadcastMean(lpu::FusedOp f, Value v) {
  auto b = v.getDefiningOp<lpu::BroadcastOp>();
  return b && isLaneBroadcast(b) && isReduceMean(outerOf(f, b.getInput()));
}
/// eps + m (either order) with m an argument that is a reduce mean.
bool meanPlusEps(lpu::FusedOp f, Value v) {
  auto a = v.getDefiningOp<lpu::AddOp>();
  if (!a)
    return false;
  Value m = cst(a.getRhs())   ? a.getLhs()
            : cst(a.getLhs()) ? a.getRhs()
                              : Value();
  return m && isReduceMean(outerOf(f, m));
}

/// x * (1 / sqrt(mean + eps)) [* w] [+ b] or x / sqrt(mean + eps) ...:
/// some lane broadcast of the inverse (or the divisor) of a standard
/// deviation. Layer norm when x is (outside) x - mean.
std::optional<StringRef> norm(lpu::FusedOp f) {
  Block &body = f.getBody().front();
  for (Operation &op : body) {
    auto b = dyn_cast<lpu::BroadcastOp>(op);
    if (!b || !isLaneBroadcast(b))
      continue;
    Value s = b.getInput();
    bool inverse = false, std = false;
    if (auto r = s.getDefiningOp<lpu::RsqrtOp>())
      inverse = meanPlusEps(f, r.getInput());
    if (auto d = s.getDefiningOp<lpu::DivOp>(); d && isC(d.getLhs(), 1.0))
      if (auto q = d.getRhs().getDefiningOp<lpu::SqrtOp>())
        inverse = meanPlusEps(f, q.getInput());
    if (auto r = s.getDefiningOp<lpu::RecipOp>())
      if (auto q = r.getInput().getDefiningOp<lpu::SqrtOp>())
        inverse = meanPlusEps(f, q.getInput());
    if (auto q = s.getDefiningOp<lpu::SqrtOp>())
      std = meanPlusEps(f, q.getInput());
    if (!inverse && !std)
      continue;
    for (Operation *user : b->getUsers()) {
      Value x;
      if (auto m = dyn_cast<lpu::MulOp>(user); m && inverse)
        x = m.getLhs() == b.getResult() ? m.getRhs() : m.getLhs();
      if (auto d = dyn_cast<lpu::DivOp>(user);
          d && std && d.getRhs() == b.getResult())
        x = d.getLhs();
      if (!x)
        continue;
      Value outer = outerOf(f, x);
      auto sub = outer ? outer.getDefiningOp<lpu::SubOp>() : lpu::SubOp();
      if (sub) {
        auto mb = sub.getRhs().getDefiningOp<lpu::BroadcastOp>();
        if (mb && isReduceMean(mb.getInput()))
          return StringRef("layernorm_scale");
      }
      return StringRef("rmsnorm_scale");
    }
  }
  return std::nullopt;
}

/// x * cos + rotate_half(x) * sin, rotate_half(x) = concat(-x2, x1).
std::optional<StringRef> rope(lpu::FusedOp f, Value y) {
  auto add = y.getDefiningOp<lpu::AddOp>();
  if (!add)
    return std::nullopt;
  auto m1 = add.getLhs().getDefiningOp<lpu::MulOp>();
  auto m2 = add.getRhs().getDefiningOp<lpu::MulOp>();
  if (!m1 || !m2)
    return std::nullopt;
  auto sliceOf = [](Value v) -> Value {
    auto s = v.getDefiningOp<lpu::SliceOp>();
    return s ? s.getInput() : Value();
  };
  for (auto [a, b] : {std::make_pair(m1, m2), std::make_pair(m2, m1)})
    for (Value x : {a.getLhs(), a.getRhs()})
      for (Value r : {b.getLhs(), b.getRhs()}) {
        Value xo = outerOf(f, x), ro = outerOf(f, r);
        auto cat = ro ? ro.getDefiningOp<lpu::ConcatOp>() : lpu::ConcatOp();
        if (!xo || !cat || cat.getInputs().size() != 2)
          continue;
        auto neg = cat.getInputs()[0].getDefiningOp<lpu::NegOp>();
        if (neg && sliceOf(neg.getInput()) == xo &&
            sliceOf(cat.getInputs()[1]) == xo)
          return StringRef("rope");
      }
  return std::nullopt;
}

StringRef classify(lpu::FusedOp f) {
  Value y = cast<lpu::YieldOp>(f.getBody().front().getTerminator()).getValue();
  if (std::optional<StringRef> n = gelu(y))
    return *n;
  if (std::optional<StringRef> n = silu(y))
    return *n;
  if (std::optional<StringRef> n = norm(f))
    return *n;
  if (std::optional<StringRef> n = rope(f, y))
    return *n;
  if (f->hasOneUse() && isa<lpu::SoftmaxOp>(*f->getUsers().begin()) &&
      llvm::any_of(f.getBody().front(), [](Operation &op) {
        return isa<lpu::SelectOp, lpu::AddOp>(op);
      }))
    return "softmax_mask";
  if (auto sub = y.getDefiningOp<lpu::SubOp>();
      sub && isBroadcastMean(f, sub.getRhs()))
    return "layernorm_center";
  return "elementwise";
}

//===----------------------------------------------------------------------===//
// Building the fused op
//===----------------------------------------------------------------------===//

void Fuser::build(Group &g) {
  SmallVector<Operation *> ops(g.members.begin(), g.members.end());
  llvm::sort(ops,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  Operation *root = ops.back();
  // Broadcasts read in the body (cloned): lane broadcasts of per-row values
  // and row or lane broadcasts of inputs.
  auto absorbed = [&](Value v) -> lpu::BroadcastOp {
    auto b = v.getDefiningOp<lpu::BroadcastOp>();
    if (b && (isLaneBroadcast(b) || isRowBroadcast(b)))
      return b;
    return {};
  };
  SmallVector<Value> inputs;
  llvm::DenseMap<Value, unsigned> index;
  auto addInput = [&](Value v) {
    if (index.try_emplace(v, unsigned(inputs.size())).second)
      inputs.push_back(v);
  };
  for (Operation *op : ops)
    for (Value v : op->getOperands()) {
      if (splatOf(v))
        continue;
      Operation *d = v.getDefiningOp();
      if (d && g.members.contains(d))
        continue;
      if (lpu::BroadcastOp b = absorbed(v)) {
        Operation *in = b.getInput().getDefiningOp();
        if (!in || !g.members.contains(in))
          addInput(b.getInput());
        continue;
      }
      addInput(v);
    }

  OpBuilder ob(root);
  SmallVector<Type> types;
  for (Value v : inputs)
    types.push_back(v.getType());
  auto fused = lpu::FusedOp::create(
      ob, root->getLoc(), root->getResult(0).getType(), inputs, "elementwise");
  Block *block = new Block();
  fused.getBody().push_back(block);
  IRMapping map;
  for (Value v : inputs)
    map.map(v, block->addArgument(v.getType(), v.getLoc()));
  OpBuilder rb = OpBuilder::atBlockEnd(block);
  std::function<Value(Value)> inner = [&](Value v) -> Value {
    if (Value m = map.lookupOrNull(v))
      return m;
    if (std::optional<APFloat> c = splatOf(v)) {
      auto type = cast<RankedTensorType>(v.getType());
      Value k = arith::ConstantOp::create(
          rb, v.getLoc(), type, DenseElementsAttr::get(type, ArrayRef(*c)));
      map.map(v, k);
      return k;
    }
    lpu::BroadcastOp b = absorbed(v);
    assert(b && "operand of a fused op is neither input nor member");
    inner(b.getInput());
    Operation *c = rb.clone(*b, map);
    return c->getResult(0);
  };
  SmallVector<Operation *> dead;
  for (Operation *op : ops) {
    for (Value v : op->getOperands())
      inner(v);
    rb.clone(*op, map);
  }
  lpu::YieldOp::create(rb, root->getLoc(), map.lookup(root->getResult(0)));
  root->getResult(0).replaceAllUsesWith(fused.getResult());
  fused.setPattern(classify(fused));

  // Erase the members and the broadcasts nobody else reads, consumers first.
  llvm::SetVector<Operation *> erase(ops.begin(), ops.end());
  for (Operation *op : ops)
    for (Value v : op->getOperands())
      if (lpu::BroadcastOp b = absorbed(v))
        if (llvm::all_of(b->getUsers(),
                         [&](Operation *u) { return erase.contains(u); }))
          erase.insert(b);
  SmallVector<Operation *> order(erase.begin(), erase.end());
  llvm::sort(order,
             [](Operation *a, Operation *b) { return b->isBeforeInBlock(a); });
  for (Operation *op : order) {
    erased_.insert(op);
    op->erase();
  }
  for (Operation *op : ops)
    assigned_.insert(op);
}

void Fuser::run() {
  if (func_.getBody().empty())
    return;
  Block &body = func_.getBody().front();
  SmallVector<Operation *> candidates;
  for (Operation &op : llvm::reverse(body))
    candidates.push_back(&op);
  for (Operation *op : candidates) {
    if (erased_.contains(op) || assigned_.contains(op) || !isFusible(op) ||
        !isa<RankedTensorType>(op->getResult(0).getType()))
      continue;
    if (op->getResult(0).use_empty())
      continue;
    Group g = grow(op);
    unsigned compute = unsigned(g.members.size());
    bool absorbs = false;
    for (Operation *m : g.members)
      for (Value v : m->getOperands())
        if (auto b = v.getDefiningOp<lpu::BroadcastOp>())
          absorbs = absorbs ||
                    (!splatOf(v) && (isLaneBroadcast(b) || isRowBroadcast(b)));
    for (Operation *m : g.members)
      assigned_.insert(m);
    if (compute < 2 && !absorbs)
      continue;
    build(g);
  }
}

struct LpuFusePass : lpuc::impl::LpuFuseBase<LpuFusePass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation().walk([&](func::FuncOp f) {
      Fuser(f, std::max(1u, unsigned(maxOps))).run();
    });
  }
};

} // namespace
