package notify

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
)

// Outcome is what the outbox worker does next with a push.
type Outcome int

const (
	// Delivered: the push service accepted the message (2xx).
	Delivered Outcome = iota
	// Gone: the subscription no longer exists (404, 410); delete it.
	Gone
	// Retry: try again later (429, 5xx, network failure), no sooner than the
	// returned delay when it is non-zero (Retry-After).
	Retry
	// Rejected: the push service refused this message (other 4xx, or a
	// message that cannot be sent at all); drop it without retrying.
	Rejected
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Gone:
		return "gone"
	case Retry:
		return "retry"
	case Rejected:
		return "rejected"
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Urgency values (RFC 8030 section 5.3).
const (
	UrgencyNormal = "normal"
	UrgencyHigh   = "high"
)

// DefaultTTL is how long a push service keeps an undelivered message: an
// iPad left in a bag overnight still hears about the day's records.
const DefaultTTL = 24 * time.Hour

// Message is one push to one subscription.
type Message struct {
	Endpoint string // from PushSubscription.endpoint
	P256dh   string // PushSubscription.getKey("p256dh"), base64url
	Auth     string // PushSubscription.getKey("auth"), base64url
	Payload  []byte // an encoded Payload, at most MaxPayloadBytes
	TTL      time.Duration
	Topic    string // Topics.For(opaque id), or empty
	Urgency  string // UrgencyNormal (default) or UrgencyHigh
}

// SenderConfig configures NewSender.
type SenderConfig struct {
	Keys VAPIDKeys
	// Subject is the operator contact in the VAPID JWT: "mailto:ops@example.jp",
	// a bare "ops@example.jp", or an "https://" URL.
	Subject string
	// AllowedHosts and LoopbackHTTP build the endpoint allow-list; see
	// NewAllowList.
	AllowedHosts []string
	LoopbackHTTP bool
	// Client sends the requests; nil = a client with timeouts that never
	// follows redirects. A custom client should not follow redirects either,
	// or the allow-list can be stepped around.
	Client *http.Client
}

// Sender sends encrypted Web Push messages (RFC 8030, 8291, 8292) through
// webpush-go. It is safe for concurrent use; bounding concurrency is the
// caller's job.
type Sender struct {
	keys    VAPIDKeys
	subject string
	allow   AllowList
	client  *http.Client
}

// ErrInvalidMessage is returned (with Rejected) for a message the Sender will
// not send: bad keys, topic, urgency or TTL.
var ErrInvalidMessage = errors.New("notify: invalid push message")

var topicPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// NewSender checks cfg and returns a Sender.
func NewSender(cfg SenderConfig) (*Sender, error) {
	if cfg.Keys.IsZero() {
		return nil, errors.New("push sender: no VAPID keys")
	}
	subject, err := vapidSubject(cfg.Subject)
	if err != nil {
		return nil, err
	}
	allow, err := NewAllowList(cfg.AllowedHosts, cfg.LoopbackHTTP)
	if err != nil {
		return nil, err
	}
	client := cfg.Client
	if client == nil {
		client = newPushClient()
	}
	return &Sender{keys: cfg.Keys, subject: subject, allow: allow, client: client}, nil
}

// vapidSubject returns the subject in the form webpush-go wants: it prepends
// "mailto:" to anything not starting with "https:", so a mailto subject is
// passed as the bare address.
func vapidSubject(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "https://") && len(s) > len("https://") {
		return s, nil
	}
	addr := strings.TrimPrefix(s, "mailto:")
	at := strings.IndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 || strings.ContainsAny(addr, " :<>") {
		return "", fmt.Errorf("push subject %q: want mailto:address or https:// URL", s)
	}
	return addr, nil
}

func newPushClient() *http.Client {
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 20 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// PublicKey is the VAPID public key for GET /push/key.
func (s *Sender) PublicKey() string { return s.keys.PublicKey() }

// ValidateEndpoint applies the Sender's allow-list; see AllowList.ValidateEndpoint.
func (s *Sender) ValidateEndpoint(endpoint string) error { return s.allow.ValidateEndpoint(endpoint) }

// Send encrypts m.Payload for the subscription and posts it.
//
// An endpoint outside the allow-list, or a malformed message, returns
// Rejected and an error before any network call. Otherwise the Outcome
// follows the push service's answer; for Retry the duration is the
// Retry-After delay (0 when absent) and the error describes the failure.
func (s *Sender) Send(ctx context.Context, m Message) (Outcome, time.Duration, error) {
	if err := s.allow.ValidateEndpoint(m.Endpoint); err != nil {
		return Rejected, 0, err
	}
	if len(m.Payload) > MaxPayloadBytes {
		return Rejected, 0, fmt.Errorf("%w: %d bytes", ErrPayloadTooLarge, len(m.Payload))
	}
	if err := ValidateSubscriptionKeys(m.P256dh, m.Auth); err != nil {
		return Rejected, 0, err
	}
	if m.Topic != "" && !topicPattern.MatchString(m.Topic) {
		return Rejected, 0, fmt.Errorf("%w: topic must be 1-32 base64url characters", ErrInvalidMessage)
	}
	urgency := webpush.UrgencyNormal
	switch m.Urgency {
	case "", UrgencyNormal:
	case UrgencyHigh:
		urgency = webpush.UrgencyHigh
	default:
		return Rejected, 0, fmt.Errorf("%w: urgency %q", ErrInvalidMessage, m.Urgency)
	}
	ttl := m.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if ttl < 0 {
		return Rejected, 0, fmt.Errorf("%w: negative TTL", ErrInvalidMessage)
	}

	sub := &webpush.Subscription{
		Endpoint: m.Endpoint,
		Keys:     webpush.Keys{P256dh: m.P256dh, Auth: m.Auth},
	}
	resp, err := webpush.SendNotificationWithContext(ctx, m.Payload, sub, &webpush.Options{
		HTTPClient:      s.client,
		Subscriber:      s.subject,
		Topic:           m.Topic,
		TTL:             int(ttl / time.Second),
		Urgency:         urgency,
		VAPIDPublicKey:  s.keys.PublicKey(),
		VAPIDPrivateKey: s.keys.privateKey(),
	})
	if err != nil {
		var transport *url.Error
		if !errors.As(err, &transport) {
			// webpush-go gave up before any request was made.
			return Rejected, 0, fmt.Errorf("%w: %v", ErrInvalidMessage, err)
		}
		return Retry, 0, fmt.Errorf("push request: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))

	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return Delivered, 0, nil
	case code == http.StatusNotFound || code == http.StatusGone:
		return Gone, 0, fmt.Errorf("push service: status %d", code)
	case code == http.StatusTooManyRequests || code >= 500:
		return Retry, retryAfter(resp.Header.Get("Retry-After"), time.Now()), fmt.Errorf("push service: status %d", code)
	default:
		return Rejected, 0, fmt.Errorf("push service: status %d", code)
	}
}

// ValidateSubscriptionKeys checks the keys a browser registered: p256dh a
// P-256 point and auth a 16-byte secret, both base64url (padding optional).
// It returns an error wrapping ErrInvalidMessage otherwise.
func ValidateSubscriptionKeys(p256dh, auth string) error {
	pub, err := decodeBase64URL(p256dh)
	if err != nil {
		return fmt.Errorf("%w: p256dh: %v", ErrInvalidMessage, err)
	}
	if _, err := ecdh.P256().NewPublicKey(pub); err != nil {
		return fmt.Errorf("%w: p256dh: %v", ErrInvalidMessage, err)
	}
	secret, err := decodeBase64URL(auth)
	if err != nil {
		return fmt.Errorf("%w: auth: %v", ErrInvalidMessage, err)
	}
	if len(secret) != 16 {
		return fmt.Errorf("%w: auth: %d bytes, want 16", ErrInvalidMessage, len(secret))
	}
	return nil
}

func decodeBase64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// retryAfter parses Retry-After as seconds or an HTTP date; 0 when absent
// or unparseable. Delays are capped at a day.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), 24*time.Hour)
}
