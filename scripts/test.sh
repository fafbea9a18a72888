#!/usr/bin/env bash
# Command 2 of the README: the whole test suite (unit, property, filetests, bad-input, ONNX
# conformance, shared models when ../shared is present). Release mode: the interpreter runs
# real models and the 1765 conformance cases. --no-fail-fast: every failing test binary is reported.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --workspace --release --no-fail-fast "$@"
