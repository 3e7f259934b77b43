#!/bin/bash
# Packs `npm run bench:gpu` for a GPU machine that has no Node, no npm registry and no Vulkan
# loader: the bench bundled into one file, this machine's node binary, Dawn (npm webgpu), the
# MNIST split as shards, and the Debian Vulkan/GL loader packages, into .gpu/ and .gl/ (both
# git-ignored). On the GPU machine, from the repo root: bash .gpu/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
rm -rf .gpu && mkdir -p .gpu .gl /tmp/amd64/partial
npx esbuild scripts/bench/gpu.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --outfile=.gpu/bench.mjs \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
tar -C "$(dirname "$(readlink -f "$(command -v node)")")" -cf - node | xz -T2 -6 > .gpu/node.tar.xz
tar -cf - node_modules/webgpu/index.js node_modules/webgpu/package.json \
  node_modules/webgpu/dist/linux-x64 | xz -T2 -6 > .gpu/webgpu.tar.xz
node --import tsx scripts/bench/device/mnistShard.ts .gpu
cp scripts/bench/device/run.sh .gpu/run.sh
# libGLX_nvidia (the NVIDIA Vulkan ICD) needs glvnd beside the Vulkan loader.
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update -qq
(cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
du -sh .gpu .gl
