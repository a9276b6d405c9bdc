#include "runtime/api/Runtime.h"

#include "runtime/isa/Numerics.h"
#include "runtime/loader/Loader.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace lpuc::rt {

absl::StatusOr<Program> Program::load(const std::string &path) {
  absl::StatusOr<format::Lpubin> f = format::readLpubinFile(path);
  if (!f.ok())
    return f.status();
  absl::StatusOr<Program> p = fromLpubin(std::move(*f));
  if (!p.ok())
    return absl::Status(p.status().code(),
                        path + ": " + std::string(p.status().message()));
  return p;
}

absl::StatusOr<Program> Program::fromBytes(std::vector<uint8_t> bytes) {
  absl::StatusOr<format::Lpubin> f = format::readLpubin(std::move(bytes));
  if (!f.ok())
    return f.status();
  return fromLpubin(std::move(*f));
}

absl::StatusOr<Program> Program::fromLpubin(format::Lpubin file) {
  Program p;
  p.file_ = std::move(file);
  p.machine_ = std::make_unique<isa::Machine>(p.file_.manifest.target());
  absl::StatusOr<std::vector<std::shared_ptr<const emu::ChipProgram>>> chips =
      loader::decodePrograms(p.file_, *p.machine_);
  if (!chips.ok())
    return chips.status();
  p.chips_ = std::move(*chips);
  return p;
}

std::vector<const schema::TensorInfo *> Program::inputs() const {
  std::vector<const schema::TensorInfo *> out;
  const auto &frozen = manifest().frozen_inputs();
  for (const schema::TensorInfo &t : manifest().inputs())
    if (std::find(frozen.begin(), frozen.end(), t.name()) == frozen.end())
      out.push_back(&t);
  return out;
}

Session::Session(const Program &program, SessionOptions options)
    : program_(program),
      emulator_(program.machine(), program.manifest().chip_count()),
      options_(options) {
  emulator_.setTimingOnly(options.timingOnly);
  emulator_.setThreads(options.threads);
  for (uint32_t c = 0; c < program.chips().size(); ++c)
    emulator_.setProgram(c, program.chips()[c]); // prepared by Program
  if (!options.timingOnly) {
    loader::writeWeights(program.file(), program.machine(), emulator_);
    emulator_.allocateWrittenRows();
  }
}

namespace {

const schema::TensorInfo *
find(const google::protobuf::RepeatedPtrField<schema::TensorInfo> &list,
     const std::string &name) {
  for (const schema::TensorInfo &t : list)
    if (t.name() == name)
      return &t;
  return nullptr;
}

/// The host type that holds an on-chip type without conversion.
HostDType nativeHost(isa::DType d) {
  switch (d) {
  case isa::DType::F16:
    return HostDType::Float16;
  case isa::DType::I8:
    return HostDType::Int8;
  case isa::DType::I32:
    return HostDType::Int32;
  default:
    return HostDType::Float32;
  }
}

} // namespace

absl::Status Session::setInput(const std::string &name, const HostTensor &t) {
  const schema::TensorInfo *info = find(program_.manifest().inputs(), name);
  if (!info) {
    std::string names;
    for (const schema::TensorInfo *i : program_.inputs())
      names += (names.empty() ? "'" : ", '") + i->name() + "'";
    return absl::InvalidArgumentError("no input named '" + name +
                                      "' (inputs: " + names + ")");
  }
  std::vector<int64_t> shape(info->shape().begin(), info->shape().end());
  if (t.shape != shape)
    return absl::InvalidArgumentError("input '" + name + "': expected shape " +
                                      shapeString(shape) + ", got " +
                                      shapeString(t.shape));
  isa::TensorLayout l = loader::layoutOf(*info, program_.machine().lanes());
  isa::DType d = l.dtype;
  HostDType native = nativeHost(d);
  bool isFloatChip =
      d == isa::DType::F32 || d == isa::DType::F16 || d == isa::DType::BF16;
  // Float chips take any float host type (float32 is the ONNX one; float16,
  // bfloat16 and double are converted through float32, exactly for the
  // 16-bit types).
  bool hostFloat =
      t.dtype == HostDType::Float32 || t.dtype == HostDType::Float16 ||
      t.dtype == HostDType::BFloat16 || t.dtype == HostDType::Double;
  // Integer host data (token ids) for a float chip input: the compiler holds
  // integer graph inputs used as indices as f32; every value must be exact.
  bool hostInt = t.dtype == HostDType::Int64 || t.dtype == HostDType::Int32 ||
                 t.dtype == HostDType::Bool || t.dtype == HostDType::Int8 ||
                 t.dtype == HostDType::Uint8;
  if (isFloatChip && hostInt && d == isa::DType::F32)
    for (int64_t i = 0, n = t.numElements(); i < n; ++i)
      if (std::fabs(t.at(i)) > 16777216.0)
        return absl::InvalidArgumentError(
            "input '" + name + "': integer value " +
            std::to_string(int64_t(t.at(i))) +
            " is outside the integers float32 holds exactly (|v| <= 2^24)");
  if (!(t.dtype == native || (isFloatChip && hostFloat) ||
        (hostInt && d == isa::DType::F32)))
    return absl::InvalidArgumentError(
        "input '" + name + "': expected " +
        (isFloatChip ? std::string("float32") : hostDTypeName(native)) +
        ", got " + hostDTypeName(t.dtype));
  int64_t n = t.numElements();
  if (t.bytes.size() != size_t(n) * hostDTypeSize(t.dtype))
    return absl::InvalidArgumentError(
        "input '" + name + "': " + std::to_string(t.bytes.size()) +
        " bytes for shape " + shapeString(t.shape));
  unsigned w = isa::widthBytes(d);
  std::vector<uint8_t> elems(size_t(n) * w);
  if (t.dtype == native && !(d == isa::DType::BF16)) {
    elems = t.bytes;
  } else {
    for (int64_t i = 0; i < n; ++i) {
      float f = float(t.at(i));
      uint32_t bits = d == isa::DType::F32   ? isa::floatBits(f)
                      : d == isa::DType::F16 ? isa::floatToHalf(f)
                                             : isa::floatToBF16(f);
      for (unsigned b = 0; b < w; ++b)
        elems[size_t(i) * w + b] = uint8_t(bits >> (8 * b));
    }
  }
  bound_[name] = true;
  if (options_.timingOnly)
    return absl::OkStatus();
  std::vector<uint8_t> rows = isa::packPlaneRows(l, elems.data());
  loader::writePlaneRows(emulator_.sram(info->placement().chip()), l,
                         rows.data());
  bound_[name] = true;
  return absl::OkStatus();
}

absl::StatusOr<RunStats> Session::run() {
  for (const schema::TensorInfo *i : program_.inputs())
    if (!options_.timingOnly && !bound_.count(i->name()))
      return absl::InvalidArgumentError("input '" + i->name() +
                                        "' was not given");
  absl::StatusOr<RunStats> s = emulator_.run();
  if (s.ok())
    ran_ = true;
  return s;
}

absl::StatusOr<HostTensor> Session::output(const std::string &name) const {
  const schema::TensorInfo *info = find(program_.manifest().outputs(), name);
  if (!info)
    return absl::InvalidArgumentError("no output named '" + name + "'");
  if (!ran_)
    return absl::FailedPreconditionError("output '" + name +
                                         "' read before run()");
  if (options_.timingOnly)
    return absl::FailedPreconditionError(
        "output '" + name + "': a timing-only session computes no data");
  isa::TensorLayout l = loader::layoutOf(*info, program_.machine().lanes());
  std::vector<uint8_t> rows =
      loader::readPlaneRows(emulator_.sram(info->placement().chip()), l);
  int64_t n = l.numElements();
  unsigned w = l.width();
  std::vector<uint8_t> elems(size_t(n) * w);
  isa::unpackPlaneRows(l, rows.data(), elems.data());
  HostTensor t;
  t.shape = l.shape;
  t.dtype = nativeHost(l.dtype);
  if (l.dtype == isa::DType::F16 || l.dtype == isa::DType::BF16) {
    t.dtype = HostDType::Float32;
    t.bytes.resize(size_t(n) * 4);
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h =
          uint16_t(elems[size_t(i) * 2] | elems[size_t(i) * 2 + 1] << 8);
      float f = l.dtype == isa::DType::F16 ? isa::halfToFloat(h)
                                           : isa::bf16ToFloat(h);
      std::memcpy(t.bytes.data() + size_t(i) * 4, &f, 4);
    }
  } else {
    t.bytes = std::move(elems);
  }
  // Integers and bools held as f32 on the chip go back to the graph's type
  // (the compiler keeps them integral).
  HostDType host = HostDType::Float32;
  switch (info->host_dtype()) {
  case schema::DTYPE_I64:
    host = HostDType::Int64;
    break;
  case schema::DTYPE_I32:
    host = HostDType::Int32;
    break;
  case schema::DTYPE_I8:
    host = HostDType::Int8;
    break;
  case schema::DTYPE_BOOL:
    host = HostDType::Bool;
    break;
  default:
    return t;
  }
  if (t.dtype != HostDType::Float32)
    return t;
  HostTensor h;
  h.shape = t.shape;
  h.dtype = host;
  size_t es = hostDTypeSize(host);
  h.bytes.resize(size_t(n) * es);
  for (int64_t i = 0; i < n; ++i) {
    double f = t.at(i);
    int64_t v =
        host == HostDType::Bool ? int64_t(f != 0.0) : int64_t(std::llround(f));
    for (size_t k = 0; k < es; ++k)
      h.bytes[size_t(i) * es + k] = uint8_t(uint64_t(v) >> (8 * k));
  }
  return h;
}

} // namespace lpuc::rt
