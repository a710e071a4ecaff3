// Finding the sheet of paper in a photograph: its four corners, to flatten it.
//
// 1. Coarse, on a copy about 400 px wide: the sheet is the largest bright, colourless
//    region (Otsu's threshold on luminance, low chroma, a morphological opening to
//    cut thin bridges to bright clutter). Its convex hull's largest inscribed
//    quadrilateral gives four corners within a few pixels of the small copy.
// 2. Fine, on the full photo: along the middle of each side, the strongest
//    bright-inside/dark-outside step across the side (sub-pixel), a robust straight
//    line through those edge points, and the corners where adjacent lines meet.

import { area2, convexHull, dist, fitLine, intersect, largestQuad, orderCorners, type Line, type Pt, type Quad } from './geometry';
import { boxBlur, luminance, otsu, sample, shrink, type Gray, type Img } from './image';

export interface Detection {
  quad: Quad;
  /** false: no sheet stood out; the quad is a default inset for the user to drag. */
  found: boolean;
}

const COARSE_SIDE = 400;

/** A default frame 8% inside the photo's edges, for when no sheet is found. */
export function defaultFrame(w: number, h: number, f = 0.08): Quad {
  return [
    { x: w * f, y: h * f }, { x: w * (1 - f), y: h * f },
    { x: w * (1 - f), y: h * (1 - f) }, { x: w * f, y: h * (1 - f) },
  ];
}

export function detectSheet(img: Img): Detection {
  const coarse = coarseQuad(img);
  if (!coarse) return { quad: defaultFrame(img.width, img.height), found: false };
  const lum = boxBlur(luminance(img), 1);
  const scale = COARSE_SIDE / Math.max(img.width, img.height);
  let quad = refine(lum, coarse, Math.ceil(4 / Math.min(1, scale)) + 3);
  quad = refine(lum, quad, 4);
  return { quad, found: true };
}

/**
 * Corners from the bright blob on a small copy (in full-size pixel coordinates), or
 * undefined. Thresholds from Otsu's up to near the brightest values are tried: pale
 * clutter touching the sheet joins it at a low threshold and leaves it at a higher
 * one, so the blob kept is the one most like a large filled quadrilateral.
 */
export function coarseQuad(img: Img): Quad | undefined {
  const scale = Math.min(1, COARSE_SIDE / Math.max(img.width, img.height));
  const { lum: raw, chroma } = shrink(img, scale);
  const lum = boxBlur(raw, 1);
  const { width: w, height: h } = lum;
  const t = otsu(lum.data);
  const sorted = Float32Array.from(lum.data).sort();
  const top = sorted[Math.floor(sorted.length * 0.98)]!;
  let best: { score: number; quad: Pt[] } | undefined;
  const steps = 6;
  for (let k = 0; k < steps; k++) {
    const level = t + ((top - 8 - t) * k) / steps;
    if (k > 0 && level <= t) break;
    let mask: Uint8Array = new Uint8Array(w * h);
    for (let i = 0; i < mask.length; i++) mask[i] = lum.data[i]! > level && chroma.data[i]! < 60 ? 1 : 0;
    mask = morph(morph(mask, w, h, 2, false), w, h, 2, true);
    const blob = largestComponent(mask, w, h);
    if (!blob || blob.filled < 0.03 * w * h) continue;
    const hull = convexHull(blob.boundary);
    const q = largestQuad(hull);
    if (q.length < 4) continue;
    const hullArea = Math.abs(area2(hull)) / 2, quadArea = Math.abs(area2(q)) / 2;
    const score = quadArea * Math.min(1, blob.filled / hullArea) ** 4 * (quadArea / hullArea) ** 2;
    if (!best || score > best.score) best = { score, quad: q };
  }
  if (!best) return undefined;
  const sx = w / img.width, sy = h / img.height;
  return orderCorners(best.quad.map((p) => ({ x: (p.x + 0.5) / sx - 0.5, y: (p.y + 0.5) / sy - 0.5 })));
}

/** Binary erosion (dilate=false) or dilation by a (2r+1)² square, separable. */
function morph(m: Uint8Array, w: number, h: number, r: number, dilate: boolean): Uint8Array {
  const pass = (src: Uint8Array, horizontal: boolean) => {
    const out = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let v = dilate ? 0 : 1;
        for (let k = -r; k <= r; k++) {
          const xx = horizontal ? x + k : x, yy = horizontal ? y : y + k;
          const s = xx < 0 || yy < 0 || xx >= w || yy >= h ? 0 : src[yy * w + xx]!;
          if (dilate ? s : !s) {
            v = dilate ? 1 : 0;
            break;
          }
        }
        out[y * w + x] = v;
      }
    }
    return out;
  };
  return pass(pass(m, true), false);
}

/** The largest 4-connected region of ones: its area with holes filled, and its boundary pixels. */
function largestComponent(m: Uint8Array, w: number, h: number): { filled: number; boundary: Pt[] } | undefined {
  const label = new Int32Array(w * h);
  const stack = new Int32Array(w * h);
  let best = 0, bestLabel = 0, next = 0;
  const flood = (s: number, ok: (i: number) => boolean, mark: number) => {
    let top = 0, area = 0;
    stack[top++] = s;
    label[s] = mark;
    while (top) {
      const i = stack[--top]!;
      area++;
      const x = i % w, y = (i - x) / w;
      if (x > 0 && ok(i - 1)) { label[i - 1] = mark; stack[top++] = i - 1; }
      if (x < w - 1 && ok(i + 1)) { label[i + 1] = mark; stack[top++] = i + 1; }
      if (y > 0 && ok(i - w)) { label[i - w] = mark; stack[top++] = i - w; }
      if (y < h - 1 && ok(i + w)) { label[i + w] = mark; stack[top++] = i + w; }
    }
    return area;
  };
  for (let s = 0; s < m.length; s++) {
    if (!m[s] || label[s]) continue;
    next++;
    const area = flood(s, (i) => !!m[i] && !label[i], next);
    if (area > best) {
      best = area;
      bestLabel = next;
    }
  }
  if (!bestLabel) return undefined;
  // Holes (the text on the sheet) count as the sheet: what the border cannot reach past the blob.
  const OUT = -1;
  let outside = 0;
  for (let i = 0; i < w * h; i++) {
    const x = i % w, y = (i - x) / w;
    if ((x === 0 || y === 0 || x === w - 1 || y === h - 1) && label[i] !== bestLabel && label[i] !== OUT) {
      outside += flood(i, (j) => label[j] !== bestLabel && label[j] !== OUT, OUT);
    }
  }
  const boundary: Pt[] = [];
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && label[y * w + x] === bestLabel;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!inside(x, y)) continue;
      if (!inside(x - 1, y) || !inside(x + 1, y) || !inside(x, y - 1) || !inside(x, y + 1)) boundary.push({ x, y });
    }
  }
  return { filled: w * h - outside, boundary };
}

/** Moves each side of `q` onto the sheet's edge found within ±r pixels of it. */
export function refine(lum: Gray, q: Quad, r: number): Quad {
  const c = { x: (q[0].x + q[1].x + q[2].x + q[3].x) / 4, y: (q[0].y + q[1].y + q[2].y + q[3].y) / 4 };
  const lines: (Line | undefined)[] = [0, 1, 2, 3].map((i) => edgeLine(lum, q[i]!, q[(i + 1) % 4]!, c, r));
  const out = q.map((p, i) => {
    const l = lines[(i + 3) % 4], m = lines[i]; // the sides that meet at corner i
    const x = l && m && intersect(l, m);
    // A corner far from where it was means a side locked onto something else: keep it.
    return x && dist(x, p) <= 3 * r ? x : p;
  });
  return out as Quad;
}

function edgeLine(lum: Gray, a: Pt, b: Pt, c: Pt, r: number): Line | undefined {
  const len = dist(a, b);
  if (len < 8) return undefined;
  const d = { x: (b.x - a.x) / len, y: (b.y - a.y) / len };
  let n = { x: -d.y, y: d.x };
  const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  if (n.x * (c.x - mid.x) + n.y * (c.y - mid.y) > 0) n = { x: -n.x, y: -n.y }; // n points out of the sheet
  const count = Math.max(16, Math.min(90, Math.round(len / 6)));
  const pts: Pt[] = [];
  const profile = new Float64Array(2 * r + 1);
  for (let k = 0; k < count; k++) {
    const t = 0.1 + (0.8 * k) / (count - 1);
    const p = { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) };
    // step(o): brightness just inside minus just outside, averaged over 3 points along the side.
    const at = (o: number) => {
      let s = 0;
      for (let j = -1; j <= 1; j++) {
        const x = p.x + o * n.x + j * 1.5 * d.x, y = p.y + o * n.y + j * 1.5 * d.y;
        s += sample(lum, x - n.x, y - n.y, 0) - sample(lum, x + n.x, y + n.y, 0);
      }
      return s / 3;
    };
    let bo = -1;
    for (let o = -r; o <= r; o++) {
      profile[o + r] = at(o);
      if (bo < 0 || profile[o + r]! > profile[bo]!) bo = o + r;
    }
    if (profile[bo]! < 20 || bo === 0 || bo === 2 * r) continue;
    const dm = profile[bo - 1]!, d0 = profile[bo]!, dp = profile[bo + 1]!;
    const den = dm - 2 * d0 + dp;
    const o = bo - r + (den < 0 ? (0.5 * (dm - dp)) / den : 0);
    pts.push({ x: p.x + o * n.x, y: p.y + o * n.y });
  }
  if (pts.length < Math.max(6, count / 4)) return undefined;
  let kept = pts;
  let line = fitLine(kept);
  for (let it = 0; it < 4; it++) {
    const res = kept.map((p) => Math.abs(line.a * p.x + line.b * p.y - line.c));
    const med = [...res].sort((x, y) => x - y)[res.length >> 1]!;
    const next = kept.filter((_, i) => res[i]! <= Math.max(1, 3 * med));
    if (next.length < 6) break;
    kept = next;
    line = fitLine(kept);
  }
  return line;
}
