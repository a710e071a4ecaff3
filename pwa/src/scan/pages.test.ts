import { describe, expect, it } from 'vitest';
import { DOCUMENT_TYPES, MAX_PAGES, move, problems, put, remove } from './pages';
import { scanEn, scanJa } from './messages';
import { FIT, MAX_ZOOM, clampView, zoomAt } from './zoom';

describe('scanned pages', () => {
  it('reorders, replaces (retake) and removes pages', () => {
    const l = ['a', 'b', 'c'];
    expect(move(l, 2, -1)).toEqual(['a', 'c', 'b']);
    expect(move(l, 0, 1)).toEqual(['b', 'a', 'c']);
    expect(move(l, 0, -1)).toEqual(['a', 'b', 'c']); // the first cannot go earlier
    expect(move(l, 2, 1)).toEqual(['a', 'b', 'c']);
    expect(put(l, 1, 'B')).toEqual(['a', 'B', 'c']);
    expect(put(l, 3, 'd')).toEqual(['a', 'b', 'c', 'd']);
    expect(remove(l, 1)).toEqual(['a', 'c']);
    expect(l).toEqual(['a', 'b', 'c']); // never in place
  });

  it('needs a title and 1 to 50 pages', () => {
    expect(problems('', 0)).toEqual(['title', 'no_pages']);
    expect(problems('  ', 2)).toEqual(['title']);
    expect(problems('紹介状', 1)).toEqual([]);
    expect(problems('紹介状', MAX_PAGES + 1)).toEqual(['too_many']);
  });

  it('names every document type the server knows, in both languages', () => {
    expect([...DOCUMENT_TYPES]).toEqual(['referral', 'medical_info', 'prescription', 'nursing_order', 'consent', 'lab_result', 'other']);
    for (const k of DOCUMENT_TYPES) expect(`scan.type.${k}` in scanJa).toBe(true);
    expect(Object.keys(scanEn).sort()).toEqual(Object.keys(scanJa).sort());
    for (const v of [...Object.values(scanJa), ...Object.values(scanEn)]) expect(v.trim()).not.toBe('');
  });
});

describe('viewer zoom', () => {
  it('zooms around the pinch centre, keeps the page covering the frame, and never below fit', () => {
    const v = zoomAt(FIT, 2, 100, 50, 400, 600);
    expect(v).toEqual({ s: 2, x: -100, y: -50 }); // the point under the fingers stays put
    expect(zoomAt(v, 0.25, 0, 0, 400, 600)).toEqual(FIT);
    expect(clampView({ s: 2, x: 50, y: -5000 }, 400, 600)).toEqual({ s: 2, x: 0, y: -600 });
    expect(zoomAt(FIT, 100, 0, 0, 400, 600).s).toBe(MAX_ZOOM);
  });
});
