#!/usr/bin/env bash
# Installs every Debian package lpuc needs. Idempotent: installs only what is missing.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build ccache git pkg-config
  clang-22 clang-format-22 llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libonnx-dev protobuf-compiler libprotobuf-dev libabsl-dev libgtest-dev libgmock-dev libcli11-dev
  libzstd-dev zlib1g-dev libcurl4-openssl-dev libedit-dev libxml2-dev
  python3 python3-numpy python3-onnx python3-torch libonnx-testdata
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
