#include "runtime/isa/Numerics.h"

#include <cmath>

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

uint8_t floatToFp8E4M3(float f) {
  uint32_t x = floatBits(f);
  uint8_t sign = uint8_t((x >> 24) & 0x80u);
  if (f != f)
    return uint8_t(sign | 0x7Fu);
  uint32_t ax = x & 0x7FFFFFFFu;
  float a = bitsFloat(ax);
  if (a >= 448.0f) // includes infinity: saturate
    return uint8_t(sign | 0x7Eu);
  int32_t e = int32_t(ax >> 23) - 127 + 7;
  if (e <= 0) {
    // Subnormal e4m3: multiples of 2^-9; a * 512 is exact, round to nearest
    // even integer (0 .. 8; 8 is the smallest normal, encoded 0x08).
    float q = a * 512.0f;
    uint32_t n = uint32_t(q);
    float rem = q - float(n);
    if (rem > 0.5f || (rem == 0.5f && (n & 1u)))
      ++n;
    return uint8_t(sign | n);
  }
  uint32_t man = ax & 0x7FFFFFu;
  uint32_t v = (uint32_t(e) << 3) | (man >> 20);
  uint32_t rem = man & 0xFFFFFu;
  if (rem > 0x80000u || (rem == 0x80000u && (v & 1u)))
    ++v; // may carry into the exponent; a < 448 keeps v <= 0x7E
  return uint8_t(sign | v);
}

float fp8E4M3ToFloat(uint8_t v) {
  float sign = (v & 0x80u) ? -1.0f : 1.0f;
  uint32_t exp = (v >> 3) & 0xFu;
  uint32_t man = v & 7u;
  if (exp == 15 && man == 7)
    return bitsFloat(((v & 0x80u) ? 0x80000000u : 0u) | 0x7FC00000u);
  if (exp == 0)
    return sign * float(man) * (1.0f / 512.0f);
  return bitsFloat(((v & 0x80u) ? 0x80000000u : 0u) | ((exp - 7 + 127) << 23) |
                   (man << 20));
}

float doubleToFloatRoundOdd(double v) {
  float f = float(v);
  if (double(f) == v || f != f)
    return f;
  // Truncate toward zero (sign-magnitude: one step down in the bits; an
  // infinity steps to the largest finite value), then set the sticky bit.
  uint32_t b = floatBits(f);
  if (std::fabs(double(f)) > std::fabs(v))
    b -= 1;
  return bitsFloat(b | 1u);
}

} // namespace lpuc::isa
