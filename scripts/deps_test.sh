#!/usr/bin/env bash
# Tests scripts/deps.sh with stand-ins for id and apt-get on PATH: as root
# it runs apt-get update, then apt-get install of exactly the missing
# packages, non-interactively; as another user it installs nothing and
# names the packages. Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "deps_test FAILED: $*"; exit 1; }

# Stand-ins: id answers $FAKE_UID; apt-get logs its arguments and, on
# install, creates the commands of the packages it was asked for.
mkdir "$T/bin" "$T/installed"
cat >"$T/bin/id" <<'EOF'
#!/bin/sh
echo "$FAKE_UID"
EOF
cat >"$T/bin/apt-get" <<'EOF'
#!/bin/sh
echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >>"$APT_LOG"
if [ "$1" = install ]; then
  for p in "$@"; do
    case $p in -*|install) ;; *) printf '#!/bin/sh\n' >"$INSTALLED/fake-$p"; chmod +x "$INSTALLED/fake-$p" ;; esac
  done
fi
EOF
chmod +x "$T/bin/id" "$T/bin/apt-get"
export APT_LOG="$T/apt.log" INSTALLED="$T/installed"
PATH="$T/bin:$T/installed:$PATH"
TEST_DEPS=("bash bash" "fake-browser browser" "$T/installed/fake-engine engine")

# Not root: nothing installed, the exact command named, failure returned.
out=$(FAKE_UID=1000 install_test_deps) && fail "non-root with missing packages returned success"
[ ! -e "$APT_LOG" ] || fail "apt-get ran as non-root: $(cat "$APT_LOG")"
grep -q "sudo apt-get install -y browser engine" <<<"$out" || fail "non-root message: $out"
test_dep_missing browser || fail "browser reported present"
test_dep_missing bash && fail "bash reported missing"

# CTFG_NO_INSTALL: root, but only a report.
CTFG_NO_INSTALL=1 FAKE_UID=0 install_test_deps >/dev/null && fail "CTFG_NO_INSTALL installed"
[ ! -e "$APT_LOG" ] || fail "apt-get ran with CTFG_NO_INSTALL"

# Root: update first, then install exactly what is missing.
FAKE_UID=0 install_test_deps >/dev/null || fail "root install did not end with everything present"
want="DEBIAN_FRONTEND=noninteractive update -qq
DEBIAN_FRONTEND=noninteractive install -y -qq browser engine"
[ "$(cat "$APT_LOG")" = "$want" ] || fail "apt-get calls: $(cat "$APT_LOG")"

# Nothing missing: apt-get is not called again.
rm "$APT_LOG"
FAKE_UID=0 install_test_deps >/dev/null || fail "nothing missing, still failed"
[ ! -e "$APT_LOG" ] || fail "apt-get ran with nothing missing"
echo "deps_test ok"
