// Package version says which build of ctfg runs: the module version, or
// the VCS revision and commit time that `go build` records in a git
// checkout, plus the Go version. `ctfg --version`, the start-up log line,
// /admin and ctfg_build_info all show the same String.
package version

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at link time (-ldflags "-X github.com/ctfg/ctfg/internal/version.NAME=VALUE")
// for builds whose build info lacks them: go records the VCS revision only
// when .git is a directory (not in git worktrees), not with
// -buildvcs=false, and not from a tree without .git. scripts/ldflags.sh
// prints the flags from git; scripts/run-demo.sh and scripts/container.sh
// use it. The build info's own VCS fields win when present.
var (
	// Override names the release, in place of the module version
	// (e.g. v1.2.3).
	Override string
	// Revision is the full commit hash; Time its commit time in UTC,
	// RFC 3339; Modified "true" when the tree had uncommitted changes.
	Revision, Time, Modified string
)

// Info describes a build.
type Info struct {
	// Version is the stamped Override, else the module version ("v1.2.3"
	// from go install or a tagged checkout), else "" (a local build
	// reports "(devel)" or a pseudo-version of the commit).
	Version string
	// Revision is the full VCS revision; Time its commit time (RFC 3339);
	// Modified that the tree had uncommitted changes.
	Revision, Time string
	Modified       bool
	// Go is the toolchain that built the binary.
	Go string
}

// Stamp is what the linker set: Override, Revision, Time, Modified.
type Stamp struct{ Version, Revision, Time, Modified string }

// Get reads the running binary's build info and link-time stamp.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return Parse(bi, Stamp{Override, Revision, Time, Modified})
}

// Parse extracts an Info from bi (nil when the binary has none) and the
// link-time stamp: its version wins over the module version, its VCS
// fields fill in when bi has none.
func Parse(bi *debug.BuildInfo, ld Stamp) Info {
	var in Info
	hasVCS := false
	if bi != nil {
		if v := bi.Main.Version; v != "(devel)" {
			in.Version = v
		}
		in.Go = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				in.Revision, hasVCS = s.Value, true
			case "vcs.time":
				in.Time = s.Value
			case "vcs.modified":
				in.Modified = s.Value == "true"
			}
		}
	}
	if hasVCS {
		in.Version = releaseOnly(in.Version, in.Revision, in.Modified)
	}
	if v := strings.TrimSpace(ld.Version); v != "" {
		in.Version = v
	}
	if !hasVCS && strings.TrimSpace(ld.Revision) != "" {
		in.Revision, in.Time = strings.TrimSpace(ld.Revision), strings.TrimSpace(ld.Time)
		in.Modified = strings.TrimSpace(ld.Modified) == "true"
	}
	if in.Go == "" {
		in.Go = runtime.Version()
	}
	return in
}

// releaseOnly drops from a module version what the VCS fields already
// say: since Go 1.24, go build in a checkout stamps a pseudo-version
// (v0.0.0-20261201070000-1a2b3c4d5e6f) made of the commit time and
// revision, and "+dirty" for a modified tree. A tag (v1.2.3) stays.
func releaseOnly(v, revision string, modified bool) string {
	if modified {
		v = strings.TrimSuffix(v, "+dirty")
	}
	if len(revision) < 12 {
		return v
	}
	tail := "-" + revision[:12]
	if !strings.HasSuffix(v, tail) {
		return v
	}
	// The 14 digits before the revision are the commit time.
	head := strings.TrimSuffix(v, tail)
	if len(head) < 15 || head[len(head)-15] != '-' && head[len(head)-15] != '.' {
		return v
	}
	for _, c := range head[len(head)-14:] {
		if c < '0' || c > '9' {
			return v
		}
	}
	return ""
}

// shortRevision is as many hex digits as `git log --abbrev=12` shows.
func (in Info) shortRevision() string {
	if len(in.Revision) > 12 {
		return in.Revision[:12]
	}
	return in.Revision
}

// Short names the build in one word: the version, else the short
// revision, else "dev" (no build info: go run, go test).
func (in Info) Short() string {
	switch {
	case in.Version != "":
		return in.Version
	case in.Revision != "":
		return in.shortRevision()
	}
	return "dev"
}

// String is the full description, e.g.
// "1a2b3c4d5e6f (2026-12-01T07:00:00Z, modified) go1.26.8" or
// "v1.2.3 (1a2b3c4d5e6f, 2026-12-01T07:00:00Z) go1.26.8".
func (in Info) String() string {
	var details []string
	if in.Version != "" && in.Revision != "" {
		details = append(details, in.shortRevision())
	}
	if in.Time != "" {
		details = append(details, in.Time)
	}
	if in.Modified {
		details = append(details, "modified")
	}
	s := in.Short()
	if len(details) > 0 {
		s += " (" + strings.Join(details, ", ") + ")"
	}
	return s + " " + in.Go
}
