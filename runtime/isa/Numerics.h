//===- Numerics.h - fp16 / bf16 conversions with RNE rounding -*- C++ -*-===//
#ifndef LPUC_RUNTIME_ISA_NUMERICS_H
#define LPUC_RUNTIME_ISA_NUMERICS_H

#include <cstdint>
#include <cstring>

namespace lpuc::isa {

inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

/// IEEE binary16 from binary32, round to nearest even; NaN stays NaN.
uint16_t floatToHalf(float f);
float halfToFloat(uint16_t h);
/// bfloat16 from binary32, round to nearest even; NaN stays NaN.
uint16_t floatToBF16(float f);
inline float bf16ToFloat(uint16_t h) { return bitsFloat(uint32_t(h) << 16); }

} // namespace lpuc::isa

#endif
