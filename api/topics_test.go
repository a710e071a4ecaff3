package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"

	"tsunagu/internal/notify"
)

// testTopicKey is the push Topic key of the test servers that check
// Topics; testTopics derives with it.
var (
	testTopicKey  = bytes.Repeat([]byte{0x5a}, notify.TopicKeyLen)
	testTopics, _ = notify.NewTopics(testTopicKey)
)

// plainTopic is the unkeyed Topic an id once had: its SHA-256, which
// anyone who knows the id can compute. No push may carry it.
func plainTopic(id string) string {
	sum := sha256.Sum256([]byte(id))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:32]
}
