#!/bin/sh
# The translations are complete and match the source: every .po in LINGUAS
# passes msgfmt --check with no untranslated or fuzzy message and a proper
# header; POTFILES names every source file with marked strings; every
# string that xgettext finds through POTFILES is translated in every .po;
# the committed template is up to date; and the built catalogues in the
# build's po/ folder give every translation back through gettext.
# Prints TAP.
# Usage: check-po.sh SOURCE_ROOT PO_SOURCE_DIR PO_BUILD_DIR
set -u
root=$1
podir=$2
mobuild=$3
domain=gimp-restore
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gimp-restore-po.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

n=0 failed=0
ok () { n=$((n + 1)); echo "ok $n $1"; }
not_ok () {  # not_ok NAME DETAIL-FILE
  n=$((n + 1)); failed=$((failed + 1))
  echo "not ok $n $1"
  [ -s "$2" ] && sed 's/^/# /' "$2"
}

# LINGUAS and POTFILES: one entry a line, '#' starts a comment.
entries () { sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$1"; }
langs=$(entries "$podir/LINGUAS")
if [ -z "$langs" ]; then
  echo "not ok 1 LINGUAS names at least one language"; echo "1..1"; exit 1
fi

for lang in $langs; do
  po=$podir/$lang.po
  if [ ! -f "$po" ]; then
    echo "$po does not exist" > "$tmp/err"; not_ok "$lang: $lang.po exists" "$tmp/err"
    continue
  fi
  if LC_ALL=C msgfmt --check --statistics -o /dev/null "$po" > "$tmp/err" 2>&1; then
    ok "$lang: msgfmt --check passes"
  else
    not_ok "$lang: msgfmt --check passes" "$tmp/err"
  fi
  # Complete: the statistics line reads "N translated messages." and nothing
  # more (msgfmt adds ", N fuzzy translations, N untranslated messages").
  if grep -Eq '^[0-9]+ translated messages?\.$' "$tmp/err" \
     && ! grep -Eq 'fuzzy|untranslated' "$tmp/err"; then
    ok "$lang: every message translated, none fuzzy"
  else
    { grep -E 'translated' "$tmp/err"
      msgattrib --untranslated --no-obsolete "$po" 2>/dev/null | grep '^msgid' | sed -n '2,11p'
      msgattrib --only-fuzzy --no-obsolete "$po" 2>/dev/null | grep '^msgid' | sed -n '2,11p'
    } > "$tmp/detail"
    not_ok "$lang: every message translated, none fuzzy" "$tmp/detail"
  fi
  : > "$tmp/detail"
  for field in 'Content-Type: text/plain; charset=UTF-8' "Language: $lang" 'Plural-Forms: nplurals='; do
    grep -Fq "\"$field" "$po" || echo "header lacks \"$field\"" >> "$tmp/detail"
  done
  if [ -s "$tmp/detail" ]; then
    not_ok "$lang: header has UTF-8, Language and Plural-Forms" "$tmp/detail"
  else
    ok "$lang: header has UTF-8, Language and Plural-Forms"
  fi
done

# Every source file that marks strings is in POTFILES, and every file POTFILES
# names exists.
potfiles=$(entries "$podir/POTFILES")
: > "$tmp/detail"
for f in $potfiles; do
  [ -f "$root/$f" ] || echo "POTFILES names $f, which does not exist" >> "$tmp/detail"
done
for dir in plugin ui core cli; do
  [ -d "$root/$dir" ] || continue
  for f in "$root/$dir"/*.c "$root/$dir"/*.h; do
    [ -f "$f" ] || continue
    # A marked literal: _("...") or N_ ("...") (not a mention in a comment).
    grep -Eq '(^|[^A-Za-z0-9_])N?C?_ ?\( *"' "$f" || continue
    rel=$dir/${f##*/}
    echo "$potfiles" | grep -Fxq "$rel" || echo "$rel marks strings but is not in POTFILES" >> "$tmp/detail"
  done
done
if [ -s "$tmp/detail" ]; then
  not_ok "POTFILES lists every file with marked strings" "$tmp/detail"
else
  ok "POTFILES lists every file with marked strings"
fi

# A fresh template from the sources, with the keywords of meson's glib preset.
if (cd "$root" && xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ \
      --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dcgettext:2 \
      --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
      --package-name=$domain -o "$tmp/fresh.pot" $potfiles) > "$tmp/err" 2>&1 \
   && [ -s "$tmp/fresh.pot" ]; then
  ok "xgettext extracts the marked strings ($(grep -c '^msgid' "$tmp/fresh.pot") entries)"
  for lang in $langs; do
    [ -f "$podir/$lang.po" ] || continue
    # msgcmp ignores untranslated and fuzzy entries of the .po, so a string
    # that is missing, untranslated or fuzzy there fails.
    if msgcmp "$podir/$lang.po" "$tmp/fresh.pot" > "$tmp/err" 2>&1; then
      ok "$lang: every marked string in the sources is translated"
    else
      not_ok "$lang: every marked string in the sources is translated" "$tmp/err"
    fi
  done
  if [ -f "$podir/$domain.pot" ]; then
    if msgcmp --use-untranslated "$podir/$domain.pot" "$tmp/fresh.pot" > "$tmp/err" 2>&1; then
      ok "$domain.pot is up to date"
    else
      echo "regenerate it: meson compile -C BUILD $domain-pot" >> "$tmp/err"
      not_ok "$domain.pot is up to date" "$tmp/err"
    fi
  fi
else
  not_ok "xgettext extracts the marked strings" "$tmp/err"
fi

# The built catalogues: gettext gives back each msgstr of the .po.  LANGUAGE
# is ignored in the "C" locale, so use C.UTF-8.
for lang in $langs; do
  mo=$mobuild/$lang/LC_MESSAGES/$domain.mo
  if [ ! -f "$mo" ]; then
    echo "$mo was not built" > "$tmp/err"
    not_ok "$lang: built catalogue translates every message" "$tmp/err"
    continue
  fi
  : > "$tmp/detail"
  LC_ALL=C.UTF-8 LANGUAGE=$lang TEXTDOMAINDIR=$mobuild DETAIL=$tmp/detail \
    msgexec -i "$podir/$lang.po" sh -c '
      [ -z "$MSGEXEC_MSGID" ] && exit 0
      want=$(cat; echo x); want=${want%x}
      if [ -n "${MSGEXEC_MSGID_PLURAL:-}" ]; then
        # msgexec runs once per plural form: that form must come back from
        # ngettext for some count (1..20 reaches every form of our languages).
        for count in $(seq 1 20); do
          got=$(ngettext -d gimp-restore -- "$MSGEXEC_MSGID" "$MSGEXEC_MSGID_PLURAL" $count; echo x)
          got=${got%x}
          [ "$want" = "$got" ] && exit 0
        done
      else
        got=$(gettext -d gimp-restore -- "$MSGEXEC_MSGID"; echo x); got=${got%x}
        [ "$want" = "$got" ] && exit 0
      fi
      printf "%s: got \"%s\"\n" "$MSGEXEC_MSGID" "$got" >> "$DETAIL"
      exit 0' > "$tmp/err" 2>&1 || cat "$tmp/err" >> "$tmp/detail"
  if [ -s "$tmp/detail" ]; then
    not_ok "$lang: built catalogue translates every message" "$tmp/detail"
  else
    ok "$lang: built catalogue translates every message"
  fi
done

echo "1..$n"
[ $failed -eq 0 ]
