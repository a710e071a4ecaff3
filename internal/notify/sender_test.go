package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tsunagu/internal/notify"
	"tsunagu/internal/notify/pushtest"
)

const testSubject = "mailto:ops@example.jp"

func mustKeys(tb testing.TB) notify.VAPIDKeys {
	tb.Helper()
	k, err := notify.GenerateVAPIDKeys()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func mustSender(tb testing.TB, rcv *pushtest.Receiver, keys notify.VAPIDKeys) *notify.Sender {
	tb.Helper()
	s, err := notify.NewSender(notify.SenderConfig{
		Keys:         keys,
		Subject:      testSubject,
		AllowedHosts: []string{rcv.Host()},
		LoopbackHTTP: true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func message(sub pushtest.Subscription, payload []byte) notify.Message {
	return notify.Message{Endpoint: sub.Endpoint, P256dh: sub.P256dh, Auth: sub.Auth, Payload: payload}
}

func waitCtx(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

func TestSendRoundTrip(t *testing.T) {
	rcv := pushtest.Start(t)
	keys := mustKeys(t)
	rcv.RequireServerKey(keys.PublicKey())
	sender := mustSender(t, rcv, keys)
	sub := rcv.NewSubscription()

	payload, err := notify.NewRecordPayload("0196c2a0-patient", "0196c2a0-record", notify.Texts{}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	m := message(sub, payload)
	m.Topic = mustTopics(t).For("0196c2a0-patient")
	m.Urgency = notify.UrgencyHigh
	ctx := waitCtx(t)

	outcome, delay, err := sender.Send(ctx, m)
	if outcome != notify.Delivered || delay != 0 || err != nil {
		t.Fatalf("Send = %v, %v, %v; rejections %+v", outcome, delay, err, rcv.Rejections())
	}
	got, err := rcv.Wait(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	d := got[0]
	if !bytes.Equal(d.Plaintext, payload) {
		t.Errorf("plaintext %q, want %q", d.Plaintext, payload)
	}
	var p notify.Payload
	if err := json.Unmarshal(d.Plaintext, &p); err != nil {
		t.Fatal(err)
	}
	if p.Title != "つなぐ" || p.Body != "新しい記録があります" || p.Type != "record" || p.RecordID != "0196c2a0-record" {
		t.Errorf("payload %+v", p)
	}
	if d.TTL != 24*60*60 {
		t.Errorf("TTL %d s, want a day", d.TTL)
	}
	if d.Topic != m.Topic || len(d.Topic) != 32 {
		t.Errorf("topic %q, want %q (32 chars)", d.Topic, m.Topic)
	}
	if d.Urgency != "high" {
		t.Errorf("urgency %q, want high", d.Urgency)
	}
	// webpush-go prefixes "mailto:" itself; the subject must not be doubled.
	if d.Claims.Sub != testSubject {
		t.Errorf("sub %q, want %q", d.Claims.Sub, testSubject)
	}
	if d.Claims.Aud != rcv.URL() {
		t.Errorf("aud %q, want %q", d.Claims.Aud, rcv.URL())
	}
	if d.VAPIDKey != sender.PublicKey() {
		t.Errorf("k %q, want the sender's public key", d.VAPIDKey)
	}
	if d.BodySize > 4096 {
		t.Errorf("body %d bytes, over what push services accept", d.BodySize)
	}
}

func TestSendDefaults(t *testing.T) {
	rcv := pushtest.Start(t)
	sender := mustSender(t, rcv, mustKeys(t))
	sub := rcv.NewSubscription()
	ctx := waitCtx(t)
	if o, _, err := sender.Send(ctx, message(sub, []byte(`{}`))); o != notify.Delivered {
		t.Fatalf("Send = %v, %v", o, err)
	}
	got, err := rcv.Wait(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Urgency != "normal" || got[0].Topic != "" || got[0].TTL != 86400 {
		t.Errorf("urgency %q topic %q ttl %d; want normal, none, 86400", got[0].Urgency, got[0].Topic, got[0].TTL)
	}
}

func TestSendOutcomes(t *testing.T) {
	rcv := pushtest.Start(t)
	keys := mustKeys(t)
	sender := mustSender(t, rcv, keys)
	ctx := waitCtx(t)

	tests := []struct {
		name  string
		resp  pushtest.Response
		want  notify.Outcome
		delay time.Duration
	}{
		{"410 unsubscribed", pushtest.Response{Status: 410}, notify.Gone, 0},
		{"404 expired", pushtest.Response{Status: 404}, notify.Gone, 0},
		{"429 with Retry-After", pushtest.Response{Status: 429, RetryAfter: "120"}, notify.Retry, 2 * time.Minute},
		{"503 with date", pushtest.Response{Status: 503, RetryAfter: time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}, notify.Retry, time.Hour},
		{"500 bare", pushtest.Response{Status: 500}, notify.Retry, 0},
		{"413 too large", pushtest.Response{Status: 413}, notify.Rejected, 0},
		{"403 bad key", pushtest.Response{Status: 403}, notify.Rejected, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := rcv.NewSubscription()
			rcv.Respond(sub, tt.resp)
			o, delay, err := sender.Send(ctx, message(sub, []byte(`{}`)))
			if o != tt.want {
				t.Fatalf("outcome %v (%v), want %v", o, err, tt.want)
			}
			if err == nil {
				t.Error("no error for a failed push")
			}
			if d := delay - tt.delay; d < -2*time.Second || d > 0 {
				t.Errorf("retry after %v, want about %v", delay, tt.delay)
			}
		})
	}

	t.Run("unknown subscription is gone", func(t *testing.T) {
		sub := rcv.NewSubscription()
		rcv.Forget(sub)
		if o, _, _ := sender.Send(ctx, message(sub, []byte(`{}`))); o != notify.Gone {
			t.Fatalf("outcome %v, want gone", o)
		}
	})
	t.Run("network failure retries", func(t *testing.T) {
		dead := pushtest.NewReceiver()
		sub := dead.NewSubscription()
		dead.Close()
		s, err := notify.NewSender(notify.SenderConfig{Keys: keys, Subject: testSubject, AllowedHosts: []string{dead.Host()}, LoopbackHTTP: true})
		if err != nil {
			t.Fatal(err)
		}
		if o, _, err := s.Send(ctx, message(sub, []byte(`{}`))); o != notify.Retry || err == nil {
			t.Fatalf("outcome %v, %v; want retry with an error", o, err)
		}
	})
	if n := len(rcv.Deliveries()); n != 0 {
		t.Errorf("%d deliveries from canned failures", n)
	}
}

// A subscription whose auth secret the sender has wrong cannot be read by
// the device; the receiver must refuse it rather than accept garbage.
func TestSendWrongAuthSecretIsRejected(t *testing.T) {
	rcv := pushtest.Start(t)
	sender := mustSender(t, rcv, mustKeys(t))
	sub := rcv.NewSubscription()
	other := rcv.NewSubscription()
	m := message(sub, []byte(`{"type":"record"}`))
	m.Auth = other.Auth

	o, _, err := sender.Send(waitCtx(t), m)
	if o != notify.Rejected || err == nil {
		t.Fatalf("outcome %v, %v; want rejected", o, err)
	}
	rej := rcv.Rejections()
	if len(rej) != 1 || rej[0].Status != http.StatusBadRequest || !strings.Contains(rej[0].Reason, "decrypt") {
		t.Fatalf("rejections %+v, want one 400 decrypt failure", rej)
	}
	if n := len(rcv.Deliveries()); n != 0 {
		t.Fatalf("%d deliveries", n)
	}
}

func TestSendWrongServerKeyIsRejected(t *testing.T) {
	rcv := pushtest.Start(t)
	rcv.RequireServerKey(mustKeys(t).PublicKey())
	sender := mustSender(t, rcv, mustKeys(t))
	o, _, _ := sender.Send(waitCtx(t), message(rcv.NewSubscription(), []byte(`{}`)))
	if o != notify.Rejected {
		t.Fatalf("outcome %v, want rejected", o)
	}
}

type countingTransport struct{ calls atomic.Int32 }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	c.calls.Add(1)
	return nil, errors.New("no network in this test")
}

func TestSendRefusesEndpointsOffTheAllowList(t *testing.T) {
	rcv := pushtest.Start(t)
	sub := rcv.NewSubscription()
	transport := &countingTransport{}
	client := &http.Client{Transport: transport}
	keys := mustKeys(t)
	ctx := waitCtx(t)

	defaults, err := notify.NewSender(notify.SenderConfig{Keys: keys, Subject: testSubject, Client: client})
	if err != nil {
		t.Fatal(err)
	}
	for _, endpoint := range []string{
		sub.Endpoint, // loopback, not listed and no LoopbackHTTP
		"https://169.254.169.254/latest/meta-data",
		"https://internal.example.jp/push/x",
		"https://fcm.googleapis.com.evil.example/fcm/send/x",
		"https://evilpush.apple.com/x",
		"http://fcm.googleapis.com/fcm/send/x",
		"https://fcm.googleapis.com:8443/fcm/send/x",
		"https://user@fcm.googleapis.com/fcm/send/x",
		"file:///etc/passwd",
		"",
	} {
		o, _, err := defaults.Send(ctx, notify.Message{Endpoint: endpoint, P256dh: sub.P256dh, Auth: sub.Auth, Payload: []byte(`{}`)})
		if o != notify.Rejected || !errors.Is(err, notify.ErrEndpointNotAllowed) {
			t.Errorf("%q: %v, %v; want rejected, ErrEndpointNotAllowed", endpoint, o, err)
		}
	}
	if n := transport.calls.Load(); n != 0 {
		t.Errorf("%d requests made for disallowed endpoints", n)
	}
	if n := rcv.Requests(); n != 0 {
		t.Errorf("receiver saw %d requests", n)
	}

	// The same endpoints on the default list do reach the network.
	for _, endpoint := range []string{
		"https://fcm.googleapis.com/fcm/send/abc",
		"https://updates.push.services.mozilla.com/wpush/v2/abc",
		"https://web.push.apple.com/abc",
		"https://api.push.apple.com/3/device/abc",
		"https://wns2-par02p.notify.windows.com/w/?token=abc",
	} {
		if err := defaults.ValidateEndpoint(endpoint); err != nil {
			t.Errorf("ValidateEndpoint(%q) = %v", endpoint, err)
		}
	}
	before := transport.calls.Load()
	o, _, _ := defaults.Send(ctx, notify.Message{Endpoint: "https://fcm.googleapis.com/fcm/send/abc", P256dh: sub.P256dh, Auth: sub.Auth, Payload: []byte(`{}`)})
	if o != notify.Retry || transport.calls.Load() != before+1 {
		t.Errorf("allowed endpoint: outcome %v, calls %d; want one attempt, retry", o, transport.calls.Load()-before)
	}
}

func TestSendRejectsBadMessages(t *testing.T) {
	rcv := pushtest.Start(t)
	sender := mustSender(t, rcv, mustKeys(t))
	sub := rcv.NewSubscription()
	ctx := waitCtx(t)
	tests := []struct {
		name string
		edit func(*notify.Message)
		want error
	}{
		{"payload too large", func(m *notify.Message) { m.Payload = make([]byte, notify.MaxPayloadBytes+1) }, notify.ErrPayloadTooLarge},
		{"topic too long", func(m *notify.Message) { m.Topic = strings.Repeat("a", 33) }, notify.ErrInvalidMessage},
		{"topic not base64url", func(m *notify.Message) { m.Topic = "a b" }, notify.ErrInvalidMessage},
		{"urgency", func(m *notify.Message) { m.Urgency = "urgent" }, notify.ErrInvalidMessage},
		{"p256dh", func(m *notify.Message) { m.P256dh = "AAAA" }, notify.ErrInvalidMessage},
		{"auth", func(m *notify.Message) { m.Auth = "" }, notify.ErrInvalidMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := message(sub, []byte(`{}`))
			tt.edit(&m)
			o, _, err := sender.Send(ctx, m)
			if o != notify.Rejected || !errors.Is(err, tt.want) {
				t.Fatalf("%v, %v; want rejected, %v", o, err, tt.want)
			}
		})
	}
	if n := rcv.Requests(); n != 0 {
		t.Errorf("%d requests for bad messages", n)
	}
}

// The canary shows up in the plaintext the device decrypts, and nowhere in
// what travels: not in the body, headers or URL the push service sees.
func TestPayloadIsEncryptedInTransit(t *testing.T) {
	const canary = "CANARY-7f3e9a"
	rcv := pushtest.Start(t)
	var seen bytes.Buffer
	client := &http.Client{Transport: recordingTransport{&seen}}
	sender, err := notify.NewSender(notify.SenderConfig{
		Keys: mustKeys(t), Subject: testSubject,
		AllowedHosts: []string{rcv.Host()}, LoopbackHTTP: true, Client: client,
	})
	if err != nil {
		t.Fatal(err)
	}
	sub := rcv.NewSubscription()
	ctx := waitCtx(t)
	p, err := notify.NewRecordPayload("p-1", "r-1", notify.Texts{Body: canary}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if o, _, err := sender.Send(ctx, message(sub, p)); o != notify.Delivered {
		t.Fatalf("Send = %v, %v", o, err)
	}
	got, err := rcv.Wait(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got[0].Plaintext, []byte(canary)) {
		t.Error("canary missing from the decrypted payload")
	}
	if seen.Len() == 0 {
		t.Fatal("recording transport saw nothing")
	}
	if bytes.Contains(seen.Bytes(), []byte(canary)) {
		t.Error("canary visible on the wire")
	}
}

type recordingTransport struct{ buf *bytes.Buffer }

func (rt recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.buf.WriteString(req.URL.String())
	for k, v := range req.Header {
		rt.buf.WriteString(k + ": " + strings.Join(v, ",") + "\n")
	}
	if req.Body != nil {
		var body bytes.Buffer
		if _, err := body.ReadFrom(req.Body); err != nil {
			return nil, err
		}
		rt.buf.Write(body.Bytes())
		req.Body = readCloser{bytes.NewReader(body.Bytes())}
	}
	return http.DefaultTransport.RoundTrip(req)
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func TestSendConcurrent(t *testing.T) {
	rcv := pushtest.Start(t)
	sender := mustSender(t, rcv, mustKeys(t))
	ctx := waitCtx(t)
	const n = 20
	errs := make(chan error, n)
	for i := range n {
		go func() {
			sub := rcv.NewSubscription()
			p, _ := notify.NewRecordPayload("p", "r"+string(rune('a'+i)), notify.Texts{}).Encode()
			o, _, err := sender.Send(ctx, message(sub, p))
			if o != notify.Delivered {
				err = errors.Join(errors.New(o.String()), err)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if _, err := rcv.Wait(ctx, n); err != nil {
		t.Fatal(err)
	}
}
