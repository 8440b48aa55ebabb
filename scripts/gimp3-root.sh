#!/bin/bash
# gimp-restore: a Debian 13 root with GIMP 3 for building and testing the
# GIMP 3 plug-in on a machine that has GIMP 2.10 (Debian 12).
#
#   bash scripts/gimp3-root.sh [ROOT]     (as root; ROOT: /var/cache/gimp-restore/trixie)
#
# Made once with debootstrap from the mirror in apt's own sources, then
# reused: a root that has gimp-console-3.0 and libgimp-3.0-dev is left as it
# is.  Prints ROOT.  Sourced, it defines gimp3_root_make ROOT (the same)
# and gimp3_root_run ROOT CMD... (a command in the root, /proc and /dev
# mounted for it).  The root has one real locale, de_DE.UTF-8: glibc 2.41
# ignores LANGUAGE under the C locales, so translated runs set it.

gimp3_root_mirror () {
  # the first deb.debian.org-style URI of apt's sources (deb822 or one-line)
  local uri
  uri=$(grep -h -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '{print $2}' | grep -v -- '-security' | head -n 1 || true)
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

gimp3_root_run () {
  local root=$1; shift
  mountpoint -q "$root/proc" || mount --bind /proc "$root/proc"
  mountpoint -q "$root/dev" || mount --bind /dev "$root/dev"
  local rc=0
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    "$@" || rc=$?
  umount "$root/dev" 2>/dev/null || true
  umount "$root/proc" 2>/dev/null || true
  return $rc
}

gimp3_root_make () {
  local root=$1
  if [ -x "$root/usr/bin/gimp-console-3.0" ] && [ -f "$root/usr/include/gimp-3.0/libgimp/gimp.h" ] \
     && [ -x "$root/usr/bin/xwininfo" ] && [ -x "$root/usr/bin/import" ] \
     && [ -x "$root/usr/bin/xdotool" ] && [ -d "$root/usr/lib/locale/de_DE.utf8" ]; then
    echo "$root"
    return 0
  fi
  command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >&2 || return 1
  if [ ! -x "$root/usr/bin/apt-get" ]; then
    mkdir -p "$root"
    debootstrap --variant=minbase trixie "$root" "$(gimp3_root_mirror)" >&2 || return 1
  fi
  cp /etc/resolv.conf "$root/etc/" 2>/dev/null || true
  gimp3_root_run "$root" bash -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends gimp libgimp-3.0-dev meson ninja-build gcc \
    pkg-config libopenblas-dev libpng-dev libjpeg-dev libtiff-dev gettext xvfb xauth \
    x11-utils xdotool imagemagick python3-numpy python3-pil locales && \
    localedef --no-archive -i de_DE -f UTF-8 de_DE.UTF-8' >&2 || return 1
  echo "$root"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  gimp3_root_make "${1:-/var/cache/gimp-restore/trixie}"
fi
