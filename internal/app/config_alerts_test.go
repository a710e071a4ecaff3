package app_test

import (
	"strings"
	"testing"
	"time"

	"tsunagu/internal/alerts"
	"tsunagu/internal/app"
)

// TestLoadConfigAlerts: every rule is on by default; TSUNAGU_ALERT_<RULE>
// sets its threshold and window or turns it off; an invalid value stops
// the start with an error naming the variable.
func TestLoadConfigAlerts(t *testing.T) {
	cfg, err := app.LoadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	for rule, want := range alerts.DefaultConfig() {
		if cfg.Alerts[rule] != want || want.Off() {
			t.Errorf("%s: default %v, want %v (on)", rule, cfg.Alerts[rule], want)
		}
	}
	if cfg.PushAlertBody != "要確認のアラートがあります" {
		t.Errorf("alert push text %q", cfg.PushAlertBody)
	}
	env := map[string]string{"TSUNAGU_ALERT_REFUSED_ACCESS": "10/2h", "TSUNAGU_ALERT_MANY_PATIENTS": "off", "TSUNAGU_ALERT_MANY_ADDRESSES": "3/30m"}
	cfg, err = app.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Alerts[alerts.RefusedAccess] != (alerts.Rule{Threshold: 10, Window: 2 * time.Hour}) || !cfg.Alerts[alerts.ManyPatients].Off() ||
		cfg.Alerts[alerts.ManyAddresses] != (alerts.Rule{Threshold: 3, Window: 30 * time.Minute}) || cfg.Alerts[alerts.PrivilegeChange] != (alerts.Rule{Threshold: 1, Window: time.Hour}) {
		t.Errorf("alerts %+v", cfg.Alerts)
	}
	for _, rule := range alerts.Rules {
		for _, bad := range []string{"5", "0/1h", "5/1s", "five/1h", "5/forever", "on"} {
			name := app.AlertVar(rule)
			_, err := app.LoadConfig(func(k string) string {
				if k == name {
					return bad
				}
				return ""
			})
			if err == nil || !strings.HasPrefix(err.Error(), name+":") {
				t.Errorf("%s=%s: err = %v, want one naming the variable", name, bad, err)
			}
		}
	}
}
