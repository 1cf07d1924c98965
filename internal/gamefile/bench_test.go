package gamefile

import (
	"os"
	"testing"
)

func BenchmarkParseChallengesCompat(b *testing.B) {
	data, err := os.ReadFile("testdata/compat/challenges.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseChallenges("challenges.json", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadCompat(b *testing.B) {
	for b.Loop() {
		if _, err := Load("testdata/compat", ""); err != nil {
			b.Fatal(err)
		}
	}
}
