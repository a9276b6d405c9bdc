//===- HostTensor.h - A tensor in host memory ------------------*- C++ -*-===//
#ifndef LPUC_RUNTIME_API_HOSTTENSOR_H
#define LPUC_RUNTIME_API_HOSTTENSOR_H

#include <cstdint>
#include <string>
#include <vector>

namespace lpuc::rt {

/// Element types of host tensors; values equal ONNX TensorProto.DataType.
enum class HostDType : int32_t {
  Float32 = 1,
  Uint8 = 2,
  Int8 = 3,
  Uint16 = 4,
  Int32 = 6,
  Int64 = 7,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  BFloat16 = 16,
};

/// Bytes per element (0 for an unknown value).
size_t hostDTypeSize(HostDType t);
/// "float32", "float16", "int64", ...
const char *hostDTypeName(HostDType t);
bool isKnownHostDType(int32_t onnxType);

/// A dense, C-order, little-endian tensor.
struct HostTensor {
  HostDType dtype = HostDType::Float32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  int64_t numElements() const;
  /// Element i converted to double (any dtype).
  double at(int64_t i) const;
  static HostTensor fromFloats(std::vector<int64_t> shape,
                               const std::vector<float> &values);
  /// All elements converted to float.
  std::vector<float> toFloats() const;
};

/// "[3,4]"
std::string shapeString(const std::vector<int64_t> &shape);

} // namespace lpuc::rt

#endif
