package notify

import (
	"context"
	"sync"
)

// Broadcaster carries hints to every API process, so an app connected to
// one instance hears about a write made on another. Broadcast sends; Run
// receives until ctx ends, calling deliver for each hint (Hub.Deliver).
// Hints are best effort: apps also pull on launch, resume and reconnect.
type Broadcaster interface {
	Broadcast(ctx context.Context, h Hint) error
	Run(ctx context.Context, deliver func(Hint)) error
}

// LocalBroadcaster is the Broadcaster for a single process (SQLite): a
// Broadcast is delivered synchronously to every running Run. Hints sent
// while no Run is active are dropped.
type LocalBroadcaster struct {
	mu       sync.Mutex
	delivers map[*func(Hint)]struct{}
}

// NewLocalBroadcaster returns a LocalBroadcaster.
func NewLocalBroadcaster() *LocalBroadcaster {
	return &LocalBroadcaster{delivers: make(map[*func(Hint)]struct{})}
}

// Broadcast calls every running Run's deliver with h. deliver must not block
// (Hub.Deliver does not).
func (b *LocalBroadcaster) Broadcast(ctx context.Context, h Hint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for d := range b.delivers {
		(*d)(h)
	}
	return nil
}

// Run registers deliver until ctx ends, then returns ctx.Err().
func (b *LocalBroadcaster) Run(ctx context.Context, deliver func(Hint)) error {
	key := &deliver
	b.mu.Lock()
	b.delivers[key] = struct{}{}
	b.mu.Unlock()
	<-ctx.Done()
	b.mu.Lock()
	delete(b.delivers, key)
	b.mu.Unlock()
	return ctx.Err()
}
