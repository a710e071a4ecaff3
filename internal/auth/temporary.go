package auth

import (
	"crypto/rand"
	"math/big"
	"strings"
)

// temporaryAlphabet is the letters and digits of a temporary password
// without those read or typed for one another (0 O o, 1 l I): 56 symbols,
// 5.8 bits each.
const temporaryAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// TemporaryPasswordGroup is the length of each hyphen-separated group.
const TemporaryPasswordGroup = 4

// TemporaryPassword returns a random one-time password to hand to a user
// (read out or written down): groups of four symbols of temporaryAlphabet
// joined by hyphens ("k7Qm-3xHa-…"), at least four groups (16 symbols,
// about 93 bits) and at least minLength characters. Symbols come from
// crypto/rand without modulo bias.
func TemporaryPassword(minLength int) string {
	n := big.NewInt(int64(len(temporaryAlphabet)))
	var groups []string
	for len(groups) < 4 || len(strings.Join(groups, "-")) < minLength {
		var g [TemporaryPasswordGroup]byte
		for i := range g {
			k, err := rand.Int(rand.Reader, n)
			if err != nil {
				panic("auth: crypto/rand failed: " + err.Error())
			}
			g[i] = temporaryAlphabet[k.Int64()]
		}
		groups = append(groups, string(g[:]))
	}
	return strings.Join(groups, "-")
}
