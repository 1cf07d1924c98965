package game

import (
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"strconv"
	"strings"
)

// DefaultObfuscationKey is the old engine's key for
// @OBFUSCATED_DISPLAYNAME@; organizers may configure another.
const DefaultObfuscationKey = "some-secret-key"

// Placeholders holds what description placeholders expand to for one
// game; Expand fills in the player-specific parts.
type Placeholders struct {
	ControlCluster string
	PlayerClusters []string
	// ObfuscationKey is the XOR key of @OBFUSCATED_DISPLAYNAME@; "" means
	// DefaultObfuscationKey.
	ObfuscationKey string
}

// HasPlaceholder reports whether text contains any placeholder, so callers
// can skip expansion (and reuse cached output) for the common case.
func HasPlaceholder(text string) bool {
	return strings.Contains(text, "@")
}

// Expand replaces @USERNAME@, @USERID@, @DISPLAYNAME@ ("[unset]" when
// unset), @TEAMNAME@ (the team's name in team mode, "[unset]" without), @OBFUSCATED_DISPLAYNAME@, @CONTROL_CLUSTER@ and @PLAYER_CLUSTER@
// (player clusters assigned round-robin by user id, as the old engine did:
// clusters[id mod n]).
func (ph *Placeholders) Expand(text string, p *Player) string {
	if !strings.Contains(text, "@") {
		return text
	}
	name, obf := "[unset]", "[unset]"
	if p.Name != "" {
		name = p.Name
		key := ph.ObfuscationKey
		if key == "" {
			key = DefaultObfuscationKey
		}
		obf = Obfuscate(p.Name, key)
	}
	team := "[unset]"
	if p.Team != "" {
		team = p.Team
	}
	cluster := ""
	if n := len(ph.PlayerClusters); n > 0 {
		cluster = ph.PlayerClusters[int(p.ID%int64(n))]
	}
	r := strings.NewReplacer(
		"@OBFUSCATED_DISPLAYNAME@", obf,
		"@DISPLAYNAME@", name,
		"@TEAMNAME@", team,
		"@USERNAME@", p.Username,
		"@USERID@", strconv.FormatInt(p.ID, 10),
		"@CONTROL_CLUSTER@", ph.ControlCluster,
		"@PLAYER_CLUSTER@", cluster,
	)
	return r.Replace(text)
}

// Obfuscate is the old engine's mask: the UTF-8 bytes of name followed by
// their CRC-32 (IEEE) in big-endian order, XORed with key (repeated), as
// uppercase hexadecimal.
func Obfuscate(name, key string) string {
	b := []byte(name)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	k := []byte(key)
	for i := range b {
		b[i] ^= k[i%len(k)]
	}
	return strings.ToUpper(hex.EncodeToString(b))
}
