#!/usr/bin/env bash
# Fetches the ONNX Runtime shared library (CPU build, linux x64) that
# adapters/onnx loads, from the npm package onnxruntime-node, without running
# any install script: `npm pack` downloads the tarball, we untar one file.
#
#   scripts/get-onnxruntime.sh            # -> third_party/onnxruntime/libonnxruntime.so.1
#
# Idempotent: does nothing when the library is already there. The directory
# is git-ignored. Set ORT_NPM_VERSION to fetch another version.
set -euo pipefail

version="${ORT_NPM_VERSION:-1.30.0}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/third_party/onnxruntime"
lib="$dest/libonnxruntime.so.1"

if [[ -s "$lib" && -f "$dest/VERSION" && "$(cat "$dest/VERSION")" == "$version" ]]; then
  echo "onnxruntime $version already at $lib"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) plat="linux/x64" ;;
  Linux-aarch64) plat="linux/arm64" ;;
  *) echo "get-onnxruntime: unsupported platform $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent --ignore-scripts "onnxruntime-node@$version" >/dev/null)
tgz="$(ls "$tmp"/onnxruntime-node-*.tgz)"
member="package/bin/napi-v6/$plat/libonnxruntime.so.1"
tar -xzf "$tgz" -C "$tmp" "$member"
mkdir -p "$dest"
# Atomic: copy beside, then rename.
cp "$tmp/$member" "$dest/.libonnxruntime.so.1.tmp"
mv "$dest/.libonnxruntime.so.1.tmp" "$lib"
echo "$version" > "$dest/VERSION"
echo "onnxruntime $version -> $lib"
