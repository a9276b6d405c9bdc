//===- OnnxImport.cpp - ONNX model to the onnx dialect --------------------===//
//
// Built with -fexceptions: protobuf/ONNX code may throw; nothing escapes
// importOnnxModel, which returns llvm::Error instead.
//
//===----------------------------------------------------------------------===//

#include "compiler/import/onnx/OnnxImport.h"
#include "compiler/import/onnx/WeightScan.h"
#include "compiler/support/MappedPages.h"
#include "dialects/onnx/OnnxDialect.h"
#include "dialects/onnx/OnnxOps.h"
#include "runtime/api/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

// After the ONNX headers: <sys/mman.h> defines MAP_TYPE, an enumerator in
// onnx/defs/parser.h.
#include <sys/mman.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

using namespace mlir;
namespace fs = std::filesystem;

namespace lpuc {
namespace {

llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Tensor attributes up to this size are inlined as `dense<...>`.
constexpr size_t kInlineTensorBytes = 1024;

/// A read-only private mapping of the model file: the large raw_data of
/// embedded weights is used from it in place, like external data. Unmapped
/// when the last weight in it is released.
struct FileMapping {
  const char *base = nullptr;
  size_t size = 0;
  FileMapping(const char *base, size_t size) : base(base), size(size) {
    registerMapping(base, size);
  }
  FileMapping(const FileMapping &) = delete;
  FileMapping &operator=(const FileMapping &) = delete;
  ~FileMapping() {
    unregisterMapping(base);
    ::munmap(const_cast<char *>(base), size);
  }
  /// Returns the pages wholly inside `range` to the system (the pages it
  /// shares with its neighbours stay): read again, they would come back
  /// from the file.
  void release(ArrayRef<char> range) const { releaseMappedPages(range); }
};

/// The bytes of a tensor and whatever keeps them alive.
struct TensorBytes {
  ArrayRef<char> data;
  std::shared_ptr<const void> owner;          // a proto that holds the bytes
  std::shared_ptr<const FileMapping> mapping; // or the mapped model file
  std::unique_ptr<llvm::MemoryBuffer> buffer; // or a mapped file slice
  std::unique_ptr<char[]> heap;               // or a copy
  bool absent = false;                        // shape only (no weights)
};

const char *dataTypeName(int t) {
  if (onnx::TensorProto_DataType_IsValid(t))
    return onnx::TensorProto_DataType_Name(
               static_cast<onnx::TensorProto_DataType>(t))
        .c_str();
  return "INVALID";
}

/// MLIR element type of an ONNX data type, or null when unsupported.
Type elementType(MLIRContext *ctx, int t) {
  Builder b(ctx);
  switch (t) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::INT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::INT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT32:
    return b.getIntegerType(32);
  case onnx::TensorProto::INT64:
    return b.getIntegerType(64);
  case onnx::TensorProto::UINT8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case onnx::TensorProto::UINT16:
    return b.getIntegerType(16, false);
  case onnx::TensorProto::UINT32:
    return b.getIntegerType(32, false);
  case onnx::TensorProto::UINT64:
    return b.getIntegerType(64, false);
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  default:
    return {};
  }
}

size_t elementBytes(Type t) { return (t.getIntOrFloatBitWidth() + 7) / 8; }

Type unknownTensor(MLIRContext *ctx) {
  return UnrankedTensorType::get(onnxir::UnknownType::get(ctx));
}

class Importer {
public:
  Importer(MLIRContext &ctx, StringRef path, const ImportOptions &opts)
      : ctx(ctx), b(&ctx), path(path.str()), opts(opts) {}

  llvm::Expected<OwningOpRef<ModuleOp>> run();

private:
  llvm::Error load();
  llvm::Expected<Type> valueInfoType(const onnx::ValueInfoProto &vi,
                                     StringRef what);
  Type inferredType(const std::string &name);
  llvm::Expected<RankedTensorType> tensorType(const onnx::TensorProto &t,
                                              StringRef what);
  llvm::Expected<TensorBytes> tensorBytes(const onnx::TensorProto &t,
                                          RankedTensorType type, StringRef what,
                                          std::shared_ptr<const void> owner,
                                          const ByteSpan *mapped = nullptr);
  llvm::Expected<ElementsAttr> tensorAttr(const onnx::TensorProto &t,
                                          StringRef what, bool inlineSmall,
                                          std::shared_ptr<const void> owner,
                                          const ByteSpan *mapped = nullptr);
  ElementsAttr makeAttr(RankedTensorType type, StringRef name,
                        TensorBytes bytes, bool inlineSmall);
  llvm::Expected<fs::path> resolveExternalPath(const std::string &location,
                                               StringRef what);
  llvm::Expected<NamedAttribute> convertAttribute(const onnx::AttributeProto &a,
                                                  StringRef nodeDesc,
                                                  const ByteSpan *mappedT);
  llvm::Expected<ElementsAttr> loadFrozen(const std::string &name,
                                          const std::string &file);
  llvm::Error checkFrozen(const std::string &name, const std::string &file,
                          ElementsAttr value, Type declared);

  MLIRContext &ctx;
  Builder b;
  std::string path;
  const ImportOptions &opts;
  fs::path modelDir;
  std::shared_ptr<onnx::ModelProto> model;
  // The model file, mapped, and where the large raw_data left out of
  // `model` lies in it (see load()).
  std::shared_ptr<const FileMapping> mapping;
  std::map<size_t, ByteSpan> mappedInitializers;
  std::map<std::pair<size_t, size_t>, ByteSpan> mappedAttributes;
  std::map<std::string, int64_t> opsets;
  std::map<std::string, const onnx::TypeProto *> infoTypes;
};

llvm::Error Importer::load() {
  if (fs::is_directory(path))
    return err("cannot open '" + path + "': Is a directory");
  // The file is mapped read-only; a wire-format scan finds the large
  // raw_data of the initializers and tensor attributes, and protobuf parses
  // a copy of the other bytes. The weights are used from the mapping, as
  // external data is: the heap never holds them, and each one's pages go
  // back to the system when its constant is released (lpu-precision).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return err("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return err("cannot open '" + path + "': " + std::strerror(e));
  }
  if (uint64_t(st.st_size) > static_cast<uint64_t>(INT32_MAX)) {
    ::close(fd);
    return err("'" + path +
               "' is not an ONNX model: larger than 2 GiB (use external data)");
  }
  model = std::make_shared<onnx::ModelProto>();
  bool parsed;
  if (!S_ISREG(st.st_mode)) {
    // A pipe or device cannot be mapped: protobuf reads it in chunks, and
    // large raw_data moves out of the proto (tensorBytes).
    parsed = model->ParseFromFileDescriptor(fd);
    ::close(fd);
  } else {
    size_t size = static_cast<size_t>(st.st_size);
    if (size > 0) {
      void *p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        int e = errno;
        ::close(fd);
        return err("cannot read '" + path + "': " + std::strerror(e));
      }
      mapping =
          std::make_shared<FileMapping>(static_cast<const char *>(p), size);
    }
    ::close(fd);
    StringRef bytes = mapping ? StringRef(mapping->base, mapping->size) : "";
    if (auto stripped = stripLargeRawData(bytes, kInlineTensorBytes)) {
      parsed = model->ParseFromString(stripped->bytes);
      mappedInitializers = std::move(stripped->initializers);
      mappedAttributes = std::move(stripped->attributes);
    } else {
      // Malformed (protobuf says how) or unusual (a field given twice): the
      // whole file is parsed; large raw_data then moves out of the proto
      // (tensorBytes).
      parsed = model->ParseFromArray(bytes.data(), static_cast<int>(size));
    }
    if (mappedInitializers.empty() && mappedAttributes.empty())
      mapping.reset(); // nothing is used from it
  }
  if (!parsed)
    return err("'" + path + "' is not an ONNX model: cannot parse protobuf");
  if (model->ir_version() <= 0)
    return err("'" + path + "' is not an ONNX model: no ir_version");
  if (!model->has_graph())
    return err("'" + path + "' is not an ONNX model: no graph");
  modelDir = fs::path(path).parent_path();
  if (modelDir.empty())
    modelDir = ".";
  for (const auto &op : model->opset_import()) {
    std::string d = op.domain() == "ai.onnx" ? "" : op.domain();
    opsets[d] = op.version();
  }
  if (model->opset_import_size() == 0)
    return err("'" + path + "' is not an ONNX model: no opset_import");
  return llvm::Error::success();
}

llvm::Expected<Type> Importer::valueInfoType(const onnx::ValueInfoProto &vi,
                                             StringRef what) {
  if (!vi.has_type() || !vi.type().has_tensor_type())
    return err(what + " '" + vi.name() + "' is not a tensor");
  const auto &tt = vi.type().tensor_type();
  Type elt = elementType(&ctx, tt.elem_type());
  if (!elt)
    return err(what + " '" + vi.name() + "' has unsupported element type " +
               dataTypeName(tt.elem_type()));
  if (!tt.has_shape())
    return UnrankedTensorType::get(elt);
  SmallVector<int64_t> dims;
  for (const auto &d : tt.shape().dim())
    dims.push_back(d.has_dim_value() && d.dim_value() >= 0
                       ? d.dim_value()
                       : ShapedType::kDynamic);
  return RankedTensorType::get(dims, elt);
}

/// Type of an intermediate value from shape inference, or an unknown tensor.
Type Importer::inferredType(const std::string &name) {
  auto it = infoTypes.find(name);
  if (it == infoTypes.end() || !it->second->has_tensor_type())
    return unknownTensor(&ctx);
  onnx::ValueInfoProto vi;
  vi.set_name(name);
  *vi.mutable_type() = *it->second;
  auto t = valueInfoType(vi, "value");
  if (!t) {
    llvm::consumeError(t.takeError());
    return unknownTensor(&ctx);
  }
  return *t;
}

llvm::Expected<RankedTensorType>
Importer::tensorType(const onnx::TensorProto &t, StringRef what) {
  Type elt = elementType(&ctx, t.data_type());
  if (!elt)
    return err(what + " has unsupported element type " +
               dataTypeName(t.data_type()));
  SmallVector<int64_t> dims;
  for (int64_t d : t.dims()) {
    if (d < 0)
      return err(what + " has a negative dimension");
    dims.push_back(d);
  }
  return RankedTensorType::get(dims, elt);
}

llvm::Expected<fs::path>
Importer::resolveExternalPath(const std::string &location, StringRef what) {
  fs::path rel(location);
  if (location.empty() || rel.is_absolute() || rel.has_root_name())
    return err(what + ": external data location '" + location +
               "' must be a relative path");
  for (const fs::path &part : rel)
    if (part == "..")
      return err(what + ": external data location '" + location +
                 "' contains '..'");
  // Symlinks may still point outside: compare canonical paths.
  std::error_code ec;
  fs::path base = fs::weakly_canonical(modelDir, ec);
  fs::path full = ec ? fs::path() : fs::weakly_canonical(base / rel, ec);
  if (ec)
    return err(what + ": external data location '" + location +
               "': " + ec.message());
  if (std::mismatch(base.begin(), base.end(), full.begin(), full.end()).first !=
      base.end())
    return err(what + ": external data location '" + location +
               "' leaves the model directory");
  return full;
}

llvm::Expected<TensorBytes>
Importer::tensorBytes(const onnx::TensorProto &t, RankedTensorType type,
                      StringRef what, std::shared_ptr<const void> owner,
                      const ByteSpan *mapped) {
  TensorBytes out;
  size_t eltBytes = elementBytes(type.getElementType());
  uint64_t expected = static_cast<uint64_t>(type.getNumElements()) * eltBytes;
  auto sizeError = [&](uint64_t got) {
    return err(what + " has " + llvm::Twine(got) + " bytes of data, expected " +
               llvm::Twine(expected) + " for " +
               llvm::Twine(dataTypeName(t.data_type())) + " " +
               llvm::Twine(type.getNumElements()) + " elements");
  };

  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0, length = 0;
    bool haveLength = false;
    for (const auto &kv : t.external_data()) {
      if (kv.key() == "location")
        location = kv.value();
      else if (kv.key() == "offset" || kv.key() == "length") {
        char *end = nullptr;
        unsigned long long v = std::strtoull(kv.value().c_str(), &end, 10);
        if (kv.value().empty() || *end)
          return err(what + ": bad external data " + kv.key() + " '" +
                     kv.value() + "'");
        if (kv.key() == "offset")
          offset = v;
        else {
          length = v;
          haveLength = true;
        }
      }
    }
    auto full = resolveExternalPath(location, what);
    if (!full)
      return full.takeError();
    if (!opts.requireWeights) {
      out.absent = true;
      return out;
    }
    std::error_code ec;
    uint64_t fileSize = fs::file_size(*full, ec);
    if (ec)
      return err(what + ": cannot open external data '" + location +
                 "': " + ec.message());
    if (offset > fileSize)
      return err(what + ": external data offset " + llvm::Twine(offset) +
                 " is past the end of '" + location + "' (" +
                 llvm::Twine(fileSize) + " bytes)");
    if (!haveLength)
      length = fileSize - offset;
    if (length > fileSize - offset)
      return err(what + ": external data [" + llvm::Twine(offset) + ", " +
                 llvm::Twine(offset + length) + ") is past the end of '" +
                 location + "' (" + llvm::Twine(fileSize) + " bytes)");
    if (length != expected)
      return sizeError(length);
    if (length == 0)
      return out;
    auto buf = llvm::MemoryBuffer::getFileSlice(full->string(), length, offset);
    if (!buf)
      return err(what + ": cannot read external data '" + location +
                 "': " + buf.getError().message());
    out.buffer = std::move(*buf);
    out.data = ArrayRef<char>(out.buffer->getBufferStart(),
                              out.buffer->getBufferSize());
    return out;
  }

  if (mapped) {
    // raw_data left out of the parsed proto: its bytes in the mapped file.
    if (mapped->length != expected)
      return sizeError(mapped->length);
    out.data = ArrayRef<char>(mapping->base + mapped->offset, mapped->length);
    out.mapping = mapping;
    return out;
  }

  if (t.has_raw_data()) {
    if (t.raw_data().size() != expected)
      return sizeError(t.raw_data().size());
    if (owner && t.raw_data().size() > kInlineTensorBytes) {
      // A large tensor's bytes move out of the proto (no copy) into their
      // own owner, so each is freed when nothing references it any more
      // (lpu-precision releases the f32 weights it narrows), not when the
      // last tensor of the model is.
      auto bytes = std::make_shared<std::string>(
          std::move(*const_cast<onnx::TensorProto &>(t).mutable_raw_data()));
      const_cast<onnx::TensorProto &>(t).clear_raw_data();
      out.data = ArrayRef<char>(bytes->data(), bytes->size());
      out.owner = std::move(bytes);
      return out;
    }
    out.data = ArrayRef<char>(t.raw_data().data(), t.raw_data().size());
    out.owner = std::move(owner);
    return out;
  }

  // Typed fields: copy into a heap buffer of the element width.
  int64_t n = type.getNumElements();
  auto copy = [&](const auto &field) -> llvm::Error {
    if (field.size() != n)
      return err(what + " has " + llvm::Twine(field.size()) +
                 " values, expected " + llvm::Twine(n));
    out.heap.reset(new char[std::max<uint64_t>(expected, 1)]);
    char *p = out.heap.get();
    for (auto v : field) {
      // Little-endian host: the low bytes of the value are the element.
      if (eltBytes == sizeof(v)) {
        std::memcpy(p, &v, eltBytes);
      } else {
        uint64_t bits = static_cast<uint64_t>(v);
        std::memcpy(p, &bits, eltBytes);
      }
      p += eltBytes;
    }
    out.data = ArrayRef<char>(out.heap.get(), expected);
    return llvm::Error::success();
  };
  llvm::Error e = llvm::Error::success();
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    e = copy(t.float_data());
    break;
  case onnx::TensorProto::DOUBLE:
    e = copy(t.double_data());
    break;
  case onnx::TensorProto::INT64:
    e = copy(t.int64_data());
    break;
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
    e = copy(t.uint64_data());
    break;
  default: // int8/16/32, uint8/16, bool, float16, bfloat16: int32_data
    e = copy(t.int32_data());
    break;
  }
  if (e)
    return std::move(e);
  return out;
}

ElementsAttr Importer::makeAttr(RankedTensorType type, StringRef name,
                                TensorBytes bytes, bool inlineSmall) {
  Type elt = type.getElementType();
  if (bytes.absent) {
    auto &mgr = DenseResourceElementsHandle::getManagerInterface(&ctx);
    return DenseResourceElementsAttr::get(type, mgr.insert(name));
  }
  if (inlineSmall && bytes.data.size() <= kInlineTensorBytes) {
    if (elt.isInteger(1)) {
      SmallVector<bool> values;
      for (char c : bytes.data)
        values.push_back(c != 0);
      return DenseElementsAttr::get(type, values);
    }
    return DenseElementsAttr::getFromRawBuffer(type, bytes.data);
  }
  size_t align = elementBytes(elt);
  ArrayRef<char> data = bytes.data;
  AsmResourceBlob blob;
  if (bytes.mapping) {
    // In place in the mapped file, wherever protobuf put it: the blob's
    // alignment is the one the bytes have (1 for an odd address; readers of
    // weight blobs copy the bytes out, they do not cast them). Releasing the
    // blob returns its pages.
    uintptr_t addr = reinterpret_cast<uintptr_t>(data.data());
    while (align > 1 && addr % align != 0)
      align /= 2;
    blob = UnmanagedAsmResourceBlob::allocateWithAlign(
        data, align,
        [mapping = std::move(bytes.mapping), data](void *, size_t, size_t) {
          mapping->release(data);
        });
  } else if (reinterpret_cast<uintptr_t>(data.data()) % align != 0 ||
             data.empty()) {
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(data, align, false);
  } else {
    // A mapped slice of an external data file is registered, so that
    // readers done with the bytes (the emitter) can give its pages back.
    bool mapped = bytes.buffer && bytes.buffer->getBufferKind() ==
                                      llvm::MemoryBuffer::MemoryBuffer_MMap;
    const char *start = mapped ? bytes.buffer->getBufferStart() : nullptr;
    if (mapped)
      registerMapping(start, bytes.buffer->getBufferSize());
    auto keep = std::make_shared<TensorBytes>(std::move(bytes));
    blob = UnmanagedAsmResourceBlob::allocateWithAlign(
        data, align, [keep = std::move(keep), start](void *, size_t, size_t) {
          if (start)
            unregisterMapping(start);
        });
  }
  return DenseResourceElementsAttr::get(type, name, std::move(blob));
}

llvm::Expected<ElementsAttr>
Importer::tensorAttr(const onnx::TensorProto &t, StringRef what,
                     bool inlineSmall, std::shared_ptr<const void> owner,
                     const ByteSpan *mapped) {
  auto type = tensorType(t, what);
  if (!type)
    return type.takeError();
  auto bytes = tensorBytes(t, *type, what, std::move(owner), mapped);
  if (!bytes)
    return bytes.takeError();
  std::string name = t.name().empty() ? "tensor" : t.name();
  return makeAttr(*type, name, std::move(*bytes), inlineSmall);
}

llvm::Expected<NamedAttribute>
Importer::convertAttribute(const onnx::AttributeProto &a, StringRef nodeDesc,
                           const ByteSpan *mappedT) {
  StringRef name = a.name();
  auto unsupported = [&](StringRef kind) {
    return err(nodeDesc + ": attribute '" + name + "' is a " + kind +
               ", which is not supported");
  };
  if (name.empty())
    return err(nodeDesc + ": attribute without a name");
  if (!a.ref_attr_name().empty())
    return err(nodeDesc + ": attribute '" + name +
               "' refers to a function attribute, which is not supported");
  Attribute value;
  switch (a.type()) {
  case onnx::AttributeProto::INT:
    value = b.getI64IntegerAttr(a.i());
    break;
  case onnx::AttributeProto::FLOAT:
    value = b.getF32FloatAttr(a.f());
    break;
  case onnx::AttributeProto::STRING:
    value = b.getStringAttr(a.s());
    break;
  case onnx::AttributeProto::INTS:
    value = b.getDenseI64ArrayAttr(
        SmallVector<int64_t>(a.ints().begin(), a.ints().end()));
    break;
  case onnx::AttributeProto::FLOATS:
    value = b.getDenseF32ArrayAttr(
        SmallVector<float>(a.floats().begin(), a.floats().end()));
    break;
  case onnx::AttributeProto::STRINGS: {
    SmallVector<Attribute> strs;
    for (const auto &s : a.strings())
      strs.push_back(b.getStringAttr(s));
    value = b.getArrayAttr(strs);
    break;
  }
  case onnx::AttributeProto::TENSOR: {
    auto t = tensorAttr(a.t(), (nodeDesc + ": attribute '" + name + "'").str(),
                        /*inlineSmall=*/true, model, mappedT);
    if (!t)
      return t.takeError();
    value = *t;
    break;
  }
  case onnx::AttributeProto::TENSORS: {
    SmallVector<Attribute> ts;
    for (const auto &tp : a.tensors()) {
      auto t = tensorAttr(tp, (nodeDesc + ": attribute '" + name + "'").str(),
                          /*inlineSmall=*/true, model);
      if (!t)
        return t.takeError();
      ts.push_back(*t);
    }
    value = b.getArrayAttr(ts);
    break;
  }
  case onnx::AttributeProto::GRAPH:
  case onnx::AttributeProto::GRAPHS:
    return unsupported("graph (subgraphs)");
  case onnx::AttributeProto::SPARSE_TENSOR:
  case onnx::AttributeProto::SPARSE_TENSORS:
    return unsupported("sparse tensor");
  case onnx::AttributeProto::TYPE_PROTO:
  case onnx::AttributeProto::TYPE_PROTOS:
    return unsupported("type proto");
  default:
    return err(nodeDesc + ": attribute '" + name + "' has no type");
  }
  return NamedAttribute(b.getStringAttr(name), value);
}

llvm::Expected<ElementsAttr> Importer::loadFrozen(const std::string &name,
                                                  const std::string &file) {
  std::string what = "frozen input '" + name + "'";
  auto buf = llvm::MemoryBuffer::getFile(file, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return err("cannot open '" + file + "': " + buf.getError().message());
  StringRef bytes = (*buf)->getBuffer();
  if (StringRef(file).ends_with(".npy")) {
    npy::Header h;
    std::string error;
    if (!npy::parseHeader(bytes.data(), bytes.size(), h, error))
      return err("'" + file + "': " + error);
    if (h.fortranOrder)
      return err("'" + file + "': Fortran-order .npy files are not supported");
    static const std::map<std::string, int> dtypes = {
        {"<f4", onnx::TensorProto::FLOAT},   {"<f8", onnx::TensorProto::DOUBLE},
        {"<f2", onnx::TensorProto::FLOAT16}, {"|i1", onnx::TensorProto::INT8},
        {"<i2", onnx::TensorProto::INT16},   {"<i4", onnx::TensorProto::INT32},
        {"<i8", onnx::TensorProto::INT64},   {"|u1", onnx::TensorProto::UINT8},
        {"<u2", onnx::TensorProto::UINT16},  {"<u4", onnx::TensorProto::UINT32},
        {"<u8", onnx::TensorProto::UINT64},  {"|b1", onnx::TensorProto::BOOL}};
    auto it = dtypes.find(h.descr);
    if (it == dtypes.end())
      return err("'" + file + "': unsupported .npy dtype '" + h.descr + "'");
    auto type = RankedTensorType::get(h.shape, elementType(&ctx, it->second));
    uint64_t expected = static_cast<uint64_t>(type.getNumElements()) *
                        elementBytes(type.getElementType());
    if (bytes.size() - h.dataOffset != expected)
      return err("'" + file + "' has " +
                 llvm::Twine(bytes.size() - h.dataOffset) +
                 " bytes of data, expected " + llvm::Twine(expected));
    TensorBytes tb;
    tb.data = ArrayRef<char>(bytes.data() + h.dataOffset, expected);
    tb.buffer = std::move(*buf);
    return makeAttr(type, name, std::move(tb), /*inlineSmall=*/false);
  }
  auto tensor = std::make_shared<onnx::TensorProto>();
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !tensor->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return err("'" + file + "' is not an ONNX TensorProto (.pb) file");
  if (tensor->data_location() == onnx::TensorProto::EXTERNAL)
    return err("'" + file + "': a frozen tensor cannot use external data");
  auto type = tensorType(*tensor, what);
  if (!type)
    return type.takeError();
  auto tb = tensorBytes(*tensor, *type, what, tensor);
  if (!tb)
    return tb.takeError();
  return makeAttr(*type, name, std::move(*tb), /*inlineSmall=*/false);
}

llvm::Error Importer::checkFrozen(const std::string &name,
                                  const std::string &file, ElementsAttr value,
                                  Type declared) {
  auto decl = cast<TensorType>(declared);
  auto type = cast<ShapedType>(value.getType());
  auto mismatch = [&]() {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << "frozen value for '" << name << "' from '" << file << "' has type "
       << type << ", but the input is declared " << declared;
    return err(s);
  };
  if (decl.getElementType() != type.getElementType())
    return mismatch();
  if (!decl.hasRank())
    return llvm::Error::success();
  if (decl.getRank() != type.getRank())
    return mismatch();
  for (auto [d, v] : llvm::zip(decl.getShape(), type.getShape()))
    if (!ShapedType::isDynamic(d) && d != v)
      return mismatch();
  return llvm::Error::success();
}

llvm::Expected<OwningOpRef<ModuleOp>> Importer::run() {
  if (llvm::Error e = load())
    return std::move(e);
  ctx.loadDialect<func::FuncDialect, onnxir::OnnxDialect>();

  // Bind symbolic dimensions (--dim NAME=VALUE) before shape inference.
  {
    std::map<std::string, int64_t> bind;
    for (const auto &[name, value] : opts.dims)
      if (!bind.emplace(name, value).second)
        return err("dimension '" + name + "' is given twice");
    std::set<std::string> used;
    onnx::GraphProto *g = model->mutable_graph();
    auto rebind = [&](onnx::ValueInfoProto &vi) {
      if (!vi.has_type() || !vi.type().has_tensor_type() ||
          !vi.type().tensor_type().has_shape())
        return;
      for (auto &d : *vi.mutable_type()
                          ->mutable_tensor_type()
                          ->mutable_shape()
                          ->mutable_dim()) {
        if (!d.has_dim_param())
          continue;
        auto it = bind.find(d.dim_param());
        if (it == bind.end())
          continue;
        used.insert(it->first);
        d.set_dim_value(it->second);
      }
    };
    for (auto &vi : *g->mutable_input())
      rebind(vi);
    for (auto &vi : *g->mutable_output())
      rebind(vi);
    for (auto &vi : *g->mutable_value_info())
      rebind(vi);
    for (const auto &[name, value] : bind)
      if (!used.count(name))
        return err("--dim " + name + ": '" + path +
                   "' has no symbolic dimension '" + name + "'");
  }

  // Shape inference: per-node failures are ignored (error_mode 0); anything
  // else leaves whatever types were inferred so far.
  try {
    onnx::ShapeInferenceOptions siOpts(/*check_type=*/false,
                                       /*strict_mode=*/0,
                                       /*data_prop=*/false);
    onnx::shape_inference::InferShapes(
        *model, onnx::OpSchemaRegistry::Instance(), siOpts);
  } catch (const std::exception &) {
  }

  const onnx::GraphProto &graph = model->graph();
  for (const auto &vi : graph.value_info())
    infoTypes[vi.name()] = &vi.type();
  for (const auto &vi : graph.input())
    infoTypes[vi.name()] = &vi.type();
  for (const auto &vi : graph.output())
    infoTypes[vi.name()] = &vi.type();

  std::set<std::string> initializerNames;
  for (const auto &t : graph.initializer())
    initializerNames.insert(t.name());
  if (graph.sparse_initializer_size())
    return err("'" + path + "': sparse initializers are not supported");

  // Frozen inputs.
  std::map<std::string, std::string> frozen;
  for (const auto &entry : opts.freeze) {
    const std::string &name = entry.first, &file = entry.second;
    bool isInput = !initializerNames.count(name) &&
                   llvm::any_of(graph.input(), [&](const auto &vi) {
                     return vi.name() == name;
                   });
    if (!isInput)
      return err("cannot freeze '" + name + "': not a graph input of '" + path +
                 "'");
    if (!frozen.emplace(name, file).second)
      return err("input '" + name + "' is frozen twice");
  }

  Location fileLoc = FileLineColLoc::get(&ctx, path, 0, 0);
  OwningOpRef<ModuleOp> module(ModuleOp::create(fileLoc));
  std::string producer = model->producer_name();
  if (!model->producer_version().empty())
    producer += (producer.empty() ? "" : " ") + model->producer_version();
  (*module)->setAttr("onnx.producer", b.getStringAttr(producer));
  (*module)->setAttr("onnx.ir_version",
                     b.getI64IntegerAttr(model->ir_version()));
  SmallVector<NamedAttribute> opsetAttrs;
  for (const auto &[d, v] : opsets)
    opsetAttrs.emplace_back(b.getStringAttr(d.empty() ? "ai.onnx" : d),
                            b.getI64IntegerAttr(v));
  (*module)->setAttr("onnx.opset", b.getDictionaryAttr(opsetAttrs));

  // Function arguments: graph inputs that are neither initializers nor frozen.
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  std::map<std::string, Type> frozenDeclared;
  for (const auto &vi : graph.input()) {
    if (initializerNames.count(vi.name()))
      continue;
    auto t = valueInfoType(vi, "graph input");
    if (!t)
      return t.takeError();
    if (frozen.count(vi.name())) {
      frozenDeclared[vi.name()] = *t;
      continue;
    }
    argTypes.push_back(*t);
    argNames.push_back(vi.name());
  }
  OpBuilder ob(module->getBodyRegion());
  auto func = func::FuncOp::create(ob, fileLoc, "main",
                                   ob.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  ob.setInsertionPointToStart(body);
  llvm::StringMap<Value> values;
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, "onnx.name", b.getStringAttr(name));
    values[name] = body->getArgument(i);
  }
  // Symbolic dimensions still unbound, per graph input: named in conversion
  // errors.
  SmallVector<NamedAttribute> dimParams;
  for (const auto &vi : graph.input()) {
    if (!llvm::is_contained(argNames, vi.name()) ||
        !vi.type().tensor_type().has_shape())
      continue;
    SmallVector<Attribute> dimNames;
    bool any = false;
    for (const auto &d : vi.type().tensor_type().shape().dim()) {
      bool symbolic = d.has_dim_param() && !d.dim_param().empty();
      any |= symbolic;
      dimNames.push_back(
          b.getStringAttr(symbolic ? d.dim_param() : std::string()));
    }
    if (any)
      dimParams.emplace_back(b.getStringAttr(vi.name()),
                             b.getArrayAttr(dimNames));
  }
  if (!dimParams.empty())
    func->setAttr("onnx.dim_params", b.getDictionaryAttr(dimParams));

  // Frozen inputs, in command-line order.
  SmallVector<Attribute> frozenNames;
  for (const auto &[name, file] : opts.freeze) {
    auto value = loadFrozen(name, file);
    if (!value)
      return value.takeError();
    if (llvm::Error e = checkFrozen(name, file, *value, frozenDeclared[name]))
      return std::move(e);
    auto cst = onnxir::ConstantOp::create(
        ob, NameLoc::get(b.getStringAttr(name)), b.getStringAttr(name), *value);
    values[name] = cst.getResult();
    frozenNames.push_back(b.getStringAttr(name));
  }
  if (!frozenNames.empty())
    (*module)->setAttr("lpuc.frozen_inputs", b.getArrayAttr(frozenNames));

  // Initializers.
  for (auto [i, t] : llvm::enumerate(graph.initializer())) {
    auto mapped = mappedInitializers.find(i);
    auto value = tensorAttr(
        t, "initializer '" + t.name() + "'",
        /*inlineSmall=*/false, model,
        mapped == mappedInitializers.end() ? nullptr : &mapped->second);
    if (!value)
      return value.takeError();
    auto cst =
        onnxir::ConstantOp::create(ob, NameLoc::get(b.getStringAttr(t.name())),
                                   b.getStringAttr(t.name()), *value);
    values[t.name()] = cst.getResult();
  }

  // Nodes (ONNX graphs are topologically sorted).
  Value none;
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    std::string nodeName = node.name().empty()
                               ? node.op_type() + "_" + std::to_string(index)
                               : node.name();
    std::string desc = "node '" + nodeName + "' (" + node.op_type() + ")";
    std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    auto opset = opsets.find(domain);
    if (opset == opsets.end())
      return err(desc + ": the model imports no opset for domain '" +
                 (domain.empty() ? "ai.onnx" : domain) + "'");
    SmallVector<NamedAttribute> attrs;
    for (auto [ai, a] : llvm::enumerate(node.attribute())) {
      auto mapped = mappedAttributes.find({index, ai});
      auto na = convertAttribute(
          a, desc,
          mapped == mappedAttributes.end() ? nullptr : &mapped->second);
      if (!na)
        return na.takeError();
      attrs.push_back(*na);
    }
    SmallVector<Value> operands;
    for (const auto &in : node.input()) {
      if (in.empty()) {
        if (!none) {
          OpBuilder::InsertionGuard g(ob);
          ob.setInsertionPointToStart(body);
          none = onnxir::NoneOp::create(ob, UnknownLoc::get(&ctx));
        }
        operands.push_back(none);
        continue;
      }
      auto it = values.find(in);
      if (it == values.end())
        return err(desc + ": input '" + in +
                   "' is not defined before the node");
      operands.push_back(it->second);
    }
    SmallVector<Type> resultTypes;
    for (const auto &out : node.output())
      resultTypes.push_back(out.empty() ? unknownTensor(&ctx)
                                        : inferredType(out));
    auto op = onnxir::NodeOp::create(
        ob, NameLoc::get(b.getStringAttr(nodeName)), resultTypes, operands,
        b.getStringAttr(node.op_type()), b.getStringAttr(domain),
        b.getI64IntegerAttr(opset->second), b.getDictionaryAttr(attrs));
    for (auto [out, result] : llvm::zip(node.output(), op->getResults()))
      if (!out.empty())
        values[out] = result;
  }

  // Results: the graph outputs.
  SmallVector<Value> results;
  for (const auto &vi : graph.output()) {
    auto it = values.find(vi.name());
    if (it == values.end())
      return err("graph output '" + vi.name() +
                 "' is not computed by the graph");
    results.push_back(it->second);
  }
  func::ReturnOp::create(ob, fileLoc, results);
  func.setFunctionType(
      ob.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, vi] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "onnx.name", b.getStringAttr(vi.name()));
  return std::move(module);
}

} // namespace

llvm::Expected<OwningOpRef<ModuleOp>>
importOnnxModel(MLIRContext &ctx, StringRef path, const ImportOptions &opts) {
  try {
    Importer importer(ctx, path, opts);
    return importer.run();
  } catch (const std::exception &e) {
    return err("cannot import '" + path + "': " + e.what());
  }
}

} // namespace lpuc
