#!/usr/bin/env bash
# Runs every test: formatting and vet, the Go suite with the race detector
# (unit, API, crash, store, stream, emulator and fuzz seed corpora), and the
# browser suite in Debian's Chromium, and the container image when podman
# is installed. Needs Go, Node and /usr/bin/chromium (.ci/run installs it
# and podman: apt-get install chromium podman runc); PostgreSQL for its
# store tests (apt-get install postgresql).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test -race"
# pg-test.sh starts a throwaway PostgreSQL (when installed) for the
# PostgreSQL store tests; without it they skip.
bash scripts/pg-test.sh go test -race -count=1 -timeout 15m ./...

echo "== container image"
if command -v podman >/dev/null; then
  bash scripts/container.sh --test
else
  echo "podman is missing: skipping the image test (.ci/run installs it: apt-get install podman runc)"
fi

echo "== web unit and browser tests"
if [ ! -x /usr/bin/chromium ]; then
  echo "Chromium is missing: apt-get install -y chromium (the browser tests need it)"; exit 1
fi
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm test --silent && npm run --silent test:browser)
