#include "runtime/isa/Numerics.h"

namespace lpuc::isa {

uint16_t floatToHalf(float f) {
  uint32_t x = floatBits(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t exp = (x >> 23) & 0xFFu;
  uint32_t man = x & 0x7FFFFFu;
  if (exp == 0xFF) // inf or NaN (keep NaN quiet and non-zero)
    return uint16_t(sign | 0x7C00u | (man ? 0x200u | (man >> 13) : 0));
  int32_t e = int32_t(exp) - 127 + 15;
  if (e >= 31)
    return uint16_t(sign | 0x7C00u); // overflow to inf
  if (e <= 0) {
    if (e < -10)
      return uint16_t(sign); // underflows to zero, even after rounding
    // Subnormal half: shift the full 24-bit significand.
    uint32_t m = man | 0x800000u;
    uint32_t shift = uint32_t(14 - e);
    uint32_t half = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half & 1)))
      ++half;
    return uint16_t(sign | half);
  }
  uint32_t half = (uint32_t(e) << 10) | (man >> 13);
  uint32_t rem = man & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1)))
    ++half; // may carry into the exponent, up to inf: correct
  return uint16_t(sign | half);
}

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t man = h & 0x3FFu;
  if (exp == 0) {
    if (man == 0)
      return bitsFloat(sign);
    // Subnormal: normalise.
    int e = -1;
    do {
      ++e;
      man <<= 1;
    } while (!(man & 0x400u));
    man &= 0x3FFu;
    return bitsFloat(sign | (uint32_t(127 - 15 - e) << 23) | (man << 13));
  }
  if (exp == 31)
    return bitsFloat(sign | 0x7F800000u | (man << 13));
  return bitsFloat(sign | ((exp - 15 + 127) << 23) | (man << 13));
}

uint16_t floatToBF16(float f) {
  uint32_t x = floatBits(f);
  if ((x & 0x7F800000u) == 0x7F800000u && (x & 0x7FFFFFu))
    return uint16_t((x >> 16) | 0x40u); // quiet NaN
  uint32_t rounding = 0x7FFFu + ((x >> 16) & 1u);
  return uint16_t((x + rounding) >> 16);
}

} // namespace lpuc::isa
