#!/usr/bin/env bash
# Checks the deployment files with outside tools (built once by
# .ci/deploy-tools into the tools cache):
#   kube-score on deploy/k8s/*.yaml, with its optional seccomp and port
#     checks on; there is no exception (no --ignore-test, no
#     kube-score/ignore annotation): add one only with its reason beside it;
#   docker-compose config -q on deploy/docker-compose.yml: the file parses
#     and validates as Compose does it, without a Docker engine; and the same
#     file refuses to start without SHAOBAO_SECRET_KEY.
#   bash deploy/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$(bash .ci/deploy-tools)"
passed=0 failed=0
check() {
  local name="$1"; shift
  if "$@"; then
    echo "ok    $name"; passed=$((passed + 1))
  else
    echo "FAIL  $name" >&2; failed=$((failed + 1))
  fi
}

echo "== kube-score and docker-compose from $tools"
# A warning fails too (--exit-one-on-warning).
check "kube-score deploy/k8s" "$tools/kube-score" score --exit-one-on-warning \
  --enable-optional-test container-seccomp-profile \
  --enable-optional-test container-ports-check \
  deploy/k8s/*.yaml

# A throwaway key: the file requires one (see the refusal below).
check "docker-compose config" env SHAOBAO_SECRET_KEY=check-only \
  "$tools/docker-compose" -f deploy/docker-compose.yml config -q
refuses_without_key() {
  local out
  if out="$(env -u SHAOBAO_SECRET_KEY "$tools/docker-compose" -f deploy/docker-compose.yml config -q 2>&1)"; then
    echo "docker-compose config passed without SHAOBAO_SECRET_KEY" >&2
    return 1
  fi
  grep -q "SHAOBAO_SECRET_KEY" <<<"$out"
}
check "docker-compose refuses without SHAOBAO_SECRET_KEY" refuses_without_key

echo "deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
