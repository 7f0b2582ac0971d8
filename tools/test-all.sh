#!/usr/bin/env bash
# Runs every test of the microscope on a fresh Debian machine with Node 20: installs what
# the tests need when it is missing (Debian chromium for SwiftShader WebGPU, libvulkan1,
# Debian's PyTorch, torchvision and onnx, npm packages), then type-checks, builds the static site, runs the unit, fuzz-corpus
# and WGSL-on-adapter tests (vitest, Dawn in Node) and the end-to-end tests in headless Chromium.
set -uo pipefail
cd "$(dirname "$0")/.."

ICD=/usr/lib/chromium/vk_swiftshader_icd.json
need_apt=()
[ -f "$ICD" ] && [ -x /usr/bin/chromium ] || need_apt+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || need_apt+=(libvulkan1)
# Debian's PyTorch: the end-to-end drawing check compares the page with a fresh PyTorch pass.
/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || need_apt+=(python3-torch python3-numpy)
# torchvision's models exported to ONNX (onnx checks the files) are the importer's oracle.
/usr/bin/python3 -c 'import torchvision, onnx' 2>/dev/null || need_apt+=(python3-torchvision python3-onnx)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing ${need_apt[*]} (Debian packages: SwiftShader WebGPU and PyTorch for tests)..."
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_apt[@]}" \
    || { echo "could not install ${need_apt[*]}: install them with apt-get and rerun"; exit 1; }
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm install (not ci): it installs the locked versions and tolerates a lock without
  # other platforms' optional packages, which this npm writes.
  npm install --no-audit --no-fund || exit 1
fi
export VK_ICD_FILENAMES="${VK_ICD_FILENAMES:-$ICD}"
mkdir -p test-results

status=0
# Each step says how long the one before it took (the whole run should stay under 20 minutes).
step_name=""; step_start=$SECONDS; timings=()
step() {
  [ -n "$step_name" ] && timings+=("$(printf '%5ds  %s' $((SECONDS - step_start)) "$step_name")")
  step_name="$1"; step_start=$SECONDS
  [ -n "$1" ] && { echo; echo "== $1"; }
}

step "type check (svelte-check)"
npm run --silent check || status=1

step "static site build"
npm run --silent build || status=1

step "unit, fuzz-corpus and WGSL tests (vitest, WebGPU through Dawn on $(basename "$VK_ICD_FILENAMES" .json); the CSP test reads build/)"
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json || status=1

step "end-to-end tests (headless Chromium)"
node tests/e2e/run.mjs | tee test-results/e2e.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step "end-to-end tests of the microscope page (headless Chromium)"
node tests/e2e/microscope.mjs | tee test-results/e2e-microscope.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step "end-to-end tests of your own images as the image set (headless Chromium)"
node tests/e2e/images.mjs | tee test-results/e2e-images.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step "end-to-end tests of opening your own ONNX model (headless Chromium)"
node tests/e2e/import.mjs | tee test-results/e2e-import.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step "end-to-end hardening tests: CSP, hostile links, bad images (headless Chromium)"
node tests/e2e/hardening.mjs | tee test-results/e2e-hardening.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step "end-to-end tests of the circuit diagram and top-activating images (headless Chromium)"
node tests/e2e/diagram.mjs | tee test-results/e2e-diagram.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step "end-to-end tests of reported bugs, each failing before its fix (headless Chromium)"
node tests/e2e/bugs.mjs | tee test-results/e2e-bugs.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step "end-to-end legibility of the microscope page: graph area, labels, legend, fit, panels (headless Chromium)"
node tests/e2e/legibility.mjs | tee test-results/e2e-legibility.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step "end-to-end tests of the graph view (headless Chromium; frame-time benchmark off)"
GRAPH_BENCH_SIZES= node tests/e2e/graph.mjs | tee test-results/e2e-graph.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step "end-to-end tests of the progressive first answer (headless Chromium)"
node tests/e2e/progressive.mjs | tee test-results/e2e-progressive.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step "end-to-end tests of the fast-precision setting (headless Chromium)"
node tests/e2e/precision.mjs | tee test-results/e2e-precision.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step "end-to-end tests of the classroom tour and the preservation curve (headless Chromium, 1920x1080)"
node tests/e2e/tour.mjs | tee test-results/e2e-tour.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step ""
echo; echo "== time per step"; printf '%s\n' "${timings[@]}"; echo "$(printf '%5ds' "$SECONDS")  in all"

# One closing line for the whole run.
node -e '
const fs = require("fs");
let passed = 0, failed = 0;
try { const v = JSON.parse(fs.readFileSync("test-results/vitest.json", "utf8")); passed += v.numPassedTests; failed += v.numFailedTests + (v.numRuntimeErrors ?? 0); } catch { failed += 1; }
for (const log of ["test-results/e2e.log", "test-results/e2e-microscope.log", "test-results/e2e-graph.log", "test-results/e2e-images.log", "test-results/e2e-import.log", "test-results/e2e-hardening.log", "test-results/e2e-diagram.log", "test-results/e2e-tour.log", "test-results/e2e-bugs.log", "test-results/e2e-legibility.log", "test-results/e2e-progressive.log", "test-results/e2e-precision.log"]) {
  try { const m = fs.readFileSync(log, "utf8").match(/(\d+) passed, (\d+) failed\s*$/); passed += +m[1]; failed += +m[2]; } catch { failed += 1; }
}
if (process.argv[1] === "1" && failed === 0) failed = 1;
console.log(`\ntotal: ${passed} passed, ${failed} failed`);
' "$status"
exit $status
