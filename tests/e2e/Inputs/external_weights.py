"""Copies an ONNX model with its initializers moved to an external data file
and, with --drop, deletes that file (a model shipped without its weights).

    external_weights.py MODEL OUT_DIR [--drop]
"""
import os
import sys

import onnx

model_path, out_dir = sys.argv[1], sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
model = onnx.load(model_path)
out = os.path.join(out_dir, "model.onnx")
onnx.save_model(model, out, save_as_external_data=True,
                all_tensors_to_one_file=True, location="weights.bin",
                size_threshold=1024)
if "--drop" in sys.argv[3:]:
    os.remove(os.path.join(out_dir, "weights.bin"))
