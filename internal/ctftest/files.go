package ctftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// LogBuffer is a log sink that a server writes while the test reads it.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// MustWriteJSON writes v as JSON to path.
func MustWriteJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// MustWritePlayers replaces dir's credentials.csv with n players p0…
// p(n-1), whose passwords are pw0…, after the extra "user,password" lines.
func MustWritePlayers(tb testing.TB, dir string, n int, extra ...string) {
	tb.Helper()
	var b strings.Builder
	b.WriteString("username,password\n")
	for _, line := range extra {
		b.WriteString(line + "\n")
	}
	for i := range n {
		fmt.Fprintf(&b, "p%d,pw%d\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "credentials.csv"), []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// MustGet fetches url, with an Authorization header unless authorization
// is "", without following redirects, and returns the status and body.
func MustGet(tb testing.TB, url, authorization string) (int, string) {
	tb.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}
