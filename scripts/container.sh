#!/usr/bin/env bash
# Builds the container image localhost/ctfg:latest from ./Containerfile,
# offline: the static binary and CA bundle are assembled into a build
# context here, and the image starts FROM scratch, so no registry is
# contacted. Uses podman (or docker when podman is missing).
#   bash scripts/container.sh          build the image
#   bash scripts/container.sh --test   build, then play it: init a game in
#       a volume, serve it, log in, check the user and a clean SIGTERM exit
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=${ENGINE:-$(command -v podman || command -v docker || true)}
[ -n "$ENGINE" ] || { echo "neither podman nor docker is installed: apt-get install -y podman"; exit 1; }
IMAGE=${IMAGE:-localhost/ctfg:latest}

CTX=$(mktemp -d)
cleanup() { rm -rf "$CTX"; }
trap cleanup EXIT
# The commit (and CTFG_VERSION, when set) stamped from git: the build
# context has no .git, and worktrees or -buildvcs=false would leave it out.
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $(bash scripts/ldflags.sh)" -o "$CTX/ctfg" ./cmd/ctfg
VERSION=$("$CTX/ctfg" --version)
cp /etc/ssl/certs/ca-certificates.crt "$CTX/"
mkdir "$CTX/data"
cp Containerfile "$CTX/"
if ! "$ENGINE" build --quiet -t "$IMAGE" -f "$CTX/Containerfile" "$CTX" >/dev/null; then
  # Nested sandboxes may lack overlay mounts; the vfs driver needs none.
  [ "$(basename "$ENGINE")" = podman ] || exit 1
  echo "build failed with the default storage driver; retrying with vfs"
  ENGINE="$ENGINE --storage-driver vfs"
  $ENGINE build --quiet -t "$IMAGE" -f "$CTX/Containerfile" "$CTX" >/dev/null
fi
echo "built $IMAGE: $VERSION"
[ "${1:-}" = "--test" ] || exit 0

# --- smoke test -----------------------------------------------------------
DATA=$(mktemp -d)
NAME=ctfg-smoke-$$
cleanup() { $ENGINE rm -f "$NAME" >/dev/null 2>&1 || true; rm -rf "$CTX" "$DATA"; }
chown 65532:65532 "$DATA"
fail() { echo "container test FAILED: $*"; $ENGINE logs "$NAME" 2>&1 | tail -20 || true; exit 1; }
# Plain runs first; sandboxes that forbid the runtime's raising of
# resource limits or use hybrid cgroups (like this project's CI) need runc,
# cgroupfs and explicit limits.
RUNOPTS=""
if ! $ENGINE run --rm "$IMAGE" version >/dev/null 2>&1; then
  ENGINE="$ENGINE --runtime runc --cgroup-manager cgroupfs"
  RUNOPTS="--ulimit nofile=16384:16384 --ulimit nproc=4096:4096"
  $ENGINE run --rm $RUNOPTS "$IMAGE" version >/dev/null || fail "the image does not run here even with runc and cgroupfs"
  echo "running with: $ENGINE $RUNOPTS"
fi

[ "$($ENGINE run --rm $RUNOPTS "$IMAGE" --version)" = "$VERSION" ] || fail "the image's ctfg --version is not $VERSION"
$ENGINE run --rm $RUNOPTS -v "$DATA:/data:Z" "$IMAGE" init /data >/dev/null || fail "ctfg init in the container"
[ -s "$DATA/challenges.json" ] && [ -s "$DATA/credentials.csv" ] || fail "init wrote no game"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Host networking: no bridge or firewall set-up needed where CI runs.
$ENGINE run -d $RUNOPTS --name "$NAME" --network host -v "$DATA:/data:Z" "$IMAGE" \
  serve --game /data --addr "127.0.0.1:$PORT" >/dev/null || fail "start"
URL="http://127.0.0.1:$PORT"
for _ in $(seq 100); do curl -fsS "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "$URL/healthz" | grep -q '"ok"' || fail "/healthz"
USER_PW=$(sed -n 2p "$DATA/credentials.csv")
U=${USER_PW%%,*}; P=${USER_PW#*,}
JAR="$CTX/cookies"
curl -fsS -c "$JAR" -H 'Content-Type: application/json' \
  -d "{\"username\":\"$U\",\"password\":\"$P\"}" "$URL/api/login" >/dev/null || fail "login"
curl -fsS -b "$JAR" "$URL/api/challenges" | grep -q '"id"' || fail "challenges"
[ "$(stat -c %u "$DATA/events.db")" = 65532 ] || fail "database not owned by the unprivileged user"
[ "$($ENGINE inspect -f '{{.Config.User}}' "$IMAGE")" = "65532:65532" ] || fail "image user"
$ENGINE stop -t 15 "$NAME" >/dev/null
CODE=$($ENGINE inspect -f '{{.State.ExitCode}}' "$NAME")
[ "$CODE" = 0 ] || fail "exit status $CODE after SIGTERM"
echo "container test passed: init, serve, /healthz, login, challenges, uid 65532, SIGTERM exit 0"
