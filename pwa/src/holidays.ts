// Japanese public holidays (国民の祝日), computed by the rules of the 祝日法 as in
// force since 2022, so the calendar knows them offline and in any year:
// fixed days, the Mondays of the Happy Monday system, the equinoxes (by the
// usual approximation of the astronomical tables, valid 1980–2099),
// 振替休日 (a holiday on a Sunday moves its rest to the next day that is not a
// holiday) and 国民の休日 (a day between two holidays). The one-off moves of
// 2019–2021 (the enthronement, the Olympics) are not modelled. holidays.test.ts
// checks 2024–2027 against the Cabinet Office's official lists.

import { addDays, weekdayIndex } from './calendar';

type Name = readonly [ja: string, en: string];

const FIXED: Record<string, Name> = {
  '01-01': ['元日', "New Year's Day"],
  '02-11': ['建国記念の日', 'National Foundation Day'],
  '02-23': ['天皇誕生日', "Emperor's Birthday"],
  '04-29': ['昭和の日', 'Showa Day'],
  '05-03': ['憲法記念日', 'Constitution Memorial Day'],
  '05-04': ['みどりの日', 'Greenery Day'],
  '05-05': ['こどもの日', "Children's Day"],
  '08-11': ['山の日', 'Mountain Day'],
  '11-03': ['文化の日', 'Culture Day'],
  '11-23': ['勤労感謝の日', 'Labour Thanksgiving Day'],
};

/** [month, which Monday, name]: the Happy Monday holidays. */
const MONDAYS: [number, number, Name][] = [
  [1, 2, ['成人の日', 'Coming of Age Day']],
  [7, 3, ['海の日', 'Marine Day']],
  [9, 3, ['敬老の日', 'Respect for the Aged Day']],
  [10, 2, ['スポーツの日', 'Sports Day']],
];

const SPRING: Name = ['春分の日', 'Vernal Equinox Day'];
const AUTUMN: Name = ['秋分の日', 'Autumnal Equinox Day'];
const SUBSTITUTE: Name = ['振替休日', 'Substitute holiday'];
const CITIZENS: Name = ['国民の休日', "Citizens' holiday"];

const pad = (n: number) => String(n).padStart(2, '0');
const ymd = (y: number, m: number, d: number) => `${y}-${pad(m)}-${pad(d)}`;

/** The day of the month of the vernal (20.8431) or autumnal (23.2488) equinox in year y. */
function equinox(y: number, base: number): number {
  return Math.floor(base + 0.242194 * (y - 1980) - Math.floor((y - 1980) / 4));
}

const cache = new Map<number, Map<string, Name>>();

/** The holidays of year y (YYYY-MM-DD → [ja, en] name), sorted by day. */
export function holidaysOf(y: number): Map<string, Name> {
  const hit = cache.get(y);
  if (hit) return hit;
  const base = new Map<string, Name>();
  for (const [md, name] of Object.entries(FIXED)) base.set(`${y}-${md}`, name);
  for (const [m, nth, name] of MONDAYS) {
    const first = ymd(y, m, 1);
    base.set(addDays(first, ((7 - weekdayIndex(first)) % 7) + (nth - 1) * 7), name);
  }
  base.set(ymd(y, 3, equinox(y, 20.8431)), SPRING);
  base.set(ymd(y, 9, equinox(y, 23.2488)), AUTUMN);
  const all = new Map(base);
  for (const d of base.keys()) {
    // 国民の休日: a weekday between two holidays (a Sunday is a rest day anyway).
    const next = addDays(d, 2);
    const between = addDays(d, 1);
    if (base.has(next) && !base.has(between) && weekdayIndex(between) !== 6) all.set(between, CITIZENS);
  }
  for (const d of base.keys()) {
    if (weekdayIndex(d) !== 6) continue;
    let s = addDays(d, 1);
    while (all.has(s)) s = addDays(s, 1);
    all.set(s, SUBSTITUTE);
  }
  const sorted = new Map([...all].sort(([a], [b]) => (a < b ? -1 : 1)));
  cache.set(y, sorted);
  return sorted;
}

/** The name of the holiday on `day` (YYYY-MM-DD) in `lang`, or undefined. */
export function holidayName(day: string, lang: 'ja' | 'en' = 'ja'): string | undefined {
  const n = holidaysOf(Number(day.slice(0, 4))).get(day);
  return n && n[lang === 'en' ? 1 : 0];
}
