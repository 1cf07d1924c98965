#!/usr/bin/env bash
# HTTP benchmarks of ctfg against a bare net/http handler measured in the
# same run with the same load tool (wrk -t2 -c64), on this machine's
# loopback. Prints a Markdown table for docs/BENCHMARKS.md.
#   bash scripts/bench.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
PLAYERS=${PLAYERS:-3000}
CHALLENGES=${CHALLENGES:-100}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk"; exit 1; }
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
go build -o "$T/ctfg" ./cmd/ctfg
go build -o "$T/ctfg-bench" ./cmd/ctfg-bench
ulimit -n 20000 || true

"$T/ctfg-bench" bare -addr 127.0.0.1:0 -port-file "$T/bare.port" &
"$T/ctfg-bench" game -dir "$T/game" -players "$PLAYERS" -challenges "$CHALLENGES"
"$T/ctfg" --game "$T/game" --addr 127.0.0.1:0 --port-file "$T/ctfg.port" --log-level error &
for f in bare ctfg; do for _ in $(seq 100); do [ -s "$T/$f.port" ] && break; sleep 0.1; done; done
BARE="http://$(cat "$T/bare.port")"; CTFG="http://$(cat "$T/ctfg.port")"
"$T/ctfg-bench" sessions -url "$CTFG" -players "$PLAYERS" -out "$T/cookies"

run() { # name url [script] -> "req/s p50 p99"
  local out
  out=$(COOKIES="$T/cookies" THREADS=2 CHALLENGES="$CHALLENGES" wrk -t2 -c64 -d"${DUR}s" --latency ${3:+-s "$3"} "$2")
  echo "$out" > "$T/$1.txt"
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "$rps $p50 $p99 ${non2xx:-0}"
}
read -r b_rps b_p50 b_p99 _ <<<"$(run bare "$BARE/")"
read -r c_rps c_p50 c_p99 c_bad <<<"$(run challenges "$CTFG/api/challenges" scripts/bench/challenges.lua)"
read -r s_rps s_p50 s_p99 s_bad <<<"$(run submit "$CTFG/api/submit" scripts/bench/submit.lua)"
solves=$("$T/ctfg-bench" solves -url "$CTFG" -cookie "$(head -1 "$T/cookies")")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f %%", 100*a/b}'; }
echo
echo "| endpoint (wrk -t2 -c64 -d${DUR}s) | req/s | ratio to bare | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
echo "| bare net/http JSON handler | $b_rps | 100 % | $b_p50 | $b_p99 | 0 |"
echo "| GET /api/challenges ($CHALLENGES challenges, $PLAYERS players rotating) | $c_rps | $(ratio "$c_rps" "$b_rps") | $c_p50 | $c_p99 | $c_bad |"
echo "| POST /api/submit (each a new correct solve) | $s_rps | $(ratio "$s_rps" "$b_rps") | $s_p50 | $s_p99 | $s_bad |"
echo
echo "solves committed during the submit run: $solves"
