#!/usr/bin/env bash
# The main job: set up, build, compile the shipped two-layer MLP with lpuc and
# run it on the emulator with lpurun, printing its outputs and cycle report,
# then check the outputs against the torch reference.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh lpuc lpurun
mkdir -p build/demo
echo "== lpuc examples/mlp/model.onnx -o build/demo/mlp.lpubin"
build/bin/lpuc examples/mlp/model.onnx -o build/demo/mlp.lpubin
echo "== lpurun build/demo/mlp.lpubin --input x=examples/mlp/test_data_set_0/input_0.pb"
build/bin/lpurun build/demo/mlp.lpubin \
  --input x=examples/mlp/test_data_set_0/input_0.pb --output-dir build/demo/out
echo "== lpurun build/demo/mlp.lpubin --check examples/mlp"
build/bin/lpurun build/demo/mlp.lpubin --check examples/mlp
