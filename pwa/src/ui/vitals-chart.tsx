import { PANELS, measured, points, scale, summarize, ticks, valueDomain, type Point } from '../chart';
import { formatDateTime, formatShortDate, t, type MessageKey } from '../i18n';
import type { LocalRecord } from '../state';
import { band, formatVital, rangeText, type VitalKey } from '../vitals';

// One inline SVG per vital: the usual range as a band, the values as a line,
// a value outside the range as a larger diamond (shape, not colour alone). Each SVG
// is an image with a spoken summary; the table below holds every value.

const W = 640;
const H = 170;
const PAD = { l: 52, r: 16, t: 12, b: 30 };
/** Marker shapes per series of a panel (blood pressure: systolic ●, diastolic ■). */
const MARK = ['circle', 'square'] as const;

const label = (k: VitalKey) => t(`vital.${k}` as MessageKey);
const short = (k: VitalKey) => t(`chart.${k}` as MessageKey);

function Marker({ p, x, y, shape }: { p: Point; x: number; y: number; shape: (typeof MARK)[number] }) {
  if (p.abnormal) return <path class="mark bad" d={`M${x} ${y - 9}L${x + 9} ${y}L${x} ${y + 9}L${x - 9} ${y}Z`} />;
  return shape === 'circle' ? <circle class="mark" cx={x} cy={y} r={5} /> : <rect class="mark" x={x - 5} y={y - 5} width={10} height={10} />;
}

function spoken(keys: VitalKey[], series: Point[][]): string {
  return keys
    .map((k, i) => {
      const s = summarize(series[i]!);
      if (!s.count) return t('chart.sum_none', { name: short(k) });
      return t('chart.sum', {
        name: short(k), n: s.count, latest: formatVital(k, s.latest!.value), when: formatDateTime(s.latest!.at), min: formatVital(k, s.min!), max: formatVital(k, s.max!),
        range: rangeText(k) || '—', out: s.abnormal,
      });
    })
    .join(' ');
}

function Panel({ id, keys, records, x }: { id: string; keys: VitalKey[]; records: LocalRecord[]; x: (ms: number) => number }) {
  const series = keys.map((k) => points(records, k));
  const dom = valueDomain(keys, series.flat());
  const y = scale(dom[0], dom[1], H - PAD.b, PAD.t);
  const title = keys.length > 1 ? t('chart.bp') : label(keys[0]!);
  const latest = keys.map((k, i) => { const v = series[i]!.at(-1)?.value; return v === undefined ? '—' : formatVital(k, v); }).join(' / ');
  const dates = records.map((r) => r.occurred_at);
  // At most five dates on the axis: the first, the last and some between.
  const every = Math.max(1, Math.ceil(dates.length / 5));
  return (
    <figure class="trend">
      <figcaption aria-hidden="true">
        <strong>{title}</strong> <span class="muted">{t('chart.latest')} {latest}</span>
        {keys.length > 1 && <span class="muted"> ({keys.map((k, i) => `${i ? '■' : '●'} ${short(k)}`).join(' ')})</span>}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-t ${id}-d`} preserveAspectRatio="xMidYMid meet">
        <title id={`${id}-t`}>{t('chart.panel', { name: title })}</title>
        <desc id={`${id}-d`}>{spoken(keys, series)}</desc>
        {keys.map((k) => {
          const b = band(k);
          if (!b) return null;
          const [lo, hi] = b;
          const top = y(Math.min(hi, dom[1]));
          return <rect key={k} class="band" x={PAD.l} width={W - PAD.l - PAD.r} y={top} height={Math.max(0, y(Math.max(lo, dom[0])) - top)} />;
        })}
        {ticks(dom).map((v) => (
          <g key={v} class="grid">
            <line x1={PAD.l} x2={W - PAD.r} y1={y(v)} y2={y(v)} />
            <text x={PAD.l - 6} y={y(v) + 5} text-anchor="end">{v}</text>
          </g>
        ))}
        {dates.map((d, i) => (i % every === 0 || i === dates.length - 1) && (
          <text key={d + i} class="axis" x={x(Date.parse(d))} y={H - 8} text-anchor="middle">{formatShortDate(d)}</text>
        ))}
        {series.map((pts, i) => (
          <g key={keys[i]} class={`line s${i}`}>
            <polyline points={pts.map((p) => `${x(Date.parse(p.at)).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ')} />
            {pts.map((p) => <Marker key={p.recordId} p={p} x={x(Date.parse(p.at))} y={y(p.value)} shape={MARK[i] ?? 'circle'} />)}
          </g>
        ))}
      </svg>
    </figure>
  );
}

/** The vitals trend of a patient's recent records held on this device. */
export function VitalsTrend({ records }: { records: LocalRecord[] }) {
  const rs = measured(records);
  if (rs.length === 0) return <p class="empty">{t('chart.none')}</p>;
  const t0 = Date.parse(rs[0]!.occurred_at);
  const t1 = Date.parse(rs.at(-1)!.occurred_at);
  const x = scale(t0, t1, PAD.l + 14, W - PAD.r - 14);
  const keys = PANELS.flatMap((p) => p.keys);
  return (
    <section class="vitals-trend" aria-labelledby="trend-h">
      <h2 id="trend-h">{t('chart.title', { n: rs.length })}</h2>
      <p class="legend">
        <span class="key band-key" aria-hidden="true" /> {t('chart.legend_band')}
        <svg class="key" viewBox="-10 -10 20 20" aria-hidden="true"><path class="mark bad" d="M0 -9L9 0L0 9L-9 0Z" /></svg> {t('chart.legend_bad')}
      </p>
      <div class="trends">
        {PANELS.map((p) => <Panel key={p.id} id={`trend-${p.id}`} keys={p.keys} records={rs} x={x} />)}
      </div>
      <details>
        <summary>{t('chart.table')}</summary>
        <table class="data">
          <caption class="sr">{t('chart.table')}</caption>
          <thead>
            <tr><th scope="col">{t('chart.when')}</th>{keys.map((k) => <th key={k} scope="col">{label(k)}</th>)}</tr>
          </thead>
          <tbody>
            {[...rs].reverse().map((r) => (
              <tr key={r.id}>
                <th scope="row"><time dateTime={r.occurred_at}>{formatDateTime(r.occurred_at)}</time></th>
                {keys.map((k) => {
                  const p = points([r], k)[0];
                  return (
                    <td key={k} class={p?.abnormal ? 'abnormal' : ''}>
                      {p ? formatVital(k, p.value) : '—'}
                      {p?.abnormal && <><span aria-hidden="true"> ◆</span><span class="sr"> {t('patient.abnormal')}</span></>}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}
