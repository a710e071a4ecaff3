// Package notify tells care-team members that something changed, without
// carrying any chart content: Web Push to installed apps (VAPID keys, an
// allow-listed Sender, a tiny payload of opaque ids and generic text) and
// live "pull now" hints for open apps (a per-user Hub, a server-sent events
// writer, and a Broadcaster seam that carries hints between API processes).
//
// The transactional outbox that feeds the Sender lives with the store; this
// package holds the pieces that need no database of their own.
package notify
