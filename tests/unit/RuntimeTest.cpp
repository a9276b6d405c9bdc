// Loader + Program/Session API + tensor files, through real .lpubin bytes.
#include "RuntimeTestUtil.h"

#include "runtime/api/Runtime.h"
#include "runtime/api/TensorFile.h"
#include "runtime/format/Lpubin.h"
#include "runtime/isa/Layout.h"
#include "runtime/loader/Loader.h"

#include <onnx/onnx_pb.h>

#include <fstream>
#include <random>

using namespace lpuc;

namespace {

schema::TensorInfo tensor(const std::string &name, schema::DType d,
                          std::vector<int64_t> shape,
                          std::vector<uint32_t> slices, uint32_t bank,
                          uint32_t baseRow) {
  schema::TensorInfo t;
  t.set_name(name);
  t.set_dtype(d);
  for (int64_t s : shape)
    t.add_shape(s);
  for (uint32_t s : slices)
    t.mutable_placement()->add_slices(s);
  t.mutable_placement()->set_bank(bank);
  t.mutable_placement()->set_base_row(baseRow);
  return t;
}

/// A program that copies input x (west slices 0..3) to output y (east
/// slices 44..47) plane-row by plane-row, plus one weight tensor.
std::vector<uint8_t> copyProgram(schema::DType d, uint64_t *cyclesOut = nullptr,
                                 bool wrongPrediction = false) {
  isa::Machine m(testutil::v1Target());
  schema::Manifest man;
  *man.mutable_target() = m.target();
  man.set_chip_count(1);
  man.set_precision(d == schema::DTYPE_F16 ? "fp16" : "fp32");
  *man.add_inputs() = tensor("x", d, {2, 3}, {0, 1, 2, 3}, 0, 0);
  *man.add_outputs() = tensor("y", d, {2, 3}, {44, 45, 46, 47}, 0, 0);
  schema::ChipProgram *chip = man.add_chips();
  chip->set_chip(0);
  *chip->add_weights() =
      tensor("w", schema::DTYPE_F32, {1, 4}, {60, 61, 62, 63}, 1, 100);
  isa::TensorLayout l = loader::layoutOf(man.inputs(0), m.lanes());
  emu::ProgramBuilder b(m);
  for (int64_t q = 0; q < l.planeRows(); ++q) {
    uint32_t j = uint32_t(q % 4), row = uint32_t(q / 4);
    uint8_t s = uint8_t(j);
    EXPECT_TRUE(
        b.at(m.memQueue(j), row, emu::memRead(0, row, s, uint32_t(q + 1)))
            .ok());
    EXPECT_TRUE(b.at(m.memQueue(44 + j), row + 4 + 2 * j,
                     emu::memWrite(s, uint32_t(q + 1), 0, row))
                    .ok());
  }
  emu::ChipProgram prog = b.take();
  uint64_t cycles = testutil::expectedCycles(m, prog);
  if (cyclesOut)
    *cyclesOut = cycles;
  man.mutable_predicted()->set_cycles(cycles + (wrongPrediction ? 1 : 0));
  std::vector<format::SegmentData> segs;
  for (uint32_t q = 0; q < prog.queues.size(); ++q) {
    if (prog.queues[q].empty())
      continue;
    format::SegmentData s;
    s.info.set_kind(schema::Segment::INSTRUCTIONS);
    s.info.set_queue(q);
    s.info.set_instructions(uint32_t(prog.queues[q].size()));
    isa::encodeAll(prog.queues[q], s.bytes);
    segs.push_back(std::move(s));
  }
  format::SegmentData w;
  w.info.set_kind(schema::Segment::WEIGHTS);
  w.info.set_tensor(0);
  std::vector<float> wv = {1.5f, -2.0f, 3.25f, 0.5f};
  isa::TensorLayout wl = loader::layoutOf(chip->weights(0), m.lanes());
  w.bytes = isa::packPlaneRows(wl, reinterpret_cast<uint8_t *>(wv.data()));
  segs.push_back(std::move(w));
  return format::writeLpubin(man, segs);
}

std::vector<float> xs() { return {0.1f, -2.5f, 3.0f, 1e-3f, 65504.0f, -0.0f}; }

} // namespace

TEST(Runtime, CopyF32ExactAndCyclesMatchPrediction) {
  uint64_t predicted;
  absl::StatusOr<rt::Program> p =
      rt::Program::fromBytes(copyProgram(schema::DTYPE_F32, &predicted));
  ASSERT_TRUE(p.ok()) << p.status();
  rt::Session s(*p);
  ASSERT_TRUE(s.setInput("x", rt::HostTensor::fromFloats({2, 3}, xs())).ok());
  absl::StatusOr<rt::RunStats> st = s.run();
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->cycles, predicted);
  EXPECT_EQ(st->cycles, p->manifest().predicted().cycles());
  EXPECT_EQ(st->instructions, 16u);
  absl::StatusOr<rt::HostTensor> y = s.output("y");
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype, rt::HostDType::Float32);
  EXPECT_EQ(y->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(y->toFloats(), xs());
  // The weight image sits at its placement: plane-row q in slice 60 + q % 4.
  const emu::Sram &sram = s.emulator().sram(0);
  float w1;
  uint8_t bytes[4];
  for (int b = 0; b < 4; ++b)
    bytes[b] = sram.row(60 + b, 1, 100)[1];
  std::memcpy(&w1, bytes, 4);
  EXPECT_EQ(w1, -2.0f);
}

TEST(Runtime, CopyF16RoundsInputs) {
  absl::StatusOr<rt::Program> p =
      rt::Program::fromBytes(copyProgram(schema::DTYPE_F16));
  ASSERT_TRUE(p.ok()) << p.status();
  rt::Session s(*p);
  ASSERT_TRUE(s.setInput("x", rt::HostTensor::fromFloats({2, 3}, xs())).ok());
  ASSERT_TRUE(s.run().ok());
  absl::StatusOr<rt::HostTensor> y = s.output("y");
  ASSERT_TRUE(y.ok());
  std::vector<float> want;
  for (float f : xs())
    want.push_back(isa::halfToFloat(isa::floatToHalf(f)));
  EXPECT_EQ(y->toFloats(), want);
}

TEST(Runtime, InputErrors) {
  absl::StatusOr<rt::Program> p =
      rt::Program::fromBytes(copyProgram(schema::DTYPE_F32));
  ASSERT_TRUE(p.ok());
  rt::Session s(*p);
  absl::Status e = s.setInput("x", rt::HostTensor::fromFloats({3, 2}, xs()));
  EXPECT_EQ(e.message(), "input 'x': expected shape [2,3], got [3,2]");
  rt::HostTensor i64;
  i64.dtype = rt::HostDType::Int64;
  i64.shape = {2, 3};
  i64.bytes.resize(48);
  // Integer data binds to an f32 input (token ids) while every value is an
  // integer float32 holds exactly.
  EXPECT_TRUE(s.setInput("x", i64).ok());
  int64_t big = (int64_t(1) << 24) + 1;
  std::memcpy(i64.bytes.data() + 8, &big, 8);
  e = s.setInput("x", i64);
  EXPECT_EQ(e.message(), "input 'x': integer value 16777217 is outside the "
                         "integers float32 holds exactly (|v| <= 2^24)");
  rt::HostTensor f64;
  f64.dtype = rt::HostDType::Double;
  f64.shape = {2, 3};
  for (float v : xs()) {
    double dv = v;
    uint8_t raw[8];
    std::memcpy(raw, &dv, 8);
    f64.bytes.insert(f64.bytes.end(), raw, raw + 8);
  }
  EXPECT_TRUE(s.setInput("x", f64).ok()); // converted through float32
  rt::Session s2(*p);
  e = s2.setInput("z", rt::HostTensor::fromFloats({2, 3}, xs()));
  EXPECT_NE(e.message().find("no input named 'z'"), std::string::npos) << e;
  absl::StatusOr<rt::RunStats> r = s2.run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "input 'x' was not given");
  EXPECT_FALSE(s2.output("y").ok());
  EXPECT_FALSE(s2.output("nope").ok());
  ASSERT_TRUE(s.run().ok());
  EXPECT_EQ(s.output("y")->toFloats(), xs());
}

TEST(Runtime, LoadFromFileAndRejectCorruption) {
  std::string path = ::testing::TempDir() + "/copy.lpubin";
  std::vector<uint8_t> bytes = copyProgram(schema::DTYPE_F32);
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char *>(bytes.data()),
              std::streamsize(bytes.size()));
  }
  absl::StatusOr<rt::Program> p = rt::Program::load(path);
  ASSERT_TRUE(p.ok()) << p.status();
  bytes[bytes.size() - 100] ^= 0x5A;
  absl::StatusOr<rt::Program> bad = rt::Program::fromBytes(bytes);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("crc32 mismatch"), std::string::npos);
}

TEST(Runtime, LoaderRejectsInstructionOnWrongQueue) {
  isa::Machine m(testutil::v1Target());
  schema::Manifest man;
  *man.mutable_target() = m.target();
  man.set_chip_count(1);
  format::SegmentData s;
  s.info.set_kind(schema::Segment::INSTRUCTIONS);
  s.info.set_queue(m.vxmQueue(0));
  s.info.set_instructions(1);
  isa::encodeAll({emu::memRead(0, 0, 0, 0)}, s.bytes);
  absl::StatusOr<rt::Program> p =
      rt::Program::fromBytes(format::writeLpubin(man, {s}));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("VXM ALU 0"), std::string::npos)
      << p.status();
}

TEST(TensorFile, NpyRoundTripAllTypes) {
  for (rt::HostDType d :
       {rt::HostDType::Float32, rt::HostDType::Float16, rt::HostDType::Double,
        rt::HostDType::Int64, rt::HostDType::Int32, rt::HostDType::Int8,
        rt::HostDType::Uint8, rt::HostDType::Bool}) {
    rt::HostTensor t;
    t.dtype = d;
    t.shape = {2, 1, 3};
    t.bytes.resize(6 * rt::hostDTypeSize(d));
    for (size_t i = 0; i < t.bytes.size(); ++i)
      t.bytes[i] = uint8_t(d == rt::HostDType::Bool ? i % 2 : i * 13);
    std::string path = ::testing::TempDir() + "/t.npy";
    ASSERT_TRUE(rt::writeNpy(path, t).ok());
    absl::StatusOr<rt::HostTensor> r = rt::readNpy(path);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->dtype, d);
    EXPECT_EQ(r->shape, t.shape);
    EXPECT_EQ(r->bytes, t.bytes);
  }
  rt::HostTensor scalar = rt::HostTensor::fromFloats({}, {4.5f});
  absl::StatusOr<rt::HostTensor> r = rt::parseNpy(rt::serializeNpy(scalar));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->shape.empty());
  EXPECT_EQ(r->at(0), 4.5);
  rt::HostTensor vec = rt::HostTensor::fromFloats({3}, {1, 2, 3});
  std::string npy = rt::serializeNpy(vec);
  EXPECT_NE(npy.find("'shape': (3,)"), std::string::npos);
  EXPECT_EQ((npy.size() - 12) % 64, 0u); // data 64-byte aligned: 10 + hlen
}

TEST(TensorFile, NpyRejectsBadInput) {
  EXPECT_FALSE(rt::parseNpy("not numpy").ok());
  std::string npy =
      rt::serializeNpy(rt::HostTensor::fromFloats({4}, {1, 2, 3, 4}));
  EXPECT_NE(rt::parseNpy(npy.substr(0, npy.size() - 1))
                .status()
                .message()
                .find("truncated"),
            std::string::npos);
  std::string f = npy;
  f.replace(f.find("False"), 5, "True ");
  EXPECT_NE(rt::parseNpy(f).status().message().find("Fortran"),
            std::string::npos);
  std::string be = npy;
  be.replace(be.find("<f4"), 3, ">f4");
  EXPECT_NE(rt::parseNpy(be).status().message().find("unsupported dtype"),
            std::string::npos);
}

TEST(TensorFile, TensorProtoRawAndTypedFields) {
  std::string path = ::testing::TempDir() + "/t.pb";
  rt::HostTensor t = rt::HostTensor::fromFloats({2, 2}, {1, -2, 3.5f, 4});
  ASSERT_TRUE(rt::writeTensorProto(path, t, "x").ok());
  std::string name;
  absl::StatusOr<rt::HostTensor> r = rt::readTensorProto(path, &name);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(name, "x");
  EXPECT_EQ(r->bytes, t.bytes);
  EXPECT_EQ(r->shape, t.shape);

  onnx::TensorProto p;
  p.set_name("typed");
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(3);
  for (float v : {0.5f, 1.5f, -3.0f})
    p.add_float_data(v);
  r = rt::parseTensorProto(p.SerializeAsString(), &name);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->toFloats(), (std::vector<float>{0.5f, 1.5f, -3.0f}));

  onnx::TensorProto i8;
  i8.set_data_type(onnx::TensorProto::INT8);
  i8.add_dims(2);
  i8.add_int32_data(-5);
  i8.add_int32_data(7);
  r = rt::parseTensorProto(i8.SerializeAsString());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at(0), -5);
  EXPECT_EQ(r->at(1), 7);

  onnx::TensorProto i64;
  i64.set_data_type(onnx::TensorProto::INT64);
  i64.add_dims(2);
  i64.add_int64_data(1);
  r = rt::parseTensorProto(i64.SerializeAsString());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("1 values for shape [2]"),
            std::string::npos)
      << r.status();
  EXPECT_FALSE(rt::readTensorProto(path + ".missing").ok());
}

TEST(TensorFile, BFloat16TensorProto) {
  // bfloat16 bits in int32_data (as ONNX's test data stores them) and in
  // raw_data; .npy has no bfloat16, so it is written as float32.
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::BFLOAT16);
  p.add_dims(3);
  for (uint32_t bits : {0x3FC0u, 0xC040u, 0x7F80u}) // 1.5, -3, inf
    p.add_int32_data(int32_t(bits));
  absl::StatusOr<rt::HostTensor> r =
      rt::parseTensorProto(p.SerializeAsString());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dtype, rt::HostDType::BFloat16);
  EXPECT_STREQ(rt::hostDTypeName(r->dtype), "bfloat16");
  EXPECT_EQ(r->at(0), 1.5);
  EXPECT_EQ(r->at(1), -3.0);
  EXPECT_TRUE(std::isinf(r->at(2)));
  onnx::TensorProto raw;
  raw.set_data_type(onnx::TensorProto::BFLOAT16);
  raw.add_dims(1);
  raw.set_raw_data(std::string("\xC0\x3F", 2));
  r = rt::parseTensorProto(raw.SerializeAsString());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->at(0), 1.5);
  absl::StatusOr<rt::HostTensor> npy = rt::parseNpy(rt::serializeNpy(*r));
  ASSERT_TRUE(npy.ok()) << npy.status();
  EXPECT_EQ(npy->dtype, rt::HostDType::Float32);
  EXPECT_EQ(npy->toFloats(), std::vector<float>{1.5f});
}

TEST(Runtime, HostileInstructionsNeverCrash) {
  // Valid container, random instruction fields: the loader's static checks
  // or the emulator's run must reject or run them, never crash.
  format::Lpubin good = *format::readLpubin(copyProgram(schema::DTYPE_F32));
  std::mt19937 rng(99);
  int ran = 0, rejected = 0;
  for (int iter = 0; iter < 400; ++iter) {
    std::vector<format::SegmentData> segs;
    for (int i = 0; i < good.manifest.segments_size(); ++i) {
      format::SegmentData s;
      s.info = good.manifest.segments(i);
      const uint8_t *p = good.segment(size_t(i));
      s.bytes.assign(p, p + s.info.size());
      if (s.info.kind() == schema::Segment::INSTRUCTIONS && rng() % 2) {
        size_t at = rng() % s.bytes.size();
        uint32_t mode = rng() % 3;
        s.bytes[at] = mode == 0   ? uint8_t(rng())
                      : mode == 1 ? uint8_t(s.bytes[at] ^ (1u << (rng() % 8)))
                                  : uint8_t(s.bytes[at] + 1);
      }
      segs.push_back(std::move(s));
    }
    absl::StatusOr<rt::Program> p =
        rt::Program::fromBytes(format::writeLpubin(good.manifest, segs));
    if (!p.ok()) {
      ++rejected;
      continue;
    }
    rt::Session s(*p);
    ASSERT_TRUE(s.setInput("x", rt::HostTensor::fromFloats({2, 3}, xs())).ok());
    absl::StatusOr<rt::RunStats> r = s.run();
    (r.ok() ? ran : rejected)++;
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(ran, 0);
}

TEST(Runtime, TimingOnlySameCyclesNoData) {
  absl::StatusOr<rt::Program> p =
      rt::Program::fromBytes(copyProgram(schema::DTYPE_F32));
  ASSERT_TRUE(p.ok());
  rt::SessionOptions opts;
  opts.timingOnly = true;
  rt::Session s(*p, opts);
  absl::StatusOr<rt::RunStats> r = s.run(); // inputs optional
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->cycles, p->manifest().predicted().cycles());
  EXPECT_EQ(r->instructions, 16u);
  EXPECT_EQ(s.emulator().sram(0).allocatedBytes(), 0u);
  EXPECT_FALSE(s.output("y").ok());
}
