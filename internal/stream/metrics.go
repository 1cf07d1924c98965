package stream

import "time"

// Metrics receives the hub's measurements. Every method must be cheap and
// safe for concurrent use; a nil Metrics in Config records nothing.
type Metrics interface {
	// ClientsConnected reports the number of connected sockets after each
	// connect and disconnect.
	ClientsConnected(n int)
	// ClientDropped counts one disconnect and why (one of the Reason
	// constants).
	ClientDropped(reason string)
	// BroadcastLatency reports, for each live frame, the time from its
	// fan-out until every client that was connected has written it to its
	// socket (or was dropped).
	BroadcastLatency(d time.Duration)
}

// Reasons a client leaves, as passed to Metrics.ClientDropped.
const (
	ReasonClosed      = "closed"       // the client closed or the connection broke
	ReasonOverflow    = "overflow"     // its queue was full: too slow
	ReasonWriteError  = "write_error"  // a write failed or timed out
	ReasonPingTimeout = "ping_timeout" // silent for longer than PingTimeout
	ReasonTooBig      = "too_big"      // sent a frame over MaxMessage
	ReasonReset       = "reset"        // admin reset
	ReasonLogout      = "logout"       // its session logged out
	ReasonShutdown    = "shutdown"     // server going away
)

// MetricsFuncs adapts plain functions to Metrics; nil fields are skipped.
type MetricsFuncs struct {
	OnClients   func(n int)
	OnDropped   func(reason string)
	OnBroadcast func(d time.Duration)
}

// ClientsConnected implements Metrics.
func (m MetricsFuncs) ClientsConnected(n int) {
	if m.OnClients != nil {
		m.OnClients(n)
	}
}

// ClientDropped implements Metrics.
func (m MetricsFuncs) ClientDropped(reason string) {
	if m.OnDropped != nil {
		m.OnDropped(reason)
	}
}

// BroadcastLatency implements Metrics.
func (m MetricsFuncs) BroadcastLatency(d time.Duration) {
	if m.OnBroadcast != nil {
		m.OnBroadcast(d)
	}
}

type noMetrics struct{}

func (noMetrics) ClientsConnected(int)           {}
func (noMetrics) ClientDropped(string)           {}
func (noMetrics) BroadcastLatency(time.Duration) {}
