# A private GIMP 2.10 profile for the GIMP tests and the demo, so that they
# never touch the user's own GIMP folder and start fast.  Source it (POSIX
# sh, also from bash), then call gimp_env_setup:
#
#   . "$top/scripts/gimp-env.sh"
#   gimp_env_setup WORK PLUGIN [SYSTEM-PLUG-IN...]
#
# WORK    an existing (temporary) folder; the profile is made in WORK/gimp.
# PLUGIN  the plug-in to install there as plug-ins/gimp-restore: a file (the
#         binary, e.g. BUILD/plugin/gimp-restore) is linked, so an uninstalled
#         build still finds the source tree's models; a folder (an installed
#         plug-ins/gimp-restore with models/) is copied; "" installs nothing.
# SYSTEM-PLUG-IN  names of GIMP's own plug-ins to make available, e.g.
#         script-fu file-png (a fresh profile would otherwise query every
#         installed plug-in at start-up).
#
# Afterwards: GIMP_ENV_DIR is the profile, GIMP_ENV_SCRIPTS its only
# Script-Fu folder (holding just the three Script-Fu init files: copy your
# .scm there) and GIMP_ENV_PLUGIN the installed plug-in folder.  HOME,
# XDG_CONFIG_HOME, XDG_CACHE_HOME and GIMP2_DIRECTORY point at the profile;
# GLIBC_TUNABLES cuts babl's start-up cost (see docs/gimp-2.10-notes.md);
# leak checking is off for sanitizer builds of the plug-in (GTK's and
# GIMP's own leaks are not ours).
#
# gimp_env_xvfb bash "$0" "$@" re-runs the calling script (the command
# given) under a virtual X display, 1280x800, unless it already runs under
# one that it started.

gimp_env_setup ()
{
  _ge_work=$1
  _ge_plugin=$2
  shift 2
  GIMP_ENV_DIR=$_ge_work/gimp
  GIMP_ENV_SCRIPTS=$GIMP_ENV_DIR/scripts
  GIMP_ENV_PLUGIN=$GIMP_ENV_DIR/plug-ins/gimp-restore
  _ge_sys=$_ge_work/sys-plug-ins
  mkdir -p "$GIMP_ENV_DIR/plug-ins" "$GIMP_ENV_SCRIPTS" "$_ge_sys" \
           "$GIMP_ENV_DIR/brushes" "$GIMP_ENV_DIR/patterns" \
           "$GIMP_ENV_DIR/gradients" "$GIMP_ENV_DIR/palettes" \
           "$GIMP_ENV_DIR/fonts" "$GIMP_ENV_DIR/tool-presets" || return 1
  if [ -d "$_ge_plugin" ]; then
    cp -r "$_ge_plugin" "$GIMP_ENV_PLUGIN" || return 1
  elif [ -n "$_ge_plugin" ]; then
    if [ ! -f "$_ge_plugin" ]; then
      echo "gimp-env: no plug-in at $_ge_plugin" >&2
      return 1
    fi
    mkdir -p "$GIMP_ENV_PLUGIN"
    ln -s "$(readlink -f "$_ge_plugin")" "$GIMP_ENV_PLUGIN/gimp-restore" || return 1
  fi
  _ge_sysdir=$(gimptool-2.0 --gimpplugindir)/plug-ins
  for _ge_p in "$@"; do
    ln -s "$_ge_sysdir/$_ge_p" "$_ge_sys/$_ge_p" || return 1
  done
  _ge_data=$(gimptool-2.0 --gimpdatadir)/scripts
  for _ge_f in script-fu.init script-fu-compat.init plug-in-compat.init; do
    cp "$_ge_data/$_ge_f" "$GIMP_ENV_SCRIPTS/" || return 1
  done
  printf '(script-fu-path "%s")\n(plug-in-path "%s")\n' "$GIMP_ENV_SCRIPTS" \
    "$GIMP_ENV_DIR/plug-ins:$_ge_sys" > "$GIMP_ENV_DIR/gimprc" || return 1
  HOME=$GIMP_ENV_DIR
  XDG_CONFIG_HOME=$GIMP_ENV_DIR
  XDG_CACHE_HOME=$GIMP_ENV_DIR
  GIMP2_DIRECTORY=$GIMP_ENV_DIR
  GLIBC_TUNABLES=glibc.malloc.hugetlb=1
  ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0
  export HOME XDG_CONFIG_HOME XDG_CACHE_HOME GIMP2_DIRECTORY GLIBC_TUNABLES \
         ASAN_OPTIONS GIMP_ENV_DIR GIMP_ENV_SCRIPTS GIMP_ENV_PLUGIN
}

gimp_env_xvfb ()
{
  if [ -z "${DISPLAY:-}" ] || [ -z "${RESTORE_IN_XVFB:-}" ]; then
    RESTORE_IN_XVFB=1
    export RESTORE_IN_XVFB
    exec xvfb-run -a -s "-screen 0 1280x800x24" "$@"
  fi
}
