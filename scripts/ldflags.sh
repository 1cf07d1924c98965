#!/usr/bin/env bash
# Prints the -X linker flags that stamp the commit a build comes from into
# ctfg's version (internal/version), read from git: go stamps it by itself
# only when .git is a directory (not in git worktrees) and not with
# GOFLAGS=-buildvcs=false. With CTFG_VERSION set (e.g. v1.2.3), also
# names the release.
# Prints nothing to stamp outside a git checkout.
#   go build -ldflags "$(bash scripts/ldflags.sh)" ./cmd/ctfg
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=github.com/ctfg/ctfg/internal/version
flags=()
if [ -n "${CTFG_VERSION:-}" ]; then
  flags+=("-X" "$pkg.Override=$CTFG_VERSION")
fi
if rev=$(git rev-parse HEAD 2>/dev/null); then
  # The same fields, in the same form, as go's own vcs.revision, vcs.time
  # (the commit time in UTC) and vcs.modified (git status shows anything).
  time=$(TZ=UTC0 git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ)
  modified=false
  if [ -n "$(git status --porcelain)" ]; then modified=true; fi
  flags+=("-X" "$pkg.Revision=$rev" "-X" "$pkg.Time=$time" "-X" "$pkg.Modified=$modified")
fi
echo "${flags[@]}"
