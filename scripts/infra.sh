#!/usr/bin/env bash
# Local infrastructure for Falaj without Docker: PostgreSQL, Redis and a real Apache Kafka broker
# (KRaft single node, broker + controller in one JVM). Used by `npm start`, `npm test` and CI.
# For the tests only, also Keycloak (dev mode, loopback), the external OIDC identity provider.
#
#   bash scripts/infra.sh up           start what is missing, wait until everything answers (idempotent)
#   bash scripts/infra.sh up keycloak  start only Keycloak with the realm infra/keycloak/falaj-e2e-realm.json
#   bash scripts/infra.sh up zipkin    start only Zipkin (the trace backend, loopback, spans in memory)
#   bash scripts/infra.sh up prometheus  install Debian's Prometheus when missing (the metrics test runs its own)
#   bash scripts/infra.sh down         stop the Kafka broker, the TLS Redis and Keycloak this script started (never Postgres or the machine's Redis)
#   bash scripts/infra.sh down keycloak  stop only Keycloak
#   bash scripts/infra.sh down zipkin    stop only Zipkin
#   bash scripts/infra.sh down kafka|redis-tls  stop only the broker / the TLS Redis of FALAJ_STATE_DIR
#   bash scripts/infra.sh status       one line per service
#   bash scripts/infra.sh pids         "<service> <pid>" for the TLS Redis, the broker and Postgres's postmaster (npm run bench counts their CPU)
#
# Environment:
#   FALAJ_CACHE_DIR              jar cache            (default ~/.cache/falaj)
#   FALAJ_STATE_DIR              data, logs, pid      (default ~/.local/state/falaj)
#   FALAJ_REDIS_TLS_PORT         the project's TLS-only Redis (default 6380)
#   FALAJ_KAFKA_PORT             client listener      (default 9092)
#   FALAJ_KAFKA_CONTROLLER_PORT  controller listener  (default 9093)
#   FALAJ_KAFKA_START_TIMEOUT    seconds to wait for the broker (default 90)
#   FALAJ_KAFKA_SECURITY         sasl_ssl (default: TLS, SCRAM-SHA-512 per app, ACLs) or plaintext
#   FALAJ_KAFKA_AUTH_DIR         the broker's CA, certificate, SCRAM passwords and the tenants' Kafka-token key (default $FALAJ_STATE_DIR/kafka-auth)
#
#   bash scripts/infra.sh kafka-env <user>   prints the FALAJ_KAFKA_* variables of a SCRAM user
#                                            (names of files, never a password); `tenant`: a
#                                            tenant client's (the CA; OAUTHBEARER, no password)
#   FALAJ_KEYCLOAK_PORT          Keycloak's HTTP port (default 8180)
#   FALAJ_KEYCLOAK_START_TIMEOUT seconds to wait for the realm's OIDC discovery (default 180)
#   FALAJ_ZIPKIN_PORT            Zipkin's HTTP port (default 9411)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_DIR="$ROOT/infra/kafka"
# One source of truth for the version: the pom.
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_DIR/pom.xml" | head -1)"
[[ -n "$KAFKA_VERSION" ]] || { echo "infra: cannot read <kafka.version> from $KAFKA_DIR/pom.xml" >&2; exit 1; }

KEYCLOAK_DIR="$ROOT/infra/keycloak"
ZIPKIN_DIR="$ROOT/infra/zipkin"
ZIPKIN_VERSION="$(sed -n 's:.*<zipkin.version>\(.*\)</zipkin.version>.*:\1:p' "$ZIPKIN_DIR/pom.xml" | head -1)"
[[ -n "$ZIPKIN_VERSION" ]] || { echo "infra: cannot read <zipkin.version> from $ZIPKIN_DIR/pom.xml" >&2; exit 1; }
KEYCLOAK_VERSION="$(sed -n 's:.*<keycloak.version>\(.*\)</keycloak.version>.*:\1:p' "$KEYCLOAK_DIR/pom.xml" | head -1)"
[[ -n "$KEYCLOAK_VERSION" ]] || { echo "infra: cannot read <keycloak.version> from $KEYCLOAK_DIR/pom.xml" >&2; exit 1; }

PG_HOST=127.0.0.1 PG_PORT=5432
REDIS_HOST=127.0.0.1 REDIS_PORT=6379
KAFKA_HOST=127.0.0.1
# The project's own Redis: TLS only, nothing on disk, no default user; the apps' ACL users are
# given to it at run time (scripts/dev/redis-acl.mjs, FalajSuite). Its certificates come from
# scripts/dev/ca.sh; its admin password is a file (mode 600), read by infra and the tests only.
REDIS_TLS_PORT="${FALAJ_REDIS_TLS_PORT:-6380}"
REDIS_TLS_DIR="${FALAJ_STATE_DIR:-$HOME/.local/state/falaj}/redis-tls"
REDIS_TLS_CERTS="$REDIS_TLS_DIR/tls"                 # ca.crt, redis.crt, redis.key
REDIS_TLS_ADMIN_FILE="$REDIS_TLS_DIR/admin-password" # user falaj-admin
REDIS_TLS_ACL="$REDIS_TLS_DIR/users.acl"             # the admin's hash and `default off`; apps' users live in memory
REDIS_TLS_PID="$REDIS_TLS_DIR/redis.pid"
REDIS_TLS_LOG="$REDIS_TLS_DIR/redis.log"
KAFKA_PORT="${FALAJ_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${FALAJ_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_START_TIMEOUT="${FALAJ_KAFKA_START_TIMEOUT:-90}"
KAFKA_SECURITY="${FALAJ_KAFKA_SECURITY:-sasl_ssl}"
[[ "$KAFKA_SECURITY" == sasl_ssl || "$KAFKA_SECURITY" == plaintext ]] \
  || { echo "infra: FALAJ_KAFKA_SECURITY must be sasl_ssl or plaintext, not '$KAFKA_SECURITY'" >&2; exit 1; }
# The SCRAM users added when the log directory is formatted: one per app (cpu- and gpu-workers
# share falaj-worker), the operator, the broker itself, and the registry's tenant provisioner
# (grants each tenant's ACLs). Tenants have no SCRAM login: each logs in with OAUTHBEARER, a
# token the registry signs with the key below, as a principal of its own.
# Keep in step with KAFKA_USERS in libs/messaging/src/kafka-acl.policy.ts (its spec checks).
KAFKA_USERS=(falaj-admin falaj-broker falaj-gateway falaj-registry falaj-router falaj-worker falaj-provisioner)

CACHE_DIR="${FALAJ_CACHE_DIR:-$HOME/.cache/falaj}/kafka-$KAFKA_VERSION"
LIBS_DIR="$CACHE_DIR/libs"
STATE_DIR="${FALAJ_STATE_DIR:-$HOME/.local/state/falaj}/kafka-$KAFKA_VERSION"
DATA_DIR="$STATE_DIR/data"
KAFKA_CONFIG="$STATE_DIR/server.properties"
KAFKA_LOG="$STATE_DIR/kafka.log"       # log4j2 output
KAFKA_OUT="$STATE_DIR/kafka.out"       # JVM stdout/stderr (crashes before logging starts)
KAFKA_PID="$STATE_DIR/kafka.pid"
CLUSTER_ID_FILE="$STATE_DIR/cluster.id"
KAFKA_SECURITY_FILE="$STATE_DIR/security"   # what the log directory was formatted for
# Secrets outlive a Kafka version: the passwords the apps hold stay valid across a reformat.
KAFKA_AUTH_DIR="${FALAJ_KAFKA_AUTH_DIR:-${FALAJ_STATE_DIR:-$HOME/.local/state/falaj}/kafka-auth}"
KAFKA_TLS_DIR="$KAFKA_AUTH_DIR/tls"
KAFKA_CA="$KAFKA_TLS_DIR/ca.crt"
KAFKA_KEYSTORE="$KAFKA_TLS_DIR/falaj-kafka.keystore.pem"
# The tenants' Kafka tokens (SASL/OAUTHBEARER): an ES256 key the registry signs them with
# (FALAJ_KAFKA_TOKEN_KEY_FILE, mode 600) and its public JWKS, which the broker's own
# OAuthBearerValidatorCallbackHandler reads as a file: URL. One key for the one broker, whatever
# registry (npm start's, each test run's) mints the tokens.
KAFKA_TOKEN_KEY="$KAFKA_AUTH_DIR/kafka-token.key"
KAFKA_TOKEN_JWKS="$KAFKA_AUTH_DIR/kafka-token.jwks.json"

KC_HOST=127.0.0.1
KC_PORT="${FALAJ_KEYCLOAK_PORT:-8180}"
KC_START_TIMEOUT="${FALAJ_KEYCLOAK_START_TIMEOUT:-180}"
KC_REALM=falaj-e2e
KC_REALM_FILE="$KEYCLOAK_DIR/$KC_REALM-realm.json"
KC_ISSUER="http://$KC_HOST:$KC_PORT/realms/$KC_REALM"
KC_HOME="${FALAJ_CACHE_DIR:-$HOME/.cache/falaj}/keycloak-$KEYCLOAK_VERSION"   # the unpacked distribution
KC_STATE_DIR="${FALAJ_STATE_DIR:-$HOME/.local/state/falaj}/keycloak-$KEYCLOAK_VERSION"
KC_LOG="$KC_STATE_DIR/keycloak.log"            # console output of kc.sh (the previous start: keycloak.log.1)
KC_PID="$KC_STATE_DIR/keycloak.pid"            # kc.sh's pid, the leader of its own process group
KC_PASSWORD_FILE="$KC_STATE_DIR/admin-password" # bootstrap admin `admin` of the master realm, mode 600
KC_REALM_HASH_FILE="$KC_STATE_DIR/realm.sha256" # hash of the realm file the H2 data was imported from

ZK_HOST=127.0.0.1
ZK_PORT="${FALAJ_ZIPKIN_PORT:-9411}"
ZK_JAR="${FALAJ_CACHE_DIR:-$HOME/.cache/falaj}/zipkin-$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar"
ZK_STATE_DIR="${FALAJ_STATE_DIR:-$HOME/.local/state/falaj}/zipkin-$ZIPKIN_VERSION"
ZK_LOG="$ZK_STATE_DIR/zipkin.log"
ZK_PID="$ZK_STATE_DIR/zipkin.pid"

log() { printf 'infra: %s\n' "$*"; }
die() { printf 'infra: ERROR: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# The pid in pid file $1 if that process is alive and its command line matches grep's pattern
# (the rest of the arguments): guards against a pid reused by another program.
live_pid() {
  local file="$1"; shift
  [[ -f "$file" ]] || return 1
  local pid; pid="$(cat "$file" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$@" || return 1
  printf '%s' "$pid"
}

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

# TLS and roles on the machine's Postgres. The server gets a certificate from the development CA
# (scripts/dev/ca.sh, machine state beside the secrets, since the server is the machine's too)
# and `ssl = on` (TLS 1.2+); the apps' roles — members of `falaj_service` — may log in only over
# TLS with a SCRAM password (pg_hba lines ahead of the machine's own, which stay as they are for
# every other role). Idempotent; reloads the server only when something changed.
TLS_DIR="${FALAJ_STATE_DIR:-$HOME/.local/state/falaj}/tls"
PG_HBA_BEGIN='# falaj: begin (scripts/infra.sh) - the apps'"'"' roles: TLS and a SCRAM password only'
PG_HBA_END='# falaj: end'

pg_admin() { psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -AtqX -v ON_ERROR_STOP=1 "$@"; }

postgres_secure() {
  have psql || die "psql is missing (Debian: apt-get install postgresql-client)"
  bash "$ROOT/scripts/dev/ca.sh" "$TLS_DIR" postgres
  local data hba changed=0
  data="$(pg_admin -c 'SHOW data_directory')" hba="$(pg_admin -c 'SHOW hba_file')"
  local dest="$data/falaj-tls" owner; owner="$(stat -c %U "$data")"
  if ! cmp -s "$TLS_DIR/postgres.crt" "$dest/server.crt" 2>/dev/null || ! cmp -s "$TLS_DIR/postgres.key" "$dest/server.key" 2>/dev/null; then
    [[ -w "$data" ]] || die "cannot give Postgres its certificate: $data is not writable by $(id -un) (run as root or as $owner)"
    install -d -m 700 -o "$owner" -g "$(stat -c %G "$data")" "$dest"
    install -m 644 -o "$owner" "$TLS_DIR/postgres.crt" "$dest/server.crt"
    install -m 600 -o "$owner" "$TLS_DIR/postgres.key" "$dest/server.key"
    changed=1
  fi
  pg_admin <<'SQL'
DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'falaj_service') THEN CREATE ROLE falaj_service NOLOGIN; END IF; END $$;
SQL
  local setting value
  for setting in "ssl=on" "ssl_cert_file=$dest/server.crt" "ssl_key_file=$dest/server.key" "ssl_min_protocol_version=TLSv1.2"; do
    value="$(pg_admin -c "SHOW ${setting%%=*}")"
    if [[ "$value" != "${setting#*=}" ]]; then
      pg_admin -c "ALTER SYSTEM SET ${setting%%=*} = '${setting#*=}'"
      changed=1
    fi
  done
  if ! grep -qF "$PG_HBA_BEGIN" "$hba"; then
    [[ -w "$hba" ]] || die "cannot add the apps' lines to $hba: not writable by $(id -un)"
    local lines
    lines="$(printf '%s\n' "$PG_HBA_BEGIN" \
      'hostssl all +falaj_service 127.0.0.1/32 scram-sha-256' \
      'hostssl all +falaj_service ::1/128      scram-sha-256' \
      'host    all +falaj_service all          reject' \
      'local   all +falaj_service              reject' \
      "$PG_HBA_END")"
    # Rewritten in place (cat >), so the file keeps its owner and mode.
    { printf '%s\n' "$lines"; cat "$hba"; } > "$hba.falaj-new" && cat "$hba.falaj-new" > "$hba" && rm -f "$hba.falaj-new"
    changed=1
  fi
  if (( changed )); then
    log "postgres: TLS on ($dest) and the apps' pg_hba lines in place; reloading"
    pg_admin -c 'SELECT pg_reload_conf()' >/dev/null
  fi
  local deadline=$((SECONDS + 10))
  until [[ "$(psql "host=$PG_HOST port=$PG_PORT user=postgres dbname=postgres sslmode=verify-full sslrootcert=$TLS_DIR/ca.crt" -AtqX \
      -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()' 2>/dev/null)" == t ]]; do
    (( SECONDS < deadline )) || die "Postgres does not answer over TLS with the development CA's certificate (see its log)"
    sleep 0.3
  done
  log "postgres TLS verified against $TLS_DIR/ca.crt"
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

# ---------------------------------------------------------------- Redis over TLS (the project's own)
redis_tls_pid() {
  live_pid "$REDIS_TLS_PID" -e "redis-server.*:$REDIS_TLS_PORT"
}

# PONG over TLS as the admin (the password goes to redis-cli in its environment, never argv).
redis_tls_ping() {
  [[ -s "$REDIS_TLS_ADMIN_FILE" && -s "$REDIS_TLS_CERTS/ca.crt" ]] || return 1
  [[ "$(REDISCLI_AUTH="$(cat "$REDIS_TLS_ADMIN_FILE")" timeout 5 redis-cli --no-auth-warning --tls --cacert "$REDIS_TLS_CERTS/ca.crt" \
    -h "$REDIS_HOST" -p "$REDIS_TLS_PORT" --user falaj-admin ping 2>/dev/null)" == PONG ]]
}

redis_tls_up() {
  if redis_tls_ping; then log "redis (TLS, ACL) up at $REDIS_HOST:$REDIS_TLS_PORT"; return 0; fi
  have redis-server && have redis-cli || die "redis-server and redis-cli are needed for the TLS Redis (Debian: apt-get install redis-server)"
  local pid
  if pid="$(redis_tls_pid)"; then
    die "the TLS Redis (pid $pid) runs but does not answer its admin on $REDIS_HOST:$REDIS_TLS_PORT (see $REDIS_TLS_LOG)"
  fi
  tcp_open "$REDIS_HOST" "$REDIS_TLS_PORT" && die "port $REDIS_TLS_PORT is taken by something else (free it or set FALAJ_REDIS_TLS_PORT)"
  mkdir -p "$REDIS_TLS_DIR"; chmod 700 "$REDIS_TLS_DIR"
  bash "$ROOT/scripts/dev/ca.sh" "$REDIS_TLS_CERTS" redis
  if [[ ! -s "$REDIS_TLS_ADMIN_FILE" ]]; then
    (umask 077; head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40 >"$REDIS_TLS_ADMIN_FILE")
  fi
  chmod 600 "$REDIS_TLS_ADMIN_FILE"
  # The ACL file holds the admin's SHA-256 only; `default off` refuses every unauthenticated client.
  (umask 077; printf 'user default off resetkeys resetchannels -@all\nuser falaj-admin on #%s ~* &* +@all\n' \
    "$(sha256sum <"$REDIS_TLS_ADMIN_FILE" | cut -d' ' -f1)" >"$REDIS_TLS_ACL")
  log "starting redis-server (TLS only) on $REDIS_HOST:$REDIS_TLS_PORT"
  rm -f "$REDIS_TLS_PID"
  # tls-auth-clients optional: a client certificate is not required (apps authenticate as ACL
  # users), but one that is presented must chain to this CA.
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 0 --tls-port "$REDIS_TLS_PORT" \
    --tls-cert-file "$REDIS_TLS_CERTS/redis.crt" --tls-key-file "$REDIS_TLS_CERTS/redis.key" \
    --tls-ca-cert-file "$REDIS_TLS_CERTS/ca.crt" --tls-auth-clients optional \
    --aclfile "$REDIS_TLS_ACL" --save "" --appendonly no --dir "$REDIS_TLS_DIR" \
    --pidfile "$REDIS_TLS_PID" --logfile "$REDIS_TLS_LOG" || die "redis-server failed to start (see $REDIS_TLS_LOG)"
  local deadline=$((SECONDS + 20))
  until redis_tls_ping; do
    (( SECONDS < deadline )) || { tail -n 20 "$REDIS_TLS_LOG" >&2 || true; die "the TLS redis-server started but does not answer PING"; }
    sleep 0.2
  done
  log "redis (TLS, ACL) up at $REDIS_HOST:$REDIS_TLS_PORT (CA $REDIS_TLS_CERTS/ca.crt)"
}

redis_tls_down() {
  local pid
  if ! pid="$(redis_tls_pid)"; then
    rm -f "$REDIS_TLS_PID"
    log "the TLS redis is not running (nothing started by this script)"
    return 0
  fi
  log "stopping the TLS redis (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 15))
  while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$REDIS_TLS_PID"
  log "the TLS redis stopped"
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
  live_pid "$KAFKA_PID" -e 'kafka\.Kafka'
}

tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# A real protocol round trip with the repo's kafkajs (metadata via admin.listTopics), as the
# operator over SASL_SSL (the password read from its file inside node, never on argv).
kafka_answers() {
  tcp_open "$KAFKA_HOST" "$KAFKA_PORT" || return 1
  # Before the first `npm ci` there is no kafkajs to ask: an open port is all we can check then.
  (cd "$ROOT" && node -e 'require.resolve("kafkajs")' >/dev/null 2>&1) || return 0
  (cd "$ROOT" && timeout 20 node -e '
    const fs = require("fs");
    const { Kafka, logLevel } = require("kafkajs");
    const [broker, security, ca, passwordFile] = process.argv.slice(1);
    const secure = security === "sasl_ssl"
      ? { ssl: { ca: [fs.readFileSync(ca, "utf8")] }, sasl: { mechanism: "scram-sha-512", username: "falaj-admin", password: fs.readFileSync(passwordFile, "utf8").trim() } }
      : {};
    const admin = new Kafka({ clientId: "falaj-infra-check", brokers: [broker], ...secure,
      logLevel: logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: 5000, retry: { retries: 0 } }).admin();
    admin.connect().then(() => admin.listTopics()).then(
      () => admin.disconnect().then(() => process.exit(0)),
      () => process.exit(1));
  ' "$KAFKA_HOST:$KAFKA_PORT" "$KAFKA_SECURITY" "$KAFKA_CA" "$KAFKA_AUTH_DIR/falaj-admin.password") >/dev/null 2>&1
}

# What the log directory is formatted for: the security mode and, for sasl_ssl, its SCRAM users.
kafka_security_wanted() {
  if [[ "$KAFKA_SECURITY" == sasl_ssl ]]; then printf 'sasl_ssl users=%s\n' "${KAFKA_USERS[*]}"; else printf 'plaintext\n'; fi
}
kafka_security_formatted() { cat "$KAFKA_SECURITY_FILE" 2>/dev/null || printf 'plaintext\n'; }

# The broker's TLS material (the development CA of scripts/dev/ca.sh, a leaf for falaj-kafka, and
# the PEM keystore Kafka reads: the key as unencrypted PKCS#8, then the certificate) and one
# random SCRAM password per user, each made once, mode 600, never printed.
kafka_secrets() {
  have openssl || die "openssl is missing (Debian: apt-get install openssl); the SASL_SSL broker needs its certificates"
  mkdir -p "$KAFKA_AUTH_DIR"; chmod 700 "$KAFKA_AUTH_DIR"
  bash "$ROOT/scripts/dev/ca.sh" "$KAFKA_TLS_DIR" falaj-kafka || die "scripts/dev/ca.sh could not make the broker's certificate"
  local crt="$KAFKA_TLS_DIR/falaj-kafka.crt" key="$KAFKA_TLS_DIR/falaj-kafka.key"
  if [[ ! -s "$KAFKA_KEYSTORE" || "$crt" -nt "$KAFKA_KEYSTORE" ]]; then
    (umask 077
      { openssl pkcs8 -topk8 -nocrypt -in "$key" && cat "$crt"; } >"$KAFKA_KEYSTORE.tmp" 2>/dev/null) \
      || die "cannot write the broker's PEM keystore $KAFKA_KEYSTORE"
    mv "$KAFKA_KEYSTORE.tmp" "$KAFKA_KEYSTORE"
  fi
  local user file
  for user in "${KAFKA_USERS[@]}"; do
    file="$KAFKA_AUTH_DIR/$user.password"
    [[ -s "$file" ]] && continue
    (umask 077; head -c 64 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | head -c 40 >"$file.tmp")
    mv "$file.tmp" "$file"
  done
  kafka_token_key
}

# The tenants' Kafka-token key pair, made once: the private key (PKCS#8 PEM, mode 600, read by the
# registry only) and the public JWKS the broker verifies with (its kid the RFC 7638 thumbprint).
kafka_token_key() {
  [[ -s "$KAFKA_TOKEN_KEY" && -s "$KAFKA_TOKEN_JWKS" ]] && return 0
  (umask 077; node -e '
    const crypto = require("crypto"), fs = require("fs");
    const [keyFile, jwksFile] = process.argv.slice(1);
    if (!fs.existsSync(keyFile)) {
      const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
      fs.writeFileSync(keyFile + ".tmp", privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
      fs.renameSync(keyFile + ".tmp", keyFile);
    }
    const { crv, kty, x, y } = crypto.createPublicKey(fs.readFileSync(keyFile)).export({ format: "jwk" });
    const kid = crypto.createHash("sha256").update(JSON.stringify({ crv, kty, x, y })).digest("base64url");
    fs.writeFileSync(jwksFile + ".tmp", JSON.stringify({ keys: [{ kty, crv, x, y, kid, alg: "ES256", use: "sig" }] }) + "\n", { mode: 0o644 });
    fs.renameSync(jwksFile + ".tmp", jwksFile);
  ' "$KAFKA_TOKEN_KEY" "$KAFKA_TOKEN_JWKS") || die "cannot make the Kafka-token key $KAFKA_TOKEN_KEY"
  log "kafka: made the tenants' Kafka-token signing key $KAFKA_TOKEN_KEY (its JWKS: $KAFKA_TOKEN_JWKS)"
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
  local broker_password=""
  [[ "$KAFKA_SECURITY" == sasl_ssl ]] && broker_password="$(cat "$KAFKA_AUTH_DIR/falaj-broker.password")"
  # Mode 600: with sasl_ssl it holds the broker's own SCRAM password.
  (umask 077
    cat "$KAFKA_DIR/server.properties" "$KAFKA_DIR/listeners-$KAFKA_SECURITY.properties" | sed \
      -e "s|@LOG_DIRS@|$DATA_DIR|g" -e "s|@PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@KEYSTORE@|$KAFKA_KEYSTORE|g" -e "s|@CA@|$KAFKA_CA|g" -e "s|@BROKER_PASSWORD@|$broker_password|g" \
      -e "s|@TOKEN_JWKS@|$KAFKA_TOKEN_JWKS|g" \
      >"${1:-$KAFKA_CONFIG}.tmp")
  mv "${1:-$KAFKA_CONFIG}.tmp" "${1:-$KAFKA_CONFIG}"
}

# Whether the running broker's configuration is not what this script renders now (a broker
# started before OAUTHBEARER, say): a restart, no format, applies it.
kafka_config_stale() {
  local fresh="$STATE_DIR/server.properties.wanted" rc=0
  kafka_render_config "$fresh"
  cmp -s "$fresh" "$KAFKA_CONFIG" || rc=$?
  rm -f "$fresh"
  (( rc != 0 ))
}

kafka_format_once() {
  local java="$1"
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    [[ "$(kafka_security_formatted)" == "$(kafka_security_wanted)" ]] && return 0
    # Dev/test data only: a broker formatted for another security mode (PLAINTEXT, before the
    # platform's Kafka security) or other SCRAM users is formatted afresh.
    log "kafka: $DATA_DIR was formatted for '$(kafka_security_formatted)', not '$(kafka_security_wanted)'; deleting its dev/test data and formatting it again"
    rm -rf "$DATA_DIR"
    mkdir -p "$DATA_DIR"
  fi
  local cid
  if [[ -s "$CLUSTER_ID_FILE" ]]; then
    cid="$(cat "$CLUSTER_ID_FILE")"
  else
    cid="$("$java" -cp "$LIBS_DIR/*" -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.xml" \
      -Dfalaj.kafka.logfile="$KAFKA_LOG" kafka.tools.StorageTool random-uuid | tail -1)"
    [[ -n "$cid" ]] || die "kafka.tools.StorageTool random-uuid printed nothing"
    printf '%s\n' "$cid" >"$CLUSTER_ID_FILE"
  fi
  log "formatting $DATA_DIR with cluster id $cid ($KAFKA_SECURITY$([[ "$KAFKA_SECURITY" == sasl_ssl ]] && printf ', SCRAM users %s' "${KAFKA_USERS[*]}"))"
  # Static quorum (controller.quorum.voters): no --standalone. The whole command line, SCRAM
  # passwords included, goes through a java @argfile (mode 600, removed at once), so no password
  # ever sits on a process's argv.
  local argfile="$STATE_DIR/format.args" jars user rc=0
  jars="$(printf '%s:' "$LIBS_DIR"/*.jar)"
  (umask 077
    {
      printf '%s\n' -cp "${jars%:}" "-Dlog4j2.configurationFile=$KAFKA_DIR/log4j2.xml" "-Dfalaj.kafka.logfile=$KAFKA_LOG" \
        kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_CONFIG"
      if [[ "$KAFKA_SECURITY" == sasl_ssl ]]; then
        for user in "${KAFKA_USERS[@]}"; do
          printf '%s\n' --add-scram "SCRAM-SHA-512=[name=$user,password=$(cat "$KAFKA_AUTH_DIR/$user.password")]"
        done
      fi
    } >"$argfile")
  "$java" "@$argfile" >"$STATE_DIR/format.log" 2>&1 || rc=$?
  rm -f "$argfile"
  (( rc == 0 )) || { cat "$STATE_DIR/format.log" >&2; die "kafka.tools.StorageTool format failed"; }
  kafka_security_wanted >"$KAFKA_SECURITY_FILE"
}

kafka_up() {
  local pid
  [[ "$KAFKA_SECURITY" == sasl_ssl ]] && kafka_secrets
  if pid="$(kafka_pid)"; then
    if [[ "$(kafka_security_formatted)" != "$(kafka_security_wanted)" ]]; then
      log "kafka: the running broker (pid $pid) was formatted for '$(kafka_security_formatted)', not '$(kafka_security_wanted)'; stopping it to format it again"
      kafka_down
    elif kafka_config_stale; then
      log "kafka: the running broker (pid $pid) runs an older configuration than $KAFKA_DIR's; restarting it"
      kafka_down
    elif kafka_answers; then log "kafka $KAFKA_VERSION up at $KAFKA_HOST:$KAFKA_PORT, $KAFKA_SECURITY (pid $pid)"; return 0; fi
  fi
  if kafka_pid >/dev/null; then
    :
  elif tcp_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    if kafka_answers; then
      log "kafka: something else already answers on $KAFKA_HOST:$KAFKA_PORT (not started by this script); using it"
      return 0
    fi
    die "port $KAFKA_PORT is taken by something that does not answer as a $KAFKA_SECURITY Kafka broker with this machine's falaj-admin (FALAJ_KAFKA_SECURITY=plaintext for an old PLAINTEXT broker, or free the port)"
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
    log "starting Kafka $KAFKA_VERSION (KRaft single node, $KAFKA_SECURITY) on $KAFKA_HOST:$KAFKA_PORT, controller :$KAFKA_CONTROLLER_PORT"
    rm -f "$KAFKA_PID"
    # setsid: own session, so it outlives this script and its caller's process group.
    # The inner shell writes its own pid and then execs the JVM, so the pid file is the JVM's pid.
    setsid nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$KAFKA_PID" \
      "$java" -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
      "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=file://$KAFKA_TOKEN_JWKS" \
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
  log "kafka $KAFKA_VERSION up at $KAFKA_HOST:$KAFKA_PORT, $KAFKA_SECURITY (pid $pid)"
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

# ---------------------------------------------------------------- Keycloak (tests only)
# The external OAuth2/OIDC identity provider of the auth e2e tests: `kc.sh start-dev` on loopback,
# its H2 data under $KC_STATE_DIR, the realm imported from infra/keycloak/ on an empty database.
# Keycloak skips the import of a realm that exists, so when the realm file's hash differs from the
# one the data was imported from, the H2 data is wiped (and a running Keycloak restarted).

# pid of the Keycloak this script started, if it is still alive (guards against pid reuse)
kc_pid() {
  live_pid "$KC_PID" -F -e "$KC_HOME/"
}

# The realm's OIDC discovery answers, with the issuer this script configures.
kc_answers() {
  local doc
  doc="$(curl -fsS --max-time 5 "$KC_ISSUER/.well-known/openid-configuration" 2>/dev/null)" || return 1
  [[ "$doc" == *"\"issuer\":\"$KC_ISSUER\""* ]]
}

# The HTTP port the Keycloak with pid $1 was started on (from its command line).
kc_pid_port() { tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | sed -n 's/^--http-port=//p' | head -1; }

kc_realm_hash() { sha256sum "$KC_REALM_FILE" | cut -d' ' -f1; }

kc_fetch() {
  if [[ -x "$KC_HOME/bin/kc.sh" && -f "$KC_HOME/.falaj-complete" ]]; then return 0; fi
  have mvn || die "Keycloak $KEYCLOAK_VERSION is not cached in $KC_HOME and mvn is missing (Debian: apt-get install maven)"
  have unzip || die "unzip is missing (Debian: apt-get install unzip)"
  local tmp="$KC_HOME.tmp"
  log "resolving Keycloak $KEYCLOAK_VERSION (keycloak-quarkus-dist, ~160 MB) from Maven Central into $KC_HOME"
  rm -rf "$tmp" "$KC_HOME"
  mkdir -p "$tmp/download" "$KC_STATE_DIR"
  if ! mvn -q -B -Dstyle.color=never -f "$KEYCLOAK_DIR/pom.xml" dependency:copy \
      -DoutputDirectory="$tmp/download" >"$KC_STATE_DIR/mvn.log" 2>&1; then
    tail -n 30 "$KC_STATE_DIR/mvn.log" >&2 || true
    die "mvn could not resolve Keycloak $KEYCLOAK_VERSION (is Maven Central reachable?); full output in $KC_STATE_DIR/mvn.log"
  fi
  local zip="$tmp/download/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip"
  [[ -f "$zip" ]] || die "mvn finished but $(basename "$zip") is not in $tmp/download"
  unzip -q "$zip" -d "$tmp" || die "cannot unpack $zip"
  [[ -x "$tmp/keycloak-$KEYCLOAK_VERSION/bin/kc.sh" ]] || die "$(basename "$zip") has no keycloak-$KEYCLOAK_VERSION/bin/kc.sh"
  mv "$tmp/keycloak-$KEYCLOAK_VERSION" "$KC_HOME"
  rm -rf "$tmp"
  touch "$KC_HOME/.falaj-complete"
}

kc_admin_password() {
  if [[ ! -s "$KC_PASSWORD_FILE" ]]; then
    (umask 077; head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 >"$KC_PASSWORD_FILE.tmp")
    mv "$KC_PASSWORD_FILE.tmp" "$KC_PASSWORD_FILE"
  fi
  chmod 600 "$KC_PASSWORD_FILE"
}

# Put the realm file where --import-realm reads it; wipe the H2 data when the realm changed.
kc_prepare_realm() {
  local hash="$1" imported=""
  [[ -f "$KC_REALM_HASH_FILE" ]] && imported="$(cat "$KC_REALM_HASH_FILE")"
  if [[ "$imported" != "$hash" && -d "$KC_STATE_DIR/data" ]]; then
    log "keycloak: $(basename "$KC_REALM_FILE") changed since its import; wiping the dev H2 data for a fresh import"
    rm -rf "$KC_STATE_DIR/data"
  fi
  rm -f "$KC_REALM_HASH_FILE"   # written again once this realm answers
  mkdir -p "$KC_HOME/data/import"
  cp "$KC_REALM_FILE" "$KC_HOME/data/import/.$KC_REALM-realm.json.tmp"
  mv "$KC_HOME/data/import/.$KC_REALM-realm.json.tmp" "$KC_HOME/data/import/$KC_REALM-realm.json"
}

keycloak_up() {
  have curl || die "curl is missing (Debian: apt-get install curl)"
  [[ -f "$KC_REALM_FILE" ]] || die "realm file $KC_REALM_FILE is missing"
  local hash pid started=$SECONDS
  hash="$(kc_realm_hash)"
  if pid="$(kc_pid)"; then
    local its_port; its_port="$(kc_pid_port "$pid")"
    [[ "$its_port" == "$KC_PORT" ]] || die "the Keycloak of $KC_STATE_DIR (pid $pid) runs on port ${its_port:-?}, not $KC_PORT; stop it first (infra.sh down keycloak) or use another FALAJ_STATE_DIR"
    if [[ "$(cat "$KC_REALM_HASH_FILE" 2>/dev/null)" == "$hash" ]] && kc_answers; then
      log "keycloak $KEYCLOAK_VERSION up at http://$KC_HOST:$KC_PORT, realm $KC_REALM (pid $pid)"
      return 0
    fi
  elif tcp_open "$KC_HOST" "$KC_PORT"; then
    if kc_answers; then
      log "keycloak: something else already serves realm $KC_REALM on $KC_HOST:$KC_PORT (not started by this script); using it"
      return 0
    fi
    die "port $KC_PORT is taken by something that does not serve Keycloak realm $KC_REALM at $KC_ISSUER (free it or set FALAJ_KEYCLOAK_PORT)"
  fi

  mkdir -p "$KC_STATE_DIR"
  # Serialise concurrent `up`s. fd 8 is closed for Keycloak.
  exec 8>"$KC_STATE_DIR/.lock"
  flock -w 300 8 || die "another infra.sh holds $KC_STATE_DIR/.lock"

  if pid="$(kc_pid)" && [[ -f "$KC_REALM_HASH_FILE" && "$(cat "$KC_REALM_HASH_FILE")" != "$hash" ]]; then
    log "keycloak: $(basename "$KC_REALM_FILE") changed since Keycloak (pid $pid) imported it; restarting it"
    keycloak_down
  fi
  if ! pid="$(kc_pid)"; then
    rm -f "$KC_PID"
    if tcp_open "$KC_HOST" "$KC_PORT"; then
      die "port $KC_PORT on $KC_HOST is taken (not by a Keycloak this script started); free it or set FALAJ_KEYCLOAK_PORT"
    fi
    java_bin >/dev/null
    kc_fetch
    kc_admin_password
    kc_prepare_realm "$hash"
    [[ -f "$KC_LOG" ]] && mv -f "$KC_LOG" "$KC_LOG.1"
    log "starting Keycloak $KEYCLOAK_VERSION (start-dev) on http://$KC_HOST:$KC_PORT, importing realm $KC_REALM"
    # setsid: own session and process group (kc.sh runs java as its child), outliving this script.
    # The inner shell writes its pid, reads the admin password from its file (never argv) and execs kc.sh.
    setsid nohup bash -c 'echo $$ >"$1"; KC_BOOTSTRAP_ADMIN_PASSWORD="$(cat "$2")"; export KC_BOOTSTRAP_ADMIN_PASSWORD; shift 2; exec "$@"' \
      _ "$KC_PID" "$KC_PASSWORD_FILE" \
      env KC_BOOTSTRAP_ADMIN_USERNAME=admin JAVA_OPTS_KC_HEAP="-Xms64m -Xmx512m" \
      "$KC_HOME/bin/kc.sh" start-dev \
        --http-host="$KC_HOST" --http-port="$KC_PORT" --hostname="http://$KC_HOST:$KC_PORT" \
        --db-url-path="$KC_STATE_DIR" --import-realm --log-console-color=false \
      </dev/null >>"$KC_LOG" 2>&1 8>&- &
    local waited=0
    until [[ -s "$KC_PID" ]] || (( waited > 50 )); do sleep 0.1; waited=$((waited + 1)); done
    pid="$(cat "$KC_PID" 2>/dev/null || true)"
  fi

  local deadline=$((SECONDS + KC_START_TIMEOUT))
  until kc_answers; do
    if ! kc_pid >/dev/null; then
      kc_fail "Keycloak (pid ${pid:-?}) exited during startup"
    fi
    (( SECONDS < deadline )) || kc_fail "realm $KC_REALM's OIDC discovery did not answer at $KC_ISSUER within ${KC_START_TIMEOUT}s (Keycloak pid ${pid:-?} is left running; \`infra.sh down\` stops it)"
    sleep 1
  done
  printf '%s\n' "$hash" >"$KC_REALM_HASH_FILE"
  flock -u 8; exec 8>&-
  log "keycloak $KEYCLOAK_VERSION up at http://$KC_HOST:$KC_PORT, realm $KC_REALM (pid $pid, $((SECONDS - started)) s)"
}

kc_fail() {
  echo "infra: ERROR: $1" >&2
  echo "---- tail of $KC_LOG" >&2; tail -n 40 "$KC_LOG" >&2 2>/dev/null || true
  exit 1
}

keycloak_down() {
  local pid
  if ! pid="$(kc_pid)"; then
    rm -f "$KC_PID"
    log "keycloak $KEYCLOAK_VERSION is not running (nothing started by this script)"
    return 0
  fi
  log "stopping Keycloak $KEYCLOAK_VERSION (pid $pid)"
  # The whole process group: kc.sh waits on its java child, which a TERM to kc.sh alone would orphan.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kc_group_alive "$pid" && (( SECONDS < deadline )); do sleep 0.5; done
  if kc_group_alive "$pid"; then
    log "keycloak did not stop within 30s, sending SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    while kc_group_alive "$pid"; do sleep 0.2; done
  fi
  rm -f "$KC_PID"
  log "keycloak stopped"
}

kc_group_alive() { kill -0 -- "-$1" 2>/dev/null || kill -0 "$1" 2>/dev/null; }

# ---------------------------------------------------------------- Zipkin
# The trace backend (issue 16): one executable jar from Maven Central, on loopback, spans in
# memory (nothing on disk; a restart forgets them). The apps export to it when
# FALAJ_ZIPKIN_URL is set; the tracing e2e starts it through `infra.sh up zipkin`.
zk_pid() {
  local pid
  pid="$(cat "$ZK_PID" 2>/dev/null)" || return 1
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "zipkin-server-$ZIPKIN_VERSION-exec.jar" && printf '%s\n' "$pid"
}

zk_answers() { have curl && curl -fsS -o /dev/null --max-time 2 "http://$ZK_HOST:$ZK_PORT/health" 2>/dev/null; }

zk_fetch() {
  [[ -s "$ZK_JAR" ]] && return 0
  have mvn || die "Zipkin $ZIPKIN_VERSION is not cached at $ZK_JAR and mvn is missing (Debian: apt-get install maven)"
  local dir tmp
  dir="$(dirname "$ZK_JAR")"; tmp="$dir.tmp"
  log "resolving Zipkin $ZIPKIN_VERSION (zipkin-server, classifier exec, ~130 MB) from Maven Central into $dir"
  rm -rf "$tmp"; mkdir -p "$tmp" "$ZK_STATE_DIR"
  if ! mvn -q -B -Dstyle.color=never -f "$ZIPKIN_DIR/pom.xml" dependency:copy -DoutputDirectory="$tmp" >"$ZK_STATE_DIR/mvn.log" 2>&1; then
    tail -n 30 "$ZK_STATE_DIR/mvn.log" >&2 || true
    die "mvn could not resolve Zipkin $ZIPKIN_VERSION (is Maven Central reachable?); full output in $ZK_STATE_DIR/mvn.log"
  fi
  [[ -s "$tmp/$(basename "$ZK_JAR")" ]] || die "mvn finished but $(basename "$ZK_JAR") is not in $tmp"
  mkdir -p "$dir"; mv "$tmp/$(basename "$ZK_JAR")" "$ZK_JAR"; rm -rf "$tmp"
}

zipkin_up() {
  mkdir -p "$ZK_STATE_DIR"
  local pid
  if pid="$(zk_pid)"; then
    if zk_answers; then log "zipkin $ZIPKIN_VERSION up at http://$ZK_HOST:$ZK_PORT (pid $pid)"; return 0; fi
  elif zk_answers; then
    log "zipkin: something already answers on $ZK_HOST:$ZK_PORT (not started by this script); using it"; return 0
  elif tcp_open "$ZK_HOST" "$ZK_PORT"; then
    die "port $ZK_PORT on $ZK_HOST is taken (not by a Zipkin this script started); free it or set FALAJ_ZIPKIN_PORT"
  else
    rm -f "$ZK_PID"
    local java; java="$(java_bin)"
    zk_fetch
    [[ -f "$ZK_LOG" ]] && mv -f "$ZK_LOG" "$ZK_LOG.1"
    log "starting Zipkin $ZIPKIN_VERSION on http://$ZK_HOST:$ZK_PORT"
    # Loopback only; its own session so it outlives this script. In memory it keeps at most
    # 100,000 spans (Zipkin's default, 500,000, outgrows the 384 MiB heap: a bench's traced
    # phases send more, and a full heap answers every export 500).
    setsid nohup "$java" -Xms64m -Xmx384m -jar "$ZK_JAR" \
      "--armeria.ports[0].ip=$ZK_HOST" "--armeria.ports[0].port=$ZK_PORT" "--armeria.ports[0].protocols=http" \
      "--zipkin.storage.mem.max-spans=100000" \
      </dev/null >>"$ZK_LOG" 2>&1 &
    printf '%s\n' "$!" >"$ZK_PID"
    pid="$!"
  fi
  local deadline=$((SECONDS + 90))
  until zk_answers; do
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$ZK_LOG" >&2 2>/dev/null || true; die "Zipkin (pid $pid) exited during startup; log: $ZK_LOG"; }
    (( SECONDS < deadline )) || die "Zipkin did not answer at http://$ZK_HOST:$ZK_PORT/health within 90 s (pid $pid left running; log: $ZK_LOG)"
    sleep 1
  done
  log "zipkin $ZIPKIN_VERSION up at http://$ZK_HOST:$ZK_PORT (pid $pid)"
}

zipkin_down() {
  local pid
  if ! pid="$(zk_pid)"; then rm -f "$ZK_PID"; log "zipkin $ZIPKIN_VERSION is not running (nothing started by this script)"; return 0; fi
  log "stopping Zipkin $ZIPKIN_VERSION (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$ZK_PID"
  log "zipkin stopped"
}

# ---------------------------------------------------------------- ONNX backend test data
# The conformance tests (npm test, npm run conformance) run ONNX's backend node tests from
# Debian's libonnx-testdata. Installed once, quietly, when missing and apt-get can (root).
ONNX_TESTDATA_DIR=/usr/share/libonnx-testdata/data/node

# Installs Debian package $1 (what it is for: $2), as root or through sudo; dies saying how otherwise.
apt_install() {
  local package="$1" what="$2" sudo=""
  have apt-get || die "$what is missing and apt-get is not available (Debian: apt-get install $package)"
  if [[ "$(id -u)" != 0 ]]; then have sudo || die "installing $package needs root: sudo apt-get install $package"; sudo="sudo -n"; fi
  log "installing $package ($what)"
  $sudo apt-get update -qq >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$package" >/dev/null || die "apt-get install $package failed"
}

onnx_testdata_up() {
  if [[ -d "$ONNX_TESTDATA_DIR" ]]; then log "onnx test data at $ONNX_TESTDATA_DIR"; return 0; fi
  apt_install libonnx-testdata "ONNX backend test data"
  [[ -d "$ONNX_TESTDATA_DIR" ]] || die "libonnx-testdata installed but $ONNX_TESTDATA_DIR is missing"
  log "onnx test data at $ONNX_TESTDATA_DIR"
}

# ---------------------------------------------------------------- Prometheus
# The metrics test runs Debian's Prometheus against the running apps (a process of its own per
# test, on a free port): only the binaries are needed, installed once when missing.
prometheus_up() {
  if have prometheus && have promtool; then log "prometheus $(prometheus --version 2>&1 | sed -n 's/^prometheus, version \([^ ]*\).*/\1/p' | head -1) at $(command -v prometheus)"; return 0; fi
  apt_install prometheus "the binaries the metrics test runs; its service is not started"
  # The package may start its own service where systemd runs; the test starts its own instance.
  if have systemctl && systemctl is-active --quiet prometheus 2>/dev/null; then systemctl stop prometheus 2>/dev/null || sudo -n systemctl stop prometheus || true; fi
  have prometheus && have promtool || die "prometheus installed but its binaries are not on PATH"
  log "prometheus at $(command -v prometheus)"
}

# ---------------------------------------------------------------- Chromium
# The console's browser e2e (test/console.e2e-spec.ts) drives Debian's Chromium through
# playwright-core: never a browser downloaded by Playwright. Installed once when missing.
chromium_up() {
  if [[ -x /usr/bin/chromium ]]; then log "chromium at /usr/bin/chromium"; return 0; fi
  apt_install chromium "the browser the console's e2e drives"
  [[ -x /usr/bin/chromium ]] || die "chromium installed but /usr/bin/chromium is missing"
  log "chromium at /usr/bin/chromium"
}

# ---------------------------------------------------------------- status
status() {
  if pg_up; then echo "postgres  up    $PG_HOST:$PG_PORT"; else echo "postgres  down  $PG_HOST:$PG_PORT"; fi
  if redis_ping; then echo "redis     up    $REDIS_HOST:$REDIS_PORT"; else echo "redis     down  $REDIS_HOST:$REDIS_PORT"; fi
  local pid who
  if pid="$(redis_tls_pid)"; then who="pid $pid"; else who="not started by infra.sh"; fi
  if redis_tls_ping; then echo "redis-tls up    $REDIS_HOST:$REDIS_TLS_PORT  TLS, ACL  ($who)"; else echo "redis-tls down  $REDIS_HOST:$REDIS_TLS_PORT  ($who)"; fi
  if pid="$(kafka_pid)"; then who="pid $pid"; else who="not started by infra.sh"; fi
  if kafka_answers; then
    echo "kafka     up    $KAFKA_HOST:$KAFKA_PORT  version $KAFKA_VERSION  $KAFKA_SECURITY  ($who)"
  else
    echo "kafka     down  $KAFKA_HOST:$KAFKA_PORT  version $KAFKA_VERSION  $KAFKA_SECURITY  ($who)"
  fi
  if pid="$(kc_pid)"; then who="pid $pid, port $(kc_pid_port "$pid")"; else who="not started by infra.sh"; fi
  if kc_answers; then
    echo "keycloak  up    $KC_HOST:$KC_PORT  version $KEYCLOAK_VERSION  realm $KC_REALM  ($who)"
  else
    echo "keycloak  down  $KC_HOST:$KC_PORT  version $KEYCLOAK_VERSION  realm $KC_REALM  ($who)"
  fi
  if pid="$(zk_pid)"; then who="pid $pid"; else who="not started by infra.sh"; fi
  if zk_answers; then echo "zipkin    up    $ZK_HOST:$ZK_PORT  version $ZIPKIN_VERSION  ($who)"; else echo "zipkin    down  $ZK_HOST:$ZK_PORT  version $ZIPKIN_VERSION  ($who)"; fi
}

# One "<service> <pid>" line per process the bench charges CPU to: the TLS Redis and the broker this
# script started, and the postmaster of the Postgres on $PG_HOST:$PG_PORT (its backends are its children).
pids() {
  local pid
  if pid="$(redis_tls_pid)"; then echo "redis $pid"; fi
  if pid="$(kafka_pid)"; then echo "kafka $pid"; fi
  if pg_up && pid="$(pg_admin -c "SELECT split_part(pg_read_file('postmaster.pid'), E'\\n', 1)" 2>/dev/null)" && [[ "$pid" =~ ^[0-9]+$ ]]; then echo "postgres $pid"; fi
}

# The FALAJ_KAFKA_* variables an app (or a client) needs to reach this broker as SCRAM user $1:
# names of files, never a password. `eval "$(infra.sh kafka-env falaj-router)"` or `env $(...)`.
kafka_env() {
  local user="$1" known=""
  for u in "${KAFKA_USERS[@]}"; do [[ "$u" == "$user" ]] && known=1; done
  printf 'FALAJ_KAFKA_BROKERS=%s:%s\nFALAJ_KAFKA_SECURITY=%s\n' "$KAFKA_HOST" "$KAFKA_PORT" "$KAFKA_SECURITY"
  [[ "$KAFKA_SECURITY" == sasl_ssl ]] || return 0
  if [[ "$user" == tenant ]]; then
    # A tenant's client: TLS with this CA, OAUTHBEARER with a Kafka token from POST /admin/kafka/token.
    printf 'FALAJ_KAFKA_CA_FILE=%s\nFALAJ_KAFKA_SASL_MECHANISM=oauthbearer\n' "$KAFKA_CA"
    return 0
  fi
  [[ -n "$known" ]] || die "no SCRAM user '$user' (users: ${KAFKA_USERS[*]}; or 'tenant')"
  printf 'FALAJ_KAFKA_USERNAME=%s\nFALAJ_KAFKA_PASSWORD_FILE=%s\nFALAJ_KAFKA_CA_FILE=%s\n' "$user" "$KAFKA_AUTH_DIR/$user.password" "$KAFKA_CA"
  # The registry also provisions tenants: their ACLs (as falaj-provisioner) and Kafka tokens (this key).
  [[ "$user" == falaj-registry ]] && printf 'FALAJ_KAFKA_PROVISIONER_PASSWORD_FILE=%s\nFALAJ_KAFKA_TOKEN_KEY_FILE=%s\n' "$KAFKA_AUTH_DIR/falaj-provisioner.password" "$KAFKA_TOKEN_KEY"
  return 0
}

usage() { echo "usage: $0 up [keycloak|zipkin|prometheus|chromium|kafka|redis-tls]|down [keycloak|zipkin|redis-tls|kafka]|status|pids|kafka-env <user>" >&2; exit 2; }

case "${1:-}" in
  up)
    case "${2:-}" in
      "") postgres_up; postgres_secure; redis_up; redis_tls_up; kafka_up; onnx_testdata_up ;;   # what npm start needs; not Keycloak
      keycloak) keycloak_up ;;
      zipkin) zipkin_up ;;
      prometheus) prometheus_up ;;
      chromium) chromium_up ;;
      redis-tls) redis_tls_up ;;
      # Only the broker: a second one (other FALAJ_KAFKA_PORT/FALAJ_STATE_DIR) leaves the machine's Postgres alone.
      kafka) kafka_up ;;
      *) usage ;;
    esac ;;
  down)
    case "${2:-}" in
      "") kafka_down; redis_tls_down; keycloak_down; zipkin_down ;;
      keycloak) keycloak_down ;;
      zipkin) zipkin_down ;;
      redis-tls) redis_tls_down ;;
      # Only the broker (npm run chaos restarts its own one, in its own FALAJ_STATE_DIR).
      kafka) kafka_down ;;
      *) usage ;;
    esac ;;
  status) status ;;
  pids) pids ;;
  kafka-env) [[ -n "${2:-}" ]] || usage; kafka_env "$2" ;;
  *) usage ;;
esac
