"""make_ints.py DIR: an ONNX case with int64 and bool inputs and outputs.

Integers and bools live on the chip as f32; this case checks the casts
(float to int64 truncates toward zero), comparisons, not, where with a
runtime condition and integer arithmetic, with numpy references.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
shape = [2, 8]
x = np.array([[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.7, -3.7],
              [1e6 + 0.5, -1e6 - 0.5, 8388607.5, -8388607.5, 0.0, -0.0,
               12345.99, 16777216.0]], dtype=np.float32)
ids = np.array([[0, 1, -2, 3, 100000, -7, 5, 6],
                [8, 9, -10, 11, 12, 13, 14, -16777216]], dtype=np.int64)
mask = np.array([[True, False] * 4, [False, True] * 4])

nodes = [
    helper.make_node("Cast", ["x"], ["t"], to=TensorProto.INT64),
    helper.make_node("Cast", ["ids"], ["idsf"], to=TensorProto.FLOAT),
    helper.make_node("Less", ["idsf", "x"], ["lt"]),
    helper.make_node("Equal", ["ids", "t"], ["eq"]),
    helper.make_node("Not", ["mask"], ["nm"]),
    helper.make_node("Constant", [], ["big"],
                     value=numpy_helper.from_array(np.float32(-1e9), "big")),
    helper.make_node("Where", ["mask", "x", "big"], ["w"]),
    helper.make_node("Constant", [], ["three"],
                     value=numpy_helper.from_array(np.int64(3), "three")),
    helper.make_node("Add", ["ids", "three"], ["s"]),
]
graph = helper.make_graph(
    nodes, "ints",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape),
     helper.make_tensor_value_info("ids", TensorProto.INT64, shape),
     helper.make_tensor_value_info("mask", TensorProto.BOOL, shape)],
    [helper.make_tensor_value_info("t", TensorProto.INT64, shape),
     helper.make_tensor_value_info("lt", TensorProto.BOOL, shape),
     helper.make_tensor_value_info("eq", TensorProto.BOOL, shape),
     helper.make_tensor_value_info("nm", TensorProto.BOOL, shape),
     helper.make_tensor_value_info("w", TensorProto.FLOAT, shape),
     helper.make_tensor_value_info("s", TensorProto.INT64, shape)])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "model.onnx"))

t = np.trunc(x).astype(np.int64)
refs = [t, ids.astype(np.float32) < x, ids == t, ~mask,
        np.where(mask, x, np.float32(-1e9)), ids + 3]
for k, a in enumerate([x, ids, mask]):
    with open(os.path.join(out, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(a, ["x", "ids", "mask"][k]).SerializeToString())
for k, (name, a) in enumerate(zip(["t", "lt", "eq", "nm", "w", "s"], refs)):
    with open(os.path.join(out, "test_data_set_0", f"output_{k}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(a, name).SerializeToString())
