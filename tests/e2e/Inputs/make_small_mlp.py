#!/usr/bin/env python3
"""A small MLP (24 -> 40 -> ReLU -> 6, batch 4) that fits one lpu-tiny chip.

Seeded; writes OUT/model.onnx and OUT/test_data_set_0/{input,output}_0.pb
(reference computed by torch in fp32), like examples/mlp/generate.py.
usage: make_small_mlp.py OUT_DIR [BATCH]
"""
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch


def main():
    out = sys.argv[1]
    torch.manual_seed(7)
    model = torch.nn.Sequential(
        torch.nn.Linear(24, 40), torch.nn.ReLU(), torch.nn.Linear(40, 6)
    ).eval()
    x = torch.randn(int(sys.argv[2]) if len(sys.argv) > 2 else 4, 24)
    with torch.no_grad():
        y = model(x)
    os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
    path = os.path.join(out, "model.onnx")
    torch.onnx.export(model, (x,), path, input_names=["x"], output_names=["y"],
                      opset_version=13, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    for name, value, fname in (("x", x, "input_0.pb"), ("y", y, "output_0.pb")):
        t = onnx.numpy_helper.from_array(value.numpy().astype(np.float32), name)
        with open(os.path.join(out, "test_data_set_0", fname), "wb") as f:
            f.write(t.SerializeToString())


if __name__ == "__main__":
    main()
