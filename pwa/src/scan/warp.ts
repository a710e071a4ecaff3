// Flattening the sheet: the homography from the output rectangle onto the four
// corners in the photo, each output pixel sampled bilinearly from the photo.

import { clean, type Mode } from './clean';
import { apply, dist, homography, insetQuad, type Quad } from './geometry';
import { newImg, type Img } from './image';

/** The long side of a flattened page (enough for small print; the server keeps ≤ 2048). */
export const PAGE_SIDE = 1600;
const ISO = Math.SQRT2; // A4, A5, B5 (JIS) …: the paper of almost every Japanese form

/**
 * The size of the flattened page: the sides' mean lengths, scaled to `maxSide` on the
 * long side; an aspect within 10% of √2 (A- and B-series paper) is taken as √2, since
 * perspective shortens the far side and a form is almost always such paper.
 */
export function pageSize(q: Quad, maxSide = PAGE_SIDE): { width: number; height: number } {
  const w = (dist(q[0], q[1]) + dist(q[3], q[2])) / 2;
  const h = (dist(q[0], q[3]) + dist(q[1], q[2])) / 2;
  let aspect = h / w; // > 1: portrait
  if (Math.abs(aspect / ISO - 1) < 0.1) aspect = ISO;
  else if (Math.abs((1 / aspect) / ISO - 1) < 0.1) aspect = 1 / ISO;
  const long = Math.min(maxSide, Math.max(w, h));
  return aspect >= 1
    ? { width: Math.max(1, Math.round(long / aspect)), height: Math.max(1, Math.round(long)) }
    : { width: Math.max(1, Math.round(long)), height: Math.max(1, Math.round(long * aspect)) };
}

/** The sheet inside `q` of the photo, flattened to width × height (white outside the photo). */
export function warp(img: Img, q: Quad, width: number, height: number): Img {
  const h = homography([{ x: 0, y: 0 }, { x: width, y: 0 }, { x: width, y: height }, { x: 0, y: height }], q);
  const out = newImg(width, height);
  const { width: W, height: H, data: s } = img;
  const o = out.data;
  for (let y = 0; y < height; y++) {
    // The homography's rows, evaluated incrementally along the output row.
    const v = y + 0.5;
    let nx = h[0]! * 0.5 + h[1]! * v + h[2]!;
    let ny = h[3]! * 0.5 + h[4]! * v + h[5]!;
    let nw = h[6]! * 0.5 + h[7]! * v + h[8]!;
    for (let x = 0; x < width; x++, nx += h[0]!, ny += h[3]!, nw += h[6]!) {
      const px = nx / nw, py = ny / nw;
      const i = (y * width + x) * 4;
      if (px < 0 || py < 0 || px > W - 1 || py > H - 1) continue; // stays white
      const x0 = Math.min(W - 2, Math.floor(px)), y0 = Math.min(H - 2, Math.floor(py));
      const fx = px - x0, fy = py - y0;
      const j = (y0 * W + x0) * 4, jr = j + 4, jd = j + W * 4, jdr = jd + 4;
      for (let c = 0; c < 3; c++) {
        o[i + c] = (s[j + c]! * (1 - fx) + s[jr + c]! * fx) * (1 - fy) + (s[jd + c]! * (1 - fx) + s[jdr + c]! * fx) * fy;
      }
    }
  }
  return out;
}

/** Where a point of the flattened page lies in the photo (for tests and the handles). */
export function toPhoto(q: Quad, width: number, height: number, x: number, y: number) {
  return apply(homography([{ x: 0, y: 0 }, { x: width, y: 0 }, { x: width, y: height }, { x: 0, y: height }], q), { x, y });
}

/**
 * The page as it is kept: flattened to pageSize(), one photo pixel in from the sheet's
 * edge (so no line of desk shows at the border), then cleaned as the user chose.
 */
export function flatten(img: Img, q: Quad, mode: Mode, maxSide = PAGE_SIDE): Img {
  const { width, height } = pageSize(q, maxSide);
  return clean(warp(img, insetQuad(q, 1), width, height), mode);
}
