#!/usr/bin/env bash
# Packs what a bare GPU machine lacks into bench/gpu/.carry (git-ignored), for bench/gpu/run.sh:
# this machine's Node 20 binary, the node_modules files the GPU stages load (module-closure.ts),
# the Vulkan loader .debs, and the PyTorch reference. Run it here (npm ci done, apt reachable);
# the device tool then carries the folder: carry ["bench/gpu/.carry"].
set -euo pipefail
cd "$(dirname "$0")/../.."
CARRY=bench/gpu/.carry
SHARED=${FEWSHOT_SHARED_DIR:-../shared}
rm -rf "$CARRY"
mkdir -p "$CARRY/debs" "$CARRY/shared/reference"

echo "node $(node --version) -> $CARRY/node.xz"
xz -T0 -6 -c "$(command -v node)" > "$CARRY/node.xz"

echo "node_modules closure -> $CARRY/node_modules.tar.xz"
node --import tsx bench/gpu/module-closure.ts > "$CARRY/modules.txt"
tar -cf - -T "$CARRY/modules.txt" | xz -T0 -6 > "$CARRY/node_modules.tar.xz"

# The Vulkan loader and GL dispatch libraries NVIDIA's ICD needs (device README), for amd64
# whatever this machine is, with apt lists kept apart from the system's.
echo "Vulkan loader debs -> $CARRY/debs"
lists=$(mktemp -d)
mkdir -p "$lists/partial"
apt_opts=(-o APT::Sandbox::User=root -o APT::Architecture=amd64 -o APT::Architectures=amd64 -o "Dir::State::Lists=$lists" -qq)
apt-get "${apt_opts[@]}" update
(cd "$CARRY/debs" && apt-get "${apt_opts[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
rm -rf "$lists"

cp "$SHARED/reference/maml_bench.py" "$CARRY/shared/reference/"
du -sh "$CARRY"/* | sed 's/^/  /'
total=$(du -sm "$CARRY" | cut -f1)
echo "  ${total} MiB in all"
if [ "$total" -gt 56 ]; then
  echo "$CARRY is ${total} MiB: with the checkout it must stay under the device tool's 64 MiB" >&2
  exit 1
fi
