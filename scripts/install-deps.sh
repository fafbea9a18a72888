#!/usr/bin/env bash
# Installs what edgec needs on Debian 12 and is missing: LLVM/MLIR 22 dev packages, cross gcc and
# libc for AArch64 and RISC-V, qemu-user, and the project venv (.venv) with the pinned onnx wheel.
# Idempotent: does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  llvm-22-dev libmlir-22-dev mlir-22-tools libclang-22-dev libpolly-22-dev libzstd-dev zlib1g-dev
  gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu libc6-dev-arm64-cross libc6-dev-riscv64-cross qemu-user
  python3-venv
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "error: cargo not found: install Rust (https://rustup.rs) first" >&2
  exit 2
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import onnx; assert onnx.__version__ == '1.22.0'" 2>/dev/null; then
  echo "==> python: creating .venv with onnx==1.22.0"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements.txt
fi
echo "==> dependencies ready"
