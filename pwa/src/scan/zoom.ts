// Zoom and pan of the document viewer: a scale and an offset of the page in its frame.

export interface View { s: number; x: number; y: number }
export const FIT: View = { s: 1, x: 0, y: 0 };
export const MAX_ZOOM = 6;

/** The view after zooming by `f` around the point (cx, cy) of the frame, kept inside it. */
export function zoomAt(v: View, f: number, cx: number, cy: number, w: number, h: number): View {
  const s = Math.max(1, Math.min(MAX_ZOOM, v.s * f));
  const k = s / v.s;
  return clampView({ s, x: cx - (cx - v.x) * k, y: cy - (cy - v.y) * k }, w, h);
}

/** No empty band beside a zoomed page: its scaled box always covers the frame. */
export function clampView(v: View, w: number, h: number): View {
  if (v.s <= 1) return FIT;
  return { s: v.s, x: Math.min(0, Math.max(w - w * v.s, v.x)), y: Math.min(0, Math.max(h - h * v.s, v.y)) };
}

