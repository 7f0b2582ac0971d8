#!/usr/bin/env bash
# Serves the microscope with its built-in models: installs the npm packages when missing,
# builds the static site and serves it at http://127.0.0.1:4173 (PORT to change).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
npx vite build
echo "The microscope is at http://127.0.0.1:${PORT:-4173}/ (Ctrl+C to stop)"
exec npx vite preview --host 127.0.0.1 --port "${PORT:-4173}" --strictPort
