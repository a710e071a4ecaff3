// Synthetic photographs of a document for the scanner's tests: a page with lines of
// "text", laid in perspective on a cluttered desk, unevenly lit, with sensor noise.
// Only the tests import this module.

import { apply, homography, type Quad } from './geometry';
import { newImg, type Img } from './image';

/** A small seeded generator (mulberry32), so every run draws the same photograph. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Page {
  img: Img;
  /** The text area: the first and the last line run the full width, every line starts at x0. */
  text: { x0: number; y0: number; x1: number; y1: number };
  /** Top and bottom of every line. */
  lines: { y0: number; y1: number; x1: number }[];
}

/** A white page (w × h) with a margin and lines of word-like dark bars. */
export function renderPage(w: number, h: number, rand: () => number): Page {
  const img = newImg(w, h, 0);
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) { d[i] = 246; d[i + 1] = 244; d[i + 2] = 238; d[i + 3] = 255; }
  const m = Math.round(w * 0.1);
  const lineH = Math.max(4, Math.round(h * 0.014));
  const gap = Math.round(lineH * 1.2);
  const x0 = m, x1 = w - m;
  const lines: Page['lines'] = [];
  const count = Math.floor((h - 2 * m) / (lineH + gap));
  for (let k = 0; k < count; k++) {
    const y0 = m + k * (lineH + gap);
    const full = k === 0 || k === count - 1;
    const end = full ? x1 : Math.round(x0 + (x1 - x0) * (0.4 + 0.6 * rand()));
    let x = x0;
    let last = x0;
    while (x < end) {
      // A word: 3–10 characters wide; a space between words, none after the last.
      const word = Math.min(end - x, Math.round(lineH * (3 + 7 * rand())));
      for (let y = y0; y < y0 + lineH; y++) for (let xx = x; xx < x + word; xx++) {
        const i = (y * w + xx) * 4;
        d[i] = 35; d[i + 1] = 35; d[i + 2] = 45;
      }
      last = x + word;
      x += word + Math.round(lineH * 0.8);
      if (full && x >= end - lineH) {
        // The full lines end exactly at the right margin.
        for (let y = y0; y < y0 + lineH; y++) for (let xx = last; xx < end; xx++) {
          const i = (y * w + xx) * 4;
          d[i] = 35; d[i + 1] = 35; d[i + 2] = 45;
        }
        last = end;
        break;
      }
    }
    lines.push({ y0, y1: y0 + lineH, x1: last });
  }
  return { img, text: { x0, y0: lines[0]!.y0, x1, y1: lines[lines.length - 1]!.y1 }, lines };
}

/**
 * A W × H photograph of `page` whose corners (0,0), (w,0), (w,h), (0,h) land on `quad`
 * (pixel centres at integer coordinates): a wooden desk with papers, a pen and a cup
 * of other colours around it, light falling off to one side, Gaussian noise.
 */
export function photograph(page: Img, quad: Quad, W: number, H: number, rand: () => number, noise = 6): Img {
  const out = newImg(W, H, 0);
  const o = out.data;
  // The desk: brown with a wood-grain ripple.
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const i = (y * W + x) * 4;
    const grain = 14 * Math.sin(y * 0.09 + 3 * Math.sin(x * 0.013));
    o[i] = 120 + grain; o[i + 1] = 84 + grain * 0.8; o[i + 2] = 52 + grain * 0.5; o[i + 3] = 255;
  }
  // Clutter: coloured or dark shapes, and pale-grey paper that is still darker than the page.
  for (let k = 0; k < 14; k++) {
    const cx = rand() * W, cy = rand() * H, rx = 20 + rand() * W * 0.12, ry = 10 + rand() * H * 0.12;
    const round = rand() < 0.5;
    const pale = rand() < 0.25;
    const c = pale ? [175, 172, 168] : [40 + rand() * 200, 40 + rand() * 200, 40 + rand() * 200].map((v, i, a) => (i === 0 && Math.max(...a) - Math.min(...a) < 60 ? Math.min(255, v * 0.5) : v));
    for (let y = Math.max(0, Math.floor(cy - ry)); y < Math.min(H, cy + ry); y++) for (let x = Math.max(0, Math.floor(cx - rx)); x < Math.min(W, cx + rx); x++) {
      if (round && ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 > 1) continue;
      const i = (y * W + x) * 4;
      o[i] = c[0]!; o[i + 1] = c[1]!; o[i + 2] = c[2]!;
    }
  }
  // The page, 2×2 supersampled so its edges are anti-aliased where they truly are.
  const back = homography(quad, [{ x: 0, y: 0 }, { x: page.width, y: 0 }, { x: page.width, y: page.height }, { x: 0, y: page.height }]);
  const pd = page.data, pw = page.width, ph = page.height;
  const minX = Math.max(0, Math.floor(Math.min(...quad.map((p) => p.x))) - 1), maxX = Math.min(W - 1, Math.ceil(Math.max(...quad.map((p) => p.x))) + 1);
  const minY = Math.max(0, Math.floor(Math.min(...quad.map((p) => p.y))) - 1), maxY = Math.min(H - 1, Math.ceil(Math.max(...quad.map((p) => p.y))) + 1);
  for (let y = minY; y <= maxY; y++) for (let x = minX; x <= maxX; x++) {
    const i = (y * W + x) * 4;
    const acc = [0, 0, 0];
    for (const [dx, dy] of [[-0.25, -0.25], [0.25, -0.25], [-0.25, 0.25], [0.25, 0.25]] as const) {
      const p = apply(back, { x: x + dx, y: y + dy });
      if (p.x >= 0 && p.y >= 0 && p.x < pw && p.y < ph) {
        const j = (Math.floor(p.y) * pw + Math.floor(p.x)) * 4;
        for (let c = 0; c < 3; c++) acc[c]! += pd[j + c]!;
      } else {
        for (let c = 0; c < 3; c++) acc[c]! += o[i + c]!;
      }
    }
    for (let c = 0; c < 3; c++) o[i + c] = acc[c]! / 4;
  }
  // Light falling off to the right and bottom, and noise.
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const i = (y * W + x) * 4;
    const light = 1 - 0.18 * (x / W) - 0.08 * (y / H);
    for (let c = 0; c < 3; c++) {
      const g = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      o[i + c] = o[i + c]! * light + noise * g;
    }
  }
  return out;
}

/** The photo out of focus: a box blur of radius r on each channel (twice: close to a Gaussian). */
export function defocus(img: Img, r: number): Img {
  const { width: w, height: h } = img;
  let src = img.data;
  for (let pass = 0; pass < 4; pass++) {
    const horizontal = pass % 2 === 0;
    const out = new Uint8ClampedArray(src.length);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = -r; k <= r; k++) {
          const xx = horizontal ? Math.min(w - 1, Math.max(0, x + k)) : x, yy = horizontal ? y : Math.min(h - 1, Math.max(0, y + k));
          s += src[(yy * w + xx) * 4 + c]!;
        }
        out[i + c] = s / (2 * r + 1);
      }
      out[i + 3] = 255;
    }
    src = out;
  }
  return { width: w, height: h, data: src };
}
