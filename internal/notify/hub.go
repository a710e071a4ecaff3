package notify

import (
	"context"
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
}

// Hub hands hints to the apps connected to this process (GET /events).
// It is safe for concurrent use.
type Hub struct {
	mu      sync.Mutex
	clients map[string]map[chan Hint]struct{}
}

// NewHub returns an empty Hub.
func NewHub() *Hub {
	return &Hub{clients: make(map[string]map[chan Hint]struct{})}
}

// Subscribe registers one connection of userID. The channel holds at most
// one pending hint: a hint published while the previous one is still unread
// replaces it, so a slow reader is never waited for and still learns it
// must pull, with the newest cursor. The channel is closed once ctx ends.
func (h *Hub) Subscribe(ctx context.Context, userID string) <-chan Hint {
	ch := make(chan Hint, 1)
	h.mu.Lock()
	set := h.clients[userID]
	if set == nil {
		set = make(map[chan Hint]struct{})
		h.clients[userID] = set
	}
	set[ch] = struct{}{}
	h.mu.Unlock()

	context.AfterFunc(ctx, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(set, ch)
		if len(h.clients[userID]) == 0 {
			delete(h.clients, userID)
		}
		close(ch)
	})
	return ch
}

// Publish tells every connection of the given users to pull. It never blocks.
func (h *Hub) Publish(userIDs []string, cursor string) {
	hint := Hint{Cursor: cursor}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range userIDs {
		for ch := range h.clients[id] {
			offer(ch, hint)
		}
	}
}

// Deliver publishes a hint that came through a Broadcaster; pass it as
// Run's deliver function.
func (h *Hub) Deliver(hint Hint) {
	if !hint.All {
		h.Publish(hint.UserIDs, hint.Cursor)
		return
	}
	out := Hint{Cursor: hint.Cursor}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.clients {
		for ch := range set {
			offer(ch, out)
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
