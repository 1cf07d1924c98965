#!/usr/bin/env bash
# Runs every test: formatting and vet, the Go suite with the race detector
# (unit, API, crash, store, stream, emulator and fuzz seed corpora), and the
# browser suite in Debian's Chromium, and the container image when podman
# is installed. Needs Go and Node; the rest (scripts/deps.sh: Chromium,
# podman, PostgreSQL, ...) it installs with apt-get when run as root, else
# it names what to install. The Go tests run against a throwaway
# PostgreSQL (scripts/pg-test.sh) unless CTFG_TEST_POSTGRES names one.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

echo "== test dependencies"
# What is still missing is skipped (podman) or fails (Chromium) below.
install_test_deps || true
bash scripts/deps_test.sh

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
if ! test_dep_missing podman; then
  bash scripts/container.sh --test
else
  echo "podman is missing: skipping the image test (apt-get install -y podman runc curl python3)"
fi

echo "== web unit and browser tests"
if test_dep_missing chromium; then
  echo "Chromium is missing: apt-get install -y chromium (the browser tests need it)"; exit 1
fi
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm test --silent && npm run --silent test:browser)
