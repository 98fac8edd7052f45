#!/usr/bin/env bash
# npm test (after scripts/run.mjs's set-up check): the whole suite with the services on Bun, then the system suite (test/system) with the
# services, npm start and the ops CLI on Node.js, then the same on Deno (or only the stages named:
# scripts/test.sh node deno). The test runner is `bun test` throughout; SERVICE_RUNTIME picks the
# runtime of the spawned processes. Every stage runs even when one before failed; exit 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
# The dashboard's and /docs' scripts, fresh from web/: the system tests serve them.
bun scripts/build-web.ts

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed_stages=()

stage() {
  local name=$1
  shift
  echo "== $name"
  local started=$SECONDS
  if ! "$@" 2>&1 | tee -a "$log"; then failed_stages+=("$name"); fi
  echo "== $name: $((SECONDS - started)) s"
}

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(bun node deno)
for runtime in "${stages[@]}"; do
  case $runtime in
    bun) stage "bun: all tests" env SERVICE_RUNTIME=bun bun test --timeout 60000 ;;
    node) stage "node: system tests" env SERVICE_RUNTIME=node bun test --timeout 60000 test/system ;;
    deno) stage "deno: system tests" env SERVICE_RUNTIME=deno bun test --timeout 60000 test/system ;;
    *)
      echo "usage: scripts/test.sh [bun|node|deno]..." >&2
      exit 2
      ;;
  esac
done

passed=$(grep -E '^ *[0-9]+ pass$' "$log" | awk '{ sum += $1 } END { print sum + 0 }')
failed=$(grep -E '^ *[0-9]+ fail$' "$log" | awk '{ sum += $1 } END { print sum + 0 }')
if [ ${#failed_stages[@]} -gt 0 ]; then
  echo "failed stages: ${failed_stages[*]}"
  [ "$failed" -gt 0 ] || failed=1
fi
echo "tests: $passed passed, $failed failed"
[ ${#failed_stages[@]} -eq 0 ]
