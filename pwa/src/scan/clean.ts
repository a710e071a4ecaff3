// Making a flattened page easy to read: uneven light removed (greyscale), or clean
// black-and-white by an adaptive threshold (each pixel against its neighbourhood).

import { newImg, type Img } from './image';

export type Mode = 'bw' | 'gray';

/**
 * Greyscale with the paper made white: the background (the brightest values in
 * blocks of ~1/40 of the page, smoothed) divides each pixel, so shadows and a warm
 * light go and the ink keeps its shades.
 */
export function whiten(img: Img): Uint8ClampedArray {
  const { width: w, height: h, data } = img;
  const g = new Float32Array(w * h);
  for (let i = 0, j = 0; j < g.length; i += 4, j++) g[j] = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
  const b = Math.max(4, Math.round(Math.max(w, h) / 40)); // block: wider than a stroke of text
  const bw = Math.ceil(w / b), bh = Math.ceil(h / b);
  // The 90th percentile would be better than the max against noise; the max of a
  // 3×3-averaged value is close and much cheaper.
  const bg = new Float32Array(bw * bh);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      let m = 0;
      for (let y = by * b + 1; y < Math.min(h - 1, (by + 1) * b); y += 2) {
        for (let x = bx * b + 1; x < Math.min(w - 1, (bx + 1) * b); x += 2) {
          const k = y * w + x;
          const v = (g[k]! + g[k - 1]! + g[k + 1]! + g[k - w]! + g[k + w]!) / 5;
          if (v > m) m = v;
        }
      }
      bg[by * bw + bx] = m;
    }
  }
  // A block that is all ink (a big dark area) takes its neighbours' paper: 3×3 max, then a 3×3 mean.
  const grown = new Float32Array(bg.length);
  const smooth = new Float32Array(bg.length);
  const around = (src: Float32Array, f: (vals: number[]) => number, dst: Float32Array) => {
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        const vals: number[] = [];
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx, yy = y + dy;
          if (xx >= 0 && yy >= 0 && xx < bw && yy < bh) vals.push(src[yy * bw + xx]!);
        }
        dst[y * bw + x] = f(vals);
      }
    }
  };
  around(bg, (v) => Math.max(...v), grown);
  around(grown, (v) => v.reduce((s, x) => s + x, 0) / v.length, smooth);
  const out = new Uint8ClampedArray(w * h);
  for (let y = 0; y < h; y++) {
    // Bilinear between block centres.
    const fy = Math.min(bh - 1, Math.max(0, (y + 0.5) / b - 0.5));
    const y0 = Math.min(bh - 2, Math.floor(fy)), ty = bh > 1 ? fy - y0 : 0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(bw - 1, Math.max(0, (x + 0.5) / b - 0.5));
      const x0 = Math.min(bw - 2, Math.floor(fx)), tx = bw > 1 ? fx - x0 : 0;
      const at = (xx: number, yy: number) => smooth[Math.max(0, Math.min(bh - 1, yy)) * bw + Math.max(0, Math.min(bw - 1, xx))]!;
      const paper = (at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx) * (1 - ty) + (at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx) * ty;
      const k = y * w + x;
      out[k] = paper > 8 ? (255 * g[k]!) / paper : g[k]!;
    }
  }
  return out;
}

/**
 * Black-and-white (Bradley–Roth): a pixel is ink when it is `t` darker than the mean
 * of the window around it (1/20 of the page), from an integral image.
 */
export function threshold(g: Uint8ClampedArray, w: number, h: number, t = 0.15): Uint8ClampedArray {
  const sum = new Float64Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += g[y * w + x]!;
      sum[(y + 1) * (w + 1) + x + 1] = sum[y * (w + 1) + x + 1]! + row;
    }
  }
  const r = Math.max(7, Math.round(Math.max(w, h) / 40));
  const out = new Uint8ClampedArray(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r), y1 = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - r), x1 = Math.min(w, x + r + 1);
      const s = sum[y1 * (w + 1) + x1]! - sum[y0 * (w + 1) + x1]! - sum[y1 * (w + 1) + x0]! + sum[y0 * (w + 1) + x0]!;
      const n = (x1 - x0) * (y1 - y0);
      // Pale marks on white paper (above 230 after whitening) are paper, whatever the window says.
      out[y * w + x] = g[y * w + x]! * n < s * (1 - t) && g[y * w + x]! < 230 ? 0 : 255;
    }
  }
  return out;
}

/** The page as the user chose it: clean black-and-white or whitened greyscale. */
export function clean(img: Img, mode: Mode): Img {
  const g = whiten(img);
  const v = mode === 'bw' ? threshold(g, img.width, img.height) : g;
  const out = newImg(img.width, img.height);
  for (let j = 0, i = 0; j < v.length; j++, i += 4) out.data[i] = out.data[i + 1] = out.data[i + 2] = v[j]!;
  return out;
}
