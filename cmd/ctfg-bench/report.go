package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/ctfg/ctfg/internal/emulate"
)

// emuRow prints one Markdown table row from an emulator run's
// metrics.json (see scripts/bench.sh for the header).
func emuRow(args []string) error {
	fs := flag.NewFlagSet("emurow", flag.ExitOnError)
	label := fs.String("label", "", "first cell of the row")
	path := fs.String("metrics", "", "metrics.json written by ctfg emulate --out")
	serverCPU := fs.Float64("server-cpu", 0, "CPU seconds the server used during the run")
	fs.Parse(args)
	b, err := os.ReadFile(*path)
	if err != nil {
		return err
	}
	var r emulate.Result
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	lat := func(name string) string {
		e, ok := r.Endpoint(name)
		if !ok {
			return "–"
		}
		return fmt.Sprintf("%.1f / %.1f", e.P50MS, e.P99MS)
	}
	errs := "0"
	if n := r.ErrorCount(); n > 0 {
		var kinds []string
		for k, v := range r.Errors {
			kinds = append(kinds, fmt.Sprintf("%s ×%d", k, v))
		}
		errs = fmt.Sprintf("**%d** (%s)", n, strings.Join(kinds, "; "))
	}
	fmt.Printf("| %s | %s | %.2f s | %d | %.0f | %.0f | %s | %s | %.0f / %.0f | %.1f s | %.1f s | %d/%d |\n",
		*label, errs, r.WallSec, r.Flags, r.FlagsPerSec, r.SolvingRate,
		lat("POST /api/submit"), lat("POST /api/login"),
		r.EventDelay.P50MS, r.EventDelay.P99MS,
		r.CPUUserSec+r.CPUSystemSec, *serverCPU, r.PlayersDone, r.Players)
	return nil
}

// Markers delimit the generated part of docs/BENCHMARKS.md; the text
// around them is written by hand.
const (
	beginMarker = "<!-- bench:begin (written by scripts/bench.sh; edits inside are lost) -->"
	endMarker   = "<!-- bench:end -->"
)

// splice replaces the generated section of a Markdown file, or inserts it
// after the first heading when the file has none yet.
func splice(args []string) error {
	fs := flag.NewFlagSet("splice", flag.ExitOnError)
	file := fs.String("file", "docs/BENCHMARKS.md", "Markdown file to update")
	section := fs.String("section", "", "file holding the new generated section")
	fs.Parse(args)
	doc, err := os.ReadFile(*file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	sec, err := os.ReadFile(*section)
	if err != nil {
		return err
	}
	out, err := spliceSection(doc, sec)
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	return os.WriteFile(*file, out, 0o644)
}

func spliceSection(doc, sec []byte) ([]byte, error) {
	block := []byte(beginMarker + "\n" + strings.TrimSpace(string(sec)) + "\n" + endMarker)
	i := bytes.Index(doc, []byte(beginMarker))
	j := bytes.Index(doc, []byte(endMarker))
	switch {
	case i >= 0 && j > i:
		return append(append(append([]byte{}, doc[:i]...), block...), doc[j+len(endMarker):]...), nil
	case i >= 0 || j >= 0:
		return nil, errors.New("only one of the generated-section markers is present")
	}
	if len(doc) == 0 {
		return append([]byte("# Benchmarks\n\n"), append(block, '\n')...), nil
	}
	// After the title line.
	k := bytes.IndexByte(doc, '\n')
	if k < 0 {
		k = len(doc) - 1
	}
	var b bytes.Buffer
	b.Write(doc[:k+1])
	b.WriteString("\n")
	b.Write(block)
	b.WriteString("\n")
	b.Write(doc[k+1:])
	return b.Bytes(), nil
}
