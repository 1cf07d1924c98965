package cli

import (
	"io"
	"strings"
	"testing"

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
