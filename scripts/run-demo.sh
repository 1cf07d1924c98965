#!/usr/bin/env bash
# Builds ctfg and serves the sample game from ./demo on http://localhost:8080
# (the game is written by `ctfg init` on first use; its players and
# passwords are in demo/credentials.csv).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin
# Stamp the commit: ctfg --version, /admin and /metrics show it.
go build -ldflags "$(bash scripts/ldflags.sh)" -o bin/ctfg ./cmd/ctfg
if [ ! -f demo/challenges.json ]; then
  ./bin/ctfg init demo
fi
exec ./bin/ctfg --game demo "$@"
