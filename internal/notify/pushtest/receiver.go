// Package pushtest is a Web Push service for tests and benchmarks: it hands
// out subscriptions like a browser would, and on each push verifies the
// VAPID header, decrypts the RFC 8291 body and records what arrived.
//
// A test in another package:
//
//	rcv := pushtest.Start(t)                 // closed by t.Cleanup
//	sub := rcv.NewSubscription()
//	sender, _ := notify.NewSender(notify.SenderConfig{
//		Keys: keys, Subject: "mailto:ops@example.jp",
//		AllowedHosts: []string{rcv.Host()}, LoopbackHTTP: true,
//	})
//	sender.Send(ctx, notify.Message{Endpoint: sub.Endpoint, P256dh: sub.P256dh, Auth: sub.Auth, Payload: p})
//	got, err := rcv.Wait(ctx, 1)           // got[0].Plaintext == p
package pushtest

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// maxBody is the largest push body a push service must accept (RFC 8291
// section 4); larger ones get 413 as from a real service.
const maxBody = 4096

// Subscription is what PushManager.subscribe gives the app, keys in base64url.
type Subscription struct {
	Endpoint string
	P256dh   string
	Auth     string
}

// Delivery is one push the receiver accepted.
type Delivery struct {
	Endpoint   string
	Plaintext  []byte
	BodySize   int // encrypted body length in bytes
	TTL        int // seconds, from the TTL header
	Topic      string
	Urgency    string
	Claims     Claims
	VAPIDKey   string // k from the Authorization header
	ReceivedAt time.Time
}

// Rejection is a push the receiver refused, with the reason.
type Rejection struct {
	Endpoint string
	Status   int
	Reason   string
}

// Response is a canned answer for one subscription, instead of delivering.
type Response struct {
	Status     int
	RetryAfter string // Retry-After header value, if any
}

// Receiver is a push service on a local httptest server (plain http on
// 127.0.0.1; senders need LoopbackHTTP and Host() on their allow-list).
// It is safe for concurrent use.
type Receiver struct {
	srv *httptest.Server

	mu         sync.Mutex
	subs       map[string]*subscription
	deliveries []Delivery
	rejections []Rejection
	requests   int
	changed    chan struct{} // closed and replaced on every delivery
	serverKey  string
	delay      time.Duration
	now        func() time.Time
}

type subscription struct {
	private  *ecdh.PrivateKey
	auth     []byte
	endpoint string
	canned   *Response
}

// NewReceiver starts a Receiver; Close stops it.
func NewReceiver() *Receiver {
	r := &Receiver{
		subs:    make(map[string]*subscription),
		changed: make(chan struct{}),
		now:     time.Now,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /push/{id}", r.handlePush)
	r.srv = httptest.NewServer(mux)
	return r
}

// Start is NewReceiver closed by tb.Cleanup.
func Start(tb testing.TB) *Receiver {
	tb.Helper()
	r := NewReceiver()
	tb.Cleanup(r.Close)
	return r
}

// Close shuts the server down.
func (r *Receiver) Close() { r.srv.Close() }

// URL is the receiver's origin, e.g. "http://127.0.0.1:41234".
func (r *Receiver) URL() string { return r.srv.URL }

// Host is the receiver's "host:port", for a sender's allow-list.
func (r *Receiver) Host() string {
	u, _ := url.Parse(r.srv.URL)
	return u.Host
}

// RequireServerKey makes the receiver refuse (403) pushes whose VAPID key k
// is not key, as push services do for a key other than the one the
// subscription was made with.
func (r *Receiver) RequireServerKey(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.serverKey = key
}

// SetDelay makes the receiver take d over every push before it answers (and
// before it records a delivery), like a distant push service; a test uses
// it to catch a sender with pushes in flight.
func (r *Receiver) SetDelay(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.delay = d
}

// NewSubscription makes a subscription with a fresh P-256 key pair and a
// 16-byte auth secret.
func (r *Receiver) NewSubscription() Subscription {
	private, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	idBytes := make([]byte, 12)
	rand.Read(idBytes)
	id := hex.EncodeToString(idBytes)
	s := &subscription{private: private, auth: auth, endpoint: r.srv.URL + "/push/" + id}

	r.mu.Lock()
	r.subs[id] = s
	r.mu.Unlock()
	return Subscription{
		Endpoint: s.endpoint,
		P256dh:   base64.RawURLEncoding.EncodeToString(private.PublicKey().Bytes()),
		Auth:     base64.RawURLEncoding.EncodeToString(auth),
	}
}

// Respond makes the receiver answer every push to sub with resp (e.g. 410,
// 429 with Retry-After) without decrypting it. A zero Response restores
// normal delivery. An unknown subscription always gets 404.
func (r *Receiver) Respond(sub Subscription, resp Response) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.subs[subscriptionID(sub.Endpoint)]
	if s == nil {
		panic("pushtest: Respond for a subscription this receiver did not make")
	}
	if resp.Status == 0 {
		s.canned = nil
		return
	}
	s.canned = &resp
}

// Forget deletes sub, so later pushes to it get 404, like an expired
// subscription.
func (r *Receiver) Forget(sub Subscription) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.subs, subscriptionID(sub.Endpoint))
}

func subscriptionID(endpoint string) string {
	i := strings.LastIndex(endpoint, "/push/")
	if i < 0 {
		return ""
	}
	return endpoint[i+len("/push/"):]
}

// Deliveries returns a copy of what has been delivered, in arrival order.
func (r *Receiver) Deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.deliveries...)
}

// Rejections returns a copy of the refused pushes, in arrival order.
func (r *Receiver) Rejections() []Rejection {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Rejection(nil), r.rejections...)
}

// Requests is the number of push requests received, whatever the answer.
func (r *Receiver) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// Wait blocks until at least n pushes have been delivered and returns them
// all, or returns ctx's error together with what arrived so far.
func (r *Receiver) Wait(ctx context.Context, n int) ([]Delivery, error) {
	for {
		r.mu.Lock()
		if len(r.deliveries) >= n {
			out := append([]Delivery(nil), r.deliveries...)
			r.mu.Unlock()
			return out, nil
		}
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return r.Deliveries(), fmt.Errorf("pushtest: waiting for %d deliveries: %w", n, ctx.Err())
		}
	}
}

// Changed returns a channel closed at the next delivery; for select loops
// that wait for pushes and something else at once.
func (r *Receiver) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

func (r *Receiver) handlePush(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.requests++
	s := r.subs[req.PathValue("id")]
	serverKey, delay := r.serverKey, r.delay
	var canned *Response
	if s != nil && s.canned != nil {
		c := *s.canned
		canned = &c
	}
	r.mu.Unlock()
	time.Sleep(delay)

	endpoint := r.srv.URL + req.URL.Path
	if s == nil {
		r.reject(w, endpoint, http.StatusNotFound, "unknown subscription")
		return
	}
	if canned != nil {
		if canned.RetryAfter != "" {
			w.Header().Set("Retry-After", canned.RetryAfter)
		}
		r.reject(w, endpoint, canned.Status, "canned response")
		return
	}

	claims, key, err := VerifyVAPID(req.Header.Get("Authorization"), r.srv.URL, r.now())
	if err != nil {
		r.reject(w, endpoint, http.StatusUnauthorized, "vapid: "+err.Error())
		return
	}
	if serverKey != "" && key != serverKey {
		r.reject(w, endpoint, http.StatusForbidden, "vapid key differs from the subscription's")
		return
	}
	ttlHeader := req.Header.Get("TTL")
	ttl, err := strconv.Atoi(ttlHeader)
	if err != nil || ttl < 0 {
		r.reject(w, endpoint, http.StatusBadRequest, fmt.Sprintf("TTL header %q", ttlHeader))
		return
	}
	if ce := req.Header.Get("Content-Encoding"); ce != "aes128gcm" {
		r.reject(w, endpoint, http.StatusUnsupportedMediaType, fmt.Sprintf("content encoding %q", ce))
		return
	}
	topic := req.Header.Get("Topic")
	if len(topic) > 32 || strings.Trim(topic, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		r.reject(w, endpoint, http.StatusBadRequest, fmt.Sprintf("topic %q", topic))
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
	if err != nil {
		r.reject(w, endpoint, http.StatusBadRequest, "read body: "+err.Error())
		return
	}
	if len(body) > maxBody {
		r.reject(w, endpoint, http.StatusRequestEntityTooLarge, "body over 4096 bytes")
		return
	}
	plaintext, err := Decrypt(body, s.private, s.auth)
	if err != nil {
		r.reject(w, endpoint, http.StatusBadRequest, err.Error())
		return
	}

	d := Delivery{
		Endpoint:   endpoint,
		Plaintext:  plaintext,
		BodySize:   len(body),
		TTL:        ttl,
		Topic:      topic,
		Urgency:    req.Header.Get("Urgency"),
		Claims:     claims,
		VAPIDKey:   key,
		ReceivedAt: r.now(),
	}
	r.mu.Lock()
	r.deliveries = append(r.deliveries, d)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	w.Header().Set("Location", endpoint)
	w.WriteHeader(http.StatusCreated)
}

func (r *Receiver) reject(w http.ResponseWriter, endpoint string, status int, reason string) {
	r.mu.Lock()
	r.rejections = append(r.rejections, Rejection{Endpoint: endpoint, Status: status, Reason: reason})
	r.mu.Unlock()
	http.Error(w, reason, status)
}
