#!/usr/bin/env bash
# npm start: install, build, bring up Postgres/Redis/Kafka, start the five apps, register the
# demo model, and print a curl that calls it. Ctrl-C stops the apps (the infrastructure stays up;
# `npm run infra -- down` stops the Kafka broker this project started).
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip

started=$(date +%s)
bash scripts/ensure-deps.sh
echo "==> building"
node scripts/build.mjs
echo "==> infrastructure"
bash scripts/infra.sh up

mkdir -p .local/logs
if [ ! -s .local/jwt-secret ]; then
  node -e "process.stdout.write(require('crypto').randomBytes(32).toString('hex'))" > .local/jwt-secret
  chmod 600 .local/jwt-secret
fi

export FALAJ_JWT_SECRET="$(cat .local/jwt-secret)"
export FALAJ_PREFIX="${FALAJ_PREFIX:-falaj}"
export FALAJ_LOG_PRETTY="${FALAJ_LOG_PRETTY:-true}"
export FALAJ_DATABASE_URL="${FALAJ_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/falaj}"
# Artifacts live beside the database they belong to (machine state), not in one checkout.
export FALAJ_ARTIFACT_DIR="${FALAJ_ARTIFACT_DIR:-${FALAJ_STATE_DIR:-$HOME/.local/state/falaj}/artifacts}"
export FALAJ_GATEWAY_PORT="${FALAJ_GATEWAY_PORT:-8080}" FALAJ_REGISTRY_PORT="${FALAJ_REGISTRY_PORT:-8081}"
export FALAJ_ROUTER_PORT="${FALAJ_ROUTER_PORT:-8082}"
export FALAJ_GRPC_PORT="${FALAJ_GRPC_PORT:-8001}"
export FALAJ_REGISTRY_URL="http://127.0.0.1:${FALAJ_REGISTRY_PORT}"

names=(); pids=()
start_app() {
  local name=$1; shift
  env "$@" node "dist/apps/${name}/src/main.js" >> ".local/logs/${name}.log" 2>&1 &
  names+=("$name"); pids+=($!)
}
stop_apps() {
  trap - INT TERM
  echo; echo "==> stopping the apps"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  echo "stopped."
}
trap 'stop_apps; exit 0' INT TERM

echo "==> starting the apps (logs in .local/logs/)"
start_app registry
start_app router
start_app cpu-worker FALAJ_WORKER_PORT=8083 FALAJ_MODEL_CACHE_DIR=.local/model-cache/cpu
start_app gpu-worker FALAJ_WORKER_PORT=8084 FALAJ_MODEL_CACHE_DIR=.local/model-cache/gpu
start_app gateway

if ! FALAJ_STARTED_AT="$started" node scripts/dev/bootstrap.mjs; then
  echo "bootstrap failed; the last lines of each log:" >&2
  for n in "${names[@]}"; do echo "--- $n" >&2; tail -n 5 ".local/logs/$n.log" >&2; done
  stop_apps
  exit 1
fi

echo "Running. Ctrl-C stops the apps."
# Stay up while every app is up; if one dies, say which and stop the rest.
wait -n "${pids[@]}" || true
for i in "${!pids[@]}"; do
  if ! kill -0 "${pids[$i]}" 2>/dev/null; then echo "app ${names[$i]} exited; see .local/logs/${names[$i]}.log" >&2; fi
done
stop_apps
exit 1
