#!/usr/bin/env bash
# Packs what the benchmark needs on a lent GPU machine (no Node, no npm, no Vulkan loader, no
# network) into gpu-pack/: node and dawn.node (xz), the Vulkan loader and the libraries NVIDIA's
# driver links (.deb), and the benchmark bundled into one .mjs. Run from anywhere; see run.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
PACK=gpu-pack
ARCH=linux-x64
DEBS=(libvulkan1 libglvnd0 libx11-6 libxext6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0)

rm -rf "$PACK" && mkdir -p "$PACK/debs" "$PACK/webgpu"

echo "[pack] node $(node --version): strip + xz"
NODE_BIN=$(readlink -f "$(command -v node)")
strip -o "$PACK/node" "$NODE_BIN"
xz -6 -T1 "$PACK/node"

echo "[pack] webgpu package: index.js, package.json, dawn.node ($ARCH, xz)"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$PACK/webgpu/"
xz -6 -T1 -c "node_modules/webgpu/dist/$ARCH/dawn.node" > "$PACK/webgpu/dawn.node.xz"

echo "[pack] Vulkan loader and driver libraries: ${DEBS[*]}"
(cd "$PACK/debs" && apt-get -q -oAPT::Architecture=amd64 download "${DEBS[@]}" >/dev/null 2>&1)
# plain names (NAME.deb): version strings hold characters ('%3a') that file transfers may refuse
for name in "${DEBS[@]}"; do mv "$PACK"/debs/"${name}"_*.deb "$PACK/debs/$name.deb"; done

echo "[pack] benchmark bundle (vite, shaders inlined, webgpu external)"
npx svelte-kit sync >/dev/null
npx vite build --config tools/gpu/vite.config.ts
mkdir -p "$PACK/bundle/node_modules"
cp -r tools/gpu/webgpu-shim "$PACK/bundle/node_modules/webgpu"

# The weights and images (static/weights/fashion-vgg) and tools/gpu/torch_conv.py are
# tracked, so they travel with the working tree; only ignored files need packing.
du -sh "$PACK"
total=$(du -sb "$PACK" | cut -f1)
if (( total > 60 * 1024 * 1024 )); then echo "[pack] $PACK is $total bytes: over the 64 MiB carry limit" >&2; exit 1; fi
echo "[pack] done: run with the device tool, carry [\"$PACK\"], command: bash tools/gpu/run.sh"
