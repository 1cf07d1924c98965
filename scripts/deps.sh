# shellcheck shell=bash
# What the tests need beyond Go and Node, in one place: sourced by
# scripts/test.sh and .ci/run (not run on its own).
#
#   source scripts/deps.sh
#   install_test_deps    # installs what is missing (root + apt-get), else
#                        # names it; returns 1 if something is still missing
#   test_dep_missing P   # true while the package P's command is missing
#
# CTFG_NO_INSTALL=1 only reports, never installs.

# TEST_DEPS lists "COMMAND PACKAGE" pairs: the Debian package PACKAGE is
# needed unless COMMAND (a name on PATH or an absolute path) is there.
TEST_DEPS=(
  "${CHROMIUM:-/usr/bin/chromium} chromium" # web browser tests (CHROMIUM=path picks another)
  "podman podman"                           # container image test
  "runc runc"                               # podman's runtime in nested sandboxes
  "curl curl"                               # container image test: probes the server
  "python3 python3"                         # container image test: picks a free port
  "pg_ctlcluster postgresql"               # PostgreSQL store and multi-instance tests (scripts/pg-test.sh)
)

# test_dep_present COMMAND: is COMMAND an executable path or on PATH?
test_dep_present() {
  case $1 in
    /*) [ -x "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

# missing_test_deps prints the packages whose command is missing.
missing_test_deps() {
  local entry
  for entry in "${TEST_DEPS[@]}"; do
    test_dep_present "${entry% *}" || printf '%s\n' "${entry##* }"
  done
}

# test_dep_missing PACKAGE: is PACKAGE's command still missing?
test_dep_missing() {
  local entry
  for entry in "${TEST_DEPS[@]}"; do
    if [ "${entry##* }" = "$1" ]; then
      ! test_dep_present "${entry% *}"
      return
    fi
  done
  return 1
}

# install_test_deps installs the missing packages with apt-get when it can
# (root, apt-get present, CTFG_NO_INSTALL unset), as CI does; otherwise it
# says exactly what to install. It returns 1 if anything is still missing.
install_test_deps() {
  local missing
  missing=$(missing_test_deps | tr '\n' ' ')
  missing=${missing% }
  [ -n "$missing" ] || return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${CTFG_NO_INSTALL:-}" ]; then
    echo "installing what the tests need: $missing"
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null ||
      echo "apt-get install $missing failed"
    missing=$(missing_test_deps | tr '\n' ' ')
    missing=${missing% }
    [ -n "$missing" ] || return 0
  fi
  echo "missing for the tests: $missing"
  if command -v apt-get >/dev/null 2>&1; then
    echo "  install them with: sudo apt-get install -y $missing"
  else
    echo "  install these (Debian package names) with your package manager: $missing"
  fi
  return 1
}
