package app_test

import (
	"strings"
	"testing"

	"tsunagu/internal/app"
)

// TestLoadConfigMail: TSUNAGU_SMTP_URL and TSUNAGU_MAIL_FROM go together;
// a bad value stops the start with an error naming the variable and never
// echoing the password.
func TestLoadConfigMail(t *testing.T) {
	for _, tt := range []struct {
		name, url, from, wantErr string
		implicitTLS              bool
		port                     string
	}{
		{name: "off", url: "", from: ""},
		{name: "smtp", url: "smtp://tsunagu:s3cret@mail.example.jp:587", from: "つなぐ <tsunagu@example.jp>", port: "587"},
		{name: "smtps default port", url: "smtps://tsunagu:s3cret@mail.example.jp", from: "tsunagu@example.jp", implicitTLS: true, port: "465"},
		{name: "no from", url: "smtp://mail.example.jp:25", wantErr: "TSUNAGU_MAIL_FROM"},
		{name: "no url", from: "tsunagu@example.jp", wantErr: "TSUNAGU_SMTP_URL"},
		{name: "scheme", url: "http://tsunagu:s3cret@mail.example.jp", from: "tsunagu@example.jp", wantErr: "TSUNAGU_SMTP_URL"},
		{name: "port", url: "smtp://tsunagu:s3cret@mail.example.jp:99999", from: "tsunagu@example.jp", wantErr: "TSUNAGU_SMTP_URL"},
		{name: "bad from", url: "smtp://mail.example.jp", from: "not an address", wantErr: "TSUNAGU_MAIL_FROM"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"TSUNAGU_SMTP_URL": tt.url, "TSUNAGU_MAIL_FROM": tt.from}
			cfg, err := app.LoadConfig(func(k string) string { return env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr+":") || strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MailEnabled != (tt.url != "") || cfg.Mail.ImplicitTLS != tt.implicitTLS || cfg.Mail.Port != tt.port {
				t.Fatalf("cfg = %+v", cfg.Mail)
			}
		})
	}
}
