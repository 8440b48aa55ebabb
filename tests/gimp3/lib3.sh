# Sourced by the GIMP 3 test scripts inside the Debian 13 root, after
# work=WORK (the part's folder: inputs, cases3.scm, the private GIMP folder
# in home/ and profile/).

export HOME=$work/home GIMP3_DIRECTORY=$work/profile OPENBLAS_NUM_THREADS=1

# Our plug-in while it runs (GIMP starts it through the profile's link).
plugin=$GIMP3_DIRECTORY/plug-ins/gimp-restore/gimp-restore

# wait_file FILE SECONDS PID: until FILE is not empty; status 1 when
# SECONDS pass or PID ends first.
wait_file () {
  local _
  for _ in $(seq 1 "$2"); do
    [ -s "$1" ] && return 0
    kill -0 "$3" 2> /dev/null || return 1
    sleep 1
  done
  return 1
}

# stop_gimp PID: ends GIMP started as PID (by timeout or directly), then
# what is left of this profile's plug-ins.
stop_gimp () {
  local _
  kill "$1" 2> /dev/null
  for _ in $(seq 1 20); do kill -0 "$1" 2> /dev/null || break; sleep 1; done
  pkill -9 -P "$1" 2> /dev/null; kill -9 "$1" 2> /dev/null
  pkill -9 -f "^$plugin " 2> /dev/null
  wait "$1" 2> /dev/null
}
