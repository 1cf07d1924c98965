package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ctfg/ctfg/internal/ctftest"
)

// TestConcurrentSolveCountsOnce: 200 goroutines submit the same correct
// flag for one player; exactly one is "correct" and the points count once.
func TestConcurrentSolveCountsOnce(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	c := srv.MustLogin(t, "alice")
	const n = 200
	var wg sync.WaitGroup
	results := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, body := c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
			if status != 200 {
				results <- "status " + http.StatusText(status)
				return
			}
			results <- ctftest.MustJSON(t, body)["result"].(string)
		}()
	}
	wg.Wait()
	close(results)
	counts := map[string]int{}
	for r := range results {
		counts[r]++
	}
	if counts["correct"] != 1 || counts["already_solved"] != n-1 {
		t.Fatalf("results: %v", counts)
	}
	assertScore(t, c, 100, 1)
}

// TestConcurrentHintBoughtOnce: racing purchases of one hint charge once.
func TestConcurrentHintBoughtOnce(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	c := srv.MustLogin(t, "bob")
	c.Do(t, "POST", "/api/submit", map[string]any{"id": 1, "flag": "flag{warm}"})
	c.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 1})
	const n = 100 // more than the hint burst of 20: 429s are refusals too
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[int]int{}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _ := c.Do(t, "POST", "/api/hint", map[string]any{"id": 1, "hint_id": 2})
			mu.Lock()
			counts[status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[200] != 1 || counts[200]+counts[400]+counts[429] != n {
		t.Fatalf("statuses: %v", counts)
	}
	assertScore(t, c, 90, 1)
}

// TestSubmitRacingAward: a player's submission and a judge's award for the
// same challenge record one solve.
func TestSubmitRacingAward(t *testing.T) {
	srv := ctftest.MustServer(t, ctftest.MustGameDir(t))
	c := srv.MustLogin(t, "carol")
	judge := srv.NewClient()
	auth := http.Header{"Authorization": {"Bearer " + ctftest.APIToken}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 50; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, body := c.Do(t, "POST", "/api/submit", map[string]any{"id": 4, "flag": "flag{once}"})
			if strings.Contains(string(body), `"correct"`) {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
		go func() {
			defer wg.Done()
			resp := judge.Request(t, "POST", "/api/award", map[string]any{"username": "carol", "id": 4}, auth)
			var m map[string]any
			json.NewDecoder(resp.Body).Decode(&m)
			resp.Body.Close()
			if m["result"] == "ok" {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d requests recorded the solve", wins)
	}
	assertScore(t, c, 300, 1)
}

func assertScore(t *testing.T, c *ctftest.Client, score, solves int) {
	t.Helper()
	status, body := c.Do(t, "GET", "/api/me", nil)
	if status != 200 {
		t.Fatal(status)
	}
	if got := int(ctftest.MustJSON(t, body)["total"].(float64)); got != score {
		t.Fatalf("total %d, want %d", got, score)
	}
	_, body = c.Do(t, "GET", "/api/challenges", nil)
	if got := strings.Count(string(body), `"solved":true`); got != solves {
		t.Fatalf("%d solved, want %d", got, solves)
	}
}
