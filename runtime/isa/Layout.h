//===- Layout.h - How a tensor is laid out in SRAM -------------*- C++ -*-===//
//
// A tensor of shape [d0, ..., dn-1] is a matrix of `rows` = d0*...*dn-2 rows
// and `cols` = dn-1 columns; each row is cut into `vectors` = ceil(cols /
// lanes) lane vectors (zero padded), and each vector into `width` byte
// planes. Plane-row q = ((v * rows + r) * width + b) is stored in slice
// slices[q % S], row baseRow + q / S of bank `bank` (S = slices.size()).
// Consecutive plane-rows sit in different slices, so the planes of one
// vector, and 16 consecutive rows of a weight tile, can be read in one cycle.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_RUNTIME_ISA_LAYOUT_H
#define LPUC_RUNTIME_ISA_LAYOUT_H

#include "runtime/isa/Isa.h"

#include <cstdint>
#include <vector>

namespace lpuc::isa {

struct SramAddress {
  uint32_t slice;
  uint32_t bank;
  uint32_t row;
};

struct TensorLayout {
  DType dtype = DType::Invalid;
  std::vector<int64_t> shape;
  uint32_t lanes = 0;
  std::vector<uint32_t> slices;
  uint32_t bank = 0;
  uint32_t baseRow = 0;

  int64_t numElements() const;
  int64_t rows() const;    // product of all but the last dim (1 for rank 0)
  int64_t cols() const;    // last dim (1 for rank 0)
  int64_t vectors() const; // per row
  unsigned width() const { return widthBytes(dtype); }
  int64_t planeRows() const { return vectors() * rows() * width(); }
  /// SRAM rows used in each slice.
  int64_t sramRowsPerSlice() const;
  int64_t planeRowIndex(int64_t row, int64_t vec, unsigned plane) const {
    return (vec * rows() + row) * width() + plane;
  }
  SramAddress address(int64_t planeRow) const;
};

/// Packs row-major elements (`width` bytes each, little-endian) into
/// plane-rows of `lanes` bytes, in plane-row order; padding is zero.
std::vector<uint8_t> packPlaneRows(const TensorLayout &l, const uint8_t *elems);
/// The inverse: plane-rows to row-major elements.
void unpackPlaneRows(const TensorLayout &l, const uint8_t *planeRows,
                     uint8_t *elems);

} // namespace lpuc::isa

#endif
