import { describe, expect, it } from 'vitest';
import { channelEn, channelJa } from './channel';
import { en } from './en';
import { ja } from './ja';

/** The app's sources (tests left out), by path under src/. */
const files = Object.fromEntries(
  Object.entries(import.meta.glob<string>(['/src/**/*.ts', '/src/**/*.tsx', '!/src/**/*.test.ts'], { query: '?raw', import: 'default', eager: true }))
    .map(([p, src]) => [p.replace(/^\/src\//, ''), src]),
);

/** The modules reached from `entry` by static imports (import() and `import type` load nothing). */
function firstLoad(entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    const dir = f.includes('/') ? f.slice(0, f.lastIndexOf('/') + 1) : '';
    for (const m of files[f]!.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'(\.[^']+)'/gm)) {
      const parts: string[] = [];
      for (const seg of (dir + m[1]!).split('/')) {
        if (seg === '..') parts.pop();
        else if (seg !== '.') parts.push(seg);
      }
      const base = parts.join('/');
      const hit = [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`].find((c) => c in files);
      if (hit) walk(hit);
    }
  };
  walk(entry);
  return seen;
}

describe('team channel messages', () => {
  it('have both languages, no empty message, no key of the first load', () => {
    expect(Object.keys(channelEn).sort()).toEqual(Object.keys(channelJa).sort());
    for (const v of [...Object.values(channelJa), ...Object.values(channelEn)]) expect(v.trim()).not.toBe('');
    for (const k of Object.keys(channelJa)) expect(k in ja || k in en, k).toBe(false);
  });

  it('stay out of the first load with the channel screens, and every one of them is used', () => {
    const first = firstLoad('main.tsx');
    expect(first.has('ui/lists.tsx')).toBe(true); // the walk follows static imports
    for (const f of ['i18n/channel.ts', 'channel.ts', 'channel-state.ts', 'ui/channel.tsx', 'ui/channel-composer.tsx', 'ui/channel-mentions.tsx']) expect(first.has(f), f).toBe(false);
    const code = Object.entries(files).filter(([f]) => f !== 'i18n/channel.ts').map(([, s]) => s).join('\n');
    // error.* keys name the server's codes (errorMessage), the others are used by name.
    const unused = Object.keys(channelJa).filter((k) => !k.startsWith('error.') && !code.includes(`'${k}'`));
    expect(unused).toEqual([]);
  });
});
