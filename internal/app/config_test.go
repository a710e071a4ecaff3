package app_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/app"
)

func TestLoadConfigBlobStore(t *testing.T) {
	s3 := map[string]string{
		"TSUNAGU_S3_ENDPOINT":   "s3.ap-northeast-1.amazonaws.com",
		"TSUNAGU_S3_BUCKET":     "tsunagu-blobs",
		"TSUNAGU_S3_REGION":     "ap-northeast-1",
		"TSUNAGU_S3_ACCESS_KEY": "AKIAEXAMPLE",
		"TSUNAGU_S3_SECRET_KEY": "secret",
	}
	with := func(over map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range s3 {
			m[k] = v
		}
		for k, v := range over {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // the variable the error must name; "" = valid
	}{
		{"unset: local disk", map[string]string{"TSUNAGU_DATA_DIR": "/srv/tsunagu"}, ""},
		{"complete S3", s3, ""},
		{"scheme in endpoint", with(map[string]string{"TSUNAGU_S3_ENDPOINT": "https://s3.example.jp"}), "TSUNAGU_S3_ENDPOINT"},
		{"no bucket", with(map[string]string{"TSUNAGU_S3_BUCKET": ""}), "TSUNAGU_S3_BUCKET"},
		{"no access key", with(map[string]string{"TSUNAGU_S3_ACCESS_KEY": ""}), "TSUNAGU_S3_ACCESS_KEY"},
		{"no secret key", with(map[string]string{"TSUNAGU_S3_SECRET_KEY": ""}), "TSUNAGU_S3_SECRET_KEY"},
		{"bucket without endpoint", map[string]string{"TSUNAGU_S3_BUCKET": "b"}, "TSUNAGU_S3_ENDPOINT"},
		{"bad TLS flag", with(map[string]string{"TSUNAGU_S3_TLS": "sometimes"}), "TSUNAGU_S3_TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := app.LoadConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr+":") {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.S3.Endpoint != tt.env["TSUNAGU_S3_ENDPOINT"] || cfg.S3.Bucket != tt.env["TSUNAGU_S3_BUCKET"] || !cfg.S3.UseTLS {
				t.Errorf("S3 config %+v (TLS must default to on)", cfg.S3)
			}
			if cfg.S3.Endpoint == "" && cfg.BlobDir != filepath.Join("/srv/tsunagu", "blobs") {
				t.Errorf("BlobDir %q", cfg.BlobDir)
			}
		})
	}
}

// TestLoadConfigPushTexts: the generic notification texts come from the
// environment, with Japanese defaults.
func TestLoadConfigPushTexts(t *testing.T) {
	cfg, err := app.LoadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PushBody != "新しい記録があります" || cfg.PushConfirmBody != "確定待ちの記録があります" {
		t.Errorf("defaults: body %q, confirm %q", cfg.PushBody, cfg.PushConfirmBody)
	}
	env := map[string]string{"TSUNAGU_PUSH_CONFIRM_BODY": "確認をお願いします"}
	if cfg, err = app.LoadConfig(func(k string) string { return env[k] }); err != nil || cfg.PushConfirmBody != "確認をお願いします" {
		t.Errorf("TSUNAGU_PUSH_CONFIRM_BODY: %q, %v", cfg.PushConfirmBody, err)
	}
}

func TestLoadConfigPublicURL(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string // the origin kept; "" = refused, naming TSUNAGU_PUBLIC_URL
		wantErr string
	}{
		{"unset: the listen address", map[string]string{}, "http://127.0.0.1:8080", ""},
		{"unset with another address", map[string]string{"TSUNAGU_ADDR": "10.0.0.5:9000"}, "http://10.0.0.5:9000", ""},
		{"unset, all interfaces", map[string]string{"TSUNAGU_ADDR": ":8080"}, "http://localhost:8080", ""},
		{"https origin", map[string]string{"TSUNAGU_PUBLIC_URL": "https://tsunagu.example.jp"}, "https://tsunagu.example.jp", ""},
		{"trailing slash dropped", map[string]string{"TSUNAGU_PUBLIC_URL": "https://tsunagu.example.jp/"}, "https://tsunagu.example.jp", ""},
		{"port and case", map[string]string{"TSUNAGU_PUBLIC_URL": "HTTPS://Tsunagu.Example.JP:8443"}, "https://tsunagu.example.jp:8443", ""},
		{"ipv6", map[string]string{"TSUNAGU_PUBLIC_URL": "http://[::1]:8080"}, "http://[::1]:8080", ""},
		{"no scheme", map[string]string{"TSUNAGU_PUBLIC_URL": "tsunagu.example.jp"}, "", "TSUNAGU_PUBLIC_URL"},
		{"scheme-relative", map[string]string{"TSUNAGU_PUBLIC_URL": "//tsunagu.example.jp"}, "", "TSUNAGU_PUBLIC_URL"},
		{"other scheme", map[string]string{"TSUNAGU_PUBLIC_URL": "ftp://tsunagu.example.jp"}, "", "TSUNAGU_PUBLIC_URL"},
		{"javascript", map[string]string{"TSUNAGU_PUBLIC_URL": "javascript:alert(1)"}, "", "TSUNAGU_PUBLIC_URL"},
		{"no host", map[string]string{"TSUNAGU_PUBLIC_URL": "https://"}, "", "TSUNAGU_PUBLIC_URL"},
		{"port only", map[string]string{"TSUNAGU_PUBLIC_URL": "https://:443"}, "", "TSUNAGU_PUBLIC_URL"},
		{"path", map[string]string{"TSUNAGU_PUBLIC_URL": "https://tsunagu.example.jp/app"}, "", "TSUNAGU_PUBLIC_URL"},
		{"query", map[string]string{"TSUNAGU_PUBLIC_URL": "https://tsunagu.example.jp?x=1"}, "", "TSUNAGU_PUBLIC_URL"},
		{"empty query", map[string]string{"TSUNAGU_PUBLIC_URL": "https://tsunagu.example.jp/?"}, "", "TSUNAGU_PUBLIC_URL"},
		{"fragment", map[string]string{"TSUNAGU_PUBLIC_URL": "https://tsunagu.example.jp#top"}, "", "TSUNAGU_PUBLIC_URL"},
		{"user info", map[string]string{"TSUNAGU_PUBLIC_URL": "https://admin:pw@tsunagu.example.jp"}, "", "TSUNAGU_PUBLIC_URL"},
		{"bad port", map[string]string{"TSUNAGU_PUBLIC_URL": "https://tsunagu.example.jp:99999"}, "", "TSUNAGU_PUBLIC_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := app.LoadConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr+":") {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.PublicURL != tt.want {
				t.Errorf("PublicURL %q, want %q", cfg.PublicURL, tt.want)
			}
		})
	}
}

// TestLoadConfigOfflineUnlock: the offline unlock window defaults to 72h, and
// a window outside 1h–14 days is refused with the variable's name.
func TestLoadConfigOfflineUnlock(t *testing.T) {
	cfg, err := app.LoadConfig(func(string) string { return "" })
	if err != nil || cfg.OfflineUnlock != 72*time.Hour {
		t.Fatalf("default: %v, %v", cfg.OfflineUnlock, err)
	}
	for v, ok := range map[string]bool{"24h": true, "336h": true, "30m": false, "337h": false, "soon": false} {
		env := map[string]string{"TSUNAGU_OFFLINE_UNLOCK": v}
		cfg, err := app.LoadConfig(func(k string) string { return env[k] })
		switch {
		case ok && err != nil:
			t.Errorf("%s: refused: %v", v, err)
		case !ok && (err == nil || !strings.Contains(err.Error(), "TSUNAGU_OFFLINE_UNLOCK")):
			t.Errorf("%s: accepted (%v) or the error does not name the variable: %v", v, cfg.OfflineUnlock, err)
		}
	}
}
