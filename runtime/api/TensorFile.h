//===- TensorFile.h - .npy and ONNX TensorProto .pb files ------*- C++ -*-===//
//
// Reads and writes HostTensors as NumPy .npy (format 1.0/2.0/3.0 headers,
// little-endian '<f4' '<f2' '<f8' '<i8' '<i4' '|i1' '|u1' '|b1', C order) and
// ONNX TensorProto .pb (raw_data or typed fields). Library LpuTensorFile,
// shared by lpurun and the compiler's --freeze.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_RUNTIME_API_TENSORFILE_H
#define LPUC_RUNTIME_API_TENSORFILE_H

#include "runtime/api/HostTensor.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <string>

namespace lpuc::rt {

absl::StatusOr<HostTensor> readNpy(const std::string &path);
absl::StatusOr<HostTensor> parseNpy(const std::string &bytes);
absl::Status writeNpy(const std::string &path, const HostTensor &t);
std::string serializeNpy(const HostTensor &t);

/// Reads a TensorProto; `name` (if given) receives TensorProto.name.
absl::StatusOr<HostTensor> readTensorProto(const std::string &path,
                                           std::string *name = nullptr);
absl::StatusOr<HostTensor> parseTensorProto(const std::string &bytes,
                                            std::string *name = nullptr);
absl::Status writeTensorProto(const std::string &path, const HostTensor &t,
                              const std::string &name);

/// By extension: ".npy" -> readNpy, anything else -> readTensorProto.
absl::StatusOr<HostTensor> readTensorFile(const std::string &path,
                                          std::string *name = nullptr);

} // namespace lpuc::rt

#endif
