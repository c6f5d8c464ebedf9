#!/bin/bash
# The journal's CODE_FILE= (the string sd_journal_send() compiles in from __FILE__) names the
# source relative to the project, not a directory of the build machine (configure.ac maps it
# with -ffile-prefix-map/-fmacro-prefix-map). Skipped when the compiler has neither option.
set -u
bin=${top_builddir:-.}/vfio-platform-bindd
cc=$(sed -n 's/^CC = //p' "${top_builddir:-.}/Makefile")
echo 'int x;' | ${cc:-cc} -Werror -ffile-prefix-map=/nonexistent/= -c -x c -o /dev/null - 2>/dev/null ||
        { echo "SKIP: $cc has no -ffile-prefix-map"; exit 77; }
files=$(tr '\0' '\n' <"$bin" | grep -a '^CODE_FILE=' | sort -u)
[ -n "$files" ] || { echo "FAIL: no CODE_FILE= in $bin"; exit 1; }
bad=$(echo "$files" | grep -v -E '^CODE_FILE=(src|daemon)/[a-z0-9-]+\.[ch]$')
if [ -n "$bad" ]; then
        echo "FAIL: CODE_FILE not relative to the project:"
        echo "$bad"
        exit 1
fi
echo "PASS: $(echo "$files" | tr '\n' ' ')"
