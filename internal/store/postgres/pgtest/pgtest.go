// Package pgtest gives tests a fresh PostgreSQL database of their own on
// the server named by CTFG_TEST_POSTGRES, and skips them when it is not
// set. `bash scripts/pg-test.sh go test ./...` (which scripts/test.sh
// uses) starts a throwaway server and sets it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the URL of a PostgreSQL server where tests may create and
// drop databases, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvVar = "CTFG_TEST_POSTGRES"

// URL returns the server URL from EnvVar, or skips tb.
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvVar)
	if u == "" {
		tb.Skip(EnvVar + " is not set: skipping the PostgreSQL tests (bash scripts/pg-test.sh go test ... starts a throwaway server for them)")
	}
	return u
}

// MustDatabase creates a new, empty database with a random name on the
// server and returns its URL; the database is dropped when the test ends
// (after the test's other cleanups, which close its connections, have
// run). It skips tb when EnvVar is not set.
func MustDatabase(tb testing.TB) string {
	tb.Helper()
	server := URL(tb)
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatalf("%s is not a URL", EnvVar) // the URL may hold a password: not quoted
	}
	var b [6]byte
	rand.Read(b[:])
	name := "ctfg_test_" + hex.EncodeToString(b[:])
	admin := func(sql string) {
		tb.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			tb.Fatalf("connect to the %s server: %v", EnvVar, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			tb.Fatalf("%s: %v", sql, err)
		}
	}
	admin("CREATE DATABASE " + name)
	tb.Cleanup(func() { admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	u.Path = "/" + name
	return u.String()
}
