#!/usr/bin/env bash
# Prints the pid of the marinad that holds state root $1 (default /var/lib/marina); exits 1 when none does.
# marinad keeps its pid in <root>/marinad.lock, but that file can outlive the process and the pid be reused,
# so the pid counts only while its command line is marinad's.
set -euo pipefail
pid=$(cat "${1:-/var/lib/marina}/marinad.lock" 2>/dev/null) || exit 1
[[ $pid =~ ^[0-9]+$ ]] || exit 1
tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "dist/marinad.js" || exit 1
echo "$pid"
