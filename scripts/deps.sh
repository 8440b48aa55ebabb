#!/usr/bin/env bash
# Installs every Debian package gimp-restore needs to build, run and test.
# Usage: sudo bash scripts/deps.sh        (skips apt when everything is there)
# Debian 12 gets GIMP 2.10 (libgimp2.0-dev); Debian 13 and later, which
# ship only GIMP 3, get libgimp-3.0-dev.
set -euo pipefail
codename=$(. /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-bookworm}")
case "$codename" in
  bullseye|bookworm) gimp_dev=libgimp2.0-dev ;;
  *) gimp_dev=libgimp-3.0-dev ;;
esac
pkgs=(
  build-essential meson ninja-build pkg-config gettext clang
  libglib2.0-dev libopenblas-dev libpng-dev libjpeg-dev libtiff-dev
  gimp "$gimp_dev" libgegl-dev libgtk-3-dev
  xvfb xauth imagemagick xdotool
  python3-numpy python3-opencv python3-skimage python3-pil gmic opencv-doc
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
