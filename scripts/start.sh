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
# The shared HS256 secret of earlier versions signs nothing any more.
rm -f .local/jwt-secret
# Secrets live beside the database whose keys they encrypt (machine state), not in one checkout.
S="${FALAJ_STATE_DIR:-$HOME/.local/state/falaj}/secrets"
export FALAJ_SECRETS_DIR="$S"
node scripts/dev/secrets.mjs
# Redis over TLS, each app as its own ACL user (scripts/dev/redis-acl.mjs; the policy is
# libs/messaging/src/redis-acl.policy.ts). The passwords stay in files; only their names travel.
R="${FALAJ_STATE_DIR:-$HOME/.local/state/falaj}/redis-tls"
export FALAJ_REDIS_URL="${FALAJ_REDIS_URL:-rediss://127.0.0.1:${FALAJ_REDIS_TLS_PORT:-6380}}"
export FALAJ_REDIS_CA_FILE="${FALAJ_REDIS_CA_FILE:-$R/tls/ca.crt}"
FALAJ_PREFIX="${FALAJ_PREFIX:-falaj}" node scripts/dev/redis-acl.mjs
redis_user() { echo "FALAJ_REDIS_USERNAME=${FALAJ_PREFIX}-$1 FALAJ_REDIS_PASSWORD_FILE=$S/redis-$1.password"; }

export FALAJ_PREFIX="${FALAJ_PREFIX:-falaj}"
export FALAJ_LOG_PRETTY="${FALAJ_LOG_PRETTY:-true}"
# The registry's own role (no superuser): TLS with the development CA and a SCRAM password only.
export FALAJ_DATABASE_URL="${FALAJ_DATABASE_URL:-postgres://falaj_registry@127.0.0.1:5432/falaj}"
node scripts/dev/postgres-role.cjs falaj_registry "$S/postgres-registry.password" falaj
# Artifacts live beside the database they belong to (machine state), not in one checkout.
export FALAJ_ARTIFACT_DIR="${FALAJ_ARTIFACT_DIR:-${FALAJ_STATE_DIR:-$HOME/.local/state/falaj}/artifacts}"
export FALAJ_GATEWAY_PORT="${FALAJ_GATEWAY_PORT:-8080}" FALAJ_REGISTRY_PORT="${FALAJ_REGISTRY_PORT:-8081}"
export FALAJ_ROUTER_PORT="${FALAJ_ROUTER_PORT:-8082}"
export FALAJ_GRPC_PORT="${FALAJ_GRPC_PORT:-8001}"
# TLS everywhere: a development CA and one certificate per app, made once under .local/tls
# (scripts/dev/ca.sh). Apps check each other's certificates (client certificates optional).
TLS=.local/tls
bash scripts/dev/ca.sh "$TLS" gateway registry router cpu-worker gpu-worker
export FALAJ_TLS_CA_FILE="$PWD/$TLS/ca.crt" FALAJ_TLS_CLIENT_AUTH="${FALAJ_TLS_CLIENT_AUTH:-optional}"
export FALAJ_TLS_CA_FILE_SHOWN="$TLS/ca.crt"
export FALAJ_REGISTRY_URL="https://127.0.0.1:${FALAJ_REGISTRY_PORT}"
# The built-in OAuth2 issuer is the registry; every app trusts its tokens (and FALAJ_TRUSTED_ISSUERS').
export FALAJ_ISSUER_URL="${FALAJ_ISSUER_URL:-$FALAJ_REGISTRY_URL}"
# The web console (https://127.0.0.1:8080/console/) signs in at that issuer through the gateway:
# its redirect URIs, matched exactly.
export FALAJ_CONSOLE_REDIRECT_URIS="${FALAJ_CONSOLE_REDIRECT_URIS:-https://127.0.0.1:${FALAJ_GATEWAY_PORT}/console/callback,https://localhost:${FALAJ_GATEWAY_PORT}/console/callback}"

# Kafka: each app as its own SCRAM user over TLS (files named by infra.sh, never a password on a
# command line), with the ACLs of libs/messaging/src/kafka-acl.policy.ts granted for FALAJ_PREFIX.
kafka_env() { local -n into=$1; mapfile -t into < <(bash scripts/infra.sh kafka-env "$2"); }
kafka_env kafka_admin falaj-admin; kafka_env kafka_registry falaj-registry; kafka_env kafka_router falaj-router
kafka_env kafka_worker falaj-worker; kafka_env kafka_gateway falaj-gateway
env "${kafka_admin[@]}" node scripts/dev/kafka-acls.mjs

names=(); pids=()
start_app() {
  local name=$1; shift
  env FALAJ_TLS_CERT_FILE="$PWD/$TLS/$name.crt" FALAJ_TLS_KEY_FILE="$PWD/$TLS/$name.key" "$@" \
    node "dist/apps/${name}/src/main.js" >> ".local/logs/${name}.log" 2>&1 &
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
start_app registry $(redis_user registry) "${kafka_registry[@]}" FALAJ_PAYLOAD_KEY_FILE=$S/payload-key FALAJ_KEY_ENCRYPTION_KEY_FILE=$S/key-encryption-key FALAJ_BOOTSTRAP_CLIENTS_FILE=$S/bootstrap-clients.json \
  FALAJ_DATABASE_PASSWORD_FILE=$S/postgres-registry.password FALAJ_DATABASE_CA_FILE="${FALAJ_STATE_DIR:-$HOME/.local/state/falaj}/tls/ca.crt"
start_app router $(redis_user router) "${kafka_router[@]}" FALAJ_PAYLOAD_KEY_FILE=$S/payload-key
start_app cpu-worker $(redis_user worker) "${kafka_worker[@]}" FALAJ_WORKER_PORT=8083 FALAJ_MODEL_CACHE_DIR=.local/model-cache/cpu \
  FALAJ_CLIENT_ID=falaj-cpu-worker FALAJ_CLIENT_SECRET_FILE=$S/falaj-cpu-worker.secret
start_app gpu-worker $(redis_user worker) "${kafka_worker[@]}" FALAJ_WORKER_PORT=8084 FALAJ_MODEL_CACHE_DIR=.local/model-cache/gpu \
  FALAJ_CLIENT_ID=falaj-gpu-worker FALAJ_CLIENT_SECRET_FILE=$S/falaj-gpu-worker.secret
start_app gateway $(redis_user gateway) "${kafka_gateway[@]}" FALAJ_PAYLOAD_KEY_FILE=$S/payload-key

if ! FALAJ_STARTED_AT="$started" NODE_EXTRA_CA_CERTS="$FALAJ_TLS_CA_FILE" node scripts/dev/bootstrap.mjs; then
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
