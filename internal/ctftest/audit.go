package ctftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The log audit: a package's TestMain runs its whole suite through
// AuditLogs, every server MustServer starts (without a logger of its own)
// logs at debug level into one buffer, every client remembers the session
// cookies and stream tokens the servers hand out, and at the end no log
// line may hold any of them, a password or an admin/API token.

var audit struct {
	mu      sync.Mutex
	on      bool
	logs    bytes.Buffer
	secrets map[string]string // secret -> what it is
	servers int
}

type auditWriter struct{}

func (auditWriter) Write(p []byte) (int, error) {
	audit.mu.Lock()
	defer audit.mu.Unlock()
	return audit.logs.Write(p)
}

func auditing() bool {
	audit.mu.Lock()
	defer audit.mu.Unlock()
	return audit.on
}

// auditLogger is the logger of an audited server.
func auditLogger() *slog.Logger {
	audit.mu.Lock()
	audit.servers++
	audit.mu.Unlock()
	return slog.New(slog.NewTextHandler(auditWriter{}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// AuditWriter returns a writer whose text joins the audited logs, for a
// server running in another process: its log output (io.Discard when
// the suite is not audited).
func AuditWriter() io.Writer {
	if !auditing() {
		return io.Discard
	}
	audit.mu.Lock()
	audit.servers++
	audit.mu.Unlock()
	return auditWriter{}
}

func remember(secret, what string) {
	if len(secret) < 8 { // too short to tell from ordinary text
		return
	}
	audit.mu.Lock()
	audit.secrets[secret] = what
	audit.mu.Unlock()
}

// tokenRE finds stream tokens in websocket_url values.
var tokenRE = regexp.MustCompile(`token=([A-Za-z0-9_\-]{16,})`)

// nonceRE finds the proof-of-work nonces of registration challenges.
var nonceRE = regexp.MustCompile(`"nonce":"([^"]{16,})"`)

// rememberRegistration records the password, code and nonce a client
// sends to POST /api/register: none may be logged.
func rememberRegistration(req *http.Request) {
	if req.URL.Path != "/api/register" || req.GetBody == nil {
		return
	}
	body, err := req.GetBody()
	if err != nil {
		return
	}
	defer body.Close()
	var r struct {
		Password string `json:"password"`
		Code     string `json:"code"`
		PoW      struct {
			Nonce string `json:"nonce"`
		} `json:"pow"`
	}
	if json.NewDecoder(body).Decode(&r) != nil {
		return
	}
	remember(r.Password, "registered password")
	remember(r.Code, "registration code")
	remember(r.PoW.Nonce, "proof-of-work nonce")
}

// auditTransport records the secrets servers send to clients.
type auditTransport struct{ next http.RoundTripper }

func (t auditTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rememberRegistration(req)
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	for _, c := range resp.Cookies() {
		remember(c.Value, "cookie "+c.Name)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		for _, m := range tokenRE.FindAllSubmatch(b, -1) {
			remember(string(m[1]), "stream token")
		}
		for _, m := range nonceRE.FindAllSubmatch(b, -1) {
			remember(string(m[1]), "proof-of-work nonce")
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
	}
	return resp, nil
}

// AuditLogs runs the tests of m (call it from TestMain) and fails the run
// if any log line written by a MustServer server contains a password, the
// API or admin token, or a session cookie or stream token handed out
// during the run.
func AuditLogs(m *testing.M) int {
	audit.mu.Lock()
	audit.on = true
	audit.secrets = map[string]string{APIToken: "API token", AdminToken: "admin token"}
	for u, pw := range Players {
		audit.secrets[pw] = "password of " + u
	}
	audit.mu.Unlock()
	code := m.Run()

	audit.mu.Lock()
	defer audit.mu.Unlock()
	logs := audit.logs.String()
	var leaks []string
	for s, what := range audit.secrets {
		if strings.Contains(logs, s) {
			leaks = append(leaks, what)
		}
	}
	sort.Strings(leaks)
	if len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "log audit: the logs of the test servers contain secrets: %s\n", strings.Join(leaks, ", "))
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "log audit: %d bytes of debug logs from %d servers hold none of %d secrets\n",
			len(logs), audit.servers, len(audit.secrets))
	}
	if code == 0 && (audit.servers == 0 || len(logs) == 0) {
		fmt.Fprintln(os.Stderr, "log audit: no server logged anything; the audit checked nothing")
		return 1
	}
	return code
}
