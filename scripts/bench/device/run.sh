#!/bin/bash
# GPU machine: unpacks what pack.sh put in .gpu/ and .gl/, finds the NVIDIA Vulkan ICD, runs
# the bundled `npm run bench:gpu` (figures on stdout, rows as JSON in $OUT/bench-gpu.json).
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=/tmp/tessera-gpu; mkdir -p $work
for f in .gl/*.deb; do [ -f "$f" ] && dpkg -x "$f" /; done; ldconfig
if ! command -v node >/dev/null; then tar -C $work -xJf $here/node.tar.xz; export PATH=$work:$PATH; fi
tar -C $work -xJf $here/webgpu.tar.xz  # node_modules/webgpu beside bench.mjs
cp $here/bench.mjs $work/
icd=${ICD:-$(ls /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd*.json /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json 2>/dev/null | head -1)}
echo "node $(node --version); icd: ${icd:-none}"
nvidia-smi -L 2>/dev/null
export VK_ICD_FILENAMES=${icd:-/usr/lib/chromium/vk_swiftshader_icd.json}
[ -n "$icd" ] && export VK_DRIVER_FILES=$icd __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
export TESSERA_BENCH_MNIST=$here TESSERA_BENCH_JSON=${OUT:-/tmp}/bench-gpu.json
cd $work && timeout ${BENCH_TIMEOUT:-420} node bench.mjs
