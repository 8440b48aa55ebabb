# Sourced by the GIMP test drivers: collects results as numbered TAP.
#   tap_read FILE   adds FILE's "ok NAME" and "not ok NAME: why" lines;
#                   a line "done" sets tap_done=1 (the batch reached its end)
#   tap_ok NAME, tap_not_ok NAME   add one result
#   tap_print       prints the plan and the results; status 0 only if none
#                   failed
tap_n=0 tap_failed=0 tap_done=0 tap_lines=()

tap_ok () { tap_n=$((tap_n + 1)); tap_lines+=("ok $tap_n $1"); }
tap_not_ok () { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); tap_lines+=("not ok $tap_n $1"); }

tap_read () {
  local line
  while IFS= read -r line; do
    case "$line" in
      done) tap_done=1 ;;
      "ok "*) tap_ok "${line#ok }" ;;
      "not ok "*) tap_not_ok "${line#not ok }" ;;
    esac
  done < "$1"
}

tap_print () {
  echo "1..$tap_n"
  [ $tap_n = 0 ] || printf '%s\n' "${tap_lines[@]}"
  [ $tap_failed = 0 ]
}
