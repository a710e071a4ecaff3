// The photo with the sheet's four corners as draggable handles (pointer events,
// 48 px touch targets, arrow keys too) and the outline of the area they enclose.

import { useRef } from 'preact/hooks';
import { isConvex, type Pt, type Quad } from './geometry';
import { st, type ScanKey } from './messages';

interface Props {
  url: string;
  width: number;
  height: number;
  quad: Quad;
  onChange: (q: Quad) => void;
}

export function CornerEditor({ url, width, height, quad, onChange }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const drag = useRef<{ i: number; id: number } | null>(null);

  const toImage = (e: PointerEvent): Pt => {
    const r = box.current!.getBoundingClientRect();
    return {
      x: Math.max(0, Math.min(width - 1, ((e.clientX - r.left) / r.width) * width)),
      y: Math.max(0, Math.min(height - 1, ((e.clientY - r.top) / r.height) * height)),
    };
  };
  const moveTo = (i: number, p: Pt) => {
    const next = quad.map((q, k) => (k === i ? p : q)) as Quad;
    if (isConvex(next)) onChange(next); // a crossed outline cannot be flattened: the handle stops
  };

  const down = (i: number) => (e: PointerEvent) => {
    e.preventDefault();
    (e.currentTarget as Element).setPointerCapture(e.pointerId);
    drag.current = { i, id: e.pointerId };
  };
  const move = (e: PointerEvent) => {
    const d = drag.current;
    if (d && d.id === e.pointerId) moveTo(d.i, toImage(e));
  };
  const up = (e: PointerEvent) => {
    if (drag.current?.id === e.pointerId) drag.current = null;
  };
  const key = (i: number) => (e: KeyboardEvent) => {
    const step = (e.shiftKey ? 20 : 4) * (width / (box.current?.clientWidth || width));
    const d: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const v = d[e.key];
    if (!v) return;
    e.preventDefault();
    const p = quad[i]!;
    moveTo(i, { x: Math.max(0, Math.min(width - 1, p.x + v[0] * step)), y: Math.max(0, Math.min(height - 1, p.y + v[1] * step)) });
  };

  return (
    <div class="scan-stage" ref={box} style={{ aspectRatio: `${width} / ${height}`, width: `min(100%, ${((68 * width) / height).toFixed(2)}vh)` }}>
      <img src={url} alt={st('scan.edit.photo')} draggable={false} />
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" aria-hidden="true">
        <polygon points={quad.map((p) => `${p.x},${p.y}`).join(' ')} />
      </svg>
      {quad.map((p, i) => (
        <button
          key={i}
          type="button"
          class={`handle c${i}`}
          data-corner={i}
          aria-label={`${st(`scan.corner.${i}` as ScanKey)}(${st('scan.corner_hint')})`}
          style={{ left: `${(p.x / width) * 100}%`, top: `${(p.y / height) * 100}%` }}
          onPointerDown={down(i)}
          onPointerMove={move}
          onPointerUp={up}
          onPointerCancel={up}
          onKeyDown={key(i)}
        />
      ))}
    </div>
  );
}
