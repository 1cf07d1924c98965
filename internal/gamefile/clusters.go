package gamefile

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// Clusters is the content of game-clusters.yaml: the names substituted for
// @CONTROL_CLUSTER@ and @PLAYER_CLUSTER@ (players are assigned to player
// clusters round-robin by user id).
type Clusters struct {
	Control string
	Players []string
}

// LoadClusters reads a game-clusters.yaml file:
//
//	control_cluster: NAME
//	player_clusters: [NAME, ...]
//
// Both keys are optional; any other key is an error (most likely a typo).
// A problem is an *Error with its line; a missing file is an *Error
// wrapping fs.ErrNotExist.
func LoadClusters(path string) (*Clusters, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	return ParseClusters(path, data)
}

// ParseClusters parses the contents of a clusters file; name is used in
// error messages.
func ParseClusters(name string, data []byte) (*Clusters, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, err)
	}
	cl := &Clusters{}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return cl, nil // an empty file
	}
	root := resolveAlias(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return cl, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: name, Line: root.Line, Msg: "expected a mapping with control_cluster and player_clusters"}
	}
	var c collector
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := resolveAlias(root.Content[i]), resolveAlias(root.Content[i+1])
		if first, dup := seen[k.Value]; dup {
			c.add(&Error{File: name, Line: k.Line, Msg: fmt.Sprintf("duplicate key %q (first on line %d)", k.Value, first)})
			continue
		}
		seen[k.Value] = k.Line
		switch k.Value {
		case "control_cluster":
			if isNull(v) {
				continue
			}
			if v.Kind != yaml.ScalarNode {
				c.add(&Error{File: name, Line: v.Line, Msg: "control_cluster must be a name, got " + yamlKind(v)})
				continue
			}
			s, err := clusterName(v.Value)
			if err != "" {
				c.add(&Error{File: name, Line: v.Line, Msg: "control_cluster " + err})
				continue
			}
			cl.Control = s
		case "player_clusters":
			items := []*yaml.Node{v}
			switch {
			case isNull(v):
				continue
			case v.Kind == yaml.SequenceNode:
				items = v.Content
			case v.Kind != yaml.ScalarNode:
				c.add(&Error{File: name, Line: v.Line, Msg: "player_clusters must be a list of names, got " + yamlKind(v)})
				continue
			}
			for j, it := range items {
				it = resolveAlias(it)
				if it.Kind != yaml.ScalarNode || isNull(it) {
					c.add(&Error{File: name, Line: it.Line, Msg: fmt.Sprintf("player_clusters[%d] must be a name, got %s", j, yamlKind(it))})
					continue
				}
				s, err := clusterName(it.Value)
				if err != "" {
					c.add(&Error{File: name, Line: it.Line, Msg: fmt.Sprintf("player_clusters[%d] %s", j, err)})
					continue
				}
				cl.Players = append(cl.Players, s)
			}
		default:
			c.add(&Error{File: name, Line: k.Line, Msg: fmt.Sprintf("unknown key %q (expected control_cluster or player_clusters)", k.Value)})
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return cl, nil
}

func clusterName(s string) (string, string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", "must not be empty"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "", "must not contain control characters"
	}
	return s, ""
}

// resolveAlias follows alias nodes (bounded: yaml.v3 rejects alias loops,
// but a bound costs nothing).
func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func yamlKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "something else"
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a yaml.v3 parse error ("yaml: line 3: ...") into an
// *Error with the line moved where the other files have it.
func yamlError(name string, err error) *Error {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: name, Line: line, Msg: "invalid YAML: " + m[2], Err: err}
	}
	return &Error{File: name, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: "), Err: err}
}
