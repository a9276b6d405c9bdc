#include "runtime/api/TensorFile.h"
#include "runtime/api/Npy.h"

#include "runtime/isa/Numerics.h"

#include <onnx/onnx_pb.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace lpuc::rt {

size_t hostDTypeSize(HostDType t) {
  switch (t) {
  case HostDType::Float32:
  case HostDType::Int32:
    return 4;
  case HostDType::Uint8:
  case HostDType::Int8:
  case HostDType::Bool:
    return 1;
  case HostDType::Int64:
  case HostDType::Double:
    return 8;
  case HostDType::Float16:
  case HostDType::BFloat16:
  case HostDType::Uint16:
    return 2;
  }
  return 0;
}

const char *hostDTypeName(HostDType t) {
  switch (t) {
  case HostDType::Float32:
    return "float32";
  case HostDType::Uint8:
    return "uint8";
  case HostDType::Int8:
    return "int8";
  case HostDType::Uint16:
    return "uint16";
  case HostDType::Int32:
    return "int32";
  case HostDType::Int64:
    return "int64";
  case HostDType::Bool:
    return "bool";
  case HostDType::Float16:
    return "float16";
  case HostDType::BFloat16:
    return "bfloat16";
  case HostDType::Double:
    return "double";
  }
  return "unknown";
}

bool isKnownHostDType(int32_t v) { return hostDTypeSize(HostDType(v)) != 0; }

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

double HostTensor::at(int64_t i) const {
  const uint8_t *p = bytes.data() + size_t(i) * hostDTypeSize(dtype);
  switch (dtype) {
  case HostDType::Float32: {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  case HostDType::Float16:
    return isa::halfToFloat(uint16_t(p[0] | p[1] << 8));
  case HostDType::BFloat16:
    return isa::bf16ToFloat(uint16_t(p[0] | p[1] << 8));
  case HostDType::Uint16:
    return uint16_t(p[0] | p[1] << 8);
  case HostDType::Double: {
    double d;
    std::memcpy(&d, p, 8);
    return d;
  }
  case HostDType::Int64: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return double(v);
  }
  case HostDType::Int32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case HostDType::Int8:
    return int8_t(p[0]);
  case HostDType::Uint8:
    return p[0];
  case HostDType::Bool:
    return p[0] ? 1 : 0;
  }
  return 0;
}

HostTensor HostTensor::fromFloats(std::vector<int64_t> shape,
                                  const std::vector<float> &values) {
  HostTensor t;
  t.dtype = HostDType::Float32;
  t.shape = std::move(shape);
  t.bytes.resize(values.size() * 4);
  if (!values.empty())
    std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  return t;
}

std::vector<float> HostTensor::toFloats() const {
  int64_t n = numElements();
  std::vector<float> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    out[size_t(i)] = float(at(i));
  return out;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {

absl::StatusOr<std::string> readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError("cannot open '" + path +
                               "': " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status writeAll(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  if (!out)
    return absl::UnavailableError("cannot write '" + path +
                                  "': " + std::strerror(errno));
  out.write(bytes.data(), std::streamsize(bytes.size()));
  out.close();
  if (!out)
    return absl::UnavailableError("cannot write '" + path + "'");
  return absl::OkStatus();
}

struct NpyType {
  const char *descr;
  HostDType dtype;
};
const NpyType kNpyTypes[] = {
    {"<f4", HostDType::Float32}, {"<f2", HostDType::Float16},
    {"<f8", HostDType::Double},  {"<i8", HostDType::Int64},
    {"<i4", HostDType::Int32},   {"|i1", HostDType::Int8},
    {"|u1", HostDType::Uint8},   {"|b1", HostDType::Bool},
    {"<u2", HostDType::Uint16},
};

absl::Status npyErr(const std::string &msg) {
  return absl::InvalidArgumentError("invalid .npy: " + msg);
}

} // namespace

absl::StatusOr<HostTensor> parseNpy(const std::string &b) {
  npy::Header h;
  std::string error;
  if (!npy::parseHeader(b.data(), b.size(), h, error))
    return npyErr(error);
  HostTensor t;
  bool found = false;
  for (const NpyType &nt : kNpyTypes)
    if (h.descr == nt.descr || (h.descr.size() == 3 && nt.descr[0] == '|' &&
                                h.descr.substr(1) == nt.descr + 1)) {
      t.dtype = nt.dtype;
      found = true;
    }
  if (!found)
    return npyErr("unsupported dtype '" + h.descr + "'");
  if (h.fortranOrder)
    return npyErr("Fortran-order arrays are not supported");
  int64_t n = 1;
  for (int64_t d : h.shape) {
    if (d < 0 || d > (int64_t(1) << 40) || (d && n > (int64_t(1) << 40) / d))
      return npyErr("shape too large");
    n *= d;
  }
  t.shape = h.shape;
  size_t want = size_t(n) * hostDTypeSize(t.dtype);
  if (b.size() - h.dataOffset < want)
    return npyErr("truncated data: " + std::to_string(b.size() - h.dataOffset) +
                  " bytes for " + std::to_string(want));
  t.bytes.assign(b.begin() + std::ptrdiff_t(h.dataOffset),
                 b.begin() + std::ptrdiff_t(h.dataOffset + want));
  return t;
}

absl::StatusOr<HostTensor> readNpy(const std::string &path) {
  absl::StatusOr<std::string> b = readAll(path);
  if (!b.ok())
    return b.status();
  absl::StatusOr<HostTensor> t = parseNpy(*b);
  if (!t.ok())
    return absl::InvalidArgumentError(path + ": " +
                                      std::string(t.status().message()));
  return t;
}

std::string serializeNpy(const HostTensor &t) {
  // numpy has no bfloat16: written as float32 (exact).
  if (t.dtype == HostDType::BFloat16)
    return serializeNpy(HostTensor::fromFloats(t.shape, t.toFloats()));
  const char *descr = "<f4";
  for (const NpyType &nt : kNpyTypes)
    if (nt.dtype == t.dtype)
      descr = nt.descr;
  std::string shape = "(";
  for (size_t i = 0; i < t.shape.size(); ++i)
    shape += std::to_string(t.shape[i]) + (t.shape.size() == 1 ? "," : "") +
             (i + 1 < t.shape.size() ? ", " : "");
  shape += ")";
  std::string h = std::string("{'descr': '") + descr +
                  "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + h.size() + 1;
  size_t pad = (64 - total % 64) % 64;
  h += std::string(pad, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  out += char(h.size() & 0xFF);
  out += char(h.size() >> 8);
  out += h;
  out.append(reinterpret_cast<const char *>(t.bytes.data()), t.bytes.size());
  return out;
}

absl::Status writeNpy(const std::string &path, const HostTensor &t) {
  return writeAll(path, serializeNpy(t));
}

absl::StatusOr<HostTensor> parseTensorProto(const std::string &bytes,
                                            std::string *name) {
  onnx::TensorProto p;
  if (!p.ParseFromString(bytes))
    return absl::InvalidArgumentError("not an ONNX TensorProto");
  if (name)
    *name = p.name();
  if (!isKnownHostDType(p.data_type()))
    return absl::InvalidArgumentError("tensor '" + p.name() +
                                      "': unsupported data type " +
                                      std::to_string(p.data_type()));
  if (p.data_location() == onnx::TensorProto::EXTERNAL)
    return absl::InvalidArgumentError("tensor '" + p.name() +
                                      "': external data is not supported");
  HostTensor t;
  t.dtype = HostDType(p.data_type());
  int64_t n = 1;
  for (int64_t d : p.dims()) {
    if (d < 0 || d > (int64_t(1) << 40) || (d && n > (int64_t(1) << 40) / d))
      return absl::InvalidArgumentError("tensor '" + p.name() + "': bad shape");
    t.shape.push_back(d);
    n *= d;
  }
  size_t es = hostDTypeSize(t.dtype);
  size_t want = size_t(n) * es;
  auto mismatch = [&](size_t got) {
    return absl::InvalidArgumentError(
        "tensor '" + p.name() + "': " + std::to_string(got) +
        " values for shape " + shapeString(t.shape));
  };
  if (p.has_raw_data()) {
    if (p.raw_data().size() != want)
      return mismatch(p.raw_data().size() / es);
    t.bytes.assign(p.raw_data().begin(), p.raw_data().end());
    return t;
  }
  t.bytes.resize(want);
  uint8_t *o = t.bytes.data();
  switch (t.dtype) {
  case HostDType::Float32:
    if (size_t(p.float_data_size()) != size_t(n))
      return mismatch(p.float_data_size());
    if (n)
      std::memcpy(o, p.float_data().data(), want);
    break;
  case HostDType::Double:
    if (size_t(p.double_data_size()) != size_t(n))
      return mismatch(p.double_data_size());
    if (n)
      std::memcpy(o, p.double_data().data(), want);
    break;
  case HostDType::Int64:
    if (size_t(p.int64_data_size()) != size_t(n))
      return mismatch(p.int64_data_size());
    if (n)
      std::memcpy(o, p.int64_data().data(), want);
    break;
  default: // int32, int8, uint8, bool, float16 and bfloat16 (bits) live in
           // int32_data
    if (size_t(p.int32_data_size()) != size_t(n))
      return mismatch(p.int32_data_size());
    for (int64_t i = 0; i < n; ++i) {
      uint32_t v = uint32_t(p.int32_data(int(i)));
      for (size_t k = 0; k < es; ++k)
        o[size_t(i) * es + k] = uint8_t(v >> (8 * k));
    }
  }
  return t;
}

absl::StatusOr<HostTensor> readTensorProto(const std::string &path,
                                           std::string *name) {
  absl::StatusOr<std::string> b = readAll(path);
  if (!b.ok())
    return b.status();
  absl::StatusOr<HostTensor> t = parseTensorProto(*b, name);
  if (!t.ok())
    return absl::InvalidArgumentError(path + ": " +
                                      std::string(t.status().message()));
  return t;
}

absl::Status writeTensorProto(const std::string &path, const HostTensor &t,
                              const std::string &name) {
  onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(int32_t(t.dtype));
  for (int64_t d : t.shape)
    p.add_dims(d);
  p.set_raw_data(std::string(t.bytes.begin(), t.bytes.end()));
  std::string out;
  p.SerializeToString(&out);
  return writeAll(path, out);
}

absl::StatusOr<HostTensor> readTensorFile(const std::string &path,
                                          std::string *name) {
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0)
    return readNpy(path);
  return readTensorProto(path, name);
}

} // namespace lpuc::rt
