#!/usr/bin/env bash
# npm test: type-check, lint, build, then unit, integration and e2e tests against the real Postgres,
# Redis, Kafka, Keycloak and Zipkin (started here if they are not running; Keycloak's first start downloads
# its ~160 MB distribution from Maven Central once). Tests use their own database, key
# prefix and topics, so a running `npm start` is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip

bash scripts/ensure-deps.sh
bash scripts/infra.sh up
bash scripts/infra.sh up keycloak   # the OIDC identity provider of the auth tests (npm start does not need it)
bash scripts/infra.sh up zipkin     # the trace backend of the tracing e2e (one jar from Maven Central, spans in memory)
bash scripts/infra.sh up prometheus # Debian's Prometheus, which the metrics e2e runs against the apps (and promtool, the rules' tests)
bash scripts/infra.sh up chromium   # Debian's Chromium, which the console's browser e2e drives (never a downloaded browser)
echo "==> type-check"
npx tsc -p tsconfig.json --noEmit
npx tsc -p apps/console/tsconfig.json
echo "==> lint (typescript-eslint, type-aware; cached in .local/eslint/) and format (Prettier)"
npm run --silent lint
npm run --silent format:check
echo "==> build (the e2e suite runs the built apps)"
node scripts/build.mjs
echo "==> unit"
npx jest -c jest.config.js --selectProjects unit
echo "==> integration and e2e (one file at a time: they share the machine's services)"
# Each file in a fresh worker process (a 1 kB idle limit recycles the worker after every file), as
# each app is its own process in production: onnxruntime-node 1.29.0's binding aborts the process
# when a second copy of it initialises in one Node environment, which --runInBand did from one
# file to the next.
npx jest -c jest.config.js --maxWorkers=1 --workerIdleMemoryLimit=1k --selectProjects integration e2e
