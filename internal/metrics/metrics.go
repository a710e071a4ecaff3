// Package metrics exposes how a Tsunagu server is doing in the Prometheus
// text format: requests by route template, latency, the group commit,
// the outbox and push results, event streams and the age of the last
// backup. No label ever holds a raw path, an id or anything about a
// patient: routes are the templates the server registered
// ("GET /api/v1/patients/{id}"), everything else is a fixed set of words.
package metrics

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one server's set of metrics. A nil *Metrics records nothing,
// so code can call it unconditionally.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	groupSize prometheus.Histogram
	pushes    *prometheus.CounterVec
	mails     *prometheus.CounterVec
}

// New makes the metrics with Go's runtime and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tsunagu_http_requests_total",
		Help: "HTTP requests by route template, method and status class."}, []string{"route", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tsunagu_http_request_duration_seconds",
		Help:    "Time to answer, by route template (event streams excluded).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route"})
	m.groupSize = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tsunagu_group_commit_writes",
		Help: "Writes that shared one SQLite commit.", Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128}})
	m.pushes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tsunagu_push_results_total",
		Help: "Web Push deliveries by result (sent, gone, retry, failed)."}, []string{"result"})
	m.mails = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tsunagu_mail_results_total",
		Help: "E-mail notifications by result (sent, retry, failed, dropped)."}, []string{"result"})
	m.reg.MustRegister(m.requests, m.duration, m.groupSize, m.pushes, m.mails,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Gauge registers a value read when metrics are scraped (outbox depth,
// open event streams, backup age).
func (m *Metrics) Gauge(name, help string, value func() float64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, value))
}

// Request counts one answered request. route is the registered pattern,
// "other" for requests that matched none.
func (m *Metrics) Request(route string, status int, d time.Duration, stream bool) {
	if m == nil {
		return
	}
	if route == "" {
		route = "other"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status/100)+"xx").Inc()
	if !stream {
		m.duration.WithLabelValues(route).Observe(d.Seconds())
	}
}

// GroupCommit records how many writes one commit carried.
func (m *Metrics) GroupCommit(writes int) {
	if m != nil {
		m.groupSize.Observe(float64(writes))
	}
}

// Push records one push delivery's result.
func (m *Metrics) Push(result string) {
	if m != nil {
		m.pushes.WithLabelValues(result).Inc()
	}
}

// Mail records one e-mail's result.
func (m *Metrics) Mail(result string) {
	if m != nil {
		m.mails.WithLabelValues(result).Inc()
	}
}

// Handler serves the metrics; with a token, only to requests that carry
// it as "Authorization: Bearer <token>".
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need the token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
