#!/bin/sh
# Compile time and peak memory of lpuc on one model, against its weight bytes.
#
#   bench/compile_stats.sh MODEL.onnx [LPUC ARGS...]      (e.g. --precision fp16)
#
# Environment: LPUC (default build/bin/lpuc), OUT (default: a temporary file).
# Runs `/usr/bin/time -v lpuc MODEL -o OUT ARGS` and prints lpuc's wall time,
# its peak resident set size, the model's weight bytes (initializers and
# Constant-node tensors as stored in the ONNX file) and the ratio
# peak RSS / weight bytes (issue 4's goal: below 1.5), and the same ratio for
# the peak above lpuc's footprint without a model (`lpuc --help`). The last
# line is JSON.
set -eu
if [ $# -lt 1 ]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
model=$1
shift
lpuc=${LPUC:-build/bin/lpuc}
[ -x "$lpuc" ] || { echo "compile_stats.sh: no lpuc at $lpuc (set LPUC)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${OUT:-$tmp/model.lpubin}

weights=$(/usr/bin/python3 - "$model" <<'EOF'
import sys
import numpy as np
import onnx
from onnx import mapping

m = onnx.load(sys.argv[1])
tensors = list(m.graph.initializer)
tensors += [a.t for n in m.graph.node if n.op_type == "Constant" for a in n.attribute
            if a.name == "value"]
total = 0
for t in tensors:
    n = int(np.prod(t.dims)) if t.dims else 1
    total += n * np.dtype(mapping.TENSOR_TYPE_TO_NP_TYPE[t.data_type]).itemsize
print(total)
EOF
)

status=0
/usr/bin/time -v -o "$tmp/time.txt" "$lpuc" "$model" -o "$out" "$@" >"$tmp/lpuc.txt" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  echo "lpuc failed (exit $status):"
  grep -v '^\s*$' "$tmp/lpuc.txt" | head -20
  grep -o "unsupported ONNX op '[^']*'" "$tmp/lpuc.txt" | sort | uniq -c | sort -rn || true
fi
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time.txt")
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time.txt")
user=$(sed -n 's/.*User time (seconds): //p' "$tmp/time.txt")
sys=$(sed -n 's/.*System time (seconds): //p' "$tmp/time.txt")
seconds=$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
# lpuc's footprint without a model (shared libraries, MLIR registration).
/usr/bin/time -v -o "$tmp/base.txt" "$lpuc" --help >/dev/null 2>&1 || true
base_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/base.txt")
ratio=$(awk -v r="$rss_kb" -v w="$weights" 'BEGIN { printf "%.2f", (w > 0) ? r * 1024 / w : 0 }')
above=$(awk -v r="$rss_kb" -v b="$base_kb" -v w="$weights" \
  'BEGIN { printf "%.2f", (w > 0) ? (r - b) * 1024 / w : 0 }')
echo "model:          $model"
echo "lpuc:           $lpuc $*"
echo "compile wall:   ${seconds} s (user ${user} s, sys ${sys} s)"
echo "peak RSS:       ${rss_kb} KiB ($(awk -v r="$rss_kb" 'BEGIN { printf "%.1f", r / 1024 }') MiB)"
echo "weight bytes:   ${weights} ($(awk -v w="$weights" 'BEGIN { printf "%.1f", w / 1048576 }') MiB in the ONNX file)"
echo "peak / weights: ${ratio} (goal < 1.5)"
echo "baseline RSS:   ${base_kb} KiB (lpuc --help); (peak - baseline) / weights: ${above}"
echo "{\"model\": \"$model\", \"exit\": $status, \"compile_s\": $seconds, \"peak_rss_bytes\": $((rss_kb * 1024)), \"weight_bytes\": $weights, \"peak_over_weights\": $ratio, \"baseline_rss_bytes\": $((base_kb * 1024)), \"above_baseline_over_weights\": $above}"
exit "$status"
