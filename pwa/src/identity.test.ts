import { describe, expect, it } from 'vitest';
import { nameKey, sharedNames, shortAddress } from './identity';

describe('patient identity', () => {
  it('marks every patient whose name another has, spaces aside', () => {
    const ps = [{ id: 'a', name: '架空 花子' }, { id: 'b', name: '架空\u3000花子' }, { id: 'c', name: '架空 太郎' }, { id: 'd', name: '架空花子' }];
    expect([...sharedNames(ps)].sort()).toEqual(['a', 'b', 'd']);
    expect(sharedNames([{ id: 'x', name: '見本 一郎' }]).size).toBe(0);
  });
  it('compares names without spaces', () => {
    expect(nameKey(' 架空 \u3000花子 ')).toBe('架空花子');
  });
  it('shortens a long address and keeps a short one', () => {
    expect(shortAddress('架空県見本市中央1-2-3')).toBe('架空県見本市中央1-2-3');
    expect(shortAddress('架空県見本市中央一丁目二番三号 見本マンション 101号室 東棟')).toHaveLength(25);
    expect(shortAddress(undefined)).toBe('');
  });
});
