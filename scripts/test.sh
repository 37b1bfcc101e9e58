#!/usr/bin/env bash
# `npm test`: dependencies, build, typecheck, lint, then every test (unit and system) in ONE run of node's
# test runner, so that the output ends with one summary that counts them all (CI parses it).
# Typecheck and lint failures do not stop the tests (their results are worth having too), but they make the
# script exit non-zero; they are reported before the tests start, so the summary stays the last thing printed.
# Environment: MARINA_TEST_CONCURRENCY (default 2: each system test has its own daemon, root and socket; on
#              2 cores the whole run took 68 s at 2 against 138 s at 1),
#              MARINA_TEST_TIMEOUT_MS (default 180000: a hung test fails instead of hanging CI).
set -euo pipefail
cd "$(dirname "$0")/.."
node=node_modules/.bin/node

step() { printf '\n== %s\n' "$*"; }

step "dependencies"
bash scripts/install-deps.sh

failed=()
step "build"
# Without a build the system tests cannot start marinad; they still run and fail with that reason.
npm run --silent build || failed+=(build)

step "typecheck (tsc --noEmit)"
node_modules/.bin/tsc --noEmit -p . || failed+=(typecheck)

step "lint (biome)"
node_modules/.bin/biome lint src test bench scripts || failed+=(lint)

if ((${#failed[@]} > 0)); then
  printf '\n!! failed before the tests: %s (see above); the tests run anyway, and npm test will exit 1\n' "${failed[*]}"
fi

step "unit tests (src/**/*.test.ts, bench/**/*.test.ts) and system tests (test/**/*.test.ts)"
shopt -s globstar nullglob
unit_tests=(src/**/*.test.ts bench/**/*.test.ts)
system_tests=(test/**/*.test.ts)
if ((${#unit_tests[@]} + ${#system_tests[@]} == 0)); then
  echo "no test files found" >&2
  exit 1
fi
tests_rc=0
"$node" --test --test-reporter=spec \
  --test-concurrency="${MARINA_TEST_CONCURRENCY:-2}" \
  --test-timeout="${MARINA_TEST_TIMEOUT_MS:-180000}" \
  "${unit_tests[@]}" "${system_tests[@]}" || tests_rc=$?

if ((tests_rc != 0)); then exit "$tests_rc"; fi
if ((${#failed[@]} > 0)); then exit 1; fi
