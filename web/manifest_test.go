package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// manifest is dist/manifest.json as build.mjs writes it.
type manifest struct {
	SourceSHA256 string   `json:"source_sha256"`
	AppJS        string   `json:"app_js"`
	AppCSS       string   `json:"app_css"`
	Files        []string `json:"files"`
}

// sourceDigest recomputes build.mjs's sourceDigest: one line
// "<sha256 hex>  <path relative to web/>\n" per input, sorted by path,
// hashed with SHA-256.
func sourceDigest(tb testing.TB) string {
	tb.Helper()
	var rels []string
	err := filepath.WalkDir("src", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rels = append(rels, filepath.ToSlash(p))
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("walk src: %v", err)
	}
	rels = append(rels, "package-lock.json", "build.mjs")
	sort.Strings(rels)
	var lines strings.Builder
	for _, rel := range rels {
		data, err := os.ReadFile(filepath.FromSlash(rel))
		if err != nil {
			tb.Fatalf("read %s: %v", rel, err)
		}
		sum := sha256.Sum256(data)
		lines.WriteString(hex.EncodeToString(sum[:]) + "  " + rel + "\n")
	}
	sum := sha256.Sum256([]byte(lines.String()))
	return hex.EncodeToString(sum[:])
}

func MustManifest(tb testing.TB) manifest {
	tb.Helper()
	data, err := distFS.ReadFile("dist/manifest.json")
	if err != nil {
		tb.Fatalf("embedded dist/manifest.json: %v", err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		tb.Fatalf("dist/manifest.json: %v", err)
	}
	return m
}

// TestDistIsFresh fails when web/src, the lockfile or the build script
// changed without rebuilding the committed web/dist.
func TestDistIsFresh(t *testing.T) {
	m := MustManifest(t)
	if got := sourceDigest(t); got != m.SourceSHA256 {
		t.Fatalf("web/dist is stale (sources hash %s, dist built from %s): run `cd web && npm ci && npm run build` and commit web/dist", got, m.SourceSHA256)
	}
}

// TestDistIsComplete checks that index.html loads the hashed bundle and
// stylesheet and that every file the manifest lists is embedded.
func TestDistIsComplete(t *testing.T) {
	m := MustManifest(t)
	index, err := distFS.ReadFile("dist/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{m.AppJS, m.AppCSS} {
		if !strings.HasPrefix(u, "/assets/app.") {
			t.Errorf("asset URL %q is not a hashed /assets/app.* name", u)
		}
		if !strings.Contains(string(index), `"`+u+`"`) {
			t.Errorf("index.html does not reference %s", u)
		}
	}
	for _, f := range m.Files {
		if _, err := fs.Stat(distFS, "dist/"+f); err != nil {
			t.Errorf("manifest lists %s: %v", f, err)
		}
	}
	if _, err := fs.Stat(distFS, "dist/images/banner.svg"); err != nil {
		t.Errorf("built-in banner: %v", err)
	}
}
