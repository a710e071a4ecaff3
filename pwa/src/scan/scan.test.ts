import { describe, expect, it } from 'vitest';
import { detectSheet } from './detect';
import { apply, convexHull, dist, homography, isConvex, largestQuad, orderCorners, rotateQuad, type Pt, type Quad } from './geometry';
import { luminance, type Img } from './image';
import { defocus, photograph, renderPage, rng } from './synthetic';
import { flatten, pageSize } from './warp';

const PW = 420, PH = 594; // A-series portrait

/** A quad: the page scaled, rotated by `deg` around (cx, cy) and tilted in perspective. */
function placed(cx: number, cy: number, s: number, deg: number, tilt: number, skew = 0): Quad {
  const a = (deg * Math.PI) / 180;
  const corners = [[-PW / 2, -PH / 2], [PW / 2, -PH / 2], [PW / 2, PH / 2], [-PW / 2, PH / 2]];
  return corners.map(([x, y], i) => {
    // The far (top) side is shorter: a camera tilted towards the page's top.
    const k = y! < 0 ? 1 - tilt : 1 + tilt;
    const px = x! * k * s + (i === 1 ? skew : 0), py = y! * s;
    return { x: cx + px * Math.cos(a) - py * Math.sin(a), y: cy + px * Math.sin(a) + py * Math.cos(a) };
  }) as Quad;
}

const cases: { name: string; W: number; H: number; quad: Quad; seed: number; noise?: number; blur?: number }[] = [
  { name: 'straight, slight tilt', W: 1000, H: 1200, quad: placed(500, 600, 1.5, 0, 0.04), seed: 1 },
  { name: 'rotated 12° with perspective', W: 1200, H: 1000, quad: placed(640, 500, 1.25, 12, 0.1), seed: 2 },
  { name: 'rotated −25°, strong perspective, skewed', W: 1400, H: 1100, quad: placed(700, 560, 1.3, -25, 0.16, 30), seed: 3 },
  { name: 'landscape photo, page turned 80°', W: 1400, H: 1000, quad: placed(720, 500, 1.1, 80, 0.08), seed: 4 },
  { name: 'small in the frame, off centre', W: 1300, H: 1000, quad: placed(420, 430, 0.85, 35, 0.12), seed: 5 },
  { name: 'out of focus (blur radius 3)', W: 1200, H: 1000, quad: placed(600, 500, 1.2, 18, 0.06), seed: 8, blur: 3 },
  { name: 'dim and noisy (σ 16)', W: 1100, H: 1300, quad: placed(560, 640, 1.45, -8, 0.12), seed: 6, noise: 16 },
];

const errors: number[] = [];

// Each photograph is made once and shared by the tests of its case (they take a while on a busy machine).
const made = new Map<number, { page: ReturnType<typeof renderPage>; photo: Img }>();
function shot(c: (typeof cases)[number]) {
  let m = made.get(c.seed);
  if (!m) {
    const rand = rng(c.seed);
    const page = renderPage(PW, PH, rand);
    const photo = photograph(page.img, c.quad, c.W, c.H, rand, c.noise);
    m = { page, photo: c.blur ? defocus(photo, c.blur) : photo };
    made.set(c.seed, m);
  }
  return m;
}
const SLOW = { timeout: 60000 };

describe('scanner: corners of a photographed page', () => {
  for (const c of cases) {
    it(`${c.name}: the corners found lie within 3 px of the truth`, SLOW, () => {
      const { photo } = shot(c);
      const { quad, found } = detectSheet(photo);
      expect(found).toBe(true);
      const truth = orderCorners(c.quad);
      const err = quad.map((p, i) => dist(p, truth[i]!));
      errors.push(...err);
      expect(Math.max(...err), `errors ${err.map((e) => e.toFixed(2)).join(', ')}`).toBeLessThan(3);
    });
  }

  it('reports the corner errors', () => {
    // Printed for the report; the per-case tests above hold the bound.
    if (errors.length) console.log(`corner error: mean ${(errors.reduce((s, e) => s + e, 0) / errors.length).toFixed(2)} px, max ${Math.max(...errors).toFixed(2)} px over ${errors.length} corners`);
    expect(errors.length).toBe(cases.length * 4);
  });

  it('finds no sheet in a photo without one, and offers a frame to drag instead', SLOW, () => {
    const rand = rng(9);
    const page = renderPage(PW, PH, rand);
    // The "page" far outside the frame: only desk and clutter remain.
    const photo = photograph(page.img, placed(-2000, -2000, 1, 0, 0), 900, 700, rand);
    const d = detectSheet(photo);
    if (d.found) {
      // Clutter may win; then whatever was found must not be a large, sheet-like area.
      expect(Math.abs(d.quad[2].x - d.quad[0].x) * Math.abs(d.quad[2].y - d.quad[0].y)).toBeLessThan(900 * 700 * 0.5);
    } else {
      expect(isConvex(d.quad)).toBe(true);
    }
  });
});

/** Dark-pixel measurements of a flattened page. */
function ink(img: Img) {
  const g = luminance(img);
  const dark = (x: number, y: number) => g.data[y * img.width + x]! < 128;
  return { dark, w: img.width, h: img.height };
}

describe('scanner: the flattened page', () => {
  for (const c of cases.slice(1, 4)) {
    it(`${c.name}: the text area comes out rectangular, where the page has it`, SLOW, () => {
      const { page, photo } = shot(c);
      // The page's own top-left first (what the user's turn button does for a page shot sideways).
      let quad = detectSheet(photo).quad;
      while (dist(quad[0], c.quad[0]) > 10) quad = rotateQuad(quad);
      const size = pageSize(quad, 900);
      expect(Math.abs(size.height / size.width - Math.SQRT2)).toBeLessThan(0.002); // A-series snapped
      const flat = flatten(photo, quad, 'bw', 900);
      const { dark, w, h } = ink(flat);
      const sx = w / PW, sy = h / PH;
      const t = page.text;
      // Along the first and the last line (both full width): top and bottom edges level.
      const first = page.lines[0]!, last = page.lines[page.lines.length - 1]!;
      const topAt = (x: number) => { for (let y = 0; y < h; y++) if (dark(x, y)) return y; return -1; };
      const bottomAt = (x: number) => { for (let y = h - 1; y >= 0; y--) if (dark(x, y)) return y + 1; return -1; };
      const leftAt = (y: number) => { for (let x = 0; x < w; x++) if (dark(x, y)) return x; return -1; };
      const rightAt = (y: number) => { for (let x = w - 1; x >= 0; x--) if (dark(x, y)) return x + 1; return -1; };
      // Columns inside the first word and the last (words are ≥ 3 line-heights wide).
      const xs = [t.x0 + 4, t.x1 - 4].map((x) => Math.round(x * sx));
      const ys = [(first.y0 + first.y1) / 2, (last.y0 + last.y1) / 2].map((y) => Math.round(y * sy));
      const tol = 3;
      for (const x of xs) {
        expect(Math.abs(topAt(x) - t.y0 * sy), `top at x=${x}`).toBeLessThan(tol);
        expect(Math.abs(bottomAt(x) - t.y1 * sy), `bottom at x=${x}`).toBeLessThan(tol);
      }
      for (const y of ys) {
        expect(Math.abs(leftAt(y) - t.x0 * sx), `left at y=${y}`).toBeLessThan(tol);
        expect(Math.abs(rightAt(y) - t.x1 * sx), `right at y=${y}`).toBeLessThan(tol);
      }
      // Every line starts at the left margin, a straight vertical edge.
      for (const l of page.lines) expect(Math.abs(leftAt(Math.round(((l.y0 + l.y1) / 2) * sy)) - t.x0 * sx)).toBeLessThan(tol);
      // Outside the text area the page is clean white (no border of desk left).
      let stray = 0;
      for (let y = 2; y < h - 2; y++) for (let x = 2; x < w - 2; x++) {
        if (x > t.x0 * sx - 3 && x < t.x1 * sx + 3 && y > t.y0 * sy - 3 && y < t.y1 * sy + 3) continue;
        if (dark(x, y)) stray++;
      }
      expect(stray).toBeLessThan(0.001 * w * h);
    });
  }

  it('greyscale keeps the ink dark and makes unevenly lit paper white', SLOW, () => {
    const c = cases[1]!;
    const { page, photo } = shot(c);
    const { quad } = detectSheet(photo);
    const size = pageSize(quad, 800);
    const g = luminance(flatten(photo, quad, 'gray', 800));
    const at = (x: number, y: number) => g.data[Math.round(y * (size.height / PH)) * size.width + Math.round(x * (size.width / PW))]!;
    // Paper at both sides of the page (light fell off by 18% across the photo) is white.
    expect(at(20, 20)).toBeGreaterThan(235);
    expect(at(PW - 20, PH - 20)).toBeGreaterThan(235);
    // Ink (the first line, full width) stays dark.
    const l = page.lines[0]!;
    expect(at(page.text.x0 + 3, (l.y0 + l.y1) / 2)).toBeLessThan(90);
    expect(at(page.text.x1 - 3, (l.y0 + l.y1) / 2)).toBeLessThan(90);
  });
});

describe('scanner geometry', () => {
  it('maps four points exactly with the homography', () => {
    const src: Pt[] = [{ x: 0, y: 0 }, { x: 100, y: 0 }, { x: 100, y: 140 }, { x: 0, y: 140 }];
    const dst: Pt[] = [{ x: 13, y: 20 }, { x: 130, y: 35 }, { x: 120, y: 190 }, { x: 5, y: 170 }];
    const h = homography(src, dst);
    for (let i = 0; i < 4; i++) {
      const p = apply(h, src[i]!);
      expect(p.x).toBeCloseTo(dst[i]!.x, 6);
      expect(p.y).toBeCloseTo(dst[i]!.y, 6);
    }
  });

  it('orders corners clockwise from the top-left and turns them a quarter', () => {
    const q = orderCorners([{ x: 90, y: 95 }, { x: 10, y: 12 }, { x: 8, y: 90 }, { x: 95, y: 5 }]);
    expect(q).toEqual([{ x: 10, y: 12 }, { x: 95, y: 5 }, { x: 90, y: 95 }, { x: 8, y: 90 }]);
    expect(rotateQuad(q)[0]).toEqual({ x: 8, y: 90 });
    expect(isConvex(q)).toBe(true);
    expect(isConvex([q[0], q[2], q[1], q[3]])).toBe(false);
  });

  it('finds the largest quadrilateral of a hull as a brute force does', () => {
    const rand = rng(11);
    for (let trial = 0; trial < 20; trial++) {
      const pts = Array.from({ length: 40 }, () => ({ x: rand() * 100, y: rand() * 100 }));
      const hull = convexHull(pts);
      const area = (q: Pt[]) => Math.abs(q.reduce((s, a, i) => { const b = q[(i + 1) % q.length]!; return s + a.x * b.y - b.x * a.y; }, 0)) / 2;
      let best = 0;
      const n = hull.length;
      for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) for (let c = b + 1; c < n; c++) for (let d = c + 1; d < n; d++) {
        best = Math.max(best, area([hull[a]!, hull[b]!, hull[c]!, hull[d]!]));
      }
      expect(area(largestQuad(hull))).toBeCloseTo(best, 6);
    }
  });
});
