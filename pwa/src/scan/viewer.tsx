// A scanned document's pages, one at a time: previous/next, "page n / N", a strip of
// thumbnails, and zoom by pinching (two pointers), dragging to pan when zoomed,
// double-tap or buttons. Loaded on first use from the record view.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { LocalRecord } from '../state';
import { st, type ScanKey } from './messages';
import { DOCUMENT_TYPES } from './pages';
import { FIT, MAX_ZOOM, clampView, zoomAt, type View } from './zoom';
import './scan.css';

export function DocumentViewer({ record }: { record: LocalRecord }) {
  const ids = record.attachment_ids ?? [];
  const title = record.fields?.title ?? '';
  const type = record.fields?.document_type;
  const [n, setN] = useState(0);
  const [view, setView] = useState<View>(FIT);
  const frame = useRef<HTMLDivElement>(null);
  const pointers = useRef(new Map<number, { x: number; y: number }>());
  const lastTap = useRef(0);

  useEffect(() => setView(FIT), [n]);
  if (!ids.length) return null;
  const at = Math.min(n, ids.length - 1);
  const go = (k: number) => setN(Math.max(0, Math.min(ids.length - 1, k)));
  const size = () => {
    const r = frame.current!.getBoundingClientRect();
    return { r, w: r.width, h: r.height };
  };

  const down = (e: PointerEvent) => {
    frame.current!.setPointerCapture(e.pointerId);
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.current.size === 1 && e.pointerType !== 'mouse') {
      const now = Date.now();
      if (now - lastTap.current < 300) {
        const { r, w, h } = size();
        setView((v) => (v.s > 1 ? FIT : zoomAt(v, 2.5, e.clientX - r.left, e.clientY - r.top, w, h)));
      }
      lastTap.current = now;
    }
  };
  const moved = (e: PointerEvent) => {
    const ps = pointers.current;
    const prev = ps.get(e.pointerId);
    if (!prev) return;
    const { r, w, h } = size();
    if (ps.size === 2) {
      const [a, b] = [...ps.entries()].map(([id, p]) => (id === e.pointerId ? { x: e.clientX, y: e.clientY } : p));
      const [pa, pb] = [...ps.values()];
      const before = Math.hypot(pa!.x - pb!.x, pa!.y - pb!.y), after = Math.hypot(a!.x - b!.x, a!.y - b!.y);
      const mid = { x: (a!.x + b!.x) / 2 - r.left, y: (a!.y + b!.y) / 2 - r.top };
      const pmid = { x: (pa!.x + pb!.x) / 2 - r.left, y: (pa!.y + pb!.y) / 2 - r.top };
      if (before > 0) {
        setView((v) => {
          const z = zoomAt(v, after / before, pmid.x, pmid.y, w, h);
          return clampView({ ...z, x: z.x + mid.x - pmid.x, y: z.y + mid.y - pmid.y }, w, h);
        });
      }
    } else if (ps.size === 1) {
      const dx = e.clientX - prev.x, dy = e.clientY - prev.y;
      setView((v) => clampView({ ...v, x: v.x + dx, y: v.y + dy }, w, h));
    }
    ps.set(e.pointerId, { x: e.clientX, y: e.clientY });
  };
  const up = (e: PointerEvent) => {
    pointers.current.delete(e.pointerId);
  };
  const zoomBy = (f: number) => {
    const { w, h } = size();
    setView((v) => zoomAt(v, f, w / 2, h / 2, w, h));
  };
  const typeLabel = type && (DOCUMENT_TYPES as readonly string[]).includes(type) ? st(`scan.type.${type}` as ScanKey) : '';

  return (
    <section class="doc-viewer card" aria-labelledby="doc-h">
      <h2 id="doc-h">{title || st('viewer.title')}{typeLabel && <span class="tag">{typeLabel}</span>}</h2>
      {record.pending && <p class="notice">{st('viewer.pending')}</p>}
      <div class="doc-nav">
        <button type="button" class="prev" onClick={() => go(at - 1)} disabled={at === 0}>{st('viewer.prev')}</button>
        <span class="count" role="status" aria-live="polite">{st('scan.page_of', { n: at + 1, total: ids.length })}</span>
        <button type="button" class="next" onClick={() => go(at + 1)} disabled={at === ids.length - 1}>{st('viewer.next')}</button>
        <span class="grow" />
        <button type="button" aria-label={st('viewer.zoom_out')} onClick={() => zoomBy(1 / 1.5)} disabled={view.s <= 1}>−</button>
        <button type="button" aria-label={st('viewer.zoom_in')} onClick={() => zoomBy(1.5)} disabled={view.s >= MAX_ZOOM}>＋</button>
        <button type="button" onClick={() => setView(FIT)} disabled={view.s === 1}>{st('viewer.zoom_reset')}</button>
      </div>
      <div class="doc-page" ref={frame} onPointerDown={down} onPointerMove={moved} onPointerUp={up} onPointerCancel={up}
        onKeyDown={(e) => { if (e.key === 'ArrowLeft') go(at - 1); if (e.key === 'ArrowRight') go(at + 1); }}
        tabIndex={0} role="group" aria-roledescription={st('viewer.title')} aria-label={st('scan.page_of', { n: at + 1, total: ids.length })}>
        <img key={ids[at]} data-page={at + 1} data-attachment={ids[at]} src={`/api/v1/attachments/${ids[at]}?redirect=1`}
          alt={st('viewer.page_alt', { title, n: at + 1 })} draggable={false}
          style={{ transform: `translate(${view.x}px, ${view.y}px) scale(${view.s})` }} />
      </div>
      <p class="muted">{st('viewer.pinch')}</p>
      {ids.length > 1 && (
        <ol class="doc-thumbs">
          {ids.map((id, i) => (
            <li key={id}>
              <button type="button" aria-current={i === at ? 'true' : undefined} aria-label={st('scan.page', { n: i + 1 })} onClick={() => go(i)}>
                <img loading="lazy" alt="" src={`/api/v1/attachments/${id}/thumbnail?redirect=1`} />
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
