package app_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/app"
)

// selfSigned writes a self-signed certificate for localhost and 127.0.0.1
// (usable as its own trust anchor) and returns the certificate.
func selfSigned(t *testing.T, certFile, keyFile string, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	// Written to temporary names and renamed, as a certificate tool does.
	for path, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: kb}} {
		if err := os.WriteFile(path+".new", pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// startInProcess runs `tsunagu serve` with vars until the test ends and
// returns its address.
func startInProcess(t *testing.T, vars map[string]string) string {
	addr, _ := startLogged(t, vars)
	return addr
}

// startLogged is startInProcess that also gives the server's log.
func startLogged(t *testing.T, vars map[string]string) (string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	logs := &lockedBuffer{}
	go func() {
		done <- app.Run(ctx, app.Env{Args: []string{"tsunagu", "serve"}, Getenv: env(vars), Stdin: strings.NewReader(""),
			Stdout: io.Discard, Stderr: logs, Ready: func(a string) { ready <- a }})
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case addr := <-ready:
		return addr, logs
	case err := <-done:
		t.Fatalf("serve ended early: %v\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start")
	}
	return "", logs
}

// TestTLSFromCertificateFiles: the server speaks HTTPS with the configured
// files, marks the session cookie Secure, picks up renewed files without a
// restart, and its plain-HTTP listener only redirects to its own name.
func TestTLSFromCertificateFiles(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	first := selfSigned(t, certFile, keyFile, 1)
	redirectPort := freePort(t)
	addr := startInProcess(t, map[string]string{"TSUNAGU_ADDR": "127.0.0.1:0", "TSUNAGU_DATA_DIR": dir, "TSUNAGU_DEMO": "1",
		"TSUNAGU_REQUIRE_TOTP": "0", "TSUNAGU_TLS_CERT_FILE": certFile, "TSUNAGU_TLS_KEY_FILE": keyFile,
		"TSUNAGU_HTTP_REDIRECT_ADDR": "127.0.0.1:" + redirectPort})
	_, port, _ := net.SplitHostPort(addr)

	served := func() *x509.Certificate {
		t.Helper()
		conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0]
	}
	if got := served(); !got.Equal(first) {
		t.Fatalf("served serial %v, want the configured certificate", got.SerialNumber)
	}
	pool := x509.NewCertPool()
	pool.AddCert(first)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	body, _ := json.Marshal(map[string]string{"login_id": "demo.nurse", "password": "tsunagu-demo-2026"})
	res, err := client.Post("https://localhost:"+port+"/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("sign-in over TLS: %v %v", err, res)
	}
	cookie := res.Header.Get("Set-Cookie")
	if !strings.Contains(cookie, "Secure") || !strings.Contains(cookie, "HttpOnly") {
		t.Fatalf("session cookie over TLS is not Secure and HttpOnly: %s", cookie)
	}

	// Renewed files are served without a restart.
	second := selfSigned(t, certFile, keyFile, 2)
	deadline := time.Now().Add(15 * time.Second)
	for !served().Equal(second) {
		if time.Now().After(deadline) {
			t.Fatal("the renewed certificate was not picked up")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Plain HTTP: redirected to the same path on the certificate's name,
	// whatever Host says.
	for _, host := range []string{"localhost:" + redirectPort, "evil.example"} {
		req, _ := http.NewRequest("GET", "http://127.0.0.1:"+redirectPort+"/patients?x=1", nil)
		req.Host = host
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if want := "https://localhost:" + port + "/patients?x=1"; res.StatusCode != 301 || res.Header.Get("Location") != want {
			t.Fatalf("Host %s: %d %q, want 301 to %s", host, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
}

// TestTLSFromACME gets a certificate from Pebble, the ACME test server,
// which validates the name for real: it resolves it (through loopbackDNS)
// and fetches the challenge from the server's plain-HTTP listener (http-01)
// or its HTTPS port (tls-alpn-01).
func TestTLSFromACME(t *testing.T) {
	pebble, err := exec.LookPath("pebble")
	if err != nil {
		if gp, e := exec.Command("go", "env", "GOPATH").Output(); e == nil {
			pebble = filepath.Join(strings.TrimSpace(string(gp)), "bin", "pebble")
		}
	}
	if _, err := os.Stat(pebble); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pebble (the ACME test server) is not installed; scripts/ci-setup.sh installs it")
		}
		t.Skip("pebble not installed: go install github.com/letsencrypt/pebble/v2/cmd/pebble@v2.10.3")
	}
	dir := t.TempDir()
	pebbleCert, pebbleKey := filepath.Join(dir, "pebble-cert.pem"), filepath.Join(dir, "pebble-key.pem")
	pebbleCA := selfSigned(t, pebbleCert, pebbleKey, 7)
	acmePort, mgmtPort, serverPort, httpPort := freePort(t), freePort(t), freePort(t), freePort(t)
	conf, _ := json.Marshal(map[string]any{"pebble": map[string]any{
		"listenAddress": "127.0.0.1:" + acmePort, "managementListenAddress": "127.0.0.1:" + mgmtPort,
		"certificate": pebbleCert, "privateKey": pebbleKey, "httpPort": mustAtoi(t, httpPort), "tlsPort": mustAtoi(t, serverPort),
		"ocspResponderURL": "", "externalAccountBindingRequired": false}})
	confFile := filepath.Join(dir, "pebble.json")
	os.WriteFile(confFile, conf, 0o600)
	dns := loopbackDNS(t)
	cmd := exec.Command(pebble, "-config", confFile, "-dnsserver", dns)
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	var plog bytes.Buffer
	cmd.Stdout, cmd.Stderr = &plog, &plog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitListening(t, "127.0.0.1:"+acmePort, &plog)

	_, slog := startLogged(t, map[string]string{"TSUNAGU_ADDR": "127.0.0.1:" + serverPort, "TSUNAGU_DATA_DIR": dir,
		"TSUNAGU_ACME_DOMAINS": acmeName, "TSUNAGU_ACME_DIRECTORY": "https://127.0.0.1:" + acmePort + "/dir",
		"TSUNAGU_ACME_CA_FILE": pebbleCert, "TSUNAGU_ACME_EMAIL": "office@tsunagu.example",
		"TSUNAGU_HTTP_REDIRECT_ADDR": "127.0.0.1:" + httpPort})

	// Pebble's root, to check the issued chain against.
	pool := x509.NewCertPool()
	pool.AddCert(pebbleCA)
	mgmt := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := mgmt.Get("https://127.0.0.1:" + mgmtPort + "/roots/0")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("pebble root: %v %v\n%s", err, res, plog.String())
	}
	rootPEM, _ := io.ReadAll(res.Body)
	res.Body.Close()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		t.Fatal("pebble root is not PEM")
	}
	// The name resolves to loopback only in Pebble's DNS; the client dials it directly.
	dialer := &net.Dialer{}
	client := &http.Client{Timeout: 90 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, "127.0.0.1:"+serverPort)
		}}}
	res, err = client.Get("https://" + acmeName + ":" + serverPort + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz with the ACME certificate: %v %v\npebble:\n%s\nserver:\n%s", err, res, plog.String(), slog.String())
	}
	state := res.TLS
	res.Body.Close()
	if leaf := state.PeerCertificates[0]; !strings.Contains(leaf.Issuer.CommonName, "Pebble") || leaf.DNSNames[0] != acmeName {
		t.Fatalf("served certificate: issuer %q names %v", leaf.Issuer.CommonName, leaf.DNSNames)
	}
	if _, err := os.Stat(filepath.Join(dir, "acme", acmeName)); err != nil {
		t.Fatalf("the certificate is not cached for the next start: %v", err)
	}
}

// acmeName is the server's name in the ACME test: autocert wants a name
// with a dot, which loopbackDNS resolves for Pebble.
const acmeName = "tsunagu.test"

// loopbackDNS answers every A query with 127.0.0.1 and every other query
// with no records, over TCP (as Pebble asks its resolver).
func loopbackDNS(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				for {
					var size [2]byte
					if _, err := io.ReadFull(conn, size[:]); err != nil {
						return
					}
					q := make([]byte, int(size[0])<<8|int(size[1]))
					if _, err := io.ReadFull(conn, q); err != nil {
						return
					}
					resp := dnsAnswer(q)
					if resp == nil {
						return
					}
					conn.Write(append([]byte{byte(len(resp) >> 8), byte(len(resp))}, resp...))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// dnsAnswer answers one DNS query message: A → 127.0.0.1, else nothing.
func dnsAnswer(q []byte) []byte {
	n := len(q)
	if n < 12 {
		return nil
	}
	// The question: labels up to the zero byte, then type and class.
	end := 12
	for end < n && q[end] != 0 {
		end += int(q[end]) + 1
	}
	if end+5 > n {
		return nil
	}
	qtype := int(q[end+1])<<8 | int(q[end+2])
	resp := append([]byte{}, q[:end+5]...)
	resp[2] = 0x84 | (q[2] & 0x01) // response, authoritative, RD copied
	resp[3] = 0x00
	resp[4], resp[5] = 0, 1 // one question
	resp[6], resp[7] = 0, 0
	resp[8], resp[9], resp[10], resp[11] = 0, 0, 0, 0
	if qtype == 1 { // A
		resp[7] = 1
		resp = append(resp, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1)
	}
	return resp
}

func waitListening(t *testing.T, addr string, logs *bytes.Buffer) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s is not listening:\n%s", addr, logs.String())
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
