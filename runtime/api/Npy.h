//===- Npy.h - header-only NumPy .npy header parser -------------*- C++ -*-===//
//
// Parses the header of a NumPy .npy file (format versions 1.0, 2.0 and 3.0).
// Plain C++, no exceptions, no LLVM: shared by the runtime (lpurun inputs
// and outputs) and the compiler (`lpuc --freeze NAME=FILE.npy`).
//
//===----------------------------------------------------------------------===//

#ifndef LPUC_RUNTIME_API_NPY_H
#define LPUC_RUNTIME_API_NPY_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace lpuc::npy {

struct Header {
  std::string descr;          // e.g. "<f4", "|b1", "<i8"
  bool fortranOrder = false;  // column-major data
  std::vector<int64_t> shape; // () for a scalar
  size_t dataOffset = 0;      // bytes from the start of the file to the data
};

namespace detail {
inline void skipSpaces(const std::string &s, size_t &i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
    ++i;
}
inline bool parseQuoted(const std::string &s, size_t &i, std::string &out) {
  skipSpaces(s, i);
  if (i >= s.size() || (s[i] != '\'' && s[i] != '"'))
    return false;
  char q = s[i++];
  size_t end = s.find(q, i);
  if (end == std::string::npos)
    return false;
  out = s.substr(i, end - i);
  i = end + 1;
  return true;
}
} // namespace detail

/// Parses the header at `data` (the first `size` bytes of the file). Returns
/// false and sets `error` on a malformed header.
inline bool parseHeader(const char *data, size_t size, Header &out,
                        std::string &error) {
  using namespace detail;
  if (size < 10 || std::memcmp(data, "\x93NUMPY", 6) != 0) {
    error = "not a .npy file (bad magic)";
    return false;
  }
  unsigned major = static_cast<unsigned char>(data[6]);
  size_t headerLen, start;
  if (major == 1) {
    headerLen = static_cast<unsigned char>(data[8]) |
                (static_cast<size_t>(static_cast<unsigned char>(data[9])) << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) {
      error = "truncated .npy header";
      return false;
    }
    headerLen = 0;
    for (int i = 3; i >= 0; --i)
      headerLen = (headerLen << 8) | static_cast<unsigned char>(data[8 + i]);
    start = 12;
  } else {
    error = "unsupported .npy version " + std::to_string(major);
    return false;
  }
  if (headerLen > size - start) {
    error = "truncated .npy header";
    return false;
  }
  std::string h(data + start, headerLen);
  out = Header();
  out.dataOffset = start + headerLen;
  bool haveDescr = false, haveOrder = false, haveShape = false;
  size_t i = h.find('{');
  if (i == std::string::npos) {
    error = "malformed .npy header";
    return false;
  }
  ++i;
  while (true) {
    skipSpaces(h, i);
    if (i < h.size() && h[i] == '}')
      break;
    std::string key;
    if (!parseQuoted(h, i, key)) {
      error = "malformed .npy header";
      return false;
    }
    skipSpaces(h, i);
    if (i >= h.size() || h[i] != ':') {
      error = "malformed .npy header";
      return false;
    }
    ++i;
    skipSpaces(h, i);
    if (key == "descr") {
      if (!parseQuoted(h, i, out.descr)) {
        error = "unsupported .npy descr (structured dtypes are not supported)";
        return false;
      }
      haveDescr = true;
    } else if (key == "fortran_order") {
      if (h.compare(i, 4, "True") == 0) {
        out.fortranOrder = true;
        i += 4;
      } else if (h.compare(i, 5, "False") == 0) {
        i += 5;
      } else {
        error = "malformed .npy fortran_order";
        return false;
      }
      haveOrder = true;
    } else if (key == "shape") {
      if (i >= h.size() || h[i] != '(') {
        error = "malformed .npy shape";
        return false;
      }
      ++i;
      while (true) {
        skipSpaces(h, i);
        if (i < h.size() && h[i] == ')') {
          ++i;
          break;
        }
        size_t j = i;
        while (j < h.size() && h[j] >= '0' && h[j] <= '9')
          ++j;
        if (j == i || j - i > 18) {
          error = "malformed .npy shape";
          return false;
        }
        out.shape.push_back(std::stoll(h.substr(i, j - i)));
        i = j;
        skipSpaces(h, i);
        if (i < h.size() && h[i] == ',')
          ++i;
      }
      haveShape = true;
    } else {
      error = "unknown .npy header key '" + key + "'";
      return false;
    }
    skipSpaces(h, i);
    if (i < h.size() && h[i] == ',')
      ++i;
  }
  if (!haveDescr || !haveOrder || !haveShape) {
    error = "incomplete .npy header";
    return false;
  }
  return true;
}

} // namespace lpuc::npy

#endif // LPUC_RUNTIME_API_NPY_H
