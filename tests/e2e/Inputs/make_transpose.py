"""make_transpose.py DIR SHAPE PERM DTYPE [OUTPUT_NAME]: an ONNX Transpose
case with a numpy reference (SHAPE and PERM comma-separated, DTYPE
float32|float16; the output is named y unless OUTPUT_NAME is given)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, shape, perm, dtype = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
yname = sys.argv[5] if len(sys.argv) > 5 else "y"
shape = [int(d) for d in shape.split(",")]
perm = [int(d) for d in perm.split(",")]
np_type = np.dtype(dtype)
onnx_type = TensorProto.FLOAT if dtype == "float32" else TensorProto.FLOAT16
rng = np.random.default_rng(2026)
x = rng.standard_normal(shape).astype(np_type)
y = np.transpose(x, perm)
graph = helper.make_graph(
    [helper.make_node("Transpose", ["x"], [yname], perm=perm)], "transpose",
    [helper.make_tensor_value_info("x", onnx_type, shape)],
    [helper.make_tensor_value_info(yname, onnx_type, list(y.shape))])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
onnx.save(model, os.path.join(out, "model.onnx"))
for name, a in (("input_0", x), ("output_0", y)):
    with open(os.path.join(out, "test_data_set_0", name + ".pb"), "wb") as f:
        f.write(numpy_helper.from_array(a, "x" if name == "input_0" else yname).SerializeToString())
