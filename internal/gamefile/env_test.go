package gamefile

import (
	"maps"
	"testing"
)

func TestParseEnv(t *testing.T) {
	in := "# comment\n" +
		"\n" +
		"A=plain\n" +
		"  B = spaced value  \n" +
		"export C=exported\n" +
		"D=\"double # not a comment\" # a comment\n" +
		"E='single \\n raw'\n" +
		"F=\"esc\\n\\t\\\"q\\\" \\\\ \\x\"\n" +
		"G=\n" +
		"H=with #inline comment\n" +
		"I=a#b\n" +
		"J=first\n" +
		"J=second\r\n" +
		"exportK=no space after export\n" +
		"L=\"\"\n" +
		"M=x=y\n"
	got, err := ParseEnv(".env", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"A": "plain", "B": "spaced value", "C": "exported",
		"D": "double # not a comment", "E": `single \n raw`, "F": "esc\n\t\"q\" \\ \\x",
		"G": "", "H": "with", "I": "a#b", "J": "second", "exportK": "no space after export",
		"L": "", "M": "x=y",
	}
	if !maps.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestParseEnvErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no equals", "A=1\nB\n", ".env:2: expected KEY=value"},
		{"bad key", "1A=x\n", `.env:1: invalid variable name "1A": use letters, digits and _, not starting with a digit`},
		{"key with dash", "MY-KEY=x\n", `.env:1: invalid variable name "MY-KEY": use letters, digits and _, not starting with a digit`},
		{"empty key", "=x\n", `.env:1: invalid variable name "": use letters, digits and _, not starting with a digit`},
		{"unterminated double", "A=\"abc\n", ".env:1: value of A: missing closing \" (values cannot span lines)"},
		{"unterminated single", "\n\nA='abc\n", ".env:3: value of A: missing closing ' (values cannot span lines)"},
		{"text after quote", "A=\"abc\" def\n", `.env:1: value of A: unexpected text after the closing quote: "def"`},
		{"NUL", "A=a\x00b\n", ".env:1: value of A contains a NUL character"},
		{"invalid UTF-8", "A=\xff\n", ".env:1: not valid UTF-8 text"},
		{"several", "A\nB\n", ".env:1: expected KEY=value\n.env:2: expected KEY=value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := ParseEnv(".env", []byte(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got  %v (env %q)\nwant %s", err, env, tt.want)
			}
		})
	}
}
