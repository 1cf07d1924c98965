package gamefile

import (
	"slices"
	"testing"
)

func TestParseClusters(t *testing.T) {
	tests := []struct {
		name, in string
		want     Clusters
	}{
		{"old engine's file", "---\nplayer_clusters:\n - cluster.example.com\n\ncontrol_cluster: cluster.example.com\n",
			Clusters{Control: "cluster.example.com", Players: []string{"cluster.example.com"}}},
		{"flow list", "control_cluster: c\nplayer_clusters: [a, b, c]\n", Clusters{Control: "c", Players: []string{"a", "b", "c"}}},
		{"one player cluster as a scalar", "player_clusters: a.example\n", Clusters{Players: []string{"a.example"}}},
		{"empty file", "", Clusters{}},
		{"only comments", "# nothing yet\n", Clusters{}},
		{"nulls", "control_cluster:\nplayer_clusters:\n", Clusters{}},
		{"anchors", "control_cluster: &c shared\nplayer_clusters: [*c, other]\n", Clusters{Control: "shared", Players: []string{"shared", "other"}}},
		{"trimmed", "control_cluster: ' c '\n", Clusters{Control: "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseClusters("game-clusters.yaml", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got.Control != tt.want.Control || !slices.Equal(got.Players, tt.want.Players) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseClustersErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"syntax", "control_cluster: a\n  player_clusters: [b\n", "game-clusters.yaml:2: invalid YAML: mapping values are not allowed in this context"},
		{"unknown key", "control_cluster: a\nplayer_cluster: [b]\n", `game-clusters.yaml:2: unknown key "player_cluster" (expected control_cluster or player_clusters)`},
		{"duplicate key", "control_cluster: a\ncontrol_cluster: b\n", `game-clusters.yaml:2: duplicate key "control_cluster" (first on line 1)`},
		{"not a mapping", "- a\n- b\n", "game-clusters.yaml:1: expected a mapping with control_cluster and player_clusters"},
		{"control is a list", "control_cluster: [a]\n", "game-clusters.yaml:1: control_cluster must be a name, got a list"},
		{"players is a mapping", "player_clusters:\n  a: b\n", "game-clusters.yaml:2: player_clusters must be a list of names, got a mapping"},
		{"player is a list", "player_clusters:\n  - a\n  - [b]\n", "game-clusters.yaml:3: player_clusters[1] must be a name, got a list"},
		{"empty player", "player_clusters:\n  - a\n  - ''\n", "game-clusters.yaml:3: player_clusters[1] must not be empty"},
		{"null player", "player_clusters:\n  - a\n  -\n", "game-clusters.yaml:3: player_clusters[1] must be a name, got nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl, err := ParseClusters("game-clusters.yaml", []byte(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got  %v (%+v)\nwant %s", err, cl, tt.want)
			}
		})
	}
}
