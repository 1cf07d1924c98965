package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ctfg/ctfg/internal/app"
	"github.com/ctfg/ctfg/internal/auth"
	"github.com/ctfg/ctfg/internal/httpapi"
)

// minRegistrationCode is the shortest registration code accepted: it is
// guessed at under the per-address limit and a proof of work per guess,
// but from any number of addresses.
const minRegistrationCode = 8

// registrationSettings are the configured self-registration settings,
// each with where it was read ("" when not set).
type registrationSettings struct {
	Mode        string // httpapi.RegistrationClosed, Open or Invite
	ModeFrom    string
	Code        string // invite mode's code: never printed
	PoWBits     int
	PoWBitsFrom string
}

// resolveRegistration reads CTFG_REGISTRATION, CTFG_REGISTRATION_CODE and
// CTFG_REGISTRATION_POW_BITS, the flags --registration and
// --registration-pow-bits winning over their variables. The code comes
// from the environment only, as the tokens do: a flag would show it in
// the process list.
func resolveRegistration(getenv func(string) string, mode, bits string) (registrationSettings, error) {
	r := registrationSettings{Mode: httpapi.RegistrationClosed, PoWBits: auth.DefaultPoWBits}
	v, from := mode, "--registration"
	if v == "" {
		v, from = strings.TrimSpace(getenv("CTFG_REGISTRATION")), "CTFG_REGISTRATION"
	}
	switch m := strings.ToLower(v); m {
	case "":
	case httpapi.RegistrationClosed, httpapi.RegistrationOpen, httpapi.RegistrationInvite:
		r.Mode, r.ModeFrom = m, from
	default:
		return r, fmt.Errorf("%s: %q is not closed (only credentials.csv accounts, the default), open (anyone may create an account) or invite (anyone with CTFG_REGISTRATION_CODE)", from, v)
	}
	r.Code = strings.TrimSpace(getenv("CTFG_REGISTRATION_CODE"))
	if r.Mode == httpapi.RegistrationInvite {
		switch {
		case r.Code == "":
			return r, fmt.Errorf("%s=invite needs CTFG_REGISTRATION_CODE, the code players enter to create an account", from)
		case len(r.Code) < minRegistrationCode:
			return r, fmt.Errorf("CTFG_REGISTRATION_CODE: at least %d characters, got %d", minRegistrationCode, len(r.Code))
		}
	}
	v, from = bits, "--registration-pow-bits"
	if v == "" {
		v, from = strings.TrimSpace(getenv("CTFG_REGISTRATION_POW_BITS")), "CTFG_REGISTRATION_POW_BITS"
	}
	if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > auth.MaxPoWBits {
			return r, fmt.Errorf("%s: %q is not a whole number of bits from 0 to %d (default %d)", from, v, auth.MaxPoWBits, auth.DefaultPoWBits)
		}
		r.PoWBits, r.PoWBitsFrom = n, from
	}
	return r, nil
}

// appConfig returns the server's registration settings.
func (r registrationSettings) appConfig() app.Registration {
	if r.Mode == httpapi.RegistrationClosed {
		return app.Registration{}
	}
	return app.Registration{Mode: r.Mode, Code: r.Code, PoWBits: r.PoWBits}
}

// printRegistration writes check's registration line (never the code).
func printRegistration(w io.Writer, r registrationSettings) {
	from := ""
	if r.ModeFrom != "" {
		from = ", from " + r.ModeFrom
	}
	work := fmt.Sprintf(" (proof of work of %d bits", r.PoWBits)
	if r.PoWBitsFrom != "" {
		work += ", from " + r.PoWBitsFrom
	}
	work += ")"
	label := fmt.Sprintf("%-17s", "Registration:")
	switch r.Mode {
	case httpapi.RegistrationOpen:
		fmt.Fprintf(w, "%sopen: anyone may create an account%s%s\n", label, work, from)
	case httpapi.RegistrationInvite:
		fmt.Fprintf(w, "%sinvite: anyone with the code of CTFG_REGISTRATION_CODE may create an account%s%s\n", label, work, from)
	default:
		fmt.Fprintf(w, "%sclosed: only the players of credentials.csv%s\n", label, from)
	}
}
