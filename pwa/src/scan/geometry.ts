// Plane geometry of the scanner: points, the sheet's quadrilateral and the
// homography (projective map) between it and the flat page. Pure TypeScript.

export interface Pt { x: number; y: number }
/** The sheet's corners in the photo: top-left, top-right, bottom-right, bottom-left. */
export type Quad = [Pt, Pt, Pt, Pt];
/** A 3×3 matrix, row-major. */
export type Mat3 = number[];

export const dist = (a: Pt, b: Pt): number => Math.hypot(a.x - b.x, a.y - b.y);

/** Solves A x = b (n×n, row-major) by Gaussian elimination with partial pivoting. */
export function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    if (Math.abs(m[p]![c]!) < 1e-12) throw new Error('singular');
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

/** The homography H with H·src[i] ∝ dst[i] for four point pairs (no three collinear). */
export function homography(src: readonly Pt[], dst: readonly Pt[]): Mat3 {
  const a: number[][] = [];
  const b: number[] = [];
  for (let i = 0; i < 4; i++) {
    const { x, y } = src[i]!;
    const { x: u, y: v } = dst[i]!;
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y]);
    b.push(u);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y]);
    b.push(v);
  }
  return [...solve(a, b), 1];
}

export function apply(h: Mat3, p: Pt): Pt {
  const w = h[6]! * p.x + h[7]! * p.y + h[8]!;
  return { x: (h[0]! * p.x + h[1]! * p.y + h[2]!) / w, y: (h[3]! * p.x + h[4]! * p.y + h[5]!) / w };
}

/** Puts four corners in the order top-left, top-right, bottom-right, bottom-left (clockwise on screen). */
export function orderCorners(pts: readonly Pt[]): Quad {
  const cx = pts.reduce((s, p) => s + p.x, 0) / pts.length;
  const cy = pts.reduce((s, p) => s + p.y, 0) / pts.length;
  const byAngle = [...pts].sort((a, b) => Math.atan2(a.y - cy, a.x - cx) - Math.atan2(b.y - cy, b.x - cx));
  // Clockwise on screen (y down) is increasing atan2; start at the corner nearest the top-left.
  let start = 0;
  for (let i = 1; i < 4; i++) if (byAngle[i]!.x + byAngle[i]!.y < byAngle[start]!.x + byAngle[start]!.y) start = i;
  return [0, 1, 2, 3].map((i) => byAngle[(start + i) % 4]!) as Quad;
}

/** The same sheet turned a quarter clockwise: the corner that was bottom-left becomes top-left. */
export const rotateQuad = (q: Quad): Quad => [q[3], q[0], q[1], q[2]];

/** Twice the signed area of a polygon (positive when clockwise on screen). */
export function area2(p: readonly Pt[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]!;
    const b = p[(i + 1) % p.length]!;
    s += a.x * b.y - b.x * a.y;
  }
  return s;
}

/** Whether the quadrilateral is convex and not degenerate (a sheet a homography can flatten). */
export function isConvex(q: Quad): boolean {
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const a = q[i]!, b = q[(i + 1) % 4]!, c = q[(i + 2) % 4]!;
    const z = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
    if (Math.abs(z) < 1e-6) return false;
    if (sign === 0) sign = Math.sign(z);
    else if (Math.sign(z) !== sign) return false;
  }
  return true;
}

/** Convex hull (Andrew's monotone chain), clockwise on screen. */
export function convexHull(points: Pt[]): Pt[] {
  const p = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  if (p.length < 3) return p;
  const cross = (o: Pt, a: Pt, b: Pt) => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  const lower: Pt[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Pt[] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0) upper.pop();
    upper.push(q);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** The four hull vertices spanning the largest quadrilateral (the sheet inside a blob). */
export function largestQuad(hull: Pt[]): Pt[] {
  const n = hull.length;
  if (n <= 4) return hull;
  const tri = (a: Pt, b: Pt, c: Pt) => Math.abs((b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x));
  let best = -1;
  let out: Pt[] = hull.slice(0, 4);
  for (let i = 0; i < n; i++) {
    // For the diagonal i–k the best j (between) and l (after) are each the farthest vertex from it;
    // on a convex polygon they only move forward as k does.
    let j = i + 1;
    let l = i + 3;
    for (let k = i + 2; k < i + n - 1; k++) {
      const A = hull[i]!, K = hull[k % n]!;
      if (j >= k) j = k - 1;
      while (j + 1 < k && tri(A, hull[(j + 1) % n]!, K) >= tri(A, hull[j % n]!, K)) j++;
      if (l <= k) l = k + 1;
      while (l + 1 < i + n && tri(A, hull[(l + 1) % n]!, K) >= tri(A, hull[l % n]!, K)) l++;
      const s = tri(A, hull[j % n]!, K) + tri(A, hull[l % n]!, K);
      if (s > best) {
        best = s;
        out = [A, hull[j % n]!, K, hull[l % n]!];
      }
    }
  }
  return out;
}

/** A line a·x + b·y = c with (a, b) a unit normal. */
export interface Line { a: number; b: number; c: number }

/** The total-least-squares line through points. */
export function fitLine(ps: Pt[]): Line {
  const n = ps.length;
  const mx = ps.reduce((s, p) => s + p.x, 0) / n;
  const my = ps.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (const p of ps) {
    const dx = p.x - mx, dy = p.y - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  // The normal is the eigenvector of the smaller eigenvalue of the scatter matrix.
  const theta = 0.5 * Math.atan2(2 * sxy, sxx - syy); // direction of the line
  const a = -Math.sin(theta), b = Math.cos(theta);
  return { a, b, c: a * mx + b * my };
}

export function intersect(l: Line, m: Line): Pt | undefined {
  const d = l.a * m.b - l.b * m.a;
  if (Math.abs(d) < 1e-9) return undefined;
  return { x: (l.c * m.b - l.b * m.c) / d, y: (l.a * m.c - l.c * m.a) / d };
}

/** The quadrilateral with every side moved `d` inwards (parallel), e.g. off the sheet's very edge. */
export function insetQuad(q: Quad, d: number): Quad {
  const c = { x: (q[0].x + q[1].x + q[2].x + q[3].x) / 4, y: (q[0].y + q[1].y + q[2].y + q[3].y) / 4 };
  const lines = [0, 1, 2, 3].map((i) => {
    const a = q[i]!, b = q[(i + 1) % 4]!;
    const len = dist(a, b) || 1;
    let n = { a: -(b.y - a.y) / len, b: (b.x - a.x) / len };
    if (n.a * (c.x - a.x) + n.b * (c.y - a.y) < 0) n = { a: -n.a, b: -n.b }; // n points inwards
    return { a: n.a, b: n.b, c: n.a * a.x + n.b * a.y + d };
  });
  return q.map((p, i) => intersect(lines[(i + 3) % 4]!, lines[i]!) ?? p) as Quad;
}
