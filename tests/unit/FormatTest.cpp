// .lpubin writer and verifying reader.
#include "RuntimeTestUtil.h"

#include "runtime/format/Lpubin.h"
#include "runtime/isa/Layout.h"

#include <random>

using namespace lpuc;

namespace {

constexpr size_t kHeader = 64;

schema::Manifest baseManifest() {
  schema::Manifest m;
  *m.mutable_target() = testutil::v1Target();
  m.set_chip_count(1);
  m.set_precision("fp32");
  m.set_model_name("test.onnx");
  schema::ChipProgram *c = m.add_chips();
  c->set_chip(0);
  schema::TensorInfo *w = c->add_weights();
  w->set_name("w");
  w->set_dtype(schema::DTYPE_F32);
  w->add_shape(2);
  w->add_shape(3);
  w->mutable_placement()->add_slices(0);
  w->mutable_placement()->add_slices(1);
  w->mutable_placement()->set_bank(0);
  w->mutable_placement()->set_base_row(10);
  m.mutable_predicted()->set_cycles(7);
  return m;
}

std::vector<format::SegmentData> baseSegments() {
  std::vector<format::SegmentData> segs(2);
  segs[0].info.set_kind(schema::Segment::INSTRUCTIONS);
  segs[0].info.set_queue(3);
  segs[0].info.set_instructions(2);
  isa::encodeAll({emu::memRead(0, 1, 2, 3), emu::nop(4)}, segs[0].bytes);
  segs[1].info.set_kind(schema::Segment::WEIGHTS);
  segs[1].info.set_tensor(0);
  // [2,3] f32: 1 vector x 2 rows x 4 planes = 8 plane-rows of 320 bytes.
  segs[1].bytes.resize(8 * 320);
  for (size_t i = 0; i < segs[1].bytes.size(); ++i)
    segs[1].bytes[i] = uint8_t(i * 7 + 1);
  return segs;
}

std::vector<uint8_t> goodFile() {
  return format::writeLpubin(baseManifest(), baseSegments());
}

/// Rewrites the manifest of `bytes` in place (segments stay where they are).
std::vector<uint8_t> patchManifest(std::vector<uint8_t> bytes,
                                   void (*fn)(schema::Manifest &)) {
  uint64_t size = 0;
  for (int i = 0; i < 8; ++i)
    size |= uint64_t(bytes[24 + i]) << (8 * i);
  schema::Manifest m;
  EXPECT_TRUE(m.ParseFromArray(bytes.data() + kHeader, int(size)));
  fn(m);
  std::string text = m.SerializeAsString();
  EXPECT_LE(kHeader + text.size(), 4096u);
  std::fill(bytes.begin() + kHeader, bytes.begin() + 4096, 0);
  std::memcpy(bytes.data() + kHeader, text.data(), text.size());
  for (int i = 0; i < 8; ++i)
    bytes[24 + i] = uint8_t(uint64_t(text.size()) >> (8 * i));
  uint32_t crc = format::crc32(reinterpret_cast<const uint8_t *>(text.data()),
                               text.size());
  for (int i = 0; i < 4; ++i)
    bytes[32 + i] = uint8_t(crc >> (8 * i));
  return bytes;
}

std::string errorOf(std::vector<uint8_t> bytes) {
  absl::StatusOr<format::Lpubin> r = format::readLpubin(std::move(bytes));
  return r.ok() ? "OK" : std::string(r.status().message());
}

} // namespace

TEST(LpubinFormat, RoundTrip) {
  std::vector<uint8_t> bytes = goodFile();
  ASSERT_EQ(std::string(bytes.begin(), bytes.begin() + 6), "LPUBIN");
  absl::StatusOr<format::Lpubin> r = format::readLpubin(bytes);
  ASSERT_TRUE(r.ok()) << r.status();
  const schema::Manifest &m = r->manifest;
  ASSERT_EQ(m.segments_size(), 2);
  EXPECT_EQ(m.model_name(), "test.onnx");
  EXPECT_EQ(m.predicted().cycles(), 7u);
  std::vector<format::SegmentData> segs = baseSegments();
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(m.segments(i).offset() % format::kSegmentAlign, 0u);
    ASSERT_EQ(m.segments(i).size(), segs[i].bytes.size());
    EXPECT_EQ(0, std::memcmp(r->segment(i), segs[i].bytes.data(),
                             segs[i].bytes.size()));
  }
  EXPECT_EQ(m.segments(0).offset(), 4096u);
  EXPECT_EQ(m.segments(1).offset(), 8192u);
  // The file ends with the last segment; padding between segments is zero.
  EXPECT_EQ(bytes.size(), 8192u + 8 * 320);
  for (size_t i = 4096 + 80; i < 8192; ++i)
    ASSERT_EQ(bytes[i], 0) << i;
  isa::Instruction i0 = isa::decode(r->segment(0));
  EXPECT_EQ(i0, emu::memRead(0, 1, 2, 3));
}

TEST(LpubinFormat, Deterministic) {
  EXPECT_EQ(goodFile(), goodFile());
  // The manifest's own segment list is replaced by the writer's.
  schema::Manifest m = baseManifest();
  m.add_segments()->set_offset(12345);
  EXPECT_EQ(format::writeLpubin(m, baseSegments()), goodFile());
}

TEST(LpubinFormat, UnownedViewChecksWithoutCopying) {
  std::vector<uint8_t> bytes = goodFile();
  absl::StatusOr<format::Lpubin> r =
      format::readLpubinUnowned(bytes.data(), bytes.size());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->bytes.get(), bytes.data()); // a view, not a copy
  EXPECT_EQ(r->manifest.predicted().cycles(), 7u);
  EXPECT_EQ(r->segment(1), bytes.data() + 8192);
  bytes[0] = 'X';
  EXPECT_FALSE(format::readLpubinUnowned(bytes.data(), bytes.size()).ok());
}

TEST(LpubinFormat, FileRoundTrip) {
  std::string path = ::testing::TempDir() + "/rt.lpubin";
  ASSERT_TRUE(
      format::writeLpubinFile(path, baseManifest(), baseSegments()).ok());
  absl::StatusOr<format::Lpubin> r = format::readLpubinFile(path);
  ASSERT_TRUE(r.ok()) << r.status();
  // The mapped file holds exactly the written bytes.
  std::vector<uint8_t> good = goodFile();
  ASSERT_EQ(r->size, good.size());
  EXPECT_EQ(std::vector<uint8_t>(r->bytes.get(), r->bytes.get() + r->size),
            good);
  absl::StatusOr<format::Lpubin> missing =
      format::readLpubinFile(path + ".missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("rt.lpubin.missing"),
            std::string::npos);
}

TEST(LpubinFormat, RejectsBadMagic) {
  std::vector<uint8_t> b = goodFile();
  b[0] = 'X';
  EXPECT_NE(errorOf(b).find("bad magic"), std::string::npos);
}

TEST(LpubinFormat, RejectsNewerMinorAndOtherMajor) {
  std::vector<uint8_t> b = goodFile();
  b[10] = 1;
  EXPECT_NE(errorOf(b).find("made by a newer compiler"), std::string::npos)
      << errorOf(b);
  b = goodFile();
  b[8] = 2;
  EXPECT_NE(errorOf(b).find("unsupported .lpubin ABI major 2 (this runtime "
                            "reads 1)"),
            std::string::npos)
      << errorOf(b);
}

TEST(LpubinFormat, RejectsTruncation) {
  std::vector<uint8_t> good = goodFile();
  for (size_t cut : {size_t(0), size_t(10), size_t(63), size_t(64), size_t(100),
                     size_t(4096), size_t(4100), size_t(8192), good.size() / 2,
                     good.size() - 1}) {
    std::vector<uint8_t> b(good.begin(), good.begin() + cut);
    std::string e = errorOf(b);
    EXPECT_NE(e, "OK") << "cut at " << cut;
    EXPECT_NE(e.find("truncated"), std::string::npos)
        << "cut at " << cut << ": " << e;
  }
  std::vector<uint8_t> b(good.begin(), good.begin() + 100);
  EXPECT_NE(errorOf(b).find("manifest ends at byte"), std::string::npos);
}

TEST(LpubinFormat, RejectsFlippedSegmentByte) {
  std::vector<uint8_t> b = goodFile();
  b[b.size() - 100] ^= 0x5A;
  EXPECT_EQ(errorOf(b), "invalid .lpubin: segment 1: crc32 mismatch");
  b = goodFile();
  b[70] ^= 1;
  EXPECT_NE(errorOf(b).find("manifest crc32 mismatch"), std::string::npos);
}

TEST(LpubinFormat, RejectsSegmentOutOfRange) {
  std::vector<uint8_t> b = patchManifest(goodFile(), [](schema::Manifest &m) {
    m.mutable_segments(1)->set_offset(1u << 30);
  });
  EXPECT_NE(errorOf(b).find("segment 1"), std::string::npos) << errorOf(b);
  EXPECT_NE(errorOf(b).find("beyond the file"), std::string::npos);
  b = patchManifest(goodFile(), [](schema::Manifest &m) {
    m.mutable_segments(1)->set_offset(~uint64_t(0) - 4095);
  });
  EXPECT_NE(errorOf(b).find("segment 1"), std::string::npos) << errorOf(b);
  b = patchManifest(goodFile(), [](schema::Manifest &m) {
    m.mutable_segments(0)->set_offset(4000);
  });
  EXPECT_NE(errorOf(b).find("not a multiple of 4096"), std::string::npos);
}

TEST(LpubinFormat, RejectsOverlapAndDirtyPadding) {
  std::vector<uint8_t> b = goodFile();
  b[5000] = 1; // between segment 0 (4096 + 80) and segment 1 (8192)
  EXPECT_EQ(errorOf(b), "invalid .lpubin: non-zero padding at byte 5000");
  b = goodFile();
  b.push_back(7);
  EXPECT_NE(errorOf(b).find("non-zero padding"), std::string::npos);
  b = patchManifest(goodFile(), [](schema::Manifest &m) {
    // Segment 1 moved onto segment 0 (same offset); crc of its new bytes
    // would not match anyway, so give it segment 0's bytes and crc.
    schema::Segment *s = m.mutable_segments(1);
    *s = m.segments(0);
    s->set_kind(schema::Segment::INSTRUCTIONS);
    s->set_queue(4);
  });
  EXPECT_NE(errorOf(b).find("segments overlap"), std::string::npos)
      << errorOf(b);
}

TEST(LpubinFormat, RejectsBadIndices) {
  std::vector<uint8_t> b = patchManifest(goodFile(), [](schema::Manifest &m) {
    m.mutable_segments(0)->set_queue(9999);
  });
  EXPECT_NE(errorOf(b).find("segment 0: queue 9999 out of range"),
            std::string::npos)
      << errorOf(b);
  b = patchManifest(goodFile(), [](schema::Manifest &m) {
    m.mutable_segments(0)->set_instructions(3);
  });
  EXPECT_NE(errorOf(b).find("do not hold 3 instructions"), std::string::npos);
  b = patchManifest(goodFile(), [](schema::Manifest &m) {
    m.mutable_segments(1)->set_tensor(5);
  });
  EXPECT_NE(errorOf(b).find("weight tensor 5 does not exist"),
            std::string::npos);
  b = patchManifest(goodFile(), [](schema::Manifest &m) {
    m.mutable_segments(1)->set_chip(1);
  });
  EXPECT_NE(errorOf(b).find("chip 1 >= chip_count"), std::string::npos);
  b = patchManifest(goodFile(), [](schema::Manifest &m) {
    m.mutable_segments(1)->set_kind(schema::Segment::KIND_INVALID);
  });
  EXPECT_NE(errorOf(b).find("invalid kind"), std::string::npos);
  b = patchManifest(goodFile(), [](schema::Manifest &m) {
    m.mutable_chips(0)->mutable_weights(0)->mutable_placement()->set_base_row(
        4095);
  });
  EXPECT_NE(errorOf(b).find("exceed 4096 rows per bank"), std::string::npos)
      << errorOf(b);
  b = patchManifest(goodFile(), [](schema::Manifest &m) {
    m.mutable_chips(0)->mutable_weights(0)->mutable_placement()->add_slices(88);
  });
  EXPECT_NE(errorOf(b).find("slice 88 >= 88 MEM slices"), std::string::npos);
  b = patchManifest(goodFile(), [](schema::Manifest &m) {
    m.mutable_chips(0)->mutable_weights(0)->set_shape(0, -2);
  });
  EXPECT_NE(errorOf(b).find("bad shape"), std::string::npos);
  b = patchManifest(goodFile(), [](schema::Manifest &m) {
    m.mutable_chips(0)->mutable_weights(0)->set_dtype(schema::DTYPE_I64);
  });
  EXPECT_NE(errorOf(b).find("invalid on-chip dtype"), std::string::npos);
  b = patchManifest(goodFile(), [](schema::Manifest &m) {
    m.mutable_target()->set_lanes(0);
  });
  EXPECT_NE(errorOf(b).find("lanes"), std::string::npos);
}

TEST(LpubinFormat, RejectsWhatTheRuntimeCannotHold) {
  std::vector<uint8_t> b = patchManifest(goodFile(), [](schema::Manifest &m) {
    m.mutable_target()->set_rows_per_bank(1u << 31);
  });
  EXPECT_NE(errorOf(b).find("exceeds the runtime's limits"), std::string::npos)
      << errorOf(b);
  b = patchManifest(goodFile(), [](schema::Manifest &m) {
    m.mutable_target()->set_vxm_alus(0xFFFFFFFFu);
  });
  EXPECT_NE(errorOf(b).find("exceeds the runtime's limits"), std::string::npos);
  b = patchManifest(goodFile(),
                    [](schema::Manifest &m) { m.set_chip_count(1u << 30); });
  EXPECT_NE(errorOf(b).find("exceeds the runtime's limit of 16384"),
            std::string::npos);
  b = patchManifest(goodFile(), [](schema::Manifest &m) {
    schema::TensorInfo *w = m.mutable_chips(0)->mutable_weights(0);
    w->clear_shape();
    w->add_shape(int64_t(1) << 31);
    w->add_shape(int64_t(1) << 31);
    w->add_shape(0);
  });
  EXPECT_NE(errorOf(b).find("too many elements"), std::string::npos)
      << errorOf(b);
  b = patchManifest(goodFile(), [](schema::Manifest &m) {
    for (int i = 0; i < 2; ++i) {
      schema::TensorInfo *t = m.add_inputs();
      *t = m.chips(0).weights(0);
      t->set_name("x");
    }
  });
  EXPECT_NE(errorOf(b).find("two inputs named 'x'"), std::string::npos);
}

TEST(LpubinFormat, HostileBytesNeverCrash) {
  std::vector<uint8_t> good = goodFile();
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<uint8_t> b = good;
    int flips = 1 + int(rng() % 4);
    for (int k = 0; k < flips; ++k)
      b[rng() % std::min<size_t>(b.size(), 4096)] ^= uint8_t(1 + rng() % 255);
    if (iter % 3 == 0)
      b.resize(rng() % b.size());
    (void)format::readLpubin(b); // must return, ok or not
  }
}

// crc32 folds with PCLMULQDQ where the CPU has it (64 bytes and more); it
// must give zlib's table CRC for every length, alignment and content (the
// binaries lpuc wrote before are checked with it). Lengths 0..1100 cover
// every tail after the 64-byte loop and the 16-byte folds; one buffer of
// 3 MiB + 5 the long loop; all-0xFF, all-zero and single-bit buffers the
// carries of the register.
TEST(LpubinFormat, Crc32FoldingEqualsZlib) {
  std::mt19937 rng(7);
  std::vector<uint8_t> buf((3u << 20) + 5 + 16);
  for (uint8_t &b : buf)
    b = uint8_t(rng());
  for (size_t n = 0; n <= 1100; ++n)
    for (size_t off : {size_t(0), size_t(1), size_t(7), size_t(13)})
      ASSERT_EQ(format::crc32(buf.data() + off, n),
                format::crc32Reference(buf.data() + off, n))
          << "length " << n << " offset " << off;
  EXPECT_EQ(format::crc32(buf.data() + 3, buf.size() - 16),
            format::crc32Reference(buf.data() + 3, buf.size() - 16));
  for (uint8_t fill : {uint8_t(0), uint8_t(0xff)}) {
    std::vector<uint8_t> f(4099, fill);
    EXPECT_EQ(format::crc32(f.data(), f.size()),
              format::crc32Reference(f.data(), f.size()));
  }
  std::vector<uint8_t> one(256, 0);
  for (size_t bit = 0; bit < one.size() * 8; ++bit) {
    one[bit / 8] = uint8_t(1u << (bit % 8));
    ASSERT_EQ(format::crc32(one.data(), one.size()),
              format::crc32Reference(one.data(), one.size()))
        << "bit " << bit;
    one[bit / 8] = 0;
  }
  // zlib against the published check value of the IEEE CRC-32.
  const char *check = "123456789";
  EXPECT_EQ(format::crc32Reference(reinterpret_cast<const uint8_t *>(check), 9),
            0xCBF43926u);
}

namespace {

std::vector<format::SegmentSource>
sourcesOf(const std::vector<format::SegmentData> &segs,
          std::vector<int> *calls) {
  std::vector<format::SegmentSource> out;
  calls->assign(segs.size(), 0);
  for (size_t i = 0; i < segs.size(); ++i) {
    format::SegmentSource s;
    s.info = segs[i].info;
    s.fill = [&segs, calls, i](std::vector<uint8_t> &bytes) {
      EXPECT_TRUE(bytes.empty());
      ++(*calls)[i];
      bytes = segs[i].bytes;
    };
    out.push_back(std::move(s));
  }
  return out;
}

TEST(LpubinFormat, StreamedWriterGivesTheSameBytes) {
  std::vector<format::SegmentData> segs = baseSegments();
  std::vector<int> calls;
  std::vector<format::SegmentSource> sources = sourcesOf(segs, &calls);
  schema::Manifest m = baseManifest();
  std::vector<uint8_t> out;
  size_t writes = 0;
  uint64_t size = 0;
  absl::Status st = format::writeLpubinStreamed(
      m, sources,
      [&](const uint8_t *data, size_t n) {
        ++writes;
        out.insert(out.end(), data, data + n);
        return true;
      },
      &size);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(out, goodFile());
  EXPECT_EQ(size, out.size());
  EXPECT_EQ(calls, std::vector<int>({2, 2})); // layout, then write
  EXPECT_GT(writes, 2u);                      // piece by piece
  EXPECT_EQ(m.segments_size(), 2);            // the manifest as written
  EXPECT_TRUE(format::readLpubin(out).ok());
}

TEST(LpubinFormat, StreamedWriterRejectsAProducerThatChanges) {
  std::vector<format::SegmentData> segs = baseSegments();
  std::vector<int> calls;
  std::vector<format::SegmentSource> sources = sourcesOf(segs, &calls);
  int n = 0;
  sources[1].fill = [&](std::vector<uint8_t> &bytes) {
    bytes = segs[1].bytes;
    bytes[5] ^= uint8_t(n++); // the second call differs
  };
  schema::Manifest m = baseManifest();
  absl::Status st = format::writeLpubinStreamed(
      m, sources, [](const uint8_t *, size_t) { return true; });
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal);
  EXPECT_NE(std::string(st.message()).find("segment 1 changed between"),
            std::string::npos)
      << st;
}

TEST(LpubinFormat, StreamedWriterChecksTheManifestBeforeWriting) {
  std::vector<format::SegmentData> segs = baseSegments();
  segs[1].bytes.resize(320); // the weight needs 8 plane-rows
  std::vector<int> calls;
  std::vector<format::SegmentSource> sources = sourcesOf(segs, &calls);
  schema::Manifest m = baseManifest();
  size_t written = 0;
  absl::Status st =
      format::writeLpubinStreamed(m, sources, [&](const uint8_t *, size_t n) {
        written += n;
        return true;
      });
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal);
  EXPECT_NE(std::string(st.message()).find("has 320 bytes, expected 2560"),
            std::string::npos)
      << st;
  EXPECT_EQ(written, 0u);
}

TEST(LpubinFormat, StreamedWriterReportsAFailedWrite) {
  std::vector<format::SegmentData> segs = baseSegments();
  std::vector<int> calls;
  std::vector<format::SegmentSource> sources = sourcesOf(segs, &calls);
  schema::Manifest m = baseManifest();
  absl::Status st = format::writeLpubinStreamed(
      m, sources, [](const uint8_t *, size_t) { return false; });
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
}

} // namespace
