"""Writes a model with two ops lpuc does not support (and one it does)."""
import sys

import onnx
from onnx import TensorProto, helper

x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
nodes = [
    helper.make_node("Relu", ["x"], ["a"], name="relu_ok"),
    helper.make_node("Softsign", ["a"], ["b"], name="softsign_1"),
    helper.make_node("Hardmax", ["b"], ["y"], name="hardmax_2"),
]
graph = helper.make_graph(nodes, "g", [x], [y])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
