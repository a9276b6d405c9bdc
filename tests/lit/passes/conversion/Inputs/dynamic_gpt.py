"""Writes a tiny dynamic-axes model shaped like a GPT-2 export's front end:
token embedding Gather, position ids from Shape/Gather/Range/Unsqueeze,
and a view(B, T, 2, 4) whose shape comes from Shape/Gather/Concat.
Inputs: input_ids [batch, sequence] int64. Usage: dynamic_gpt.py OUT.onnx"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

wte = numpy_helper.from_array(
    np.arange(16 * 8, dtype=np.float32).reshape(16, 8), "wte")
wpe = numpy_helper.from_array(
    np.arange(10 * 8, dtype=np.float32).reshape(10, 8) / 8, "wpe")
c = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)
nodes = [
    helper.make_node("Gather", ["wte", "input_ids"], ["tok"], name="wte_gather"),
    helper.make_node("Shape", ["input_ids"], ["ids_shape"], name="shape"),
    helper.make_node("Gather", ["ids_shape", "one"], ["seq"], name="seq_of"),
    helper.make_node("Gather", ["ids_shape", "zero"], ["bat"], name="bat_of"),
    helper.make_node("Range", ["zero", "seq", "one"], ["pos"], name="range"),
    helper.make_node("Unsqueeze", ["pos", "axes0"], ["pos2"], name="unsq"),
    helper.make_node("Gather", ["wpe", "pos2"], ["pe"], name="wpe_gather"),
    helper.make_node("Add", ["tok", "pe"], ["h"], name="add"),
    helper.make_node("Unsqueeze", ["bat", "axes0"], ["b1"], name="unsq_b"),
    helper.make_node("Unsqueeze", ["seq", "axes0"], ["t1"], name="unsq_t"),
    helper.make_node("Concat", ["b1", "t1", "heads"], ["view"], axis=0,
                     name="concat"),
    helper.make_node("Reshape", ["h", "view"], ["out"], name="view_heads"),
]
graph = helper.make_graph(
    nodes, "dynamic_gpt",
    [helper.make_tensor_value_info("input_ids", TensorProto.INT64,
                                   ["batch", "sequence"])],
    [helper.make_tensor_value_info("out", TensorProto.FLOAT,
                                   ["batch", "sequence", 2, 4])],
    [wte, wpe, c("zero", 0), c("one", 1), c("axes0", [0]), c("heads", [2, 4])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
