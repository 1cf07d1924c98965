package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ctfg/ctfg/internal/game"
)

// TestConcurrentLookalikeRenames: players racing for lookalikes of one
// name (often in one group commit, where the engine checks each rename
// against the ones before it in the batch) end with exactly one holder.
func TestConcurrentLookalikeRenames(t *testing.T) {
	lookalikes := []string{
		"Champion", "CHAMPION", "Ｃｈａｍｐｉｏｎ", "Ch\u0430mpion", "Ch\u03b1mpi\u03bfn",
		"𝐂𝐡𝐚𝐦𝐩𝐢𝐨𝐧", "\u0421\u041d\u0410\u041c\u0420\u0406\u041eN", "Charnpion",
	}
	const rounds = 10
	e, _ := mustEngine(t, len(lookalikes), 1, nil)
	ctx := context.Background()
	for round := range rounds {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var winners []int64
		for i, name := range lookalikes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u, _ := e.State().PlayerByUsername(users(len(lookalikes))[i].Username)
				got, err := e.SetName(ctx, u.ID, name)
				switch {
				case err == nil:
					mu.Lock()
					winners = append(winners, u.ID)
					mu.Unlock()
					if game.NameKey(got) != game.NameKey("Champion") {
						t.Errorf("%+q was stored as %+q", name, got)
					}
				case !errors.Is(err, game.ErrNameTaken):
					t.Errorf("SetName(%+q): %v, want ErrNameTaken", name, err)
				}
			}()
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("round %d: %d players got a lookalike of Champion", round, len(winners))
		}
		if owner, ok := e.State().NameOwner("champion"); !ok || owner != winners[0] {
			t.Fatalf("round %d: owner %d %v, want %d", round, owner, ok, winners[0])
		}
		// Everyone moves away so the next round races again.
		for i := range lookalikes {
			u, _ := e.State().PlayerByUsername(users(len(lookalikes))[i].Username)
			if _, err := e.SetName(ctx, u.ID, "Player "+string(rune('A'+i))+string(rune('a'+round))); err != nil {
				t.Fatal(err)
			}
		}
	}
}
