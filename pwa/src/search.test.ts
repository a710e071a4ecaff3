import { describe, expect, it } from 'vitest';
import { matchesKana } from './search';

describe('matchesKana', () => {
  const p = { name: '山田 太郎', name_kana: 'やまだ たろう' };
  it.each([
    ['やまだ', true],
    ['ヤマダ', true],
    ['ﾔﾏﾀﾞ', true], // half-width katakana from some keyboards
    ['だたろ', true], // spaces ignored
    ['山田', true],
    ['たなか', false],
    ['', true],
  ])('%s → %s', (q, want) => expect(matchesKana(p, q)).toBe(want));
});
