#!/usr/bin/env python3
"""Counts test cases from meson test logs and prints 'N passed, N failed'.

Usage: test-summary.py BUILD_DIR [BUILD_DIR ...]
Each g_test program (TAP output) contributes one count per test case; a
program that prints no TAP lines counts once by its own result. A program
that failed without reporting a failing case (crash, timeout) adds one
failure. Exit status 0 only when nothing failed and something ran.
"""
import json
import re
import sys

TAP = re.compile(r'^(not ok|ok)\b(.*)$')


def count(logfile):
    passed = failed = 0
    failures = []
    with open(logfile, encoding='utf-8', errors='replace') as f:
        for line in f:
            t = json.loads(line)
            name = t.get('name', '?')
            result = t.get('result', 'FAIL')
            ok_lines = bad_lines = 0
            for out in (t.get('stdout') or '').splitlines():
                m = TAP.match(out.strip())
                if not m:
                    continue
                rest = m.group(2)
                if '# SKIP' in rest.upper():
                    continue
                if m.group(1) == 'ok':
                    ok_lines += 1
                else:
                    bad_lines += 1
                    failures.append('%s: %s' % (name, out.strip()))
            program_ok = result in ('OK', 'EXPECTEDFAIL')
            if ok_lines + bad_lines == 0:
                if result == 'SKIP':
                    failures.append('%s: skipped (counted as failed)' % name)
                    failed += 1
                elif program_ok:
                    passed += 1
                else:
                    failed += 1
                    failures.append('%s: %s' % (name, result))
            else:
                passed += ok_lines
                failed += bad_lines
                if not program_ok and bad_lines == 0:
                    failed += 1
                    failures.append('%s: %s after %d passing cases' % (name, result, ok_lines))
    return passed, failed, failures


def main():
    total_p = total_f = 0
    for build in sys.argv[1:]:
        try:
            p, f, failures = count(build + '/meson-logs/testlog.json')
        except OSError as e:
            print('%s: no test log (%s)' % (build, e.strerror))
            total_f += 1
            continue
        for x in failures:
            print('FAILED [%s] %s' % (build, x))
        print('%s: %d passed, %d failed' % (build, p, f))
        total_p += p
        total_f += f
    print('%d passed, %d failed' % (total_p, total_f))
    return 0 if total_f == 0 and total_p > 0 else 1


if __name__ == '__main__':
    sys.exit(main())
