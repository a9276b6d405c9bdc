//===- WeightScan.h - Find large raw_data fields in an ONNX file -*- C++
//-*-===//
//
// A small protobuf wire-format scan of a serialized ONNX ModelProto: it finds
// where the large `raw_data` bytes of the weights lie in the file and copies
// everything else, so that the ModelProto parsed from the copy is small and
// the weights can be used straight from a read-only mapping of the file (as
// external data is).
//
//===----------------------------------------------------------------------===//

#ifndef LPUC_COMPILER_IMPORT_ONNX_WEIGHTSCAN_H
#define LPUC_COMPILER_IMPORT_ONNX_WEIGHTSCAN_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace lpuc {

/// A byte range of the scanned buffer.
struct ByteSpan {
  uint64_t offset = 0;
  uint64_t length = 0;
};

/// The model without its large `raw_data` fields, and where those were.
struct StrippedModel {
  /// The serialized ModelProto with the large `raw_data` fields left out
  /// (the lengths of the messages around them rewritten); every other byte
  /// is copied as it was.
  std::string bytes;
  /// Index of an initializer in ModelProto.graph.initializer -> its
  /// raw_data's bytes in the scanned buffer.
  std::map<size_t, ByteSpan> initializers;
  /// (index of a node in graph.node, index of an attribute in its
  /// attribute list) -> the raw_data of the attribute's tensor `t`.
  std::map<std::pair<size_t, size_t>, ByteSpan> attributes;
};

/// Scans the serialized ModelProto `bytes` (ModelProto.graph = field 7,
/// GraphProto.initializer = 5, GraphProto.node = 1, NodeProto.attribute = 5,
/// AttributeProto.t = 5, TensorProto.raw_data = 9) and leaves out each
/// TensorProto.raw_data of more than `minBytes` bytes found in an initializer
/// or a node attribute's `t`. Returns std::nullopt when `bytes` is not well
/// formed as far as the scan reads it (a truncated or malformed field), or
/// when a field on the way is given more than once (protobuf would merge the
/// occurrences): the caller then parses `bytes` whole, and protobuf reports
/// what is wrong.
std::optional<StrippedModel> stripLargeRawData(llvm::StringRef bytes,
                                               uint64_t minBytes);

} // namespace lpuc

#endif // LPUC_COMPILER_IMPORT_ONNX_WEIGHTSCAN_H
