package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/ctftest"
)

// TestCheckPrintsRegistration: check says who may create an account,
// with the proof of work and where each setting came from, and never
// prints the registration code.
func TestCheckPrintsRegistration(t *testing.T) {
	const code = "secret-invite-code-9f2"
	for _, tt := range []struct{ env, want string }{
		{"", "Registration:    closed: only the players of credentials.csv\n"},
		{"CTFG_REGISTRATION=open\n", "Registration:    open: anyone may create an account (proof of work of 16 bits), from CTFG_REGISTRATION\n"},
		{"CTFG_REGISTRATION=Invite\nCTFG_REGISTRATION_CODE=" + code + "\nCTFG_REGISTRATION_POW_BITS=20\n",
			"Registration:    invite: anyone with the code of CTFG_REGISTRATION_CODE may create an account (proof of work of 20 bits, from CTFG_REGISTRATION_POW_BITS), from CTFG_REGISTRATION\n"},
	} {
		dir := MustGameFiles(t, map[string]string{
			"credentials.csv": "username,password\nalice,pw\n",
			"challenges.json": oneChallenge,
			".env":            tt.env,
		})
		status, out, errOut := runCtfg(t, "check", dir)
		if status != 0 || !strings.Contains(out, tt.want) || strings.Contains(out+errOut, code) {
			t.Errorf("check with %q: exit %d, stderr %q, output:\n%s\nwant %q", tt.env, status, errOut, out, tt.want)
		}
	}
}

// TestRegistrationValuesRefused: a wrong mode, invite without a code or
// with a short one, and a difficulty out of range stop check and serve
// with the setting's name.
func TestRegistrationValuesRefused(t *testing.T) {
	for _, tt := range []struct{ env, want string }{
		{"CTFG_REGISTRATION=public\n", `CTFG_REGISTRATION: "public" is not closed`},
		{"CTFG_REGISTRATION=invite\n", "CTFG_REGISTRATION=invite needs CTFG_REGISTRATION_CODE"},
		{"CTFG_REGISTRATION=invite\nCTFG_REGISTRATION_CODE=short\n", "CTFG_REGISTRATION_CODE: at least 8 characters, got 5"},
		{"CTFG_REGISTRATION=open\nCTFG_REGISTRATION_POW_BITS=29\n", `CTFG_REGISTRATION_POW_BITS: "29" is not a whole number of bits from 0 to 28`},
		{"CTFG_REGISTRATION_POW_BITS=-1\n", `"-1" is not a whole number`},
	} {
		dir := MustGameFiles(t, map[string]string{
			"credentials.csv": "username,password\nalice,pw\n",
			"challenges.json": oneChallenge,
			".env":            tt.env,
		})
		code, _, errOut := runCtfg(t, "check", dir)
		if code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("check with %q: exit %d, stderr %q; want %q", tt.env, code, errOut, tt.want)
		}
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--registration", "everyone"}, `--registration: "everyone" is not closed`},
		{[]string{"--registration", "invite"}, "--registration=invite needs CTFG_REGISTRATION_CODE"},
		{[]string{"--registration", "open", "--registration-pow-bits", "x"}, `--registration-pow-bits: "x" is not a whole number`},
	} {
		args := append([]string{"--game", ctftest.MustGameDir(t), "--addr", "127.0.0.1:0"}, tt.args...)
		code, _, stderr := runCLI(t, args...)
		if code != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("serve %q: exit %d, stderr %s; want %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestRegistrationFlagsWinOverVariables: each flag wins over its
// variable; the code comes from the environment only.
func TestRegistrationFlagsWinOverVariables(t *testing.T) {
	env := map[string]string{"CTFG_REGISTRATION": "invite", "CTFG_REGISTRATION_CODE": "code-from-env", "CTFG_REGISTRATION_POW_BITS": "12"}
	getenv := func(k string) string { return env[k] }
	f, _, err := parseServeFlags(IO{Out: io.Discard, Err: io.Discard}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := resolvePlay(getenv, f.play)
	r := p.Registration
	if err != nil || r.Mode != "invite" || r.Code != "code-from-env" || r.PoWBits != 12 || r.ModeFrom != "CTFG_REGISTRATION" {
		t.Fatalf("variables: %+v %v", r, err)
	}
	if c := r.appConfig(); c.Mode != "invite" || c.Code != "code-from-env" || c.PoWBits != 12 {
		t.Errorf("app config: %+v", c)
	}
	f, _, err = parseServeFlags(IO{Out: io.Discard, Err: io.Discard}, []string{"--registration", "open", "--registration-pow-bits", "0"})
	if err != nil {
		t.Fatal(err)
	}
	p, err = resolvePlay(getenv, f.play)
	r = p.Registration
	if err != nil || r.Mode != "open" || r.ModeFrom != "--registration" || r.PoWBits != 0 || r.PoWBitsFrom != "--registration-pow-bits" {
		t.Fatalf("flags: %+v %v", r, err)
	}
	p, _ = resolvePlay(func(string) string { return "" }, playFlags{})
	if p.Registration.Mode != "closed" || p.Registration.appConfig().Mode != "" || p.Registration.PoWBits != 16 {
		t.Errorf("defaults: %+v", p.Registration)
	}
}

// TestRegistrationTurnsOnTeams: SPEC §13 — open (or invite) registration
// plays in teams players make, of any size unless CTFG_TEAM_SIZE caps
// it; CTFG_TEAM_SIZE=0 keeps registered players on their own; closed
// registration without CTFG_TEAM_SIZE plays as before. Through the real
// serve command, and in check's summary.
func TestRegistrationTurnsOnTeams(t *testing.T) {
	for _, tt := range []struct {
		name, env  string
		teams      bool
		cap        int // members the team takes; 0: six join without a cap
		checkWants string
	}{
		{"open", "CTFG_REGISTRATION=open\n", true, 0, "Teams:           players make and join teams of any size"},
		{"open capped", "CTFG_REGISTRATION=open\nCTFG_TEAM_SIZE=2\n", true, 2, "Teams:           players make and join teams of at most 2, from CTFG_TEAM_SIZE"},
		{"open solo", "CTFG_REGISTRATION=open\nCTFG_TEAM_SIZE=0\n", false, 0, "Teams:           players make none, from CTFG_TEAM_SIZE"},
		{"closed", "", false, 0, "Teams:           only from credentials.csv's team column"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := ctftest.MustGameDir(t)
			ctftest.MustWritePlayers(t, dir, 6)
			f, err := os.OpenFile(filepath.Join(dir, ".env"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(f, tt.env+"CTFG_REGISTRATION_POW_BITS=8\n")
			f.Close()
			if status, out, errOut := runCtfg(t, "check", dir); status != 0 || !strings.Contains(out, tt.checkWants) {
				t.Errorf("check: exit %d, stderr %q; want %q in:\n%s", status, errOut, tt.checkWants, out)
			}

			g := mustServe(t, dir)
			client := func(i int) *ctftest.Client {
				jar, _ := cookiejar.New(nil)
				c := &ctftest.Client{Base: g.URL, HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
				name := fmt.Sprintf("p%d", i)
				if status, body := c.Do(t, "POST", "/api/login", map[string]string{"username": name, "password": fmt.Sprintf("pw%d", i)}); status != 200 {
					t.Fatalf("login %s: %d %s", name, status, body)
				}
				return c
			}
			status, body := client(0).Do(t, "POST", "/api/teams", map[string]string{"name": "Crypto Cats"})
			if !tt.teams {
				if status != http.StatusForbidden || !strings.Contains(string(body), `"teams_off"`) {
					t.Fatalf("make a team: %d %s, want 403 teams_off", status, body)
				}
				return
			}
			if status != 200 {
				t.Fatalf("make a team: %d %s", status, body)
			}
			code, _ := ctftest.MustJSON(t, body)["invite_code"].(string)
			for i := 1; i < 6; i++ {
				status, body := client(i).Do(t, "POST", "/api/teams/join", map[string]string{"code": code})
				full := tt.cap > 0 && i >= tt.cap
				if full && (status != http.StatusConflict || !strings.Contains(string(body), `"team_full"`)) {
					t.Errorf("member %d of a team of at most %d: %d %s, want 409 team_full", i+1, tt.cap, status, body)
				}
				if !full && status != 200 {
					t.Errorf("member %d: %d %s", i+1, status, body)
				}
			}
		})
	}
}
