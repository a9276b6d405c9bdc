#include "runtime/isa/Layout.h"

#include <cstring>

namespace lpuc::isa {

int64_t TensorLayout::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t TensorLayout::rows() const {
  int64_t n = 1;
  for (size_t i = 0; i + 1 < shape.size(); ++i)
    n *= shape[i];
  return n;
}

int64_t TensorLayout::cols() const { return shape.empty() ? 1 : shape.back(); }

int64_t TensorLayout::vectors() const {
  int64_t c = cols();
  return c == 0 ? 0 : (c + lanes - 1) / lanes;
}

int64_t TensorLayout::sramRowsPerSlice() const {
  int64_t s = int64_t(slices.size());
  return s == 0 ? 0 : (planeRows() + s - 1) / s;
}

SramAddress TensorLayout::address(int64_t q) const {
  int64_t s = int64_t(slices.size());
  return {slices[size_t(q % s)], bank, uint32_t(baseRow + q / s)};
}

std::vector<uint8_t> packPlaneRows(const TensorLayout &l,
                                   const uint8_t *elems) {
  unsigned w = l.width();
  std::vector<uint8_t> out(size_t(l.planeRows()) * l.lanes, 0);
  int64_t rows = l.rows(), cols = l.cols();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      int64_t v = c / l.lanes, lane = c % l.lanes;
      const uint8_t *e = elems + (r * cols + c) * w;
      for (unsigned b = 0; b < w; ++b)
        out[size_t(l.planeRowIndex(r, v, b)) * l.lanes + lane] = e[b];
    }
  return out;
}

void unpackPlaneRows(const TensorLayout &l, const uint8_t *planeRows,
                     uint8_t *elems) {
  unsigned w = l.width();
  int64_t rows = l.rows(), cols = l.cols();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      int64_t v = c / l.lanes, lane = c % l.lanes;
      uint8_t *e = elems + (r * cols + c) * w;
      for (unsigned b = 0; b < w; ++b)
        e[b] = planeRows[size_t(l.planeRowIndex(r, v, b)) * l.lanes + lane];
    }
}

} // namespace lpuc::isa
