#!/bin/sh
# Every man page passes mandoc -Tlint: no warning or error (bad dates, broken macros, unknown
# requests). Style notes other than lines longer than 80 bytes fail too; long lines are
# allowed (the pages are wrapped at 100 columns, like the code).
set -u
SRC=${RECALL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! command -v mandoc >/dev/null 2>&1; then
	echo "mandoc missing (scripts/deps installs it): skipped"
	exit 77
fi
set -- "$SRC"/docs/man/*.[1-8]
out=$(mandoc -Tlint "$@" 2>&1 | grep -v 'STYLE: input text line longer than 80 bytes')
if [ -n "$out" ]; then
	echo "$out"
	echo "man_lint: FAIL"
	exit 1
fi
echo "man_lint: $# pages clean"
