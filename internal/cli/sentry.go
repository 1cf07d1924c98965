package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/ctfg/ctfg/internal/version"
)

// sentryFlushTimeout bounds how long a stopping server waits for queued
// reports.
const sentryFlushTimeout = 2 * time.Second

// withSentry returns log extended to report every Error record — internal
// errors of requests (with their route and request id), recovered panics
// with their stack, storage failures — to Sentry at dsn, and a function
// that flushes pending reports before exit. Log records never hold
// passwords, tokens, sessions or flag guesses (asserted by the API's log
// tests), so neither do reports; requests and client addresses are not
// attached (SendDefaultPII stays off).
func withSentry(log *slog.Logger, dsn, environment string) (*slog.Logger, func(), error) {
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:              dsn,
		Release:          "ctfg@" + version.Get().Short(),
		Environment:      environment,
		AttachStacktrace: false, // the stack of the logging call says nothing useful
		SendDefaultPII:   false,
	})
	if err != nil {
		// The DSN is a credential of the Sentry project: do not echo it.
		return nil, nil, errors.New("SENTRY_DSN is not a valid Sentry DSN")
	}
	hub := sentry.NewHub(client, sentry.NewScope())
	h := &sentryHandler{next: log.Handler(), hub: hub}
	return slog.New(h), func() { hub.Flush(sentryFlushTimeout) }, nil
}

// sentryHandler passes every record on and reports Error ones.
type sentryHandler struct {
	next  slog.Handler
	hub   *sentry.Hub
	attrs []slog.Attr // from WithAttrs, reported with the record's own
	group string
}

func (h *sentryHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.next.Enabled(ctx, l)
}

func (h *sentryHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.report(r)
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

// report sends one record as an error event: the message is the title,
// an "err" attribute becomes the exception, every attribute goes into
// the event's "log" context.
func (h *sentryHandler) report(r slog.Record) {
	ev := sentry.NewEvent()
	ev.Level = sentry.LevelError
	ev.Message = r.Message
	ev.Timestamp = r.Time
	extra := sentry.Context{}
	ev.Contexts["log"] = extra
	var errVal error
	add := func(a slog.Attr) bool {
		key := a.Key
		if h.group != "" {
			key = h.group + "." + key
		}
		v := a.Value.Resolve()
		if e, ok := v.Any().(error); ok && (a.Key == "err" || a.Key == "error") {
			errVal = e
		}
		extra[key] = v.String()
		if a.Key == "route" || a.Key == "request_id" {
			ev.Tags[a.Key] = v.String()
		}
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	if errVal != nil {
		ev.Exception = []sentry.Exception{{Type: fmt.Sprintf("%T", errVal), Value: errVal.Error()}}
	}
	h.hub.CaptureEvent(ev)
}

func (h *sentryHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(as)
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *sentryHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}
