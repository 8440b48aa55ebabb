#!/usr/bin/env bash
# Configures and builds gimp-restore into BUILD (default: build).
# Usage: bash scripts/build.sh [BUILD] [meson options...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}; shift || true
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$@"
elif [ $# -gt 0 ]; then
  meson configure "$build" "$@"
fi
meson compile -C "$build"
