package main

import (
	"strings"
	"testing"
)

func TestSpliceSection(t *testing.T) {
	doc := []byte("# Benchmarks\n\nhand-written intro\n")
	once, err := spliceSection(doc, []byte("first run\n"))
	if err != nil {
		t.Fatal(err)
	}
	twice, err := spliceSection(once, []byte("second run"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(twice)
	if strings.Contains(s, "first run") || !strings.Contains(s, "second run") || !strings.Contains(s, "hand-written intro") {
		t.Fatalf("splice kept the wrong text:\n%s", s)
	}
	if strings.Count(s, beginMarker) != 1 || strings.Count(s, endMarker) != 1 || !strings.HasPrefix(s, "# Benchmarks\n") {
		t.Fatalf("markers or title wrong:\n%s", s)
	}
	if _, err := spliceSection([]byte("# B\n"+beginMarker+"\n"), []byte("x")); err == nil {
		t.Error("a lone marker was accepted")
	}
}
