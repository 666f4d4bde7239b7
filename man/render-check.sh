#!/bin/sh
# Every manual page renders with `man -l` without warnings, and names itself
# in its NAME section.
set -u
dir=${top_srcdir:?}/man
command -v man >/dev/null 2>&1 || { echo "SKIP: man(1) missing"; exit 77; }
fails=0
n=0
for page in "$dir"/*.[1-8]; do
	n=$((n + 1))
	name=$(basename "$page" | sed 's/\.[1-8]$//')
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null)
	if [ -n "$warn" ]; then
		echo "FAIL: $page: $warn"
		fails=$((fails + 1))
	elif ! echo "$text" | sed -n '/^NAME/,/^SYNOPSIS/p' | grep -q "^ *$name "; then
		echo "FAIL: $page: NAME does not name $name"
		fails=$((fails + 1))
	else
		echo "ok: $page ($(echo "$text" | wc -l) lines)"
	fi
done
[ "$n" -ge 5 ] || { echo "FAIL: only $n pages"; exit 1; }
[ "$fails" = 0 ]
