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

// TestGetManyIsGet looks up keys one by one and all at once: the same
// answers, and the same promotion of what is found in the older generation.
func TestGetManyIsGet(t *testing.T) {
	one, many := New[int, int](3), New[int, int](3)
	for i := 0; i < 5; i++ {
		one.Put(i, i*10)
		many.Put(i, i*10)
	}
	keys := []int{0, 1, 3, 4, 7}
	out, found := make([]int, len(keys)), make([]bool, len(keys))
	many.GetMany(keys, out, found)
	for i, k := range keys {
		v, ok := one.Get(k)
		if ok != found[i] || v != out[i] {
			t.Fatalf("key %d: Get %d %v, GetMany %d %v", k, v, ok, out[i], found[i])
		}
	}
	for k := 0; k < 8; k++ {
		a, aok := one.Get(k)
		b, bok := many.Get(k)
		if a != b || aok != bok {
			t.Fatalf("after the lookups, key %d: %d %v against %d %v", k, a, aok, b, bok)
		}
	}
}

// TestSizedWeighsValues fills a cache weighed by length: a generation
// flips when the next value would take it past its weight, so the cache
// never holds more than two generations' weight, and a heavy value still
// finds room in a generation of its own.
func TestSizedWeighsValues(t *testing.T) {
	c := NewSized[int, string](10, func(s string) int { return len(s) })
	total := func() int {
		n := 0
		for _, m := range []map[int]string{c.cur, c.old} {
			for _, v := range m {
				n += len(v)
			}
		}
		return n
	}
	for i := 0; i < 30; i++ {
		c.Put(i, "abcd") // two and a half fit a generation: two do
		if n := total(); n > 16 {
			t.Fatalf("after %d puts the cache weighs %d, more than two generations of 8", i+1, n)
		}
	}
	if len(c.cur) != 2 || c.curW != 8 {
		t.Fatalf("current generation holds %d values weighing %d, want 2 weighing 8", len(c.cur), c.curW)
	}
	c.Put(100, "abcdefghijklmnop") // heavier than a generation
	if v, ok := c.Get(100); !ok || v != "abcdefghijklmnop" {
		t.Fatal("a value heavier than a generation was not kept")
	}
	if _, ok := c.Get(29); !ok {
		t.Fatal("the generation before the heavy value was dropped at once")
	}
}
