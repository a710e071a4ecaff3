package notify

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// ErrEndpointNotAllowed is returned for a push endpoint outside the allow-list.
// The server checks it when a subscription is registered and again before
// every send, so a stored endpoint can never make the server call an
// arbitrary host (server-side request forgery).
var ErrEndpointNotAllowed = errors.New("notify: push endpoint not allowed")

// DefaultAllowedHosts are the public push services browsers hand out
// endpoints for (Chrome/Edge via FCM, Firefox, Safari/iOS, legacy Edge).
var DefaultAllowedHosts = []string{
	"fcm.googleapis.com",
	"updates.push.services.mozilla.com",
	"web.push.apple.com",
	"*.push.apple.com",
	"*.notify.windows.com",
}

// maxEndpointLen bounds what a client may register; real endpoints are a few
// hundred characters.
const maxEndpointLen = 1024

// AllowList decides which push endpoints the server may call.
type AllowList struct {
	entries      []hostRule
	loopbackHTTP bool
}

type hostRule struct {
	host     string // lower case; for a wildcard, the suffix including the leading dot
	wildcard bool
	port     string // "" = the scheme's default port only
}

// NewAllowList parses entries of the form "host", "host:port", "*.domain" or
// "*.domain:port" (nil or empty = DefaultAllowedHosts). An entry without a
// port allows only the scheme's default port. A wildcard matches subdomains,
// not the bare domain.
//
// Endpoints must be https. With loopbackHTTP, plain http is also accepted
// for loopback hosts (127.0.0.0/8, ::1, localhost) that are on the list;
// that exists for test receivers and must stay off in production.
func NewAllowList(entries []string, loopbackHTTP bool) (AllowList, error) {
	if len(entries) == 0 {
		entries = DefaultAllowedHosts
	}
	a := AllowList{loopbackHTTP: loopbackHTTP}
	for _, e := range entries {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		host, port := e, ""
		if h, p, err := net.SplitHostPort(e); err == nil {
			host, port = h, p
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return AllowList{}, fmt.Errorf("push allowed host %q: bad port", e)
			}
		}
		r := hostRule{host: host, port: port}
		if rest, ok := strings.CutPrefix(host, "*."); ok {
			r.wildcard, r.host = true, "."+rest
			host = rest
		}
		if host == "" || strings.ContainsAny(host, "*/@ ") {
			return AllowList{}, fmt.Errorf("push allowed host %q: not a host name", e)
		}
		a.entries = append(a.entries, r)
	}
	if len(a.entries) == 0 {
		return AllowList{}, errors.New("push allowed hosts: empty list")
	}
	return a, nil
}

// ValidateEndpoint returns nil when endpoint is an https URL (or, if allowed,
// a loopback http URL) on a listed host and port, and an error wrapping
// ErrEndpointNotAllowed otherwise. It makes no network call.
func (a AllowList) ValidateEndpoint(endpoint string) error {
	if len(endpoint) > maxEndpointLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrEndpointNotAllowed, maxEndpointLen)
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrEndpointNotAllowed, err)
	}
	if u.User != nil || u.Opaque != "" || u.Fragment != "" {
		return fmt.Errorf("%w: unexpected URL parts", ErrEndpointNotAllowed)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	switch u.Scheme {
	case "https":
		if port == "443" {
			port = ""
		}
	case "http":
		if !a.loopbackHTTP || !isLoopback(host) {
			return fmt.Errorf("%w: scheme http", ErrEndpointNotAllowed)
		}
		if port == "80" {
			port = ""
		}
	default:
		return fmt.Errorf("%w: scheme %q", ErrEndpointNotAllowed, u.Scheme)
	}
	for _, r := range a.entries {
		if r.port != port {
			continue
		}
		if r.wildcard && strings.HasSuffix(host, r.host) && len(host) > len(r.host) {
			return nil
		}
		if !r.wildcard && host == r.host {
			return nil
		}
	}
	return fmt.Errorf("%w: host %q", ErrEndpointNotAllowed, u.Host)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
