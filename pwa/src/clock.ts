// "Today" follows the clock. An iPad app stays open for days: one left open past
// midnight must move to the new day by itself, or the nurse's morning starts on
// yesterday's visits. The Tokyo day is re-read at the next Tokyo midnight (a
// timer), and whenever the app comes back (visibilitychange, focus, pageshow),
// because iPadOS freezes timers of a page in the background.

import { weekStart } from './calendar';

const DAY = 86_400_000;
const JST = 9 * 3_600_000;
/** The timer fires this long after midnight, so a clock a little fast is past it. */
const MARGIN = 1000;

/** YYYY-MM-DD in Tokyo of instant `ms`. */
export function tokyoDayAt(ms: number): string {
  return new Date(ms + JST).toISOString().slice(0, 10);
}

/** Milliseconds from `ms` to the next midnight in Tokyo (never 0). */
export function msToTokyoMidnight(ms: number): number {
  return DAY - ((ms + JST) % DAY);
}

/**
 * Where a calendar position goes when the day rolls over from `from` to `to`:
 * a position on the old today (the one the user did not move away from) follows
 * to the new today; one the user chose stays. `week` compares the weeks instead
 * (a week view's position is its Monday).
 */
export function follow(position: string, from: string, to: string, week = false): string {
  if (week) return position === weekStart(from) ? weekStart(to) : position;
  return position === from ? to : position;
}

export interface ClockEnv {
  now: () => number;
  setTimeout: (f: () => void, ms: number) => unknown;
  clearTimeout: (h: unknown) => void;
  /** Where visibilitychange / focus / pageshow arrive (window and document). */
  targets: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>[];
}

/**
 * Watches the Tokyo day and calls `onChange(newDay, oldDay)` when it changes:
 * at midnight, or when the app comes back on another day (also backwards, when
 * the device clock was corrected).
 */
export class DayClock {
  #day: string;
  #timer: unknown = null;
  #off: (() => void)[] = [];

  constructor(private env: ClockEnv, private onChange: (day: string, previous: string) => void) {
    this.#day = tokyoDayAt(env.now());
  }

  get day(): string {
    return this.#day;
  }

  start(): void {
    const check = () => this.check();
    for (const t of this.env.targets) {
      for (const ev of ['visibilitychange', 'focus', 'pageshow']) {
        t.addEventListener(ev, check);
        this.#off.push(() => t.removeEventListener(ev, check));
      }
    }
    this.#arm();
  }

  stop(): void {
    for (const f of this.#off) f();
    this.#off = [];
    if (this.#timer !== null) this.env.clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Re-reads the day now; re-arms the midnight timer (a woken timer may be late or early). */
  check(): void {
    const d = tokyoDayAt(this.env.now());
    if (d !== this.#day) {
      const previous = this.#day;
      this.#day = d;
      this.onChange(d, previous);
    }
    if (this.#off.length) this.#arm();
  }

  #arm(): void {
    if (this.#timer !== null) this.env.clearTimeout(this.#timer);
    this.#timer = this.env.setTimeout(() => {
      this.#timer = null;
      this.check();
    }, msToTokyoMidnight(this.env.now()) + MARGIN);
  }
}
