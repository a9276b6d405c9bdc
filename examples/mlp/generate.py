#!/usr/bin/env python3
"""Two-layer MLP example for lpuc: 256 -> 512 -> ReLU -> 10, batch 8.

Seeded and download-free: torch builds the model, exports ONNX (Gemm + Relu,
weights as initializers) and writes the reference in ONNX test-case layout:
  model.onnx
  test_data_set_0/input_0.pb   (TensorProto "x")
  test_data_set_0/output_0.pb  (TensorProto "y", computed by torch in fp32)
Run with Debian's interpreter: /usr/bin/python3 examples/mlp/generate.py [OUT_DIR]
"""
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    torch.manual_seed(2026)
    model = torch.nn.Sequential(
        torch.nn.Linear(256, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)
    ).eval()
    x = torch.randn(8, 256)
    with torch.no_grad():
        y = model(x)
    os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
    path = os.path.join(out, "model.onnx")
    torch.onnx.export(model, (x,), path, input_names=["x"], output_names=["y"],
                      opset_version=13, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    for name, value, fname in (("x", x, "input_0.pb"), ("y", y, "output_0.pb")):
        t = onnx.numpy_helper.from_array(value.numpy().astype(np.float32), name)
        with open(os.path.join(out, "test_data_set_0", fname), "wb") as f:
            f.write(t.SerializeToString())
    print("wrote", path, "ops:", [n.op_type for n in m.graph.node])


if __name__ == "__main__":
    main()
