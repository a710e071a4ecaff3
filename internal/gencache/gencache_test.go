package gencache

import "testing"

// TestKeepsWhatIsInUse fills the cache past two generations while one key
// is read all along: that key survives, the others are dropped in order,
// and the cache never holds more than two generations.
func TestKeepsWhatIsInUse(t *testing.T) {
	c := New[int, string](4)
	c.Put(0, "hot")
	for i := 1; i <= 20; i++ {
		c.Put(i, "cold")
		if v, ok := c.Get(0); !ok || v != "hot" {
			t.Fatalf("after %d puts the key in use is gone", i)
		}
		if n := len(c.cur) + len(c.old); n > 8 {
			t.Fatalf("holds %d entries, more than two generations", n)
		}
	}
	if _, ok := c.Get(1); ok {
		t.Fatal("an entry not read for two generations is still kept")
	}
	if _, ok := c.Get(20); !ok {
		t.Fatal("the newest entry is gone")
	}
}
