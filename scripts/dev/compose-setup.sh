#!/usr/bin/env bash
# What docker-compose.yml mounts, made once under .local/compose/ (the folder mode 700; the files
# mode 644 inside it, because each container reads its own as a user of its image — postgres,
# redis, appuser, node — none of them the host user; nothing outside the folder can reach them):
#   tls/                 a development CA and a certificate per service (scripts/dev/ca.sh), SAN = the service name
#   secrets/             the registry's key-encryption key and the platform accounts (scripts/dev/secrets.mjs),
#                        the Postgres, Redis and Kafka passwords of each app class, the tenants' Kafka-token key
#   postgres/            pg_hba.conf (TLS and SCRAM only) and the init script that makes the registry's role
#   redis/users.acl      the Redis admin (the apps' users are given at start by the redis-acl job)
#   kafka/               the broker's configuration (rendered from infra/kafka, as scripts/infra.sh does),
#                        its PEM keystore, the format's java @argfile (SCRAM users), the tokens' JWKS
# Idempotent: what exists is kept. Run it before `docker compose up --build`.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.local/compose
mkdir -p "$out"
chmod 700 "$out"
umask 022

secrets="$out/secrets"
FALAJ_SECRETS_DIR="$secrets" node scripts/dev/secrets.mjs >/dev/null
bash scripts/dev/ca.sh "$out/tls" registry gateway router cpu-worker gpu-worker postgres redis kafka
# ca.sh keeps keys 600 for the host; here each container's user must read its own mounted copy.
chmod 644 "$out"/tls/*.key "$secrets"/*

password() { [[ -s "$secrets/$1" ]] || openssl rand -base64 33 | tr -d '\n/+=' >"$secrets/$1"; chmod 644 "$secrets/$1"; }
for role in gateway router registry worker; do password "redis-$role.password"; done
password redis-admin.password
password postgres-admin.password
for user in falaj-admin falaj-broker falaj-gateway falaj-registry falaj-router falaj-worker falaj-provisioner; do password "kafka-$user.password"; done

# The tenants' Kafka-token key pair: the registry signs with the private key, the broker verifies with the JWKS.
mkdir -p "$out/kafka"
node -e '
  const crypto = require("crypto"), fs = require("fs");
  const [keyFile, jwksFile] = process.argv.slice(1);
  if (!fs.existsSync(keyFile)) {
    const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    fs.writeFileSync(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o644 });
  }
  const { crv, kty, x, y } = crypto.createPublicKey(fs.readFileSync(keyFile)).export({ format: "jwk" });
  const kid = crypto.createHash("sha256").update(JSON.stringify({ crv, kty, x, y })).digest("base64url");
  fs.writeFileSync(jwksFile, JSON.stringify({ keys: [{ kty, crv, x, y, kid, alg: "ES256", use: "sig" }] }) + "\n");
' "$secrets/kafka-token.key" "$out/kafka/kafka-token.jwks.json"

# Postgres: TLS and SCRAM from the network, the registry's role made at first start.
mkdir -p "$out/postgres"
printf '%s\n' '# docker-compose: the socket inside the container (init, health), TLS + SCRAM from the network, nothing else.' \
  'local all all trust' 'hostssl all all all scram-sha-256' 'host all all all reject' >"$out/postgres/pg_hba.conf"
cat >"$out/postgres/10-registry-role.sh" <<'SH'
#!/bin/sh
# The registry's role: it owns its database (created by the registry if missing), nothing else.
set -e
psql -v ON_ERROR_STOP=1 -v password="$(cat /run/secrets/postgres-registry-password)" --username "$POSTGRES_USER" <<'SQL'
CREATE ROLE falaj_registry LOGIN CREATEDB PASSWORD :'password';
SQL
SH

# Redis: no default user; the admin the redis-acl job logs in as.
mkdir -p "$out/redis"
admin_sha=$(printf '%s' "$(cat "$secrets/redis-admin.password")" | sha256sum | cut -d' ' -f1)
printf 'user default off resetkeys resetchannels -@all\nuser falaj-admin on #%s ~* &* +@all\n' "$admin_sha" >"$out/redis/users.acl"
# redis-acl.mjs reads the admin password from <state>/redis-tls/admin-password and makes no new ones.
mkdir -p "$out/redis/state/redis-tls"
cp "$secrets/redis-admin.password" "$out/redis/state/redis-tls/admin-password"
for role in gateway router registry worker; do cp "$secrets/redis-$role.password" "$out/redis/redis-$role.password"; done

# Kafka: infra/kafka's two templates, with the container's listeners and paths.
# Kafka reads a PEM keystore only with a PKCS#8 key (as infra.sh makes its own).
{ openssl pkcs8 -topk8 -nocrypt -in "$out/tls/kafka.key" && cat "$out/tls/kafka.crt"; } >"$out/kafka/keystore.pem"
broker_password=$(cat "$secrets/kafka-falaj-broker.password")
cat infra/kafka/server.properties infra/kafka/listeners-sasl_ssl.properties | sed \
  -e 's|@LOG_DIRS@|/var/lib/kafka/data|g' -e 's|@CONTROLLER_PORT@|9093|g' \
  -e 's|^listeners=SASL_SSL://127.0.0.1:@PORT@,|listeners=SASL_SSL://0.0.0.0:9092,|' \
  -e 's|^advertised.listeners=SASL_SSL://127.0.0.1:@PORT@|advertised.listeners=SASL_SSL://kafka:9092|' \
  -e 's|@KEYSTORE@|/etc/falaj/kafka/keystore.pem|g' -e 's|@CA@|/etc/falaj/kafka/ca.crt|g' \
  -e "s|@BROKER_PASSWORD@|$broker_password|g" -e 's|@TOKEN_JWKS@|/etc/falaj/kafka/kafka-token.jwks.json|g' \
  -e 's|User:falaj-kafka|User:kafka|g' >"$out/kafka/server.properties"
cp "$out/tls/ca.crt" "$out/kafka/ca.crt"
{
  printf '%s\n' -cp '/opt/kafka/libs/*' kafka.tools.StorageTool format --ignore-formatted -t ecEzlCAGSs2yv3iMwfZDXw -c /etc/falaj/kafka/server.properties
  for user in falaj-admin falaj-broker falaj-gateway falaj-registry falaj-router falaj-worker falaj-provisioner; do
    printf '%s\n' --add-scram "SCRAM-SHA-512=[name=$user,password=$(cat "$secrets/kafka-$user.password")]"
  done
} >"$out/kafka/format.args"

echo "compose files in $out (CA: $out/tls/ca.crt); now: docker compose up --build"
