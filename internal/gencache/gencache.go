// Package gencache is a bounded cache of immutable values that keeps what
// is in use: two generations of at most max entries each. A lookup that
// finds an entry in the older generation promotes it; when the current
// generation is full, the older one is dropped and the current one takes
// its place. So the cache holds between max and 2×max entries, with no
// per-entry bookkeeping (an LRU list cost more than the lookups it saved).
// A cache made with NewSized counts what its values weigh instead of
// entries, for values whose sizes differ a hundredfold (a record of one
// line and one of 4,000 characters).
//
// It suits values that never go stale for their key, such as a record at
// a given version: Tsunagu's record cache (internal/store) and the pull's
// encoded records (api) are keyed that way.
package gencache

import "sync"

// Cache is safe for concurrent use.
type Cache[K comparable, V any] struct {
	mu       sync.Mutex
	cur, old map[K]V
	max      int         // what a generation may weigh
	weight   func(V) int // nil: every entry weighs 1
	curW     int         // what the current generation weighs
}

// New makes a cache whose generations hold max entries each.
func New[K comparable, V any](max int) *Cache[K, V] {
	return &Cache[K, V]{cur: make(map[K]V, max), old: map[K]V{}, max: max}
}

// NewSized makes a cache whose generations weigh at most max each, a
// value weighing weight(v) (at least 1).
func NewSized[K comparable, V any](max int, weight func(V) int) *Cache[K, V] {
	return &Cache[K, V]{cur: map[K]V{}, old: map[K]V{}, max: max, weight: weight}
}

// Get returns the value of k, if it is kept.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.cur[k]; ok {
		return v, true
	}
	v, ok := c.old[k]
	if ok {
		c.put(k, v)
	}
	return v, ok
}

// GetMany looks up every key under one lock: for each found key it sets
// out[i] and found[i] (both as long as keys). Keys whose found[i] is
// already true are left as they are.
func (c *Cache[K, V]) GetMany(keys []K, out []V, found []bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, k := range keys {
		if found[i] {
			continue
		}
		v, ok := c.cur[k]
		if !ok {
			if v, ok = c.old[k]; ok {
				c.put(k, v)
			}
		}
		if ok {
			out[i], found[i] = v, true
		}
	}
}

// Put keeps v for k.
func (c *Cache[K, V]) Put(k K, v V) {
	c.mu.Lock()
	c.put(k, v)
	c.mu.Unlock()
}

func (c *Cache[K, V]) put(k K, v V) {
	w := 1
	if c.weight != nil {
		w = max(1, c.weight(v))
	}
	if _, ok := c.cur[k]; ok {
		c.cur[k] = v // the same key holds the same value: its weight is counted
		return
	}
	if c.curW+w > c.max && len(c.cur) > 0 {
		n := len(c.cur)
		c.old, c.cur, c.curW = c.cur, make(map[K]V, n), 0
	}
	c.cur[k] = v
	c.curW += w
}
