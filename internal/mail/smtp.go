// Package mail sends Tsunagu's e-mail notifications: an SMTP client
// (smtp:// with STARTTLS when the server offers it, smtps:// for implicit
// TLS), the generic texts (never any patient data), and the worker that
// delivers the mail side of the transactional outbox (store.ClaimMail).
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is where and as whom mail is sent.
type Config struct {
	Host        string
	Port        string
	ImplicitTLS bool // smtps://
	User, Pass  string
	From        mail.Address
	// TLS overrides the TLS settings (tests); nil verifies the server's
	// certificate against Host.
	TLS *tls.Config
}

// ParseURL reads TSUNAGU_SMTP_URL (smtp://user:pass@host:port, or
// smtps:// for implicit TLS) and TSUNAGU_MAIL_FROM (an address, optionally
// with a display name). Errors say what is wrong without echoing the
// password.
func ParseURL(rawURL, from string) (Config, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Opaque != "" {
		return Config{}, errors.New("must be smtp://user:password@host:port or smtps://…")
	}
	c := Config{}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		c.ImplicitTLS = true
	default:
		return Config{}, errors.New("must start with smtp:// or smtps://")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return Config{}, errors.New("must name a host")
	}
	c.Port = u.Port()
	if c.Port == "" {
		c.Port = "587"
		if c.ImplicitTLS {
			c.Port = "465"
		}
	}
	if n, err := strconv.Atoi(c.Port); err != nil || n < 1 || n > 65535 {
		return Config{}, errors.New("has a port outside 1-65535")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return Config{}, errors.New("must not have a path, query or fragment")
	}
	if u.User != nil {
		c.User = u.User.Username()
		c.Pass, _ = u.User.Password()
	}
	a, err := mail.ParseAddress(from)
	if err != nil || !strings.Contains(a.Address, "@") {
		return Config{}, fmt.Errorf("TSUNAGU_MAIL_FROM: must be an e-mail address such as tsunagu@example.jp")
	}
	c.From = *a
	return c, nil
}

// Sender speaks SMTP to one server, a connection per message.
type Sender struct{ cfg Config }

// NewSender returns a Sender for cfg.
func NewSender(cfg Config) *Sender { return &Sender{cfg: cfg} }

// From is the sender address.
func (s *Sender) From() mail.Address { return s.cfg.From }

// ErrPermanent wraps a refusal that retrying will not change (an SMTP 5xx).
var ErrPermanent = errors.New("mail: refused permanently")

// Send delivers msg (a complete message) to the one recipient to. It ends
// when the server accepted the message (250 after DATA) or failed; a 5xx
// answer is ErrPermanent, anything else is worth a retry.
func (s *Sender) Send(ctx context.Context, to string, msg []byte) error {
	addr := net.JoinHostPort(s.cfg.Host, s.cfg.Port)
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Minute)
	}
	d := net.Dialer{Timeout: 15 * time.Second}
	tlsCfg := s.cfg.TLS
	if tlsCfg == nil {
		tlsCfg = &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
	}
	var conn net.Conn
	var err error
	if s.cfg.ImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsCfg}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("smtp dial: %w", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return classify("smtp greeting", err)
	}
	defer c.Close()
	if err := c.Hello(helloName(s.cfg.From.Address)); err != nil {
		return classify("smtp hello", err)
	}
	if !s.cfg.ImplicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsCfg); err != nil {
				return classify("smtp starttls", err)
			}
		} else if !loopback(s.cfg.Host) {
			// A server that offers no STARTTLS (or a path that strips it) would see
			// the address and the confirmation link in clear: only a server on this
			// machine may do without.
			return errors.New("smtp: the server offers no STARTTLS; refusing to send in clear (use smtps:// or a server with STARTTLS)")
		}
	}
	if s.cfg.User != "" {
		if ok, _ := c.Extension("AUTH"); ok {
			if err := c.Auth(smtp.PlainAuth("", s.cfg.User, s.cfg.Pass, s.cfg.Host)); err != nil {
				return classify("smtp auth", err)
			}
		}
	}
	if err := c.Mail(s.cfg.From.Address); err != nil {
		return classify("smtp mail from", err)
	}
	if err := c.Rcpt(to); err != nil {
		return classify("smtp rcpt", err)
	}
	w, err := c.Data()
	if err != nil {
		return classify("smtp data", err)
	}
	if _, err := w.Write(msg); err != nil {
		return classify("smtp data", err)
	}
	if err := w.Close(); err != nil {
		return classify("smtp data end", err)
	}
	_ = c.Quit() // the message is accepted; a failed QUIT changes nothing
	return nil
}

// classify marks SMTP 5xx answers permanent.
func classify(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return fmt.Errorf("%s: %w: %d", step, ErrPermanent, te.Code)
	}
	return fmt.Errorf("%s: %w", step, err)
}

// helloName is the name given in EHLO: the domain of the sender address.
func helloName(from string) string {
	if at := strings.LastIndexByte(from, '@'); at >= 0 && at < len(from)-1 {
		return from[at+1:]
	}
	return "localhost"
}

// loopback reports whether host is this machine (localhost or a loopback address).
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
