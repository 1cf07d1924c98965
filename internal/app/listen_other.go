//go:build !linux

package app

import (
	"context"
	"net"
)

// listen opens a TCP listener; outside Linux the accept queue is the
// platform's default.
func listen(ctx context.Context, addr string, _ int) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(ctx, "tcp", addr)
}

// Somaxconn is unknown outside Linux.
func Somaxconn() int { return 0 }
