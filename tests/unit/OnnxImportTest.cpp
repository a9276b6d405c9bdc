//===- OnnxImportTest.cpp - ONNX importer and onnx dialect tests ----------===//

#include "compiler/import/onnx/OnnxImport.h"
#include "compiler/import/onnx/WeightScan.h"
#include "dialects/onnx/OnnxDialect.h"
#include "dialects/onnx/OnnxOps.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

using namespace mlir;
namespace fs = std::filesystem;

namespace {

const std::string kTestData = "/usr/share/libonnx-testdata/data/node/";

template <typename OpT> OpT firstOp(ModuleOp module) {
  OpT found;
  module.walk([&](OpT op) {
    if (!found)
      found = op;
  });
  return found;
}

TEST(OnnxImport, GemmAttributeAccessors) {
  MLIRContext ctx;
  auto module = lpuc::importOnnxModel(
      ctx, kTestData + "test_gemm_all_attributes/model.onnx", {});
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  auto node = firstOp<lpuc::onnxir::NodeOp>(**module);
  ASSERT_TRUE(node);
  EXPECT_EQ(node.getOpType(), "Gemm");
  EXPECT_TRUE(node.isDefaultDomain());
  EXPECT_EQ(node.getOpset(), 13);
  EXPECT_EQ(node.getNodeName(), "Gemm_0");
  EXPECT_EQ(node.getFloatAttr("alpha"), 0.25f);
  EXPECT_EQ(node.getFloatAttr("beta"), 0.35f);
  EXPECT_EQ(node.getIntAttr("transA"), 1);
  EXPECT_EQ(node.getIntAttr("missing"), std::nullopt);
  EXPECT_EQ(node.getIntsAttr("transA"), std::nullopt); // wrong kind
  EXPECT_EQ(node.getInputs().size(), 3u);
}

TEST(OnnxImport, PrintedModuleParsesBack) {
  MLIRContext ctx;
  lpuc::ImportOptions opts;
  opts.freeze = {{"shape", kTestData + "test_reshape_reduced_dims/"
                                       "test_data_set_0/input_1.pb"}};
  auto module = lpuc::importOnnxModel(
      ctx, kTestData + "test_reshape_reduced_dims/model.onnx", opts);
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  std::string text;
  llvm::raw_string_ostream os(text);
  (*module)->print(os);

  DialectRegistry registry;
  registry.insert<lpuc::onnxir::OnnxDialect, func::FuncDialect>();
  MLIRContext ctx2(registry);
  auto parsed = parseSourceString<ModuleOp>(text, &ctx2);
  ASSERT_TRUE(parsed) << text;
  ASSERT_TRUE(succeeded(verify(*parsed)));
  auto cst = firstOp<lpuc::onnxir::ConstantOp>(*parsed);
  ASSERT_TRUE(cst);
  EXPECT_EQ(cst.getName(), "shape");
  auto values =
      cast<DenseI64ResourceElementsAttr>(cst.getValue()).tryGetAsArrayRef();
  ASSERT_TRUE(values);
  EXPECT_EQ(*values, ArrayRef<int64_t>({2, 12}));
}

// A model whose only initializer lives in a missing external file.
std::string writeExternalModel() {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto *g = model.mutable_graph();
  onnx::NodeProto *n = g->add_node();
  n->set_op_type("Relu");
  n->add_input("w");
  n->add_output("y");
  onnx::TensorProto *w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(64);
  w->add_dims(64);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto *loc = w->add_external_data();
  loc->set_key("location");
  loc->set_value("absent.bin");
  onnx::ValueInfoProto *y = g->add_output();
  y->set_name("y");
  y->mutable_type()->mutable_tensor_type()->set_elem_type(
      onnx::TensorProto::FLOAT);
  fs::path dir = fs::temp_directory_path() / "lpuc-import-test";
  fs::create_directories(dir);
  std::string path = (dir / "model.onnx").string();
  std::ofstream out(path, std::ios::binary);
  model.SerializeToOstream(&out);
  return path;
}

TEST(OnnxImport, ShapeOnlyWithoutWeights) {
  std::string path = writeExternalModel();
  {
    MLIRContext ctx;
    auto module = lpuc::importOnnxModel(ctx, path, {});
    ASSERT_FALSE(bool(module));
    EXPECT_EQ(llvm::toString(module.takeError()),
              "initializer 'w': cannot open external data 'absent.bin': No "
              "such file or directory");
  }
  MLIRContext ctx;
  lpuc::ImportOptions opts;
  opts.requireWeights = false;
  auto module = lpuc::importOnnxModel(ctx, path, opts);
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  auto cst = firstOp<lpuc::onnxir::ConstantOp>(**module);
  ASSERT_TRUE(cst);
  auto attr = dyn_cast<DenseResourceElementsAttr>(cst.getValue());
  ASSERT_TRUE(attr);
  EXPECT_EQ(cast<ShapedType>(attr.getType()).getShape(),
            ArrayRef<int64_t>({64, 64}));
  EXPECT_EQ(attr.getRawHandle().getBlob(), nullptr);
}

// A model with large raw_data in an initializer and in a Constant node's
// tensor attribute (nested: graph -> node -> attribute -> t), a small
// initializer, and a large initializer in typed float_data.
onnx::ModelProto scanModel(const std::string &producer = "test") {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name(producer);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto *g = model.mutable_graph();
  g->set_name("g");
  auto floats = [](int n, float base) {
    std::string raw(n * sizeof(float), '\0');
    for (int i = 0; i < n; ++i) {
      float v = base + float(i);
      std::memcpy(&raw[i * sizeof(float)], &v, sizeof(v));
    }
    return raw;
  };
  // Nodes: Add(w, c) with c from a Constant node; then a node with a small
  // tensor attribute before it.
  onnx::NodeProto *k = g->add_node();
  k->set_op_type("Constant");
  k->add_output("c");
  onnx::AttributeProto *v = k->add_attribute();
  v->set_name("value");
  v->set_type(onnx::AttributeProto::TENSOR);
  v->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  v->mutable_t()->add_dims(512);
  v->mutable_t()->set_raw_data(floats(512, 1000.0f));
  onnx::NodeProto *add = g->add_node();
  add->set_op_type("Add");
  add->add_input("w");
  add->add_input("c");
  add->add_output("s");
  onnx::NodeProto *mul = g->add_node();
  mul->set_op_type("Mul");
  mul->add_input("s");
  mul->add_input("f");
  mul->add_output("y");
  onnx::TensorProto *w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(512);
  w->set_raw_data(floats(512, 0.0f));
  onnx::TensorProto *small = g->add_initializer();
  small->set_name("small");
  small->set_data_type(onnx::TensorProto::FLOAT);
  small->add_dims(4);
  small->set_raw_data(floats(4, 7.0f));
  onnx::TensorProto *f = g->add_initializer();
  f->set_name("f");
  f->set_data_type(onnx::TensorProto::FLOAT);
  f->add_dims(512);
  for (int i = 0; i < 512; ++i)
    f->add_float_data(float(i));
  onnx::ValueInfoProto *y = g->add_output();
  y->set_name("y");
  y->mutable_type()->mutable_tensor_type()->set_elem_type(
      onnx::TensorProto::FLOAT);
  return model;
}

TEST(WeightScan, FindsNestedLargeRawData) {
  onnx::ModelProto model = scanModel();
  std::string bytes = model.SerializeAsString();
  auto stripped = lpuc::stripLargeRawData(bytes, 1024);
  ASSERT_TRUE(stripped);
  // The large initializer (index 0) and the Constant node's (node 0,
  // attribute 0) value; not the 16-byte initializer, not float_data.
  ASSERT_EQ(stripped->initializers.size(), 1u);
  ASSERT_EQ(stripped->initializers.count(0), 1u);
  ASSERT_EQ(stripped->attributes.size(), 1u);
  ASSERT_EQ(stripped->attributes.count({0, 0}), 1u);
  lpuc::ByteSpan w = stripped->initializers[0];
  lpuc::ByteSpan c = stripped->attributes[{0, 0}];
  EXPECT_EQ(bytes.substr(w.offset, w.length),
            model.graph().initializer(0).raw_data());
  EXPECT_EQ(bytes.substr(c.offset, c.length),
            model.graph().node(0).attribute(0).t().raw_data());
  // The copy parses to the model without those two fields.
  onnx::ModelProto parsed;
  ASSERT_TRUE(parsed.ParseFromString(stripped->bytes));
  onnx::ModelProto expected = model;
  expected.mutable_graph()->mutable_initializer(0)->clear_raw_data();
  expected.mutable_graph()
      ->mutable_node(0)
      ->mutable_attribute(0)
      ->mutable_t()
      ->clear_raw_data();
  EXPECT_EQ(parsed.SerializeAsString(), expected.SerializeAsString());
  EXPECT_LT(stripped->bytes.size(), bytes.size() - 4096);

  // Nothing is left out below the threshold.
  auto none = lpuc::stripLargeRawData(bytes, 4096);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->initializers.empty());
  EXPECT_TRUE(none->attributes.empty());
  EXPECT_EQ(none->bytes, bytes);
}

TEST(WeightScan, TruncatedOrMergedFieldsAreLeftToProtobuf) {
  std::string bytes = scanModel().SerializeAsString();
  // Cut anywhere inside the model: the scan reports it (the caller then
  // parses the file whole and protobuf fails), never reads past the end.
  for (size_t cut :
       {size_t(1), size_t(10), bytes.size() / 2, bytes.size() - 1}) {
    std::string part = bytes.substr(0, cut);
    EXPECT_FALSE(lpuc::stripLargeRawData(part, 1024)) << cut;
    onnx::ModelProto m;
    EXPECT_FALSE(m.ParseFromString(part)) << cut;
  }
  // A graph given twice: protobuf merges the two, the scan declines.
  onnx::ModelProto second;
  second.mutable_graph()->set_name("again");
  std::string twice = bytes + second.SerializeAsString();
  EXPECT_FALSE(lpuc::stripLargeRawData(twice, 1024));
  // A group (wire type 3) is not read either.
  EXPECT_FALSE(lpuc::stripLargeRawData(std::string("\x0b\x0c", 2), 1024));
}

std::string writeModel(const onnx::ModelProto &model, const std::string &name) {
  fs::path dir = fs::temp_directory_path() / "lpuc-import-test";
  fs::create_directories(dir);
  std::string path = (dir / name).string();
  std::ofstream out(path, std::ios::binary);
  model.SerializeToOstream(&out);
  return path;
}

/// The constant named `name`'s blob.
const AsmResourceBlob *blobOf(ModuleOp module, StringRef name) {
  const AsmResourceBlob *blob = nullptr;
  module.walk([&](lpuc::onnxir::ConstantOp c) {
    if (c.getName() == name)
      if (auto res = dyn_cast<DenseResourceElementsAttr>(c.getValue()))
        blob = res.getRawHandle().getBlob();
  });
  return blob;
}

TEST(WeightScan, MisalignedRawDataIsUsedInPlace) {
  // Shift the graph by one byte at a time (the producer name comes first)
  // until the initializer's raw_data starts at an odd file offset.
  onnx::ModelProto model;
  lpuc::ByteSpan w;
  std::string producer = "p";
  for (;; producer += "p") {
    model = scanModel(producer);
    auto stripped = lpuc::stripLargeRawData(model.SerializeAsString(), 1024);
    ASSERT_TRUE(stripped);
    w = stripped->initializers[0];
    if (w.offset % 2 == 1)
      break;
  }
  std::string path = writeModel(model, "misaligned.onnx");
  MLIRContext ctx;
  auto module = lpuc::importOnnxModel(ctx, path, {});
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  const AsmResourceBlob *blob = blobOf(**module, "w");
  ASSERT_TRUE(blob);
  // In place (not copied to an aligned buffer), its alignment as it is.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(blob->getData().data()) % 2, 1u);
  EXPECT_EQ(blob->getDataAlignment(), 1u);
  EXPECT_EQ(StringRef(blob->getData().data(), blob->getData().size()),
            model.graph().initializer(0).raw_data());
  // The Constant node's tensor and the typed and small initializers.
  lpuc::onnxir::NodeOp constant;
  (*module)->walk([&](lpuc::onnxir::NodeOp n) {
    if (n.getOpType() == "Constant")
      constant = n;
  });
  ASSERT_TRUE(constant);
  auto value =
      dyn_cast<DenseResourceElementsAttr>(constant.getAttrs().get("value"));
  ASSERT_TRUE(value);
  ASSERT_TRUE(value.getRawHandle().getBlob());
  ArrayRef<char> c = value.getRawHandle().getBlob()->getData();
  EXPECT_EQ(StringRef(c.data(), c.size()),
            model.graph().node(0).attribute(0).t().raw_data());
  const AsmResourceBlob *f = blobOf(**module, "f");
  ASSERT_TRUE(f);
  ASSERT_EQ(f->getData().size(), 512 * sizeof(float));
  float f7;
  std::memcpy(&f7, f->getData().data() + 7 * sizeof(float), sizeof(f7));
  EXPECT_EQ(f7, 7.0f);
  const AsmResourceBlob *small = blobOf(**module, "small");
  ASSERT_TRUE(small);
  EXPECT_EQ(StringRef(small->getData().data(), small->getData().size()),
            model.graph().initializer(1).raw_data());
}

TEST(WeightScan, TruncatedFileIsNotAModel) {
  std::string bytes = scanModel().SerializeAsString();
  fs::path dir = fs::temp_directory_path() / "lpuc-import-test";
  fs::create_directories(dir);
  std::string path = (dir / "truncated.onnx").string();
  {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), std::streamsize(bytes.size() - 100));
  }
  MLIRContext ctx;
  auto module = lpuc::importOnnxModel(ctx, path, {});
  ASSERT_FALSE(bool(module));
  EXPECT_EQ(llvm::toString(module.takeError()),
            "'" + path + "' is not an ONNX model: cannot parse protobuf");
}

TEST(WeightScan, MergedGraphsImportAsBefore) {
  // Two graph fields (protobuf merges them): the scan declines and the
  // whole file is parsed; the weights are the same.
  onnx::ModelProto model = scanModel();
  onnx::ModelProto extra;
  onnx::TensorProto *e = extra.mutable_graph()->add_initializer();
  e->set_name("extra");
  e->set_data_type(onnx::TensorProto::FLOAT);
  e->add_dims(2);
  e->set_raw_data(std::string(8, '\0'));
  std::string bytes = model.SerializeAsString() + extra.SerializeAsString();
  ASSERT_FALSE(lpuc::stripLargeRawData(bytes, 1024));
  fs::path dir = fs::temp_directory_path() / "lpuc-import-test";
  fs::create_directories(dir);
  std::string path = (dir / "merged.onnx").string();
  {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), std::streamsize(bytes.size()));
  }
  MLIRContext ctx;
  auto module = lpuc::importOnnxModel(ctx, path, {});
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  const AsmResourceBlob *w = blobOf(**module, "w");
  ASSERT_TRUE(w);
  EXPECT_EQ(StringRef(w->getData().data(), w->getData().size()),
            model.graph().initializer(0).raw_data());
  EXPECT_TRUE(blobOf(**module, "extra"));
}

} // namespace
