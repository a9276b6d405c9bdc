#!/bin/sh
# GPT-2-small (163M parameters as exported, 12 layers, d=768, vocab 50257,
# seq 64) compiled onto several lpu-v1 chips and checked (issue 5).
#
#   bench/gpt2_small.sh [DIR] [CONFIG]       (CONFIG: gpt2-small | gpt2-small-1l)
#
# Generates the case into DIR (default build/bench/CONFIG) once, compiles
# with `lpuc --precision fp16` (--chips auto) under GNU time, runs
# `lpurun --check DIR/prefill --stats-json DIR/stats.json`, and prints the
# partition, predicted cycles, lpuc's wall time and peak RSS, the outputs
# within tolerance and the emulated cycles. Minutes of compile (5 min for
# gpt2-small, fused, on the shared 2-core machine): not part of ctest.
# Environment: BUILD (default build).
set -eu
config=${2:-gpt2-small}
build=${BUILD:-build}
dir=${1:-$build/bench/$config}
if [ ! -f "$dir/prefill/model.onnx" ]; then
  mkdir -p "$dir"
  /usr/bin/python3 "$(dirname "$0")/../examples/gpt2/generate.py" \
    --config "$config" --out "$dir"
fi
/usr/bin/time -v "$build/bin/lpuc" "$dir/prefill/model.onnx" --precision fp16 \
  -o "$dir/model.lpubin" > "$dir/compile.log" 2> "$dir/compile.time"
status=0
"$build/bin/lpurun" "$dir/model.lpubin" --check "$dir/prefill" \
  --stats-json "$dir/stats.json" > "$dir/run.log" 2>&1 || status=$?
grep '^partition:' "$dir/compile.log"
grep '^predicted cycles' "$dir/compile.log"
grep -E 'Elapsed|Maximum resident' "$dir/compile.time" | sed 's/^[[:space:]]*/lpuc: /'
echo "$(grep -c ': ok$' "$dir/run.log") outputs ok, $(grep -c MISMATCH "$dir/run.log") mismatched"
grep '^cycles:' "$dir/run.log"
exit "$status"
