#!/usr/bin/env bash
# `npm run up`: dependencies, build, then one marinad in the background on the default root and socket,
# with busybox seeded, and what to try next. Running it again while that marinad runs starts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

root=/var/lib/marina
socket=/run/marina/marina.sock
log_file=/var/log/marina/marinad.log
marina=("$repo/bin/marina" --host "unix://$socket")

if [[ $EUID -ne 0 ]]; then
  echo "up: marinad needs root (mounts, namespaces, cgroups): run 'sudo npm run up'" >&2
  exit 1
fi

bash scripts/install-deps.sh
echo "up: building (npm run build)"
npm run --silent build

answers() { "${marina[@]}" version >/dev/null 2>&1; }

print_next_steps() {
  cat <<EOF

marinad is running (pid $1)
  socket  unix://$socket   (bin/marina's default; elsewhere: --host or MARINA_HOST)
  registry 127.0.0.1:5000   (docs/registry.md: add a user with bin/marina registry user add NAME)
  root    $root
  log     $log_file

Try:
  bin/marina run --rm busybox echo hello
  bin/marina run --rm -it busybox sh
  bin/marina run -d busybox sleep 300 && bin/marina ps
  bin/marina --help
  npm test        # typecheck, lint, unit and system tests (each test runs its own marinad)
Stop it (containers keep running under conmon and are picked up at the next start):
  npm run down
EOF
}

if pid=$(bash scripts/marinad-pid.sh "$root"); then
  echo "up: marinad is already running (pid $pid); not starting a second one."
  echo "up: it runs the code it was started with; to run the build just made: npm run down && npm run up"
  print_next_steps "$pid"
  exit 0
fi
if answers; then
  echo "up: something already answers on $socket, but no marinad holds $root (another root?); leaving it alone." >&2
  echo "up: stop it, or run a second daemon with its own --root and --socket (docs/getting-started.md)." >&2
  exit 1
fi

mkdir -p "$root" "$(dirname "$socket")" "$(dirname "$log_file")"
echo "up: starting marinad (log: $log_file)"
# setsid: the daemon must outlive this script's session (npm, the terminal) and its signals.
setsid "$repo/bin/marinad" --root "$root" --socket "$socket" --docker-socket /run/marina/docker.sock --registry-addr 127.0.0.1:5000 </dev/null >>"$log_file" 2>&1 &
pid=$!

deadline=$((SECONDS + 30))
until answers; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "up: marinad exited during start-up; the end of $log_file:" >&2
    tail -n 30 "$log_file" >&2
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    echo "up: marinad (pid $pid) did not answer on $socket within 30 s; it is still running. The end of $log_file:" >&2
    tail -n 30 "$log_file" >&2
    exit 1
  fi
  sleep 0.1
done

if ! "${marina[@]}" image inspect busybox:latest >/dev/null 2>&1; then
  echo "up: seeding busybox:latest (from the busybox-static binary, no registry needed)"
  "${marina[@]}" image seed busybox
fi

print_next_steps "$pid"
