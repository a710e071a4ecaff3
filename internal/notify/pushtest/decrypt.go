package pushtest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// Decrypt opens an RFC 8291 message (RFC 8188 "aes128gcm" content coding)
// for the user agent holding uaPrivate and authSecret, and returns the
// plaintext with its padding removed. Web Push allows exactly one record.
func Decrypt(body []byte, uaPrivate *ecdh.PrivateKey, authSecret []byte) ([]byte, error) {
	// Header: salt(16) | rs(4) | idlen(1) | keyid(idlen) = the sender's public key.
	if len(body) < 21 {
		return nil, errors.New("short header")
	}
	salt := body[:16]
	rs := binary.BigEndian.Uint32(body[16:20])
	idlen := int(body[20])
	if rs < 18 {
		return nil, fmt.Errorf("record size %d < 18", rs)
	}
	if len(body) < 21+idlen {
		return nil, errors.New("short key id")
	}
	asPublic, err := ecdh.P256().NewPublicKey(body[21 : 21+idlen])
	if err != nil {
		return nil, fmt.Errorf("sender key: %w", err)
	}
	record := body[21+idlen:]
	if len(record) > int(rs) {
		return nil, fmt.Errorf("%d bytes of ciphertext exceed one %d-byte record", len(record), rs)
	}
	if len(record) < 17 {
		return nil, errors.New("empty record")
	}

	shared, err := uaPrivate.ECDH(asPublic)
	if err != nil {
		return nil, fmt.Errorf("ecdh: %w", err)
	}
	keyInfo := "WebPush: info\x00" + string(uaPrivate.PublicKey().Bytes()) + string(asPublic.Bytes())
	ikm, err := hkdf.Key(sha256.New, shared, authSecret, keyInfo, 32)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	// A single record has sequence number 0, so the nonce is used as derived.
	padded, err := gcm.Open(nil, nonce, record, nil)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	// RFC 8188 padding: data, one delimiter (2 = last record), then zeros.
	end := len(padded) - 1
	for end >= 0 && padded[end] == 0 {
		end--
	}
	if end < 0 {
		return nil, errors.New("no padding delimiter")
	}
	if padded[end] != 2 {
		return nil, fmt.Errorf("padding delimiter %d, want 2 (last record)", padded[end])
	}
	return padded[:end], nil
}
