package app

import (
	"context"
	"time"

	"github.com/ctfg/ctfg/internal/httpapi"
	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/views"
)

// adminSource gives the admin dashboard what only the app can see: the
// hub's sockets, the database files, the submission log, the solve
// tally, the version and the start time.
type adminSource struct{ s *Server }

var _ httpapi.AdminSource = adminSource{}

func (a adminSource) Online() (players, sockets int) {
	return a.s.Hub.Players(), a.s.Hub.Clients()
}

func (a adminSource) StorageSize() (db, wal int64) {
	size, walSize, _ := storeGauges(a.s.Store)
	if size != nil {
		db = size()
	}
	if walSize != nil {
		wal = walSize()
	}
	return db, wal
}

func (a adminSource) Submissions(ctx context.Context, f store.SubmissionFilter) ([]store.Submission, error) {
	return a.s.Store.Submissions(ctx, f)
}

func (a adminSource) Solves(now time.Time) views.SolveSummary { return a.s.solves.Summary(now) }

func (a adminSource) Version() string { return a.s.version }

func (a adminSource) Started() time.Time { return a.s.started }
