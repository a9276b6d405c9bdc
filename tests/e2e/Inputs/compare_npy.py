"""compare_npy.py OUT.npy REF.pb RTOL: compares an lpurun output with an ONNX reference."""
import sys

import numpy as np
import onnx
import onnx.numpy_helper

got = np.load(sys.argv[1])
ref_proto = onnx.TensorProto()
with open(sys.argv[2], "rb") as f:
    ref_proto.ParseFromString(f.read())
ref = onnx.numpy_helper.to_array(ref_proto)
rtol = float(sys.argv[3])
assert got.shape == ref.shape, (got.shape, ref.shape)
err = np.abs(got.astype(np.float64) - ref)
ok = np.all(err <= 1e-5 + rtol * np.abs(ref))
print(f"max abs err {err.max():.3g}", "ok" if ok else "MISMATCH")
sys.exit(0 if ok else 1)
