"""Shared helpers for the example generators (examples/*/generate.py).

Exports a torch module with torch.onnx.export, checks the result with
onnx.checker and writes the ONNX test-case layout:
  DIR/model.onnx
  DIR/test_data_set_0/input_K.pb   (TensorProto named like graph input K)
  DIR/test_data_set_0/output_K.pb  (TensorProto named like graph output K,
                                    computed by torch in fp32)
Run the generators with Debian's interpreter (/usr/bin/python3: torch 1.13,
onnx 1.12). Nothing is downloaded.
"""
import collections
import os

import numpy as np
import onnx
import onnx.numpy_helper
import torch


def seed(value):
    torch.manual_seed(value)
    np.random.seed(value)


def perturb_norms(module, generator_seed):
    """Gives every LayerNorm/RMSNorm non-trivial scale and shift (1 + 0.1 N,
    0.1 N) so a compiler that drops them produces wrong numbers."""
    g = torch.Generator().manual_seed(generator_seed)
    for m in module.modules():
        w = getattr(m, "weight", None)
        if getattr(m, "is_norm", False) or isinstance(m, torch.nn.LayerNorm):
            with torch.no_grad():
                m.weight.copy_(1 + 0.1 * torch.randn(w.shape, generator=g))
                if getattr(m, "bias", None) is not None:
                    m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))


def op_histogram(model):
    """op type -> count over the main graph (the exports have no subgraphs)."""
    return collections.Counter(n.op_type for n in model.graph.node)


def parameter_count(model):
    return sum(int(np.prod(i.dims)) for i in model.graph.initializer)


def export_case(module, inputs, input_names, output_names, out_dir, opset,
                dynamic_axes=None):
    """Exports `module` called on `inputs` (a tuple) and writes the case.

    Returns (onnx.ModelProto, outputs as a list of numpy arrays)."""
    os.makedirs(os.path.join(out_dir, "test_data_set_0"), exist_ok=True)
    for stale in os.listdir(os.path.join(out_dir, "test_data_set_0")):
        os.remove(os.path.join(out_dir, "test_data_set_0", stale))
    module.eval()
    with torch.no_grad():
        outputs = module(*inputs)
    if isinstance(outputs, torch.Tensor):
        outputs = (outputs,)
    outputs = [o.detach().numpy() for o in outputs]
    if len(outputs) != len(output_names):
        raise ValueError(f"{len(outputs)} outputs, {len(output_names)} names")
    path = os.path.join(out_dir, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(module, tuple(inputs), path, input_names=input_names,
                          output_names=output_names, opset_version=opset,
                          do_constant_folding=True, dynamic_axes=dynamic_axes)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    graph_inputs = [i.name for i in model.graph.input]
    graph_outputs = [o.name for o in model.graph.output]
    if graph_inputs != list(input_names) or graph_outputs != list(output_names):
        raise RuntimeError(f"export renamed or dropped inputs/outputs: "
                           f"{graph_inputs} -> {graph_outputs}")
    data = os.path.join(out_dir, "test_data_set_0")
    for k, (name, value) in enumerate(zip(input_names, inputs)):
        _write(os.path.join(data, f"input_{k}.pb"), name, value.numpy())
    for k, (name, value) in enumerate(zip(output_names, outputs)):
        _write(os.path.join(data, f"output_{k}.pb"), name, value)
    return model, outputs


def _write(path, name, array):
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    t = onnx.numpy_helper.from_array(np.ascontiguousarray(array), name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def report(out_dir, model):
    hist = op_histogram(model)
    size = os.path.getsize(os.path.join(out_dir, "model.onnx"))
    print(f"wrote {out_dir}/model.onnx: opset "
          f"{model.opset_import[0].version}, {parameter_count(model)} parameters, "
          f"{size} bytes")
    print("  ops: " + ", ".join(f"{k} x{v}" for k, v in sorted(hist.items())))


def check_close(what, a, b, rtol=1e-4, atol=1e-5):
    """Raises if two torch/numpy results disagree (self-consistency checks)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=atol):
        err = np.max(np.abs(a - b)) if a.shape == b.shape else "shape"
        raise RuntimeError(f"{what}: results differ (max abs err {err})")
    print(f"  check: {what}: max abs err {np.max(np.abs(a - b)):.3g}")
