"""make_embedding.py DIR [VOCAB D T]: an ONNX case of an embedding lookup.

Gather(table[VOCAB, D] ~ N(0, 0.02), ids int64 [1, T]) + pos[1, T, D], with
a numpy reference. The ids include the first and last rows, both sides of
lane-block boundaries and negative ids (ONNX Gather counts them from the
end). Tables larger than a chip make lpu-partition split the gather by
vocabulary rows (one-hot products) and by columns.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
V, D, T = (int(a) for a in sys.argv[2:5]) if len(sys.argv) > 2 else (1000, 48, 16)
os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
rng = np.random.default_rng(5)
table = (rng.standard_normal((V, D)) * 0.02).astype(np.float32)
pos = (rng.standard_normal((1, T, D)) * 0.02).astype(np.float32)
ids = rng.integers(0, V, size=(1, T)).astype(np.int64)
special = [0, V - 1, -1, -V, 31, 32, 319, 320]
ids[0, :len(special)] = special[:T]
y = table[ids] + pos

graph = helper.make_graph(
    [helper.make_node("Gather", ["table", "ids"], ["g"], axis=0),
     helper.make_node("Add", ["g", "pos"], ["y"])],
    "embedding",
    [helper.make_tensor_value_info("ids", TensorProto.INT64, [1, T])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, T, D])],
    [numpy_helper.from_array(table, "table"), numpy_helper.from_array(pos, "pos")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "model.onnx"))
for name, value in (("input_0", numpy_helper.from_array(ids, "ids")),
                    ("output_0", numpy_helper.from_array(y, "y"))):
    with open(os.path.join(out, "test_data_set_0", name + ".pb"), "wb") as f:
        f.write(value.SerializeToString())
