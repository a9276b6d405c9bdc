//===- WeightScan.cpp - Find large raw_data fields in an ONNX file --------===//

#include "compiler/import/onnx/WeightScan.h"

#include <onnx/onnx_pb.h>

namespace lpuc {
namespace {

/// Protobuf wire types (the low three bits of a field's tag).
enum WireType : unsigned {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kFixed32 = 5,
};

/// One field of a message: its number and wire type, its bytes from the tag
/// on, and for a length-delimited field its payload.
struct Field {
  uint64_t number = 0;
  unsigned wire = 0;
  const char *begin = nullptr;   // the tag
  const char *payload = nullptr; // after the tag (and the length)
  const char *end = nullptr;
};

bool readVarint(const char *&p, const char *end, uint64_t &v) {
  v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (p == end)
      return false;
    uint8_t byte = static_cast<uint8_t>(*p++);
    v |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80))
      return true;
  }
  return false; // more than 10 bytes
}

void writeVarint(std::string &out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

class Scanner {
public:
  Scanner(llvm::StringRef bytes, uint64_t minBytes)
      : base(bytes.data()), minBytes(minBytes) {}

  std::optional<StrippedModel> run(llvm::StringRef bytes) {
    const char *p = bytes.data(), *end = p + bytes.size();
    if (!model(p, end, result.bytes))
      return std::nullopt;
    return std::move(result);
  }

private:
  /// Reads the field at `p` (advancing `p` past it).
  bool next(const char *&p, const char *end, Field &f) {
    f.begin = p;
    uint64_t tag;
    if (!readVarint(p, end, tag))
      return false;
    f.number = tag >> 3;
    f.wire = tag & 7;
    if (f.number == 0)
      return false;
    uint64_t skip;
    switch (f.wire) {
    case kVarint: {
      uint64_t v;
      if (!readVarint(p, end, v))
        return false;
      f.payload = p;
      f.end = p;
      return true;
    }
    case kFixed64:
      skip = 8;
      break;
    case kFixed32:
      skip = 4;
      break;
    case kLengthDelimited:
      if (!readVarint(p, end, skip))
        return false;
      break;
    default:
      return false; // groups (deprecated) and invalid wire types
    }
    if (skip > uint64_t(end - p))
      return false;
    f.payload = p;
    p += skip;
    f.end = p;
    return true;
  }

  /// Appends `f` with `content` as its payload.
  static void rewrite(std::string &out, const Field &f,
                      const std::string &content) {
    // The tag's bytes as they were.
    const char *tagEnd = f.begin;
    uint64_t tag;
    readVarint(tagEnd, f.end, tag);
    out.append(f.begin, tagEnd);
    writeVarint(out, content.size());
    out.append(content);
  }

  static void copy(std::string &out, const Field &f) {
    out.append(f.begin, f.end);
  }

  /// A length-delimited message field `f`, rewritten by `body` into `out`.
  template <typename Body>
  bool message(std::string &out, const Field &f, Body body) {
    if (f.wire != kLengthDelimited) {
      copy(out, f); // protobuf rejects it when parsing
      return true;
    }
    std::string content;
    if (!body(f.payload, f.end, content))
      return false;
    rewrite(out, f, content);
    return true;
  }

  bool model(const char *p, const char *end, std::string &out) {
    unsigned graphs = 0;
    Field f;
    while (p != end) {
      if (!next(p, end, f))
        return false;
      if (f.number == onnx::ModelProto::kGraphFieldNumber) {
        if (++graphs > 1)
          return false;
        if (!message(out, f, [&](const char *b, const char *e, std::string &o) {
              return graph(b, e, o);
            }))
          return false;
        continue;
      }
      copy(out, f);
    }
    return true;
  }

  bool graph(const char *p, const char *end, std::string &out) {
    size_t nodes = 0, initializers = 0;
    Field f;
    while (p != end) {
      if (!next(p, end, f))
        return false;
      bool ok = true;
      if (f.number == onnx::GraphProto::kNodeFieldNumber &&
          f.wire == kLengthDelimited) {
        size_t index = nodes++;
        ok = message(out, f, [&](const char *b, const char *e, std::string &o) {
          return node(b, e, o, index);
        });
      } else if (f.number == onnx::GraphProto::kInitializerFieldNumber &&
                 f.wire == kLengthDelimited) {
        size_t index = initializers++;
        ok = message(out, f, [&](const char *b, const char *e, std::string &o) {
          return tensor(b, e, o,
                        [&](ByteSpan s) { result.initializers[index] = s; });
        });
      } else {
        copy(out, f);
      }
      if (!ok)
        return false;
    }
    return true;
  }

  bool node(const char *p, const char *end, std::string &out, size_t index) {
    size_t attributes = 0;
    Field f;
    while (p != end) {
      if (!next(p, end, f))
        return false;
      if (f.number == onnx::NodeProto::kAttributeFieldNumber &&
          f.wire == kLengthDelimited) {
        size_t a = attributes++;
        if (!message(out, f, [&](const char *b, const char *e, std::string &o) {
              return attribute(b, e, o, index, a);
            }))
          return false;
        continue;
      }
      copy(out, f);
    }
    return true;
  }

  bool attribute(const char *p, const char *end, std::string &out, size_t node,
                 size_t index) {
    unsigned ts = 0;
    Field f;
    while (p != end) {
      if (!next(p, end, f))
        return false;
      if (f.number == onnx::AttributeProto::kTFieldNumber &&
          f.wire == kLengthDelimited) {
        if (++ts > 1)
          return false;
        if (!message(out, f, [&](const char *b, const char *e, std::string &o) {
              return tensor(b, e, o, [&](ByteSpan s) {
                result.attributes[{node, index}] = s;
              });
            }))
          return false;
        continue;
      }
      copy(out, f);
    }
    return true;
  }

  template <typename Record>
  bool tensor(const char *p, const char *end, std::string &out, Record record) {
    unsigned raws = 0;
    Field f;
    while (p != end) {
      if (!next(p, end, f))
        return false;
      if (f.number == onnx::TensorProto::kRawDataFieldNumber &&
          f.wire == kLengthDelimited) {
        if (++raws > 1)
          return false;
        uint64_t length = f.end - f.payload;
        if (length > minBytes) {
          record(ByteSpan{uint64_t(f.payload - base), length});
          continue;
        }
      }
      copy(out, f);
    }
    return true;
  }

  const char *base;
  uint64_t minBytes;
  StrippedModel result;
};

} // namespace

std::optional<StrippedModel> stripLargeRawData(llvm::StringRef bytes,
                                               uint64_t minBytes) {
  return Scanner(bytes, minBytes).run(bytes);
}

} // namespace lpuc
