package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// TLSConfig is how the server speaks HTTPS: from certificate files, from
// an ACME CA (Let's Encrypt by default), or not at all (behind a TLS proxy,
// or on loopback for development).
type TLSConfig struct {
	CertFile string // TSUNAGU_TLS_CERT_FILE
	KeyFile  string // TSUNAGU_TLS_KEY_FILE
	// ACMEDomains are the names to get certificates for (TSUNAGU_ACME_DOMAINS).
	ACMEDomains   []string
	ACMEDirectory string // TSUNAGU_ACME_DIRECTORY
	ACMEEmail     string // TSUNAGU_ACME_EMAIL
	// ACMECAFile is a PEM bundle to trust for the ACME directory itself
	// (TSUNAGU_ACME_CA_FILE): a private CA such as step-ca, or a test CA.
	ACMECAFile string
	// RedirectAddr is a plain-HTTP listener that only redirects to HTTPS and
	// answers ACME http-01 challenges (TSUNAGU_HTTP_REDIRECT_ADDR).
	RedirectAddr string
}

// Enabled reports whether the server terminates TLS itself.
func (t TLSConfig) Enabled() bool { return t.CertFile != "" || len(t.ACMEDomains) > 0 }

func (r *envReader) tlsConfig() TLSConfig {
	t := TLSConfig{
		CertFile:      r.str("TSUNAGU_TLS_CERT_FILE", ""),
		KeyFile:       r.str("TSUNAGU_TLS_KEY_FILE", ""),
		ACMEDomains:   r.list("TSUNAGU_ACME_DOMAINS", nil),
		ACMEDirectory: r.str("TSUNAGU_ACME_DIRECTORY", autocert.DefaultACMEDirectory),
		ACMEEmail:     r.str("TSUNAGU_ACME_EMAIL", ""),
		ACMECAFile:    r.str("TSUNAGU_ACME_CA_FILE", ""),
		RedirectAddr:  r.str("TSUNAGU_HTTP_REDIRECT_ADDR", ""),
	}
	switch {
	case (t.CertFile == "") != (t.KeyFile == ""):
		r.fail("TSUNAGU_TLS_CERT_FILE", "and TSUNAGU_TLS_KEY_FILE must be set together")
	case t.CertFile != "" && len(t.ACMEDomains) > 0:
		r.fail("TSUNAGU_ACME_DOMAINS", "cannot be used with TSUNAGU_TLS_CERT_FILE: choose certificate files or ACME")
	case t.CertFile != "":
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			r.fail("TSUNAGU_TLS_CERT_FILE", "cannot load the certificate and key: %v", err)
		}
	}
	for _, d := range t.ACMEDomains {
		if strings.ContainsAny(d, "/:*") {
			r.fail("TSUNAGU_ACME_DOMAINS", "%q must be a plain host name", d)
		}
	}
	if !strings.HasPrefix(t.ACMEDirectory, "https://") {
		r.fail("TSUNAGU_ACME_DIRECTORY", "must be an https:// URL")
	}
	if t.RedirectAddr != "" {
		if _, _, err := net.SplitHostPort(t.RedirectAddr); err != nil {
			r.fail("TSUNAGU_HTTP_REDIRECT_ADDR", "%q is not host:port", t.RedirectAddr)
		}
		if !t.Enabled() {
			r.fail("TSUNAGU_HTTP_REDIRECT_ADDR", "needs TLS (TSUNAGU_TLS_CERT_FILE or TSUNAGU_ACME_DOMAINS)")
		}
	}
	return t
}

// serverTLS builds the TLS configuration of the main listener and the
// handler of the optional plain-HTTP listener (redirects, and ACME http-01
// challenges when certificates come from ACME).
// port is the port the HTTPS listener got.
func serverTLS(cfg Config, port string, log *slog.Logger) (*tls.Config, http.Handler, error) {
	t := cfg.TLS
	names := t.ACMEDomains
	if t.CertFile != "" {
		c := &certFiles{cert: t.CertFile, key: t.KeyFile, log: log}
		kp, err := c.load()
		if err != nil {
			return nil, nil, err
		}
		if leaf, err := x509.ParseCertificate(kp.Certificate[0]); err == nil {
			names = leaf.DNSNames
		}
		return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.get}, redirectTo(names, port), nil
	}
	client := &acme.Client{DirectoryURL: t.ACMEDirectory}
	if t.ACMECAFile != "" {
		pem, err := os.ReadFile(t.ACMECAFile)
		if err != nil {
			return nil, nil, fmt.Errorf("TSUNAGU_ACME_CA_FILE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("TSUNAGU_ACME_CA_FILE: no certificate in %s", t.ACMECAFile)
		}
		client.HTTPClient = &http.Client{Timeout: 30 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	}
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		HostPolicy: autocert.HostWhitelist(t.ACMEDomains...),
		Cache:      autocert.DirCache(filepath.Join(cfg.DataDir, "acme")),
		Email:      t.ACMEEmail,
		Client:     client,
	}
	tc := m.TLSConfig()
	tc.MinVersion = tls.VersionTLS12
	return tc, m.HTTPHandler(redirectTo(names, port)), nil
}

// redirectTo sends plain-HTTP requests to the same path over HTTPS on one
// of the server's own names: the Host header is used only when it is one
// of them, never to build a link to anywhere else.
func redirectTo(names []string, port string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		if !slices.Contains(names, strings.ToLower(host)) {
			if len(names) == 0 || strings.HasPrefix(names[0], "*") {
				http.Error(w, "unknown host", http.StatusMisdirectedRequest)
				return
			}
			host = names[0]
		}
		if port != "" && port != "443" {
			host = net.JoinHostPort(host, port)
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusMovedPermanently)
	})
}

// certFiles serves a certificate from files and picks up a renewed one
// (files replaced by certbot or an operator) without a restart: the files'
// modification times are looked at most every few seconds.
type certFiles struct {
	cert, key string
	log       *slog.Logger

	mu      sync.Mutex
	current *tls.Certificate
	modTime time.Time
	checked time.Time
}

func (c *certFiles) load() (*tls.Certificate, error) {
	kp, err := tls.LoadX509KeyPair(c.cert, c.key)
	if err != nil {
		return nil, fmt.Errorf("TSUNAGU_TLS_CERT_FILE: %w", err)
	}
	c.current, c.modTime = &kp, c.stamp()
	return c.current, nil
}

func (c *certFiles) stamp() time.Time {
	var latest time.Time
	for _, p := range []string{c.cert, c.key} {
		if fi, err := os.Stat(p); err == nil && fi.ModTime().After(latest) {
			latest = fi.ModTime()
		}
	}
	return latest
}

const certCheckEvery = 2 * time.Second

func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) < certCheckEvery {
		return c.current, nil
	}
	c.checked = time.Now()
	if !c.stamp().Equal(c.modTime) {
		old := c.current
		if _, err := c.load(); err != nil {
			// A half-written pair: keep serving the old one and try again.
			c.log.Warn("TLS certificate files changed but cannot be loaded; keeping the previous certificate", "err", err)
			c.current = old
		} else {
			c.log.Info("TLS certificate reloaded")
		}
	}
	return c.current, nil
}

// serveRedirect runs the plain-HTTP listener until ctx ends.
func serveRedirect(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("TSUNAGU_HTTP_REDIRECT_ADDR: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	log.Info("redirecting plain HTTP to HTTPS", "addr", ln.Addr().String())
	go srv.Serve(ln)
	return nil
}
