#!/usr/bin/env bash
# Places onnxruntime's CUDA execution provider libraries where onnxruntime-node loads them.
#
#   bash scripts/gpu/fetch-cuda-provider.sh            # fetch with mvn from Maven Central (or ~/.m2)
#   FALAJ_ORT_GPU_JAR=/path/onnxruntime_gpu-1.29.0.jar bash scripts/gpu/fetch-cuda-provider.sh   # offline
#   bash scripts/gpu/fetch-cuda-provider.sh --extract-only   # into FALAJ_ORT_CUDA_PROVIDER_DIR, no link
#
# Why here: onnxruntime-node's npm package ships only the CPU runtime (libonnxruntime.so.1); its
# installer fetches the CUDA providers from nuget.org. ONNX Runtime's Java GPU jar on Maven
# Central holds the same release's linux-x64 libraries, so we take them from there.
#
# Where: libonnxruntime resolves provider libraries relative to its own directory (the runtime
# path it finds with dladdr), i.e. node_modules/onnxruntime-node/bin/napi-v6/linux/x64/ — there is
# no search path or variable for them. With FALAJ_ORT_CUDA_PROVIDER_DIR set, the files are
# extracted there (e.g. a volume shared by images) and symlinked into the binding's directory.
#
# The GPU machine must provide what this onnxruntime release's CUDA build links against: CUDA 12.x
# runtime libraries (libcudart, libcublas, libcublasLt, libcufft, libcurand) and cuDNN 9.x, on the
# loader path (LD_LIBRARY_PATH), plus an NVIDIA driver new enough for CUDA 12. `npm run gpu-check`
# proves the result.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
POM="$ROOT/infra/onnxruntime-gpu/pom.xml"
die() { echo "fetch-cuda-provider: $*" >&2; exit 1; }
LINK=true
[[ "${1:-}" == "--extract-only" ]] && LINK=false

ORT_VERSION="$(sed -n 's:.*<onnxruntime.version>\(.*\)</onnxruntime.version>.*:\1:p' "$POM" | head -1)"
[[ -n "$ORT_VERSION" ]] || die "cannot read <onnxruntime.version> from $POM"
NODE_VERSION="$(node -p 'require("onnxruntime-node/package.json").version' 2>/dev/null)" \
  || die "onnxruntime-node is not installed (run npm ci first)"
if [[ "$ORT_VERSION" != "$NODE_VERSION" ]]; then
  die "VERSION MISMATCH: onnxruntime-node is $NODE_VERSION but $POM asks for onnxruntime_gpu $ORT_VERSION.
  The CUDA provider must come from the same release as the runtime; set <onnxruntime.version> to $NODE_VERSION."
fi
[[ "$(uname -s)/$(uname -m)" == "Linux/x86_64" ]] || die "the jar carries CUDA providers for linux-x64 only (this is $(uname -s)/$(uname -m))"

BINDING_DIR="$(node -p 'require("path").join(require("path").dirname(require.resolve("onnxruntime-node/package.json")), "bin/napi-v6/linux/x64")')"
[[ -f "$BINDING_DIR/libonnxruntime.so.1" ]] || die "no libonnxruntime.so.1 in $BINDING_DIR"
TARGET_DIR="${FALAJ_ORT_CUDA_PROVIDER_DIR:-$BINDING_DIR}"
[[ "$LINK" == true || -n "${FALAJ_ORT_CUDA_PROVIDER_DIR:-}" ]] || die "--extract-only needs FALAJ_ORT_CUDA_PROVIDER_DIR"
mkdir -p "$TARGET_DIR"

JAR="${FALAJ_ORT_GPU_JAR:-}"
if [[ -z "$JAR" ]]; then
  command -v mvn >/dev/null || die "mvn is missing (Debian: apt-get install maven), or pass FALAJ_ORT_GPU_JAR"
  CACHE="${FALAJ_CACHE_DIR:-$HOME/.cache/falaj}/onnxruntime-gpu-$ORT_VERSION"
  mkdir -p "$CACHE"
  JAR="$CACHE/onnxruntime_gpu-$ORT_VERSION.jar"
  if [[ ! -f "$JAR" ]]; then
    echo "fetch-cuda-provider: resolving com.microsoft.onnxruntime:onnxruntime_gpu:$ORT_VERSION with mvn (a few hundred MB)"
    if ! mvn -q -B -U -Dstyle.color=never -f "$POM" dependency:copy -DoutputDirectory="$CACHE" >"$CACHE/mvn.log" 2>&1; then
      if grep -Eq "Could not find artifact|was not found in" "$CACHE/mvn.log"; then
        die "com.microsoft.onnxruntime:onnxruntime_gpu:$ORT_VERSION is NOT on Maven Central (or your mirror).
  The providers of another release will not load into onnxruntime-node $NODE_VERSION, so this script will not
  take one. Either wait until ONNX Runtime publishes the Java GPU artifact of $ORT_VERSION, pin onnxruntime-node
  to a release that has one (see https://repo.maven.apache.org/maven2/com/microsoft/onnxruntime/onnxruntime_gpu/),
  or pass a jar of release $ORT_VERSION with FALAJ_ORT_GPU_JAR. mvn output: $CACHE/mvn.log"
      fi
      tail -n 20 "$CACHE/mvn.log" >&2
      die "mvn could not resolve onnxruntime_gpu $ORT_VERSION (is Maven Central reachable?); full output in $CACHE/mvn.log"
    fi
  fi
fi
[[ -f "$JAR" ]] || die "no jar at $JAR"
# The jar names its own release; a jar handed in by path is checked like the pom.
JAR_VERSION="$(unzip -p "$JAR" META-INF/maven/com.microsoft.onnxruntime/onnxruntime_gpu/pom.xml 2>/dev/null \
  | sed -n 's:^  <version>\(.*\)</version>.*:\1:p' | head -1)"
[[ "$JAR_VERSION" == "$ORT_VERSION" ]] \
  || die "VERSION MISMATCH: $JAR is onnxruntime_gpu '${JAR_VERSION:-unknown}', onnxruntime-node is $NODE_VERSION"

for lib in libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so; do
  unzip -p "$JAR" "ai/onnxruntime/native/linux-x64/$lib" >"$TARGET_DIR/$lib.part" \
    || die "$JAR holds no ai/onnxruntime/native/linux-x64/$lib"
  mv "$TARGET_DIR/$lib.part" "$TARGET_DIR/$lib"
  if [[ "$LINK" == true && "$TARGET_DIR" != "$BINDING_DIR" ]]; then ln -sfn "$(cd "$TARGET_DIR" && pwd)/$lib" "$BINDING_DIR/$lib"; fi
  echo "fetch-cuda-provider: $TARGET_DIR/$lib ($(stat -c %s "$TARGET_DIR/$lib") bytes)"
done
echo "fetch-cuda-provider: onnxruntime $ORT_VERSION CUDA provider in place beside $BINDING_DIR/libonnxruntime.so.1"
echo "fetch-cuda-provider: needs CUDA 12.x and cuDNN 9.x on the loader path; check with: npm run gpu-check"
