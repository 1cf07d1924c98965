package app

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/ctfg/ctfg/internal/gamefile"
)

// watchChallenges reloads challenges.json when it changes (developer
// mode). A broken edit keeps the last good version and logs why.
func (s *Server) watchChallenges(ctx context.Context) {
	path := s.cfg.ChallengesPath
	if path == "" {
		path = filepath.Join(s.cfg.GameDir, "challenges.json")
	}
	var last time.Time
	if fi, err := os.Stat(path); err == nil {
		last = fi.ModTime()
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fi, err := os.Stat(path)
		if err != nil || fi.ModTime().Equal(last) {
			continue
		}
		last = fi.ModTime()
		chs, err := gamefile.LoadChallenges(path)
		if err == nil {
			err = gamefile.CheckPlaceholders(path, chs, s.Game.Clusters)
		}
		if err != nil {
			s.log.Error("challenges.json changed but does not load; keeping the previous version", "err", err)
			continue
		}
		gamefile.ApplyScoring(chs, s.cfg.Scoring)
		if err := s.Engine.Reload(ctx, chs); err != nil {
			s.log.Error("reload challenges", "err", err)
			continue
		}
		s.log.Info("challenges reloaded", "challenges", len(chs))
	}
}
