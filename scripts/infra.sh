#!/usr/bin/env bash
# Local infrastructure for Falaj without Docker: PostgreSQL, Redis and a real Apache Kafka broker
# (KRaft single node, broker + controller in one JVM). Used by `npm start`, `npm test` and CI.
#
#   bash scripts/infra.sh up       start what is missing, wait until everything answers (idempotent)
#   bash scripts/infra.sh down     stop the Kafka broker this script started (never Postgres/Redis)
#   bash scripts/infra.sh status   one line per service
#
# Environment:
#   FALAJ_CACHE_DIR              jar cache            (default ~/.cache/falaj)
#   FALAJ_STATE_DIR              data, logs, pid      (default ~/.local/state/falaj)
#   FALAJ_KAFKA_PORT             client listener      (default 9092)
#   FALAJ_KAFKA_CONTROLLER_PORT  controller listener  (default 9093)
#   FALAJ_KAFKA_START_TIMEOUT    seconds to wait for the broker (default 90)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_DIR="$ROOT/infra/kafka"
# One source of truth for the version: the pom.
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_DIR/pom.xml" | head -1)"
[[ -n "$KAFKA_VERSION" ]] || { echo "infra: cannot read <kafka.version> from $KAFKA_DIR/pom.xml" >&2; exit 1; }

PG_HOST=127.0.0.1 PG_PORT=5432
REDIS_HOST=127.0.0.1 REDIS_PORT=6379
KAFKA_HOST=127.0.0.1
KAFKA_PORT="${FALAJ_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${FALAJ_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_START_TIMEOUT="${FALAJ_KAFKA_START_TIMEOUT:-90}"

CACHE_DIR="${FALAJ_CACHE_DIR:-$HOME/.cache/falaj}/kafka-$KAFKA_VERSION"
LIBS_DIR="$CACHE_DIR/libs"
STATE_DIR="${FALAJ_STATE_DIR:-$HOME/.local/state/falaj}/kafka-$KAFKA_VERSION"
DATA_DIR="$STATE_DIR/data"
KAFKA_CONFIG="$STATE_DIR/server.properties"
KAFKA_LOG="$STATE_DIR/kafka.log"       # log4j2 output
KAFKA_OUT="$STATE_DIR/kafka.out"       # JVM stdout/stderr (crashes before logging starts)
KAFKA_PID="$STATE_DIR/kafka.pid"
CLUSTER_ID_FILE="$STATE_DIR/cluster.id"

log() { printf 'infra: %s\n' "$*"; }
die() { printf 'infra: ERROR: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- PostgreSQL
pg_up() { have pg_isready && pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2; }

postgres_up() {
  if pg_up; then log "postgres up at $PG_HOST:$PG_PORT"; return 0; fi
  if ! have pg_ctlcluster || [[ ! -d /etc/postgresql ]] || [[ -z "$(ls /etc/postgresql 2>/dev/null)" ]]; then
    die "PostgreSQL is not answering on $PG_HOST:$PG_PORT and no local cluster is installed (need pg_ctlcluster and /etc/postgresql/<version>/main; Debian: apt-get install postgresql)"
  fi
  local ver; ver="$(ls /etc/postgresql | head -1)"
  log "starting PostgreSQL $ver/main"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || die "pg_ctlcluster $ver main start failed"
  local deadline=$((SECONDS + 30))
  until pg_up; do
    (( SECONDS < deadline )) || die "PostgreSQL $ver/main started but does not answer on $PG_HOST:$PG_PORT"
    sleep 0.5
  done
  log "postgres up at $PG_HOST:$PG_PORT"
}

# ---------------------------------------------------------------- Redis
redis_ping() { have redis-cli && [[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

redis_up() {
  if redis_ping; then log "redis up at $REDIS_HOST:$REDIS_PORT"; return 0; fi
  have redis-server || die "Redis is not answering on $REDIS_HOST:$REDIS_PORT and redis-server is not installed (Debian: apt-get install redis-server)"
  have redis-cli || die "redis-cli is missing (Debian: apt-get install redis-tools)"
  mkdir -p /var/lib/redis /var/log/redis || die "cannot create /var/lib/redis or /var/log/redis"
  log "starting redis-server on $REDIS_HOST:$REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || die "redis-server failed to start (see /var/log/redis/ci.log)"
  local deadline=$((SECONDS + 20))
  until redis_ping; do
    (( SECONDS < deadline )) || { tail -n 20 /var/log/redis/ci.log >&2 || true; die "redis-server started but does not answer PING"; }
    sleep 0.2
  done
  log "redis up at $REDIS_HOST:$REDIS_PORT"
}

# ---------------------------------------------------------------- Kafka
java_bin() {
  local j="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  have "$j" || die "java not found (Kafka $KAFKA_VERSION needs Java 17+; Debian: apt-get install openjdk-17-jre-headless)"
  local major
  major="$("$j" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
  [[ -n "$major" && "$major" -ge 17 ]] || die "Kafka $KAFKA_VERSION needs Java 17+, found '${major:-unknown}' at $j"
  printf '%s' "$j"
}

# pid of the broker this script started, if it is still alive (guards against pid reuse)
kafka_pid() {
  [[ -f "$KAFKA_PID" ]] || return 1
  local pid; pid="$(cat "$KAFKA_PID" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  printf '%s' "$pid"
}

tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# A real protocol round trip with the repo's kafkajs (metadata via admin.listTopics).
kafka_answers() {
  tcp_open "$KAFKA_HOST" "$KAFKA_PORT" || return 1
  # Before the first `npm ci` there is no kafkajs to ask: an open port is all we can check then.
  (cd "$ROOT" && node -e 'require.resolve("kafkajs")' >/dev/null 2>&1) || return 0
  (cd "$ROOT" && timeout 20 node -e '
    const { Kafka, logLevel } = require("kafkajs");
    const admin = new Kafka({ clientId: "falaj-infra-check", brokers: [process.argv[1]],
      logLevel: logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: 5000, retry: { retries: 0 } }).admin();
    admin.connect().then(() => admin.listTopics()).then(
      () => admin.disconnect().then(() => process.exit(0)),
      () => process.exit(1));
  ' "$KAFKA_HOST:$KAFKA_PORT") >/dev/null 2>&1
}

kafka_fetch() {
  if compgen -G "$LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null && [[ -f "$CACHE_DIR/.complete" ]]; then
    return 0
  fi
  have mvn || die "Kafka $KAFKA_VERSION jars are not cached in $LIBS_DIR and mvn is missing (Debian: apt-get install maven)"
  log "resolving Kafka $KAFKA_VERSION from Maven Central into $LIBS_DIR"
  rm -rf "$LIBS_DIR" "$CACHE_DIR/.complete"
  mkdir -p "$LIBS_DIR"
  if ! mvn -q -B -Dstyle.color=never -f "$KAFKA_DIR/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$LIBS_DIR" >"$CACHE_DIR/mvn.log" 2>&1; then
    tail -n 30 "$CACHE_DIR/mvn.log" >&2 || true
    die "mvn could not resolve Kafka $KAFKA_VERSION (is Maven Central reachable?); full output in $CACHE_DIR/mvn.log"
  fi
  [[ -f "$LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "mvn finished but kafka_2.13-$KAFKA_VERSION.jar is not in $LIBS_DIR"
  touch "$CACHE_DIR/.complete"
}

kafka_render_config() {
  mkdir -p "$DATA_DIR"
  sed -e "s|@LOG_DIRS@|$DATA_DIR|g" -e "s|@PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
    "$KAFKA_DIR/server.properties" >"$KAFKA_CONFIG.tmp"
  mv "$KAFKA_CONFIG.tmp" "$KAFKA_CONFIG"
}

kafka_format_once() {
  local java="$1"
  if [[ -f "$DATA_DIR/meta.properties" ]]; then return 0; fi
  local cid
  if [[ -s "$CLUSTER_ID_FILE" ]]; then
    cid="$(cat "$CLUSTER_ID_FILE")"
  else
    cid="$("$java" -cp "$LIBS_DIR/*" -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.xml" \
      -Dfalaj.kafka.logfile="$KAFKA_LOG" kafka.tools.StorageTool random-uuid | tail -1)"
    [[ -n "$cid" ]] || die "kafka.tools.StorageTool random-uuid printed nothing"
    printf '%s\n' "$cid" >"$CLUSTER_ID_FILE"
  fi
  log "formatting $DATA_DIR with cluster id $cid (once)"
  # Static quorum (controller.quorum.voters): no --standalone.
  "$java" -cp "$LIBS_DIR/*" -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.xml" -Dfalaj.kafka.logfile="$KAFKA_LOG" \
    kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_CONFIG" >"$STATE_DIR/format.log" 2>&1 \
    || { cat "$STATE_DIR/format.log" >&2; die "kafka.tools.StorageTool format failed"; }
}

kafka_up() {
  local pid
  if pid="$(kafka_pid)"; then
    if kafka_answers; then log "kafka $KAFKA_VERSION up at $KAFKA_HOST:$KAFKA_PORT (pid $pid)"; return 0; fi
  elif tcp_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    if kafka_answers; then
      log "kafka: something else already answers on $KAFKA_HOST:$KAFKA_PORT (not started by this script); using it"
      return 0
    fi
    die "port $KAFKA_PORT is taken by something that does not speak Kafka"
  fi

  mkdir -p "$STATE_DIR"
  # Serialise concurrent `up`s (npm start and npm test at once). fd 9 is closed for the broker.
  exec 9>"$STATE_DIR/.lock"
  flock -w 120 9 || die "another infra.sh holds $STATE_DIR/.lock"

  if ! pid="$(kafka_pid)"; then
    local java; java="$(java_bin)"
    kafka_fetch
    kafka_render_config
    kafka_format_once "$java"
    log "starting Kafka $KAFKA_VERSION (KRaft single node) on $KAFKA_HOST:$KAFKA_PORT, controller :$KAFKA_CONTROLLER_PORT"
    rm -f "$KAFKA_PID"
    # setsid: own session, so it outlives this script and its caller's process group.
    # The inner shell writes its own pid and then execs the JVM, so the pid file is the JVM's pid.
    setsid nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$KAFKA_PID" \
      "$java" -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.xml" -Dfalaj.kafka.logfile="$KAFKA_LOG" \
      -cp "$LIBS_DIR/*" kafka.Kafka "$KAFKA_CONFIG" \
      </dev/null >>"$KAFKA_OUT" 2>&1 9>&- &
    local waited=0
    until [[ -s "$KAFKA_PID" ]] || (( waited > 50 )); do sleep 0.1; waited=$((waited + 1)); done
    pid="$(cat "$KAFKA_PID" 2>/dev/null || true)"
  fi

  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  until kafka_answers; do
    if ! kafka_pid >/dev/null; then
      kafka_fail "the broker process (pid ${pid:-?}) exited during startup"
    fi
    (( SECONDS < deadline )) || kafka_fail "the broker did not answer on $KAFKA_HOST:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s"
    sleep 1
  done
  flock -u 9; exec 9>&-
  log "kafka $KAFKA_VERSION up at $KAFKA_HOST:$KAFKA_PORT (pid $pid)"
}

kafka_fail() {
  echo "infra: ERROR: $1" >&2
  echo "---- tail of $KAFKA_LOG" >&2; tail -n 40 "$KAFKA_LOG" >&2 2>/dev/null || true
  echo "---- tail of $KAFKA_OUT" >&2; tail -n 20 "$KAFKA_OUT" >&2 2>/dev/null || true
  exit 1
}

kafka_down() {
  local pid
  if ! pid="$(kafka_pid)"; then
    rm -f "$KAFKA_PID"
    log "kafka $KAFKA_VERSION is not running (nothing started by this script)"
    return 0
  fi
  log "stopping Kafka $KAFKA_VERSION (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    log "kafka did not stop within 30s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
  rm -f "$KAFKA_PID"
  log "kafka stopped"
}

# ---------------------------------------------------------------- ONNX backend test data
# The conformance tests (npm test, npm run conformance) run ONNX's backend node tests from
# Debian's libonnx-testdata. Installed once, quietly, when missing and apt-get can (root).
ONNX_TESTDATA_DIR=/usr/share/libonnx-testdata/data/node

onnx_testdata_up() {
  if [[ -d "$ONNX_TESTDATA_DIR" ]]; then log "onnx test data at $ONNX_TESTDATA_DIR"; return 0; fi
  have apt-get || die "ONNX backend test data missing at $ONNX_TESTDATA_DIR and apt-get is not available (Debian: apt-get install libonnx-testdata)"
  local sudo=""
  if [[ "$(id -u)" != 0 ]]; then have sudo || die "installing libonnx-testdata needs root: sudo apt-get install libonnx-testdata"; sudo="sudo -n"; fi
  log "installing libonnx-testdata (ONNX backend test data)"
  $sudo apt-get update -qq >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libonnx-testdata >/dev/null || die "apt-get install libonnx-testdata failed"
  [[ -d "$ONNX_TESTDATA_DIR" ]] || die "libonnx-testdata installed but $ONNX_TESTDATA_DIR is missing"
  log "onnx test data at $ONNX_TESTDATA_DIR"
}

# ---------------------------------------------------------------- status
status() {
  if pg_up; then echo "postgres  up    $PG_HOST:$PG_PORT"; else echo "postgres  down  $PG_HOST:$PG_PORT"; fi
  if redis_ping; then echo "redis     up    $REDIS_HOST:$REDIS_PORT"; else echo "redis     down  $REDIS_HOST:$REDIS_PORT"; fi
  local pid who
  if pid="$(kafka_pid)"; then who="pid $pid"; else who="not started by infra.sh"; fi
  if kafka_answers; then
    echo "kafka     up    $KAFKA_HOST:$KAFKA_PORT  version $KAFKA_VERSION  ($who)"
  else
    echo "kafka     down  $KAFKA_HOST:$KAFKA_PORT  version $KAFKA_VERSION  ($who)"
  fi
}

case "${1:-}" in
  up) postgres_up; redis_up; kafka_up; onnx_testdata_up ;;
  down) kafka_down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
