"""make_mask.py DIR: an ONNX case of bool tensors between ops.

m = Less(x, y) (a bool output too), z = Where(m, x, y) on [64, 640] f32,
with numpy references. Spread over several chips, lpu-partition splits the
compare and the select by rows, joins the compare's bool parts with a
concat and slices that join across its parts.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
rng = np.random.default_rng(7)
shape = [64, 640]
x = rng.standard_normal(shape).astype(np.float32)
y = rng.standard_normal(shape).astype(np.float32)
m = x < y
z = np.where(m, x, y)

graph = helper.make_graph(
    [helper.make_node("Less", ["x", "y"], ["m"]),
     helper.make_node("Where", ["m", "x", "y"], ["z"])],
    "mask",
    [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in "xy"],
    [helper.make_tensor_value_info("m", TensorProto.BOOL, shape),
     helper.make_tensor_value_info("z", TensorProto.FLOAT, shape)])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "model.onnx"))
for k, (n, v) in enumerate((("x", x), ("y", y))):
    with open(os.path.join(out, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(v, n).SerializeToString())
for k, (n, v) in enumerate((("m", m), ("z", z))):
    with open(os.path.join(out, "test_data_set_0", f"output_{k}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(v, n).SerializeToString())
