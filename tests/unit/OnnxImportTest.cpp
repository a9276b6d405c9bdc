//===- OnnxImportTest.cpp - ONNX importer and onnx dialect tests ----------===//

#include "compiler/import/onnx/OnnxImport.h"
#include "dialects/onnx/OnnxDialect.h"
#include "dialects/onnx/OnnxOps.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

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

} // namespace
