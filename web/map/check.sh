#!/usr/bin/env bash
# check.sh rebuilds the map bundle from the pinned sources (package-lock.json)
# and fails if the committed web/static/assets/vendor differs from it: the
# bundle the binary embeds must be the one these sources build. CI runs it;
# it needs only Node 20+ and npm.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run build
cd ../..
vendor=web/static/assets/vendor
if ! git diff --exit-code --stat -- "$vendor"; then
  echo "web/map/check.sh: $vendor differs from what web/map builds: run 'cd web/map && npm ci && npm run build' and commit it" >&2
  exit 1
fi
# A file the build adds is not in git diff: look for untracked ones too.
extra=$(git status --porcelain --untracked-files=all -- "$vendor")
if [ -n "$extra" ]; then
  echo "web/map/check.sh: the build left files not committed:" >&2
  echo "$extra" >&2
  exit 1
fi
echo "web/map/check.sh: the committed map bundle matches its sources"
