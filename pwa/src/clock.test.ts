import { describe, expect, it } from 'vitest';
import { DayClock, follow, msToTokyoMidnight, tokyoDayAt, type ClockEnv } from './clock';

const at = (iso: string) => Date.parse(iso);

/** A clock whose time, timers and events the test drives. */
function fakeEnv(start: string) {
  let now = at(start);
  let timers: { f: () => void; due: number; id: number }[] = [];
  let next = 1;
  const target = new EventTarget();
  const env: ClockEnv = {
    now: () => now,
    setTimeout: (f, ms) => {
      const id = next++;
      timers.push({ f, due: now + ms, id });
      return id;
    },
    clearTimeout: (h) => (timers = timers.filter((x) => x.id !== h)),
    targets: [target],
  };
  return {
    env,
    target,
    pending: () => timers.length,
    /** Moves the clock without running timers (a page frozen in the background). */
    jump: (iso: string) => (now = at(iso)),
    /** Moves the clock, firing the timers that come due, in order. */
    advance: (iso: string) => {
      const to = at(iso);
      for (;;) {
        const t = timers.filter((x) => x.due <= to).sort((a, b) => a.due - b.due)[0];
        if (!t) break;
        timers = timers.filter((x) => x !== t);
        now = t.due;
        t.f();
      }
      now = to;
    },
  };
}

describe('the Tokyo day', () => {
  it('turns at midnight in Tokyo (15:00 UTC)', () => {
    expect(tokyoDayAt(at('2026-11-20T14:59:59Z'))).toBe('2026-11-20');
    expect(tokyoDayAt(at('2026-11-20T15:00:00Z'))).toBe('2026-11-21');
    expect(msToTokyoMidnight(at('2026-11-20T23:59:00+09:00'))).toBe(60_000);
    expect(msToTokyoMidnight(at('2026-11-21T00:00:00+09:00'))).toBe(86_400_000);
  });

  it('a calendar on the old today follows to the new one; a day the user chose stays', () => {
    expect(follow('2026-11-20', '2026-11-20', '2026-11-21')).toBe('2026-11-21');
    expect(follow('2026-12-03', '2026-11-20', '2026-11-21')).toBe('2026-12-03');
    // Sunday night → Monday: the week view on this week moves to the next week.
    expect(follow('2026-11-16', '2026-11-22', '2026-11-23', true)).toBe('2026-11-23');
    expect(follow('2026-11-30', '2026-11-22', '2026-11-23', true)).toBe('2026-11-30');
    // Within the same week the week stays.
    expect(follow('2026-11-16', '2026-11-20', '2026-11-21', true)).toBe('2026-11-16');
  });
});

describe('DayClock', () => {
  it('moves to the new day at Tokyo midnight, and again the next night', () => {
    const f = fakeEnv('2026-11-20T23:58:00+09:00');
    const seen: [string, string][] = [];
    const c = new DayClock(f.env, (d, p) => seen.push([d, p]));
    c.start();
    f.advance('2026-11-20T23:59:59+09:00');
    expect(seen).toEqual([]);
    f.advance('2026-11-21T00:00:02+09:00');
    expect(seen).toEqual([['2026-11-21', '2026-11-20']]);
    expect(c.day).toBe('2026-11-21');
    f.advance('2026-11-22T00:00:02+09:00');
    expect(seen.map((x) => x[0])).toEqual(['2026-11-21', '2026-11-22']);
    expect(f.pending()).toBe(1); // one timer armed at a time
  });

  it('catches up when the app comes back after a frozen night (visibilitychange, focus)', () => {
    const f = fakeEnv('2026-11-20T21:00:00+09:00');
    const seen: string[] = [];
    const c = new DayClock(f.env, (d) => seen.push(d));
    c.start();
    f.jump('2026-11-22T07:30:00+09:00'); // the timer never ran: iPadOS froze the page
    f.target.dispatchEvent(new Event('visibilitychange'));
    expect(seen).toEqual(['2026-11-22']);
    f.target.dispatchEvent(new Event('focus')); // same day: no second change
    expect(seen).toEqual(['2026-11-22']);
    expect(f.pending()).toBe(1);
  });

  it('follows a clock set back, and does nothing once stopped', () => {
    const f = fakeEnv('2026-11-21T00:00:30+09:00');
    const seen: string[] = [];
    const c = new DayClock(f.env, (d) => seen.push(d));
    c.start();
    f.jump('2026-11-20T23:59:00+09:00');
    f.target.dispatchEvent(new Event('pageshow'));
    expect(seen).toEqual(['2026-11-20']);
    c.stop();
    expect(f.pending()).toBe(0);
    f.jump('2026-11-25T10:00:00+09:00');
    f.target.dispatchEvent(new Event('visibilitychange'));
    expect(seen).toEqual(['2026-11-20']);
  });
});
