//===- Lpubin.h - The .lpubin container: write and verify -----*- C++ -*-===//
//
// Layout (docs/lpubin.md): a 64-byte header (magic "LPUBIN\0\0", ABI
// major/minor, manifest offset/size/crc32), the deterministic protobuf
// Manifest, then segments each aligned to 4 KiB, zero padded, each with a
// crc32 in the manifest. Writer and reader live together so that the
// compiler's emitter and the runtime's loader share one definition.
//
//===----------------------------------------------------------------------===//
#ifndef LPUC_RUNTIME_FORMAT_LPUBIN_H
#define LPUC_RUNTIME_FORMAT_LPUBIN_H

#include "runtime/schema/lpubin.pb.h"

#include "absl/status/statusor.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lpuc::format {

constexpr uint16_t kAbiMajor = 1;
constexpr uint16_t kAbiMinor = 0;
constexpr uint64_t kSegmentAlign = 4096;

/// A segment to write: its manifest entry (offset, size and crc32 are filled
/// in by the writer) and payload.
struct SegmentData {
  schema::Segment info;
  std::vector<uint8_t> bytes;
};

/// A segment written from a producer: `fill` appends the payload to `out`
/// (empty on entry). The streamed writer calls it twice (the checksums are
/// in the manifest, ahead of the payloads): it must give the same bytes.
struct SegmentSource {
  schema::Segment info;
  std::function<void(std::vector<uint8_t> &out)> fill;
};

/// Takes the next `size` bytes of the file; false on failure.
using ByteSink = std::function<bool(const uint8_t *data, size_t size)>;

/// Writes the file of `manifest` + `segments` through `write`, producing
/// one segment at a time (the file is never whole in memory), and returns
/// its size in `fileSize`. `manifest` gets the segment entries as written.
/// The manifest is checked as the reader will check it (checkManifest)
/// before the first byte is written: an error is Internal. The same bytes
/// as writeLpubin.
absl::Status writeLpubinStreamed(schema::Manifest &manifest,
                                 const std::vector<SegmentSource> &segments,
                                 const ByteSink &write,
                                 uint64_t *fileSize = nullptr);

/// Serialises manifest + segments into file bytes. The manifest's `segments`
/// list is replaced by the given segments, in order. Deterministic. Pass the
/// segments with std::move where they are large: each segment's bytes are
/// freed once copied, so the file and its segments are not held twice.
std::vector<uint8_t> writeLpubin(schema::Manifest manifest,
                                 std::vector<SegmentData> segments);
absl::Status writeLpubinFile(const std::string &path, schema::Manifest manifest,
                             const std::vector<SegmentData> &segments);

/// A verified file: every offset, length, checksum and index was checked
/// before this is returned. Segment payloads point into `bytes`.
struct Lpubin {
  /// The file's bytes: a read-only mapping of the file (readLpubinFile) or
  /// the buffer given to readLpubin, kept alive by the pointer.
  std::shared_ptr<const uint8_t> bytes;
  size_t size = 0;
  schema::Manifest manifest;
  const uint8_t *segment(size_t i) const {
    return bytes.get() + manifest.segments(int(i)).offset();
  }
};

absl::StatusOr<Lpubin> readLpubin(std::vector<uint8_t> bytes);
/// readLpubin's checks of a manifest whose file is not at hand: everything
/// but the segments' checksums and the zero padding.
absl::Status checkManifest(const schema::Manifest &manifest,
                           uint64_t manifestOffset, uint64_t manifestSize,
                           uint64_t fileSize);
/// Checks and parses `size` bytes at `data` without copying or owning them:
/// they must outlive the result (e.g. lpuc checking the binary it holds).
absl::StatusOr<Lpubin> readLpubinUnowned(const uint8_t *data, uint64_t size);
/// Maps the file (no copy of its weights; pages are read as the loader
/// touches them) and checks it like readLpubin.
absl::StatusOr<Lpubin> readLpubinFile(const std::string &path);

uint32_t crc32(const uint8_t *data, size_t size);
/// zlib's table-driven crc32 of the same bytes: the reference crc32 (which
/// folds with PCLMULQDQ where the CPU has it) must equal (gtest
/// LpubinFormat.Crc32FoldingEqualsZlib).
uint32_t crc32Reference(const uint8_t *data, size_t size);

} // namespace lpuc::format

#endif
