#!/usr/bin/env bash
# Installs dependencies when node_modules is missing or was installed from another lockfile.
# Compares a hash of package-lock.json (not mtimes: a fresh checkout is always "newer").
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
want=$(sha256sum package-lock.json | cut -d' ' -f1)
have=$(cat node_modules/.falaj-lock-sha256 2>/dev/null || true)
if [ "$want" != "$have" ]; then
  echo "==> installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
  echo "$want" > node_modules/.falaj-lock-sha256
fi
