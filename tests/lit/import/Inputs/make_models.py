"""Writes small ONNX models for the import lit tests.

usage: make_models.py initializer OUT.onnx
       make_models.py external DIR            (DIR/model.onnx + DIR/weights.bin)
       make_models.py badpath OUT.onnx LOCATION
       make_models.py npy OUT.npy             (int64 [2, 12])
       make_models.py custom OUT.onnx         (a node of a custom domain)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def matmul_model(weight, bias=None):
    nodes = [helper.make_node("MatMul", ["x", "fc.weight"], ["y"], name="fc/MatMul")]
    inits = [weight]
    if bias is not None:
        nodes.append(helper.make_node("Add", ["y", "fc.bias"], ["z"], name="fc/Add"))
        inits.append(bias)
    out = "z" if bias is not None else "y"
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)],
        initializer=inits,
    )
    return helper.make_model(
        graph, producer_name="lit", opset_imports=[helper.make_opsetid("", 13)]
    )


def main():
    mode = sys.argv[1]
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    if mode == "initializer":
        weight = numpy_helper.from_array(w, "fc.weight")  # raw_data
        # Typed float_data field, not raw_data.
        bias = helper.make_tensor("fc.bias", TensorProto.FLOAT, [3], [0.5, 1.5, 2.5])
        model = matmul_model(weight, bias)
        # A Clip with an absent optional `min` and a small tensor attribute.
        g = model.graph
        g.node.append(
            helper.make_node(
                "Constant", [], ["max"], name="max",
                value=helper.make_tensor("v", TensorProto.FLOAT, [], [6.0]),
            )
        )
        g.node.append(helper.make_node("Clip", ["z", "", "max"], ["c"], name="clip"))
        del g.output[:]
        g.output.append(helper.make_tensor_value_info("c", TensorProto.FLOAT, None))
        onnx.save(model, sys.argv[2])
    elif mode == "external":
        d = sys.argv[2]
        os.makedirs(d, exist_ok=True)
        model = matmul_model(numpy_helper.from_array(w, "fc.weight"))
        onnx.save_model(
            model,
            os.path.join(d, "model.onnx"),
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location="weights.bin",
            size_threshold=0,
        )
    elif mode == "badpath":
        weight = numpy_helper.from_array(w, "fc.weight")
        weight.ClearField("raw_data")
        weight.data_location = TensorProto.EXTERNAL
        entry = weight.external_data.add()
        entry.key, entry.value = "location", sys.argv[3]
        onnx.save(matmul_model(weight), sys.argv[2])
    elif mode == "npy":
        np.save(sys.argv[2], np.array([2, 12], dtype=np.int64))
    elif mode == "custom":
        foo = helper.make_node(
            "Foo", ["a"], ["b"], name="foo", domain="com.example",
            k=[1, 2], s=["x", "y"], f=[1.5], i=3, str="hi",
        )
        relu = helper.make_node("Relu", ["b"], ["c"], name="relu")
        graph = helper.make_graph(
            [foo, relu],
            "g",
            [helper.make_tensor_value_info("a", TensorProto.FLOAT16, [2, "n"])],
            [helper.make_tensor_value_info("c", TensorProto.FLOAT16, None)],
        )
        opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.example", 2)]
        onnx.save(helper.make_model(graph, opset_imports=opsets), sys.argv[2])
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
