#!/usr/bin/env bash
# Makes the native CPU kernels buildable: a C++ compiler and oneDNN's headers and library
# (Debian's g++ and libdnnl-dev); `npm ci` then builds native/ (package.json "install").
# Exits 0 when they are present (installed here or before), 1 when they cannot be had; either
# way it says so in one line, and without them the engine runs on wasm.
set -u
have_onednn() {
  command -v "${CXX:-c++}" >/dev/null && echo '#include <oneapi/dnnl/dnnl.hpp>' | "${CXX:-c++}" -x c++ -std=c++17 -E -o /dev/null - 2>/dev/null
}
if have_onednn; then
  echo "oneDNN: present ($(dpkg-query -W -f='libdnnl-dev ${Version}' libdnnl-dev 2>/dev/null || echo 'headers found'))"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "oneDNN: not installed and cannot install it here (needs root and apt-get: apt-get install -y g++ libdnnl-dev); the native-kernel tests will skip"
  exit 1
fi
if { apt-get update -qq && apt-get install -y -qq g++ libdnnl-dev; } >/tmp/fewshot-onednn.log 2>&1 && have_onednn; then
  echo "oneDNN: installed ($(dpkg-query -W -f='libdnnl-dev ${Version}' libdnnl-dev))"
  exit 0
fi
echo "oneDNN: install failed (see /tmp/fewshot-onednn.log); the native-kernel tests will skip"
exit 1
