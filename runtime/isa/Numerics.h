//===- Numerics.h - fp16 / bf16 / fp8 conversions, RNE rounding -*- C++ -*-===//
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

/// OCP fp8 e4m3 ("E4M3FN": 1 sign, 4 exponent bits with bias 7, 3 mantissa
/// bits; no infinities; S.1111.111 is NaN; max 448 = 0x7E). From binary32:
/// round to nearest even, then saturate: finite values and infinities beyond
/// 448 become +-448; NaN becomes 0x7F with the input's sign bit.
uint8_t floatToFp8E4M3(float f);
float fp8E4M3ToFloat(uint8_t v);

/// The binary32 nearest to `v` with round-to-odd (inexact results get their
/// last mantissa bit set). Rounding this to a type of at most 22 mantissa
/// bits with RNE gives the correctly rounded result of `v` (no double
/// rounding): used for int32 -> f16/bf16/fp8 casts.
float doubleToFloatRoundOdd(double v);

} // namespace lpuc::isa

#endif
