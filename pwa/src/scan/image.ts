// Pixels for the scanner, on ImageData-like objects so the same code runs in the
// browser (decoded by a canvas) and in node (the tests' synthetic photographs).

/** RGBA, 8 bits a channel, rows top to bottom (the shape of a canvas ImageData). */
export interface Img { width: number; height: number; data: Uint8ClampedArray }
/** One channel of floats (luminance 0–255, or anything else per pixel). */
export interface Gray { width: number; height: number; data: Float32Array }

export function newImg(width: number, height: number, fill = 255): Img {
  const data = new Uint8ClampedArray(width * height * 4).fill(fill);
  return { width, height, data };
}

export const newGray = (width: number, height: number): Gray => ({ width, height, data: new Float32Array(width * height) });

/** Rec. 601 luminance of every pixel. */
export function luminance(img: Img): Gray {
  const g = newGray(img.width, img.height);
  const d = img.data;
  for (let i = 0, j = 0; j < g.data.length; i += 4, j++) g.data[j] = 0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!;
  return g;
}

/**
 * A smaller copy by area averaging: `scale` (≤ 1) of the size. Each source pixel adds
 * to the output pixel it falls in; also gives the chroma (max − min of R, G, B).
 */
export function shrink(img: Img, scale: number): { lum: Gray; chroma: Gray } {
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const lum = newGray(w, h);
  const chroma = newGray(w, h);
  const count = new Float32Array(w * h);
  const sx = w / img.width, sy = h / img.height;
  const d = img.data;
  for (let y = 0; y < img.height; y++) {
    const oy = Math.min(h - 1, Math.floor(y * sy)) * w;
    for (let x = 0; x < img.width; x++) {
      const i = (y * img.width + x) * 4;
      const r = d[i]!, g = d[i + 1]!, b = d[i + 2]!;
      const o = oy + Math.min(w - 1, Math.floor(x * sx));
      lum.data[o]! += 0.299 * r + 0.587 * g + 0.114 * b;
      chroma.data[o]! += Math.max(r, g, b) - Math.min(r, g, b);
      count[o]! += 1;
    }
  }
  for (let o = 0; o < count.length; o++) {
    lum.data[o]! /= count[o]!;
    chroma.data[o]! /= count[o]!;
  }
  return { lum, chroma };
}

/** Box blur of radius r (separable, edges clamped). */
export function boxBlur(g: Gray, r: number): Gray {
  const { width: w, height: h } = g;
  const tmp = new Float32Array(w * h);
  const out = newGray(w, h);
  const n = 2 * r + 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) s += g.data[y * w + Math.min(w - 1, Math.max(0, x + k))]!;
      tmp[y * w + x] = s / n;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) s += tmp[Math.min(h - 1, Math.max(0, y + k)) * w + x]!;
      out.data[y * w + x] = s / n;
    }
  }
  return out;
}

/** The value at a real position (pixel centres at integers), bilinear; outside → `outside`. */
export function sample(g: Gray, x: number, y: number, outside = 0): number {
  const { width: w, height: h, data } = g;
  if (x < 0 || y < 0 || x > w - 1 || y > h - 1) return outside;
  const x0 = Math.min(w - 2, Math.floor(x)), y0 = Math.min(h - 2, Math.floor(y));
  const fx = x - x0, fy = y - y0;
  const i = y0 * w + x0;
  return (data[i]! * (1 - fx) + data[i + 1]! * fx) * (1 - fy) + (data[i + w]! * (1 - fx) + data[i + w + 1]! * fx) * fy;
}

/** Otsu's threshold of values 0–255: the split that best separates two classes. */
export function otsu(values: Float32Array): number {
  const hist = new Float64Array(256);
  for (const v of values) hist[Math.max(0, Math.min(255, Math.round(v)))]! += 1;
  const total = values.length;
  let sum = 0;
  for (let i = 0; i < 256; i++) sum += i * hist[i]!;
  let sumB = 0, wB = 0, best = 0, at = 127;
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const mB = sumB / wB, mF = (sum - sumB) / wF;
    const between = wB * wF * (mB - mF) ** 2;
    if (between > best) {
      best = between;
      at = t;
    }
  }
  return at;
}
