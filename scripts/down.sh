#!/usr/bin/env bash
# Stops the marinad that `npm run up` started (the one holding /var/lib/marina) and waits until it is gone.
# Containers keep running under conmon; the next `npm run up` picks them up again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! pid=$(bash scripts/marinad-pid.sh /var/lib/marina); then
  echo "down: no marinad is running on /var/lib/marina"
  exit 0
fi
kill -TERM "$pid"
for _ in $(seq 300); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "down: marinad (pid $pid) stopped"
    exit 0
  fi
  sleep 0.1
done
echo "down: marinad (pid $pid) is still running 30 s after SIGTERM; its log: /var/log/marina/marinad.log" >&2
exit 1
