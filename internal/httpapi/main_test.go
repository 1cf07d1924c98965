package httpapi_test

import (
	"os"
	"testing"

	"github.com/ctfg/ctfg/internal/ctftest"
)

// The whole API suite runs under the log audit: no server log line may
// hold a password, token or session value handed out during the run.
func TestMain(m *testing.M) { os.Exit(ctftest.AuditLogs(m)) }
