import { describe, expect, it } from 'vitest';
import { setLang, tx } from './i18n';
import { searchEn, searchJa } from './i18n/search';
import { queryWords } from './record-search';

describe('record search (ui/search.tsx)', () => {
  it('splits the query into words as the server checks them: NFKC, 2+ characters each', () => {
    expect(queryWords(' 褥瘡　ｶﾞｰｾﾞ ')).toEqual(['褥瘡', 'ガーゼ']);
    expect(queryWords('褥')).toBeNull();
    expect(queryWords('褥瘡 a')).toBeNull();
    expect(queryWords('   ')).toBeNull();
  });

  it('registers its own messages in both languages when loaded', () => {
    expect(Object.keys(searchEn).sort()).toEqual(Object.keys(searchJa).sort());
    setLang('en');
    expect(tx('search.offline')).toMatch(/needs a connection/);
    setLang('ja');
    expect(tx('search.offline')).toMatch(/ネット接続が必要/);
  });
});
