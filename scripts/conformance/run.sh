#!/usr/bin/env bash
# npm run conformance: every ONNX backend node test case (Debian's libonnx-testdata) that
# onnxruntime-node passes directly, through the gateway over REST JSON, REST binary and gRPC.
# Prints pass/fail counts per path and writes .local/conformance/report.json (every case, every path).
set -euo pipefail
cd "$(dirname "$0")/../.."
export ONNXRUNTIME_NODE_INSTALL=skip

bash scripts/ensure-deps.sh
bash scripts/infra.sh up
echo "==> build (the suite runs the built apps)"
node scripts/build.mjs
echo "==> conformance (every case; a few minutes)"
FALAJ_CONFORMANCE=all npx jest -c jest.config.js test/conformance --selectProjects e2e "$@"
