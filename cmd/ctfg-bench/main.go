// Command ctfg-bench prepares and references the HTTP benchmarks of
// scripts/bench.sh:
//
//	ctfg-bench bare -addr 127.0.0.1:0 -port-file F    a bare net/http JSON handler (the reference)
//	ctfg-bench game -dir D -players N -challenges M [-team-size K]   a game sized for the benchmarks (in teams of K)
//	ctfg-bench sessions -url U -players N -out F      log N players in, one session cookie per line
//	ctfg-bench solves -url U                          total solves on the scoreboard
//	ctfg-bench emurow -label L -metrics F -server-cpu S   a table row from ctfg emulate's metrics.json
//	ctfg-bench teamrow -label L -solo F -team F       a team-mode table row: an individual and a team run's metrics.json
//	ctfg-bench srvlat -url U -route R                 server-side latency of a route from /metrics
//	ctfg-bench splice -file F -section S              replace F's generated section with S
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ctfg-bench bare|game|sessions|solves|emurow|teamrow|srvlat|splice [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "bare":
		err = bare(os.Args[2:])
	case "game":
		err = writeGame(os.Args[2:])
	case "sessions":
		err = sessions(os.Args[2:])
	case "solves":
		err = solves(os.Args[2:])
	case "emurow":
		err = emuRow(os.Args[2:])
	case "teamrow":
		err = teamRow(os.Args[2:])
	case "srvlat":
		err = srvLat(os.Args[2:])
	case "splice":
		err = splice(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ctfg-bench:", err)
		os.Exit(1)
	}
}

// bare serves the reference: the cheapest JSON answer net/http can give.
func bare(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	portFile := fs.String("port-file", "", "write the bound address here")
	fs.Parse(args)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if *portFile != "" {
		os.WriteFile(*portFile, []byte(ln.Addr().String()+"\n"), 0o644)
	}
	body := []byte(`{"result":"correct","points":100,"total":100}` + "\n")
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
}

func writeGame(args []string) error {
	fs := flag.NewFlagSet("game", flag.ExitOnError)
	dir := fs.String("dir", "", "game directory to create")
	players := fs.Int("players", 2000, "players")
	challenges := fs.Int("challenges", 100, "challenges")
	teamSize := fs.Int("team-size", 0, "play in teams of this many consecutive players (credentials.csv gains the team column); 0: no teams")
	fs.Parse(args)
	if *dir == "" {
		return fmt.Errorf("-dir is required")
	}
	if *teamSize < 0 {
		return fmt.Errorf("-team-size must be ≥ 0")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	creds, err := credentials(*players, *teamSize)
	if err != nil {
		return err
	}
	chs := make([]game.Challenge, *challenges)
	for i := range chs {
		id := i + 1
		chs[i] = game.Challenge{
			ID: id, Title: fmt.Sprintf("Challenge %d", id), Category: fmt.Sprintf("Category %d", i%6),
			Difficulty: "Medium", Points: 100 + 10*(i%10),
			Description: fmt.Sprintf("Solve **puzzle %d**. The answer is a word in the <b>description</b>:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nflag{...}\n```", id),
			Flag:        fmt.Sprintf(`^flag\{c%d\}$`, id), TestFlag: fmt.Sprintf("flag{c%d}", id),
			Hints: []game.Hint{{ID: 1, Text: "Look closer.", Cost: 10}, {ID: 2, Text: "Closer still.", Cost: 20}},
		}
	}
	js, err := json.MarshalIndent(chs, "", " ")
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"credentials.csv": creds,
		"challenges.json": js,
		".env":            []byte("CTFG_API_TOKEN=bench-api-token\nCTFG_ADMIN_TOKEN=bench-admin-token\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(*dir, name), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// credentials writes credentials.csv for players p0..pN-1 (password
// pwI); with teamSize > 0 it has the team column, and players
// teamSize·k … teamSize·k+teamSize−1 make team k.
func credentials(players, teamSize int) ([]byte, error) {
	var b bytes.Buffer
	if teamSize == 0 {
		b.WriteString("username,password\n")
		for i := 0; i < players; i++ {
			fmt.Fprintf(&b, "p%d,pw%d\n", i, i)
		}
		return b.Bytes(), nil
	}
	b.WriteString("username,password,team\n")
	for i := 0; i < players; i++ {
		name, err := teamName(i / teamSize)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "p%d,pw%d,%s\n", i, i, name)
	}
	return b.Bytes(), nil
}

// teamName names team k by the display-name rules, which forbid a
// character repeated five times in a row (team 11111).
func teamName(k int) (string, error) {
	for _, name := range []string{fmt.Sprintf("Team %d", k), fmt.Sprintf("Team %d-%d", k/1000, k%1000)} {
		if n, err := game.ValidateName(name); err == nil && n == name {
			return name, nil
		}
	}
	return "", fmt.Errorf("no valid name for team %d", k)
}

func sessions(args []string) error {
	fs := flag.NewFlagSet("sessions", flag.ExitOnError)
	url := fs.String("url", "", "server URL")
	players := fs.Int("players", 2000, "players p0..pN-1 to log in")
	out := fs.String("out", "", "file for the cookies, one per line in player order")
	fs.Parse(args)
	cookies := make([]string, *players)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	next := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				body := fmt.Sprintf(`{"username":"p%d","password":"pw%d"}`, i, i)
				resp, err := http.Post(*url+"/api/login", "application/json", strings.NewReader(body))
				if err == nil && resp.StatusCode != 200 {
					err = fmt.Errorf("login p%d: %s", i, resp.Status)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				resp.Body.Close()
				for _, c := range resp.Cookies() {
					if c.Name == "ctfg_session" {
						cookies[i] = c.Name + "=" + c.Value
					}
				}
			}
		}()
	}
	for i := 0; i < *players; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return os.WriteFile(*out, []byte(strings.Join(cookies, "\n")+"\n"), 0o600)
}

func solves(args []string) error {
	fs := flag.NewFlagSet("solves", flag.ExitOnError)
	url := fs.String("url", "", "server URL")
	cookie := fs.String("cookie", "", "a session cookie")
	fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", *url+"/api/scoreboard", nil)
	req.Header.Set("Cookie", *cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var sb struct {
		Players []struct{ Solves int } `json:"players"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&sb); err != nil {
		return err
	}
	total := 0
	for _, p := range sb.Players {
		total += p.Solves
	}
	fmt.Println(total)
	return nil
}
