package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ctfg/ctfg/internal/gamefile"
)

// The team game's credentials load as the server loads them: consecutive
// players share a team, and every team name is valid (even team 11111,
// whose plain name repeats a digit five times).
func TestWriteGameInTeams(t *testing.T) {
	dir := t.TempDir()
	if err := writeGame([]string{"-dir", dir, "-players", "10", "-challenges", "3", "-team-size", "4"}); err != nil {
		t.Fatal(err)
	}
	users, err := gamefile.LoadCredentials(filepath.Join(dir, gamefile.CredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Team 0", "Team 0", "Team 0", "Team 0", "Team 1", "Team 1", "Team 1", "Team 1", "Team 2", "Team 2"}
	if len(users) != len(want) {
		t.Fatalf("%d users", len(users))
	}
	for i, u := range users {
		if u.Team != want[i] {
			t.Errorf("user %d (%s) in team %q, want %q", i, u.Username, u.Team, want[i])
		}
	}
	if name, err := teamName(11111); err != nil || name != "Team 11-111" {
		t.Errorf("team 11111: %q %v", name, err)
	}

	// Without -team-size the file has two columns, as before.
	solo := t.TempDir()
	if err := writeGame([]string{"-dir", solo, "-players", "2", "-challenges", "1"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(solo, gamefile.CredentialsFile))
	if string(b) != "username,password\np0,pw0\np1,pw1\n" {
		t.Errorf("credentials.csv without teams:\n%s", b)
	}
}
