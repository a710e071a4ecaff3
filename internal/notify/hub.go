package notify

import (
	"context"
	"errors"
	"sync"
)

// Hint tells online apps to pull now. It carries who should pull and the
// newest change cursor, never what changed.
type Hint struct {
	UserIDs []string `json:"u,omitempty"`
	Cursor  string   `json:"c,omitempty"`
	// All asks every connected app to pull, e.g. after hints may have been
	// missed while a Broadcaster was reconnecting.
	All bool `json:"a,omitempty"`
	// Recheck asks the streams of UserIDs to check their session now
	// instead of pulling: a session of theirs ended (sign-out, suspension,
	// password change), and a stream whose session is gone must end.
	Recheck bool `json:"r,omitempty"`
}

// StreamLimits bound the event streams one process keeps open: per session
// (an app in a few tabs) and per user (across their sessions). 0 takes the
// default.
type StreamLimits struct {
	PerSession int
	PerUser    int
}

// DefaultStreamLimits are the limits of NewHub.
var DefaultStreamLimits = StreamLimits{PerSession: 3, PerUser: 8}

// ErrTooManyStreams is Subscribe's answer when a session or user already
// holds as many streams as the limits allow. The new stream is refused and
// the open ones are kept: an EventSource that gets a non-200 answer does
// not reconnect, while closing the oldest would make each tab's automatic
// reconnect close another's, round and round.
var ErrTooManyStreams = errors.New("notify: too many event streams")

// Stream is one subscribed connection (GET /events).
type Stream struct {
	user, session string
	hints         chan Hint
	recheck       chan struct{}
}

// Hints carries the pull hints for the stream; it is closed once the
// subscription's ctx ends. It holds at most one pending hint: a hint
// published while the previous one is still unread replaces it, so a slow
// reader is never waited for and still learns it must pull, with the
// newest cursor.
func (s *Stream) Hints() <-chan Hint { return s.hints }

// Recheck signals that the stream's session must be checked now (it holds
// at most one pending signal).
func (s *Stream) Recheck() <-chan struct{} { return s.recheck }

// Hub hands hints to the apps connected to this process (GET /events).
// It is safe for concurrent use.
type Hub struct {
	mu      sync.Mutex
	limits  StreamLimits
	clients map[string]map[*Stream]struct{} // by user
}

// NewHub returns an empty Hub with DefaultStreamLimits.
func NewHub() *Hub { return NewHubWithLimits(DefaultStreamLimits) }

// NewHubWithLimits returns an empty Hub that holds at most l's streams.
func NewHubWithLimits(l StreamLimits) *Hub {
	if l.PerSession <= 0 {
		l.PerSession = DefaultStreamLimits.PerSession
	}
	if l.PerUser <= 0 {
		l.PerUser = DefaultStreamLimits.PerUser
	}
	return &Hub{limits: l, clients: make(map[string]map[*Stream]struct{})}
}

// Subscribe registers one connection of userID's session sessionID (an
// opaque key of the session) until ctx ends, or returns ErrTooManyStreams
// when the session or the user is at its limit.
func (h *Hub) Subscribe(ctx context.Context, userID, sessionID string) (*Stream, error) {
	st := &Stream{user: userID, session: sessionID, hints: make(chan Hint, 1), recheck: make(chan struct{}, 1)}
	h.mu.Lock()
	set := h.clients[userID]
	same := 0
	for o := range set {
		if o.session == sessionID {
			same++
		}
	}
	if len(set) >= h.limits.PerUser || same >= h.limits.PerSession {
		h.mu.Unlock()
		return nil, ErrTooManyStreams
	}
	if set == nil {
		set = make(map[*Stream]struct{})
		h.clients[userID] = set
	}
	set[st] = struct{}{}
	h.mu.Unlock()

	context.AfterFunc(ctx, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(set, st)
		if len(h.clients[userID]) == 0 {
			delete(h.clients, userID)
		}
		close(st.hints)
	})
	return st, nil
}

// Publish tells every connection of the given users to pull. It never blocks.
func (h *Hub) Publish(userIDs []string, cursor string) {
	hint := Hint{Cursor: cursor}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range userIDs {
		for st := range h.clients[id] {
			offer(st.hints, hint)
		}
	}
}

// Recheck asks every connection of the given users to check its session
// now. It never blocks.
func (h *Hub) Recheck(userIDs []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range userIDs {
		for st := range h.clients[id] {
			select {
			case st.recheck <- struct{}{}:
			default: // one is pending already
			}
		}
	}
}

// Deliver publishes a hint that came through a Broadcaster; pass it as
// Run's deliver function.
func (h *Hub) Deliver(hint Hint) {
	if hint.Recheck {
		h.Recheck(hint.UserIDs)
		return
	}
	if !hint.All {
		h.Publish(hint.UserIDs, hint.Cursor)
		return
	}
	out := Hint{Cursor: hint.Cursor}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.clients {
		for st := range set {
			offer(st.hints, out)
		}
	}
}

// Connections is the number of subscribed connections.
func (h *Hub) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, set := range h.clients {
		n += len(set)
	}
	return n
}

// offer puts hint in ch, replacing an unread one. Callers hold h.mu, so the
// only other party is the reader, which can only empty the channel.
func offer(ch chan Hint, hint Hint) {
	select {
	case ch <- hint:
		return
	default:
	}
	select {
	case <-ch:
	default:
	}
	select {
	case ch <- hint:
	default:
	}
}
