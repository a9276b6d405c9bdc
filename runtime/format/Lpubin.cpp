//===- Lpubin.cpp - The .lpubin container: write and verify ---------------===//
//
// See docs/lpubin.md. The reader checks every offset, length, checksum and
// index before anything else looks at the file; every failure is a clear
// error, never a crash.
//
//===----------------------------------------------------------------------===//
#include "runtime/format/Lpubin.h"

#include "runtime/isa/Layout.h"
#include "runtime/isa/Machine.h"

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <utility>

namespace lpuc::format {

namespace {

constexpr size_t kHeaderSize = 64;
constexpr char kMagic[8] = {'L', 'P', 'U', 'B', 'I', 'N', 0, 0};
/// Upper bound on a dimension and on the product of a tensor's non-zero
/// dimensions (no tensor holds more elements than a chip has SRAM bytes).
constexpr int64_t kMaxElements = int64_t(1) << 32;
/// Limits on what a loadable file may describe, so that a hostile manifest
/// cannot make the runtime allocate without bound.
constexpr uint64_t kMaxChips = 16384;
constexpr uint64_t kMaxSramBytesPerChip = uint64_t(1) << 32;
constexpr uint64_t kMaxUnits = 4096;

void put16(uint8_t *p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = uint8_t(v >> (8 * i));
}
void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = uint8_t(v >> (8 * i));
}
uint16_t get16(const uint8_t *p) { return uint16_t(p[0] | p[1] << 8); }
uint32_t get32(const uint8_t *p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
         uint32_t(p[3]) << 24;
}
uint64_t get64(const uint8_t *p) {
  return uint64_t(get32(p)) | uint64_t(get32(p + 4)) << 32;
}

uint64_t alignUp(uint64_t v) {
  return (v + kSegmentAlign - 1) / kSegmentAlign * kSegmentAlign;
}

std::string serialize(const schema::Manifest &m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream sos(&out);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&cos);
  }
  return out;
}

absl::Status err(const std::string &msg) {
  return absl::InvalidArgumentError("invalid .lpubin: " + msg);
}

bool validDType(schema::DType d) {
  return d >= schema::DTYPE_F32 && d <= schema::DTYPE_I32;
}

std::string shapeStr(const google::protobuf::RepeatedField<int64_t> &s) {
  std::string r = "[";
  for (int i = 0; i < s.size(); ++i)
    r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

/// Checks dtype, shape and SRAM placement of one tensor.
absl::Status checkTensor(const std::string &what, const schema::TensorInfo &t,
                         const isa::Machine &m, uint32_t chipCount) {
  if (!validDType(t.dtype()))
    return err(what + " '" + t.name() + "': invalid on-chip dtype " +
               std::to_string(int(t.dtype())));
  int64_t n = 1; // product of the non-zero dimensions
  if (t.shape_size() > 64)
    return err(what + " '" + t.name() + "': rank " +
               std::to_string(t.shape_size()) + " is too large");
  for (int64_t d : t.shape()) {
    if (d < 0 || d > kMaxElements)
      return err(what + " '" + t.name() + "': bad shape " +
                 shapeStr(t.shape()));
    if (d == 0)
      continue;
    if (n > kMaxElements / d)
      return err(what + " '" + t.name() + "': too many elements in shape " +
                 shapeStr(t.shape()));
    n *= d;
  }
  const schema::TensorPlacement &p = t.placement();
  if (p.chip() >= chipCount)
    return err(what + " '" + t.name() + "': chip " + std::to_string(p.chip()) +
               " >= chip_count " + std::to_string(chipCount));
  if (p.slices().empty())
    return err(what + " '" + t.name() + "': placement has no slices");
  std::set<uint32_t> seen;
  for (uint32_t s : p.slices()) {
    if (s >= m.memSlices())
      return err(what + " '" + t.name() + "': slice " + std::to_string(s) +
                 " >= " + std::to_string(m.memSlices()) + " MEM slices");
    if (!seen.insert(s).second)
      return err(what + " '" + t.name() + "': slice " + std::to_string(s) +
                 " listed twice");
  }
  if (p.bank() >= m.banks())
    return err(what + " '" + t.name() + "': bank " + std::to_string(p.bank()) +
               " >= " + std::to_string(m.banks()) + " banks");
  isa::TensorLayout l;
  l.dtype = isa::DType(t.dtype());
  l.shape.assign(t.shape().begin(), t.shape().end());
  l.lanes = m.lanes();
  l.slices.assign(p.slices().begin(), p.slices().end());
  l.bank = p.bank();
  l.baseRow = p.base_row();
  // n * 4 bytes < 2^42 so planeRows cannot overflow.
  int64_t rows = l.sramRowsPerSlice();
  if (uint64_t(p.base_row()) + uint64_t(rows) > m.rowsPerBank())
    return err(what + " '" + t.name() + "': rows " +
               std::to_string(p.base_row()) + " + " + std::to_string(rows) +
               " exceed " + std::to_string(m.rowsPerBank()) + " rows per bank");
  return absl::OkStatus();
}

} // namespace

namespace {

/// zlib's crc32 (the IEEE polynomial, reflected), in pieces below 1 GiB.
uint32_t crc32Zlib(uint32_t crc, const uint8_t *data, size_t size) {
  uLong c = crc;
  while (size > 0) {
    uInt chunk = size > (1u << 30) ? (1u << 30) : uInt(size);
    c = ::crc32(c, data, chunk);
    data += chunk;
    size -= chunk;
  }
  return uint32_t(c);
}

#if defined(__x86_64__)
bool haveClmul() {
  static const bool have =
      __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return have;
}

__attribute__((target("pclmul,sse4.1"))) inline __m128i
load128(const uint8_t *q) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i *>(q));
}

/// x.lo * k.lo ^ x.hi * k.hi ^ next (carry-less).
__attribute__((target("pclmul,sse4.1"))) inline __m128i
fold(__m128i x, __m128i k, __m128i next) {
  __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

/// The same CRC by carry-less multiplication: the message is folded 64
/// bytes at a time (four 128-bit lanes, each multiplied by x^512 and x^576
/// mod P, the constants of Intel's "Fast CRC Computation for Generic
/// Polynomials Using PCLMULQDQ" for the reflected IEEE polynomial), then
/// to one 128-bit lane; folding keeps the message's remainder mod P, so
/// zlib's table CRC of that lane and the tail finishes the sum. `size` >= 64.
__attribute__((target("pclmul,sse4.1"))) uint32_t crc32Clmul(uint32_t crc,
                                                             const uint8_t *p,
                                                             size_t size) {
  // The CRC register enters as the first four bytes, inverted (zlib's
  // pre-conditioning); the result is the raw remainder, inverted back.
  __m128i x0 = _mm_xor_si128(load128(p), _mm_cvtsi32_si128(int(~crc)));
  __m128i x1 = load128(p + 16), x2 = load128(p + 32), x3 = load128(p + 48);
  p += 64;
  size -= 64;
  const __m128i k512 = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);
  while (size >= 64) {
    x0 = fold(x0, k512, load128(p));
    x1 = fold(x1, k512, load128(p + 16));
    x2 = fold(x2, k512, load128(p + 32));
    x3 = fold(x3, k512, load128(p + 48));
    p += 64;
    size -= 64;
  }
  const __m128i k128 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
  x0 = fold(x0, k128, x1);
  x0 = fold(x0, k128, x2);
  x0 = fold(x0, k128, x3);
  while (size >= 16) {
    x0 = fold(x0, k128, load128(p));
    p += 16;
    size -= 16;
  }
  // The remaining message: the folded lane and the tail (< 16 bytes), with
  // the register already folded in: zlib's CRC with register ~0 starts
  // from 0 and inverts at the end, as the whole message's CRC does.
  alignas(16) uint8_t rest[32];
  _mm_store_si128(reinterpret_cast<__m128i *>(rest), x0);
  std::memcpy(rest + 16, p, size);
  return crc32Zlib(0xffffffffu, rest, 16 + size);
}
#endif

} // namespace

uint32_t crc32(const uint8_t *data, size_t size) {
#if defined(__x86_64__)
  if (size >= 64 && haveClmul())
    return crc32Clmul(0, data, size);
#endif
  return crc32Zlib(0, data, size);
}

uint32_t crc32Reference(const uint8_t *data, size_t size) {
  return crc32Zlib(0, data, size);
}

namespace {
/// The file of `manifest` + `segments` written through `write`: the layout
/// pass produces every segment once (sizes and checksums go in the
/// manifest, which precedes them), the write pass again. With `check`, the
/// manifest must pass the reader's checks before anything is written.
absl::Status writeSegments(schema::Manifest &manifest,
                           const std::vector<SegmentSource> &segments,
                           const ByteSink &write, uint64_t *fileSize,
                           bool check) {
  std::vector<uint8_t> buf;
  // Offsets depend on the manifest size, which depends on the offsets
  // (varints): iterate until stable (at most a few rounds).
  manifest.clear_segments();
  for (const SegmentSource &s : segments) {
    buf.clear();
    s.fill(buf);
    schema::Segment *info = manifest.add_segments();
    *info = s.info;
    info->set_size(buf.size());
    info->set_crc32(crc32(buf.data(), buf.size()));
    info->set_offset(0);
  }
  std::string text;
  for (int round = 0; round < 16; ++round) {
    text = serialize(manifest);
    uint64_t off = alignUp(kHeaderSize + text.size());
    bool changed = false;
    for (int i = 0; i < manifest.segments_size(); ++i) {
      schema::Segment *info = manifest.mutable_segments(i);
      if (info->offset() != off) {
        info->set_offset(off);
        changed = true;
      }
      off = alignUp(off + info->size());
    }
    if (!changed)
      break;
  }
  uint64_t end = kHeaderSize + text.size();
  if (manifest.segments_size() > 0) {
    const schema::Segment &last =
        manifest.segments(manifest.segments_size() - 1);
    end = last.offset() + last.size();
  }
  *fileSize = end;
  if (check)
    if (absl::Status st =
            checkManifest(manifest, kHeaderSize, text.size(), end);
        !st.ok())
      return absl::InternalError("the binary would not verify: " +
                                 std::string(st.message()));
  uint8_t header[kHeaderSize] = {};
  std::memcpy(header, kMagic, 8);
  put16(header + 8, kAbiMajor);
  put16(header + 10, kAbiMinor);
  put32(header + 12, uint32_t(kHeaderSize));
  put64(header + 16, kHeaderSize);
  put64(header + 24, text.size());
  put32(header + 32,
        crc32(reinterpret_cast<const uint8_t *>(text.data()), text.size()));
  static const uint8_t zeros[kSegmentAlign] = {};
  uint64_t pos = 0;
  auto put = [&](const uint8_t *data, uint64_t size) {
    pos += size;
    return size == 0 || write(data, size);
  };
  auto pad = [&](uint64_t to) {
    while (pos < to)
      if (!put(zeros, std::min<uint64_t>(to - pos, sizeof(zeros))))
        return false;
    return true;
  };
  if (!put(header, kHeaderSize) ||
      !put(reinterpret_cast<const uint8_t *>(text.data()), text.size()))
    return absl::UnavailableError("write failed");
  for (size_t i = 0; i < segments.size(); ++i) {
    const schema::Segment &info = manifest.segments(int(i));
    buf.clear();
    segments[i].fill(buf);
    if (buf.size() != info.size() ||
        crc32(buf.data(), buf.size()) != info.crc32())
      return absl::InternalError("segment " + std::to_string(i) +
                                 " changed between the layout and the write");
    if (!pad(info.offset()) || !put(buf.data(), buf.size()))
      return absl::UnavailableError("write failed");
  }
  return absl::OkStatus();
}
} // namespace

std::vector<uint8_t> writeLpubin(schema::Manifest manifest,
                                 std::vector<SegmentData> segments) {
  // Each segment's bytes are freed once copied into the file (its second
  // fill), so the file and its segments are not held whole at once.
  std::vector<SegmentSource> sources(segments.size());
  for (size_t i = 0; i < segments.size(); ++i) {
    sources[i].info = segments[i].info;
    sources[i].fill = [&segments, i,
                       used = 0](std::vector<uint8_t> &out) mutable {
      out = segments[i].bytes;
      if (++used == 2)
        std::vector<uint8_t>().swap(segments[i].bytes);
    };
  }
  std::vector<uint8_t> out;
  uint64_t size = 0;
  bool reserved = false;
  absl::Status st = writeSegments(
      manifest, sources,
      [&](const uint8_t *data, size_t n) {
        if (!reserved) {
          // The layout is known by the first write: one allocation, whose
          // pages are touched only as they are written.
          out.reserve(size_t(size));
          reserved = true;
        }
        out.insert(out.end(), data, data + n);
        return true;
      },
      &size, /*check=*/false);
  (void)st; // a vector never fails to take the bytes; fills are copies
  return out;
}

absl::Status writeLpubinStreamed(schema::Manifest &manifest,
                                 const std::vector<SegmentSource> &segments,
                                 const ByteSink &write, uint64_t *fileSize) {
  uint64_t size = 0;
  absl::Status st =
      writeSegments(manifest, segments, write, &size, /*check=*/true);
  if (fileSize)
    *fileSize = size;
  return st;
}

absl::Status writeLpubinFile(const std::string &path, schema::Manifest manifest,
                             const std::vector<SegmentData> &segments) {
  std::vector<uint8_t> bytes = writeLpubin(std::move(manifest), segments);
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return absl::UnavailableError("cannot write '" + path +
                                  "': " + std::strerror(errno));
  size_t n = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), f);
  bool ok = n == bytes.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok)
    return absl::UnavailableError("cannot write '" + path + "'");
  return absl::OkStatus();
}

namespace {
absl::Status checkContents(const schema::Manifest &m, uint64_t mOff,
                           uint64_t mSize, uint64_t fileSize, const uint8_t *h);

/// Checks and parses the `fileSize` bytes at `bytes.get()`.
absl::StatusOr<Lpubin> parseLpubin(std::shared_ptr<const uint8_t> bytes,
                                   uint64_t fileSize) {
  if (fileSize < kHeaderSize)
    return err("truncated: file has " + std::to_string(fileSize) +
               " bytes, the header alone needs " + std::to_string(kHeaderSize));
  const uint8_t *h = bytes.get();
  if (std::memcmp(h, kMagic, 8) != 0)
    return err("bad magic (not a .lpubin file)");
  uint16_t major = get16(h + 8), minor = get16(h + 10);
  if (major != kAbiMajor)
    return absl::FailedPreconditionError(
        "unsupported .lpubin ABI major " + std::to_string(major) +
        " (this runtime reads " + std::to_string(kAbiMajor) + ")");
  if (minor > kAbiMinor)
    return absl::FailedPreconditionError(
        ".lpubin ABI " + std::to_string(major) + "." + std::to_string(minor) +
        " was made by a newer compiler (this runtime reads up to " +
        std::to_string(kAbiMajor) + "." + std::to_string(kAbiMinor) + ")");
  uint32_t headerSize = get32(h + 12);
  if (headerSize < kHeaderSize || headerSize > fileSize)
    return err("bad header size " + std::to_string(headerSize));
  uint64_t mOff = get64(h + 16), mSize = get64(h + 24);
  uint32_t mCrc = get32(h + 32);
  if (mOff < headerSize || mOff > fileSize)
    return err("manifest offset " + std::to_string(mOff) +
               " outside the file of " + std::to_string(fileSize) + " bytes");
  if (mSize > fileSize - mOff)
    return err("truncated: manifest ends at byte " +
               std::to_string(mOff + mSize) + " of " +
               std::to_string(fileSize));
  if (mSize > uint64_t(INT32_MAX))
    return err("manifest too large");
  if (crc32(h + mOff, mSize) != mCrc)
    return err("manifest crc32 mismatch");
  Lpubin out;
  if (!out.manifest.ParseFromArray(h + mOff, int(mSize)))
    return err("manifest is not a valid protobuf Manifest");
  if (absl::Status st = checkContents(out.manifest, mOff, mSize, fileSize, h);
      !st.ok())
    return st;
  out.bytes = std::move(bytes);
  out.size = fileSize;
  return out;
}

/// The checks after the header's: manifest (target, chips, tensors) and
/// segments; with `h` (the file's bytes) also the segments' checksums and
/// the zero padding.
absl::Status checkContents(const schema::Manifest &m, uint64_t mOff,
                           uint64_t mSize, uint64_t fileSize,
                           const uint8_t *h) {
  if (absl::Status s = isa::validateTarget(m.target()); !s.ok())
    return err(std::string(s.message()));
  const schema::Target &tg = m.target();
  if (tg.mem_slices_per_hemisphere() > kMaxUnits || tg.banks_per_slice() > 64 ||
      tg.vxm_alus() > kMaxUnits || tg.mxm_planes() > 256 ||
      tg.sxm_units_per_hemisphere() > 256 || tg.c2c_links() > 256 ||
      tg.mxm_accumulator_rows() > (1u << 20) ||
      uint64_t(2) * tg.mem_slices_per_hemisphere() * tg.banks_per_slice() *
              tg.rows_per_bank() * tg.lanes() >
          kMaxSramBytesPerChip)
    return err("target '" + tg.name() +
               "' exceeds the runtime's limits (at most 4096 MEM slices per "
               "hemisphere, 64 banks, 4 GiB of SRAM per chip, 4096 VXM ALUs, "
               "256 MXM planes, SXM units and C2C links, 2^20 accumulator "
               "rows)");
  isa::Machine machine(m.target());
  if (m.chip_count() < 1)
    return err("chip_count must be at least 1");
  if (m.chip_count() > kMaxChips)
    return err("chip_count " + std::to_string(m.chip_count()) +
               " exceeds the runtime's limit of " + std::to_string(kMaxChips));

  // Chip programs: unique chip ids within range; weights well placed.
  std::vector<int> chipIndex(m.chip_count(), -1);
  for (int c = 0; c < m.chips_size(); ++c) {
    const schema::ChipProgram &cp = m.chips(c);
    if (cp.chip() >= m.chip_count())
      return err("chip program " + std::to_string(c) + ": chip " +
                 std::to_string(cp.chip()) + " >= chip_count");
    if (chipIndex[cp.chip()] >= 0)
      return err("chip " + std::to_string(cp.chip()) + " has two programs");
    chipIndex[cp.chip()] = c;
    for (int w = 0; w < cp.weights_size(); ++w) {
      if (absl::Status s = checkTensor("chip " + std::to_string(cp.chip()) +
                                           " weight " + std::to_string(w),
                                       cp.weights(w), machine, m.chip_count());
          !s.ok())
        return s;
      if (cp.weights(w).placement().chip() != cp.chip())
        return err("chip " + std::to_string(cp.chip()) + " weight " +
                   std::to_string(w) + " placed on chip " +
                   std::to_string(cp.weights(w).placement().chip()));
    }
  }
  std::set<std::string> inNames, outNames;
  for (const schema::TensorInfo &t : m.inputs())
    if (!inNames.insert(t.name()).second)
      return err("two inputs named '" + t.name() + "'");
  for (const schema::TensorInfo &t : m.outputs())
    if (!outNames.insert(t.name()).second)
      return err("two outputs named '" + t.name() + "'");
  for (int i = 0; i < m.inputs_size(); ++i)
    if (absl::Status s = checkTensor("input " + std::to_string(i), m.inputs(i),
                                     machine, m.chip_count());
        !s.ok())
      return s;
  for (int i = 0; i < m.outputs_size(); ++i)
    if (absl::Status s = checkTensor("output " + std::to_string(i),
                                     m.outputs(i), machine, m.chip_count());
        !s.ok())
      return s;

  std::set<std::pair<uint32_t, uint32_t>> queues, laneMaps;
  for (int i = 0; i < m.segments_size(); ++i) {
    const schema::Segment &sg = m.segments(i);
    std::string name = "segment " + std::to_string(i);
    if (sg.offset() % kSegmentAlign != 0)
      return err(name + ": offset " + std::to_string(sg.offset()) +
                 " is not a multiple of " + std::to_string(kSegmentAlign));
    if (sg.size() > 0 && sg.offset() < mOff + mSize)
      return err(name + ": offset " + std::to_string(sg.offset()) +
                 " overlaps the header or manifest");
    if (sg.offset() > fileSize || sg.size() > fileSize - sg.offset())
      return err("truncated: " + name + " (offset " +
                 std::to_string(sg.offset()) + ", " +
                 std::to_string(sg.size()) +
                 " bytes) ends beyond the file of " + std::to_string(fileSize) +
                 " bytes");
    if (h && crc32(h + sg.offset(), sg.size()) != sg.crc32())
      return err(name + ": crc32 mismatch");
    if (sg.chip() >= m.chip_count())
      return err(name + ": chip " + std::to_string(sg.chip()) +
                 " >= chip_count " + std::to_string(m.chip_count()));
    switch (sg.kind()) {
    case schema::Segment::INSTRUCTIONS:
      if (sg.queue() >= machine.numQueues())
        return err(name + ": queue " + std::to_string(sg.queue()) +
                   " out of range (target has " +
                   std::to_string(machine.numQueues()) + " queues)");
      if (sg.size() % isa::kInstructionBytes != 0 ||
          sg.size() != uint64_t(sg.instructions()) * isa::kInstructionBytes)
        return err(name + ": " + std::to_string(sg.size()) +
                   " bytes do not hold " + std::to_string(sg.instructions()) +
                   " instructions of " +
                   std::to_string(isa::kInstructionBytes) + " bytes");
      if (!queues.insert({sg.chip(), sg.queue()}).second)
        return err(name + ": second instruction segment for chip " +
                   std::to_string(sg.chip()) + " queue " +
                   std::to_string(sg.queue()));
      break;
    case schema::Segment::WEIGHTS: {
      int c = chipIndex[sg.chip()];
      if (c < 0 || sg.tensor() >= uint32_t(m.chips(c).weights_size()))
        return err(name + ": weight tensor " + std::to_string(sg.tensor()) +
                   " does not exist on chip " + std::to_string(sg.chip()));
      const schema::TensorInfo &t = m.chips(c).weights(int(sg.tensor()));
      isa::TensorLayout l;
      l.dtype = isa::DType(t.dtype());
      l.shape.assign(t.shape().begin(), t.shape().end());
      l.lanes = machine.lanes();
      uint64_t want = uint64_t(l.planeRows()) * machine.lanes();
      if (sg.size() != want)
        return err(name + ": weight '" + t.name() + "' has " +
                   std::to_string(sg.size()) + " bytes, expected " +
                   std::to_string(want));
      break;
    }
    case schema::Segment::LANE_MAPS: {
      int c = chipIndex[sg.chip()];
      uint64_t maps = c < 0 ? 0 : m.chips(c).lane_maps();
      if (sg.size() != maps * machine.lanes() * 2)
        return err(name + ": lane maps segment has " +
                   std::to_string(sg.size()) + " bytes, expected " +
                   std::to_string(maps) + " maps of " +
                   std::to_string(machine.lanes()) + " int16");
      if (!laneMaps.insert({sg.chip(), 0}).second)
        return err(name + ": second lane maps segment for chip " +
                   std::to_string(sg.chip()));
      break;
    }
    case schema::Segment::VXM_CHAINS: {
      if (sg.size() % isa::kChainStepBytes != 0)
        return err(name + ": chain segment has " + std::to_string(sg.size()) +
                   " bytes, not a multiple of " +
                   std::to_string(isa::kChainStepBytes));
      if (!laneMaps.insert({sg.chip(), 1}).second)
        return err(name + ": second chain segment for chip " +
                   std::to_string(sg.chip()));
      break;
    }
    default:
      return err(name + ": invalid kind " + std::to_string(int(sg.kind())));
    }
  }
  // Segments do not overlap, and every byte outside the header, manifest
  // and segments is zero padding: no byte of a valid file goes unchecked.
  std::vector<std::pair<uint64_t, uint64_t>> spans; // [begin, end)
  spans.push_back({0, mOff + mSize});
  for (const schema::Segment &sg : m.segments())
    if (sg.size() > 0)
      spans.push_back({sg.offset(), sg.offset() + sg.size()});
  std::sort(spans.begin(), spans.end());
  uint64_t pos = 0;
  for (const auto &[b, e] : spans) {
    if (b < pos)
      return err("segments overlap at byte " + std::to_string(b));
    for (uint64_t i = pos; h && i < b; ++i)
      if (h[i] != 0)
        return err("non-zero padding at byte " + std::to_string(i));
    pos = e;
  }
  for (uint64_t i = pos; h && i < fileSize; ++i)
    if (h[i] != 0)
      return err("non-zero padding at byte " + std::to_string(i));
  return absl::OkStatus();
}
} // namespace

absl::Status checkManifest(const schema::Manifest &manifest,
                           uint64_t manifestOffset, uint64_t manifestSize,
                           uint64_t fileSize) {
  return checkContents(manifest, manifestOffset, manifestSize, fileSize,
                       nullptr);
}

absl::StatusOr<Lpubin> readLpubin(std::vector<uint8_t> bytes) {
  auto holder = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  uint64_t size = holder->size();
  return parseLpubin(std::shared_ptr<const uint8_t>(holder, holder->data()),
                     size);
}

absl::StatusOr<Lpubin> readLpubinUnowned(const uint8_t *data, uint64_t size) {
  // An aliasing pointer with no owner: nothing is freed with the result.
  return parseLpubin(
      std::shared_ptr<const uint8_t>(std::shared_ptr<void>(), data), size);
}

absl::StatusOr<Lpubin> readLpubinFile(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return absl::NotFoundError("cannot open '" + path +
                               "': " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::UnavailableError("cannot read '" + path +
                                  "': not a regular file");
  }
  size_t size = size_t(st.st_size);
  absl::StatusOr<Lpubin> r;
  if (size == 0) {
    ::close(fd);
    r = readLpubin({});
  } else {
    // Private read-only mapping, populated up front: the checks below read
    // every byte (crc32 of each segment) and the loader copies the weights.
    void *p =
        ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED)
      return absl::UnavailableError("cannot map '" + path +
                                    "': " + std::strerror(errno));
    std::shared_ptr<const uint8_t> bytes(
        static_cast<const uint8_t *>(p),
        [size](const uint8_t *q) { ::munmap(const_cast<uint8_t *>(q), size); });
    r = parseLpubin(std::move(bytes), size);
  }
  if (!r.ok())
    return absl::Status(r.status().code(),
                        path + ": " + std::string(r.status().message()));
  return r;
}

} // namespace lpuc::format
