//===- Transpose.cpp - last-two-dimension transposes on the SXM -----------===//
//
// Y[b, c, r] = X[b, r, c] with the SXM transpose (16 streams in and out; per
// superlane g: out stream j lane 16g + i = in stream i lane 16g + j, bytes),
// plane by plane, in three steps through two byte-wide scratch tensors:
//
//  1. staging: the 16 rows r0 .. r0+15 of one plane and vector of X are
//     copied so that row i of the block lands in slice i (an SXM transpose
//     reads its 16 streams in one cycle, one read per slice and cycle);
//  2. transpose: the 16 staged rows go through one sxm_transpose; out
//     stream j holds, in superlane g, X[r0 .. r0+15][vL + 16g + j], i.e.
//     columns r0 .. r0+15 of Y's row vL + 16g + j, in lanes 16g .. 16g+15.
//     It is written to scratch row (group * w + plane) * 16 + (j + plane) % 16
//     (group = batch, block, vector): the 16 streams of one transpose land
//     in 16 slices, and the w planes of one value in w slices;
//  3. gather: each vector of each Y row is a chain of sxm_permutes, one per
//     16-row block it covers, moving lanes 16g .. 16g+15 of the block's
//     scratch row to the block's columns (the rest from the chain so far).
//
// Rows beyond X's last (a partial block) are filled with X's row r0 and never
// reach a valid lane; columns beyond X's last give Y rows that are not built.
// Used for a transpose whose input's last dimension becomes the output's
// second to last (any leading permutation first as a row relayout), with at
// least two 16-row blocks, on targets whose tensors stripe over 16 slices
// (lpu-v1, lpu-v2; not lpu-tiny's 4-slice groups); others stay relayouts.
// For a 64 x 64 f16 head: 128 staging copies, 8 transposes, 256 permutes
// (instead of one permute per source vector and output vector).
//
//===----------------------------------------------------------------------===//
#include "passes/layout/Lowering.h"

#include "dialects/lpu/LpuOps.h"

using namespace mlir;

namespace lpuc::layout {

bool Lowering::transposeLast2Applies(lpu::TransposeOp op) const {
  ArrayRef<int64_t> perm = op.getPermutation();
  ArrayRef<int64_t> shape = op.getInput().getType().getShape();
  int64_t n = int64_t(perm.size());
  // The 16 rows of a transpose are read in one cycle, one per slice: the
  // scratch tensors must stripe over at least 16 slices.
  if (n < 2 || machine_.lanes() % isa::kTransposeStreams != 0 ||
      allocs_.front()->group(0).size() < isa::kTransposeStreams)
    return false;
  // The input's last dimension must become the output's second to last
  // (what follows is a row permutation, which keeps the last dimension).
  if (perm[n - 2] != n - 1)
    return false;
  // Small transposes stay relayouts: fewer steps, so fewer cycles; this
  // pays off from two 16-row blocks on (a head of 32 positions or more).
  int64_t rows = shape[perm[n - 1]];
  return rows >= 2 * int64_t(isa::kTransposeStreams) && shape[n - 1] >= 16;
}

LogicalResult Lowering::lowerTransposeLast2(lpu::TransposeOp op) {
  Location loc = op.getLoc();
  ArrayRef<int64_t> perm = op.getPermutation();
  ArrayRef<int64_t> in = op.getInput().getType().getShape();
  int64_t n = int64_t(perm.size());
  FailureOr<Tensor *> xT = tensorOf(op.getInput());
  if (failed(xT))
    return failure();
  // Z = X with perm's last two entries swapped (a row permutation: Z keeps
  // X's last dimension), then Y = Z with its last two dimensions swapped.
  SmallVector<int64_t> q(perm.begin(), perm.end());
  std::swap(q[n - 2], q[n - 1]);
  SmallVector<int64_t> zShape;
  for (int64_t d : q)
    zShape.push_back(in[d]);
  const Tensor *z = *xT;
  bool identity = true;
  for (int64_t d = 0; d < n; ++d)
    identity = identity && q[d] == d;
  if (!identity) {
    FailureOr<Tensor *> zT = temp(loc, (*xT)->elemType, zShape);
    if (failed(zT))
      return failure();
    SmallVector<int64_t> inStrides = stridesOf(in),
                         zStrides = stridesOf(zShape);
    relayout(loc, **xT, **zT, [&](int64_t lin) {
      int64_t src = 0;
      for (int64_t d = 0; d < n; ++d)
        src += ((lin / zStrides[d]) % zShape[d]) * inStrides[q[d]];
      return src;
    });
    z = *zT;
  }
  FailureOr<Tensor *> yT = defineResult(op, op.getResult());
  if (failed(yT))
    return failure();
  return transposeLast2(loc, *z, **yT, zShape[n - 2], zShape[n - 1]);
}

LogicalResult Lowering::transposeLast2(Location loc, const Tensor &x,
                                       const Tensor &y, int64_t R, int64_t C) {
  const isa::TensorLayout &lx = x.layout, &ly = y.layout;
  int64_t batches = R && C ? lx.rows() / R : 0;
  const int64_t S = isa::kTransposeStreams;
  const int64_t L = machine_.lanes();
  const unsigned w = lx.width();
  int64_t blocks = (R + S - 1) / S, vecs = lx.vectors();
  int64_t groups = batches * blocks * vecs;
  if (groups == 0)
    return success();
  MLIRContext *ctx = loc.getContext();
  Type i8 = IntegerType::get(ctx, 8);
  FailureOr<Tensor *> stage = temp(loc, i8, {groups * w * S, L});
  FailureOr<Tensor *> scratch = temp(loc, i8, {groups * w * S, L});
  if (failed(stage) || failed(scratch))
    return failure();
  const isa::TensorLayout &ls = (*stage)->layout, &lt = (*scratch)->layout;
  auto group = [&](int64_t b, int64_t blk, int64_t v) {
    return (b * blocks + blk) * vecs + v;
  };

  // 1 and 2: staging and transposes.
  for (int64_t b = 0; b < batches; ++b)
    for (int64_t blk = 0; blk < blocks; ++blk)
      for (int64_t v = 0; v < vecs; ++v)
        for (unsigned p = 0; p < w; ++p) {
          int64_t g = group(b, blk, v);
          SmallVector<Value> in;
          for (int64_t i = 0; i < S; ++i) {
            int64_t r = std::min(blk * S + i, R - 1) + b * R;
            if (blk * S + i >= R)
              r = blk * S + b * R; // filler: never reaches a valid lane
            Value row = readPlaneRow(body_, loc, lx, lx.planeRowIndex(r, v, p));
            int64_t q = (g * w + p) * S + i;
            writePlaneRow(body_, loc, ls, q, row);
            in.push_back(readPlaneRow(body_, loc, ls, q));
          }
          auto t = lpuhw::SxmTransposeOp::create(
              body_, loc, streamTypes(ctx, unsigned(S)), IntegerAttr(), in,
              IntegerAttr(), IntegerAttr(), IntegerAttr());
          for (int64_t j = 0; j < S; ++j)
            writePlaneRow(body_, loc, lt, (g * w + p) * S + (j + p) % S,
                          t.getResult(unsigned(j)));
        }

  // 3: every vector of every Y row from the blocks it covers.
  for (int64_t b = 0; b < batches; ++b)
    for (int64_t c = 0; c < C; ++c) {
      int64_t v = c / L, gl = (c % L) / S, j = c % S;
      for (int64_t u = 0, uvecs = ly.vectors(); u < uvecs; ++u) {
        SmallVector<Value> acc;
        for (int64_t blk = u * L / S; blk < blocks && blk * S < (u + 1) * L;
             ++blk) {
          int64_t g = group(b, blk, v);
          SmallVector<int32_t> map(size_t(L), -1);
          for (int64_t i = 0; i < S && blk * S + i < R; ++i)
            map[size_t(blk * S - u * L + i)] = int32_t(gl * S + i);
          SmallVector<Value> in;
          for (unsigned p = 0; p < w; ++p)
            in.push_back(
                readPlaneRow(body_, loc, lt, (g * w + p) * S + (j + p) % S));
          bool hasBase = !acc.empty();
          in.append(acc.begin(), acc.end());
          auto perm = lpuhw::SxmPermuteOp::create(
              body_, loc, streamTypes(ctx, w), y.elemType, map, hasBase,
              IntegerAttr(), in, IntegerAttr(), IntegerAttr(), IntegerAttr());
          acc.assign(perm.getResults().begin(), perm.getResults().end());
        }
        writeVector(body_, loc, ly, b * C + c, u, acc);
      }
    }
  return success();
}

} // namespace lpuc::layout
