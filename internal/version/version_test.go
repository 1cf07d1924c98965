package version

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestParse(t *testing.T) {
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "-buildmode", Value: "exe"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"},
			{Key: "vcs.time", Value: "2026-12-01T07:00:00Z"},
			{Key: "vcs.modified", Value: modified},
		}
	}
	cases := []struct {
		name  string
		bi    *debug.BuildInfo
		ld    Stamp
		short string
		want  string
	}{
		{
			name:  "local build in a dirty checkout",
			bi:    &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/ctfg/ctfg", Version: "(devel)"}, Settings: vcs("true")},
			short: "1a2b3c4d5e6f",
			want:  "1a2b3c4d5e6f (2026-12-01T07:00:00Z, modified) go1.26.8",
		},
		{
			name:  "local build in a clean checkout",
			bi:    &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("false")},
			short: "1a2b3c4d5e6f",
			want:  "1a2b3c4d5e6f (2026-12-01T07:00:00Z) go1.26.8",
		},
		{
			name:  "Go 1.24+ pseudo-version of a dirty checkout",
			bi:    &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261201070000-1a2b3c4d5e6f+dirty"}, Settings: vcs("true")},
			short: "1a2b3c4d5e6f",
			want:  "1a2b3c4d5e6f (2026-12-01T07:00:00Z, modified) go1.26.8",
		},
		{
			name:  "pseudo-version after a tag, clean",
			bi:    &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.4-0.20261201070000-1a2b3c4d5e6f"}, Settings: vcs("false")},
			short: "1a2b3c4d5e6f",
			want:  "1a2b3c4d5e6f (2026-12-01T07:00:00Z) go1.26.8",
		},
		{
			name:  "tagged checkout",
			bi:    &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3+dirty"}, Settings: vcs("true")},
			short: "v1.2.3",
			want:  "v1.2.3 (1a2b3c4d5e6f, 2026-12-01T07:00:00Z, modified) go1.26.8",
		},
		{
			name:  "go install of a tagged module",
			bi:    &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}},
			short: "v1.2.3",
			want:  "v1.2.3 go1.26.8",
		},
		{
			name:  "ldflags override next to the VCS stamp",
			bi:    &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("false")},
			ld:    Stamp{Version: "v2.0.0-rc1"},
			short: "v2.0.0-rc1",
			want:  "v2.0.0-rc1 (1a2b3c4d5e6f, 2026-12-01T07:00:00Z) go1.26.8",
		},
		{
			name:  "ldflags override without .git",
			bi:    &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			ld:    Stamp{Version: " 7e1f2a0-dirty\n"},
			short: "7e1f2a0-dirty",
			want:  "7e1f2a0-dirty go1.26.8",
		},
		{
			name:  "VCS stamped by the linker (git worktree, -buildvcs=false)",
			bi:    &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			ld:    Stamp{Revision: "0123456789abcdef0123456789abcdef01234567", Time: "2026-11-30T23:59:59Z", Modified: "true"},
			short: "0123456789ab",
			want:  "0123456789ab (2026-11-30T23:59:59Z, modified) go1.26.8",
		},
		{
			name:  "the build info's VCS fields win over the linker's",
			bi:    &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("false")},
			ld:    Stamp{Revision: "0123456789abcdef0123456789abcdef01234567", Time: "2026-11-30T23:59:59Z", Modified: "true"},
			short: "1a2b3c4d5e6f",
			want:  "1a2b3c4d5e6f (2026-12-01T07:00:00Z) go1.26.8",
		},
		{
			name:  "no VCS, no version (go build -buildvcs=false)",
			bi:    &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			short: "dev",
			want:  "dev go1.26.8",
		},
		{
			name:  "no build info at all",
			short: "dev",
			want:  "dev " + runtime.Version(),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := Parse(c.bi, c.ld)
			if got := in.Short(); got != c.short {
				t.Errorf("Short() = %q, want %q", got, c.short)
			}
			if got := in.String(); got != c.want {
				t.Errorf("String() = %q, want %q", got, c.want)
			}
		})
	}
}

// TestGet reads the test binary's own build info: go test stamps no VCS
// revision, so it is "dev" and the running Go.
func TestGet(t *testing.T) {
	if Override != "" || Revision != "" {
		t.Skip("built with a link-time stamp")
	}
	if got, want := Get().String(), "dev "+runtime.Version(); got != want {
		t.Errorf("Get() = %q, want %q", got, want)
	}
}
