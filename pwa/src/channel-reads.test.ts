import { describe, expect, it } from 'vitest';
import { MarkedOnce } from './channel-reads';

describe('MarkedOnce', () => {
  it('moves a pointer once per user, and again for another user or after a clear (sign-out)', () => {
    const m = new MarkedOnce();
    expect(m.first('u1', 'p1', 'm1')).toBe(true);
    expect(m.first('u1', 'p1', 'm1')).toBe(false);
    expect(m.first('u1', 'p1', 'm2')).toBe(true);
    expect(m.first('u2', 'p1', 'm1')).toBe(true); // another user on the same device
    m.clear();
    expect(m.first('u1', 'p1', 'm1')).toBe(true);
  });
});
