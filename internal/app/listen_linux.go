package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// listen opens a TCP listener whose accept queue holds backlog pending
// connections, so a reconnect storm of every player is queued rather than
// refused. The kernel caps the queue at net.core.somaxconn; a warning
// names the sysctl when that is lower.
func listen(ctx context.Context, addr string, backlog int) (net.Listener, error) {
	var lc net.ListenConfig // Go already sets SO_REUSEADDR
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	// Go listens with somaxconn; listen(2) again on the same socket only
	// changes the queue length, so the flag wins when it is larger or
	// smaller.
	tl := ln.(*net.TCPListener)
	rc, err := tl.SyscallConn()
	if err != nil {
		ln.Close()
		return nil, err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), backlog) }); err != nil {
		ln.Close()
		return nil, err
	}
	if lerr != nil {
		ln.Close()
		return nil, fmt.Errorf("set backlog %d: %w", backlog, lerr)
	}
	return ln, nil
}

// Somaxconn returns the kernel's cap on accept queues, or 0 if unknown.
func Somaxconn() int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}
