#!/usr/bin/env bash
# A development certificate authority and the certificates made from it, with openssl.
#
#   bash scripts/dev/ca.sh <dir> [<name>...]
#
# Creates, once, <dir>/ca.crt and <dir>/ca.key (an ECDSA P-256 CA), then for every <name> that
# has none yet <dir>/<name>.crt and <dir>/<name>.key: a leaf signed by that CA, usable as a
# server and as a client certificate (mTLS), whose subject CN is <name> and whose SANs are <name>,
# localhost, 127.0.0.1 and ::1. Keys are mode 600 and never printed. Idempotent: what exists is
# kept, except a leaf that expires within 30 days (or was not made by this CA), which is remade.
# Prints nothing but errors; the caller says where the CA is.
#
# Used by `npm start` (under .local/tls), by `npm test` and by the tests that need a foreign CA.
set -euo pipefail

dir=${1:?usage: ca.sh <dir> [<name>...]}
shift
mkdir -p "$dir"
chmod 700 "$dir"
umask 077

ca_crt="$dir/ca.crt" ca_key="$dir/ca.key"
if [[ ! -s "$ca_crt" || ! -s "$ca_key" ]]; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$ca_key" 2>/dev/null
  openssl req -x509 -new -key "$ca_key" -sha256 -days 3650 -subj "/O=Falaj development/CN=Falaj development CA $(basename "$dir")" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$ca_crt" 2>/dev/null
  chmod 644 "$ca_crt"
fi

for name in "$@"; do
  [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9.-]*$ ]] || { echo "ca.sh: not a certificate name: $name" >&2; exit 1; }
  crt="$dir/$name.crt" key="$dir/$name.key"
  if [[ -s "$crt" && -s "$key" ]] && openssl x509 -in "$crt" -noout -checkend $((30 * 86400)) >/dev/null 2>&1 \
    && openssl verify -CAfile "$ca_crt" "$crt" >/dev/null 2>&1; then
    continue
  fi
  openssl ecparam -name prime256v1 -genkey -noout -out "$key" 2>/dev/null
  ext=$(mktemp)
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1,IP:::1" > "$ext"
  openssl req -new -key "$key" -subj "/O=Falaj development/CN=$name" 2>/dev/null \
    | openssl x509 -req -CA "$ca_crt" -CAkey "$ca_key" -CAcreateserial -days 825 -sha256 -extfile "$ext" -out "$crt" 2>/dev/null
  rm -f "$ext" "$dir/ca.srl"
  chmod 644 "$crt"
done
