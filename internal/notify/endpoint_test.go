package notify_test

import (
	"errors"
	"testing"

	"tsunagu/internal/notify"
)

func TestAllowList(t *testing.T) {
	list, err := notify.NewAllowList([]string{"push.example.jp", "*.wns.example", "127.0.0.1:9000", "[::1]:9001", "localhost:9002"}, true)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		endpoint string
		ok       bool
	}{
		{"https://push.example.jp/s/1", true},
		{"https://PUSH.example.jp/s/1", true},
		{"https://push.example.jp:443/s/1", true},
		{"https://push.example.jp:8443/s/1", false},
		{"http://push.example.jp/s/1", false},
		{"https://a.wns.example/s", true},
		{"https://a.b.wns.example/s", true},
		{"https://wns.example/s", false},
		{"https://xwns.example/s", false},
		{"http://127.0.0.1:9000/push/1", true},
		{"http://127.0.0.1:9009/push/1", false},
		{"http://[::1]:9001/push/1", true},
		{"http://localhost:9002/push/1", true},
		{"https://127.0.0.1:9000/push/1", true},
		{"ftp://push.example.jp/s/1", false},
		{"https://push.example.jp/s/1#x", false},
		{"push.example.jp/s/1", false},
	}
	for _, tt := range tests {
		err := list.ValidateEndpoint(tt.endpoint)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateEndpoint(%q) = %v, want ok=%v", tt.endpoint, err, tt.ok)
		}
		if err != nil && !errors.Is(err, notify.ErrEndpointNotAllowed) {
			t.Errorf("ValidateEndpoint(%q) = %v, want ErrEndpointNotAllowed", tt.endpoint, err)
		}
	}

	strict, err := notify.NewAllowList([]string{"127.0.0.1:9000"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := strict.ValidateEndpoint("http://127.0.0.1:9000/push/1"); err == nil {
		t.Error("plain http allowed without LoopbackHTTP")
	}
	open, err := notify.NewAllowList([]string{"push.example.jp"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := open.ValidateEndpoint("http://push.example.jp/s/1"); err == nil {
		t.Error("plain http allowed for a non-loopback host")
	}
}

func TestNewAllowListRejectsBadEntries(t *testing.T) {
	for _, entries := range [][]string{{"host:0"}, {"host:x"}, {"*."}, {"a/b"}, {" "}} {
		if _, err := notify.NewAllowList(entries, false); err == nil {
			t.Errorf("NewAllowList(%q) accepted", entries)
		}
	}
}
