#!/usr/bin/env bash
# Runs the benchmark on a lent GPU machine from the repository root, with gpu-pack/ carried
# (made by tools/gpu/pack.sh): unpacks node, dawn.node and the Vulkan loader into a scratch
# folder, finds a hardware adapter, runs the bundled bench and tools/gpu/torch_conv.py, and
# writes $OUT/gpu-bench.tar.gz (bench.json, tables, logs) and $OUT/table.txt.
# Environment: GPU_BENCH_ARGS (extra bench options, e.g. "--quick"), TORCH_ARGS,
# BENCH_TIMEOUT / TORCH_TIMEOUT (seconds), ALLOW_SOFTWARE_ADAPTER=1 (rehearsal on SwiftShader),
# GPU_DAWN_FLAGS (Dawn instance toggles; default: exact timestamps), KEEP_SCRATCH=1.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PACK=$ROOT/gpu-pack
OUT=${OUT:-$ROOT/gpu-out}
mkdir -p "$OUT"
S=$(mktemp -d "${TMPDIR:-/tmp}/gpu-bench.XXXXXX")
RES=$S/results
mkdir -p "$RES" "$S/bin" "$S/sysroot" "$S/webgpu/dist/linux-x64"
exec > >(tee "$RES/run.log") 2>&1

finish() {
  local rc=$?
  tar -czf "$OUT/gpu-bench.tar.gz" -C "$S" results
  [[ -f $RES/table.txt ]] && cp "$RES/table.txt" "$OUT/table.txt"
  cp "$RES/run.log" "$OUT/run.log" 2>/dev/null
  echo "[gpu] wrote $OUT/gpu-bench.tar.gz ($(ls "$RES" | tr '\n' ' ')); exit $rc"
  [[ ${KEEP_SCRATCH:-0} == 1 ]] || rm -rf "$S"
}
trap finish EXIT
die() { echo "[gpu] ERROR: $*"; exit "${2:-1}"; }

[[ -f $PACK/node.xz ]] || die "no $PACK/node.xz: run tools/gpu/pack.sh here first and carry gpu-pack"
echo "[gpu] $(date -u +%FT%TZ) on $(uname -n): $(nproc) cores; scratch $S"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

# 1. Node, dawn.node and the real webgpu package JS.
xz -dc "$PACK/node.xz" > "$S/bin/node" && chmod +x "$S/bin/node" || die "cannot unpack node"
cp "$PACK/webgpu/index.js" "$PACK/webgpu/package.json" "$S/webgpu/"
xz -dc "$PACK/webgpu/dawn.node.xz" > "$S/webgpu/dist/linux-x64/dawn.node" || die "cannot unpack dawn.node"
NODE=$S/bin/node
export PATH=$S/bin:$PATH GPU_WEBGPU_DIR=$S/webgpu
export GPU_DAWN_FLAGS=${GPU_DAWN_FLAGS-disable-dawn-features=timestamp_quantization}

# 2. The Vulkan loader and the libraries the driver links, into the scratch sysroot (not /).
for deb in "$PACK"/debs/*.deb; do
  if command -v dpkg >/dev/null; then dpkg -x "$deb" "$S/sysroot" || die "dpkg -x $deb failed"
  else python3 "$ROOT/tools/gpu/undeb.py" "$deb" "$S/sysroot" || die "cannot unpack $deb"; fi
done
export LD_LIBRARY_PATH=$S/sysroot/usr/lib/x86_64-linux-gnu:$S/sysroot/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
echo "[gpu] node: $("$NODE" -p 'process.execPath + " " + process.version')"
echo "[gpu] Dawn flags: ${GPU_DAWN_FLAGS:-none}"

# 3. The adapter: the loader's default driver (or VK_ICD_FILENAMES as given), then NVIDIA's.
NVIDIA_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
GIVEN=${VK_ICD_FILENAMES:-${VK_DRIVER_FILES:-}}
chosen= software=
for icd in "default:$GIVEN" "nvidia:$NVIDIA_ICD"; do
  label=${icd%%:*} file=${icd#*:}
  [[ $label == nvidia && ! -f $file ]] && { echo "[gpu] driver $label: $file not found"; continue; }
  echo "[gpu] driver $label (${file:-loader default search}):"
  ( if [[ -n $file ]]; then export VK_ICD_FILENAMES=$file VK_DRIVER_FILES=$file; else unset VK_ICD_FILENAMES VK_DRIVER_FILES; fi
    timeout 45 "$NODE" tools/gpu/probe.mjs ) | tee "$RES/adapter-$label.txt"
  rc=${PIPESTATUS[0]}
  if (( rc == 0 )); then chosen=$icd; break; fi
  if (( rc == 3 )) && [[ -z $software ]]; then software=$icd; fi
done
if [[ -z $chosen ]]; then
  if [[ -n $software && ${ALLOW_SOFTWARE_ADAPTER:-0} == 1 ]]; then
    echo "[gpu] !!! SOFTWARE ADAPTER ONLY: running anyway because ALLOW_SOFTWARE_ADAPTER=1; these numbers are NOT GPU numbers !!!"
    chosen=$software
  else
    echo "[gpu] !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    if [[ -n $software ]]; then found="only a software one (SwiftShader/fallback), driver ${software%%:*}"; else found="no adapter at all"; fi
    echo "[gpu] !!! NO HARDWARE ADAPTER: $found."
    echo "[gpu] !!! A number from a software adapter means nothing here: stopping (exit 3)."
    echo "[gpu] !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    exit 3
  fi
fi
export GPU_ICD_CHOSEN=${chosen#*:}
echo "[gpu] using driver ${chosen%%:*} (${GPU_ICD_CHOSEN:-loader default search})"

# 4. The bundled benchmark.
read -r -a extra <<< "${GPU_BENCH_ARGS:-}"
echo "[gpu] bench: --no-graph --sections=matmul,conv,tfjs,query ${extra[*]}"
timeout "${BENCH_TIMEOUT:-360}" "$NODE" "$PACK/bundle/bench.mjs" --no-graph --sections=matmul,conv,tfjs,query \
  --out="$RES/bench.json" --kernel-choices="$RES/kernel-choices.json" "${extra[@]}" 2>&1 | tee "$RES/bench.log"
bench_rc=${PIPESTATUS[0]}
echo "[gpu] bench exit $bench_rc"
awk '/^best matmul:/{on=1} /^wrote /{on=0} on' "$RES/bench.log" > "$RES/table.txt"

# 5. PyTorch on the same conv layers (CUDA; the CPU only with ALLOW_SOFTWARE_ADAPTER=1).
read -r -a targs <<< "${TORCH_ARGS:-}"
timeout "${TORCH_TIMEOUT:-120}" python3 tools/gpu/torch_conv.py --out "$RES/torch_conv.json" "${targs[@]}" 2>&1 | tee "$RES/torch_conv.log"
torch_rc=${PIPESTATUS[0]}
echo "[gpu] torch_conv exit $torch_rc"
{ echo; echo "PyTorch conv anchor (tools/gpu/torch_conv.py, exit $torch_rc):"; cat "$RES/torch_conv.log"; } >> "$RES/table.txt"
(( bench_rc == 0 )) || exit "$bench_rc"
exit "$torch_rc"
