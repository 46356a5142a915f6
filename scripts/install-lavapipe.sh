#!/usr/bin/env bash
# Makes a WebGPU adapter available without a GPU: Mesa's CPU Vulkan driver (lavapipe).
# Dawn needs a newer lavapipe than Debian 12's own (22.3 lacks
# shaderUniform*ArrayDynamicIndexing), so it comes from bookworm-backports.
# Exits 0 either way; the webgpu tests skip with a message when no adapter appears.
set -u
have_new_mesa() {
  ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 && dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -qv '^22\.'
}
if have_new_mesa; then
  echo "lavapipe: present ($(dpkg-query -W -f='${Version}' mesa-vulkan-drivers))"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "lavapipe: not installed and cannot install it here (needs root and apt-get); webgpu tests will skip"
  exit 0
fi
. /etc/os-release 2>/dev/null
if [ "${VERSION_CODENAME:-}" = bookworm ] && ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d; then
  echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/fewshot-backports.list
fi
if { apt-get update -qq && apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 ||
     apt-get install -y -qq mesa-vulkan-drivers libvulkan1; } >/tmp/fewshot-lavapipe.log 2>&1 && have_new_mesa; then
  echo "lavapipe: installed ($(dpkg-query -W -f='${Version}' mesa-vulkan-drivers))"
else
  echo "lavapipe: install failed (see /tmp/fewshot-lavapipe.log); webgpu tests will skip"
fi
exit 0
