"""make_pow.py DIR: an ONNX case y = Pow(x, e), z = LogSoftmax(w), s = Sin(a)
and c = Cos(a) over wide ranges, with numpy references: positive bases from
1e-30 to 1e30 with exponents in [-1.5, 1.5], negative bases with integer
exponents (odd and even) and non-integer ones (NaN), zero bases, log-softmax
rows with spreads up to 1e3, angles up to +-1e3."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(7)
n = 400
pos = np.exp(rng.uniform(np.log(1e-30), np.log(1e30), n))
epos = rng.uniform(-1.5, 1.5, n)
neg = -rng.uniform(0.1, 10.0, 100)
eneg = rng.integers(-5, 6, 100).astype(np.float64)
nonint = rng.uniform(0.1, 0.9, 20) + rng.integers(0, 3, 20)
x = np.concatenate([pos, neg, -np.ones(20), [0.0, 0.0, 0.0, 2.0]]).astype(np.float32)
e = np.concatenate([epos, eneg, nonint, [2.0, 0.0, -1.0, 0.0]]).astype(np.float32)
with np.errstate(all="ignore"):
    y = np.power(x.astype(np.float64), e.astype(np.float64)).astype(np.float32)
w = (rng.standard_normal((8, 96)) * np.array([1e-3, 1, 10, 100, 1e3, 3, 0.1, 50])[:, None]).astype(np.float32)
m = w.max(axis=1, keepdims=True).astype(np.float64)
z = (w - m - np.log(np.exp(w - m).sum(axis=1, keepdims=True))).astype(np.float32)
a = np.concatenate([rng.uniform(-1e3, 1e3, 300), rng.uniform(-4, 4, 100),
                    np.arange(-8, 9) * (np.pi / 4)]).astype(np.float32)
sa = np.sin(a.astype(np.float64)).astype(np.float32)
ca = np.cos(a.astype(np.float64)).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("Pow", ["x", "e"], ["y"]),
     helper.make_node("LogSoftmax", ["w"], ["z"], axis=1),
     helper.make_node("Sin", ["a"], ["s"]),
     helper.make_node("Cos", ["a"], ["c"])], "math",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [len(x)]),
     helper.make_tensor_value_info("e", TensorProto.FLOAT, [len(x)]),
     helper.make_tensor_value_info("w", TensorProto.FLOAT, list(w.shape)),
     helper.make_tensor_value_info("a", TensorProto.FLOAT, [len(a)])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [len(x)]),
     helper.make_tensor_value_info("z", TensorProto.FLOAT, list(w.shape)),
     helper.make_tensor_value_info("s", TensorProto.FLOAT, [len(a)]),
     helper.make_tensor_value_info("c", TensorProto.FLOAT, [len(a)])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
onnx.save(model, os.path.join(out, "model.onnx"))
for k, (name, t) in enumerate([("x", x), ("e", e), ("w", w), ("a", a)]):
    with open(os.path.join(out, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(t, name).SerializeToString())
for k, (name, t) in enumerate([("y", y), ("z", z), ("s", sa), ("c", ca)]):
    with open(os.path.join(out, "test_data_set_0", f"output_{k}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(t, name).SerializeToString())
