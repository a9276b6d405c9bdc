#!/usr/bin/env bash
# Sets up, builds everything and runs every test (lit, gtest, end-to-end and
# ONNX conformance) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j2
