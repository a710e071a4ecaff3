// Care-plan data (ケアプランデータ連携), in the visiting nurse's app on an iPad-sized
// Chromium against the demo region: a care manager's office sends the station the
// month's 第6表 予定 file (made here, in MS932, from the standard's columns), and
//   a. the nurse opens ケアプラン取込 from her week, chooses the file, and sees what
//      importing does: the visits per day and time for her patients, and the rows it
//      does not import with the reason (an unknown 被保険者番号, 福祉用具貸与)
//   b. 取り込む: the visits are on her calendar (her week)
//   c. the same file again changes nothing (API)
//   d. one visit done, the month's 実績 file (UPJSK_…CSV) carries it, in MS932
// Screens are screenshotted into test-artifacts/screenshots/careplan/ and checked with
// axe-core; the round trip's files are kept in test-artifacts/careplan/.
// Env: E2E_BASE_URL, E2E_ARTIFACTS, CHROMIUM, E2E_STATE.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '../lib/client.mjs';
import { launch, settled, signInUI } from '../lib/browser.mjs';
import { axe, check, controlled, harness, tokyoDay, until } from '../lib/harness.mjs';

const BASE = process.env.E2E_BASE_URL;
const ART = process.env.E2E_ARTIFACTS || new URL('../../../test-artifacts', import.meta.url).pathname;
const SHOTS = join(ART, 'screenshots', 'careplan');
const FILES = join(ART, 'careplan');
const PASSWORD = 'tsunagu-demo-2026';
const PIN = '4813';
if (!BASE) throw new Error('run through scripts/e2e.sh (E2E_BASE_URL)');

// The demo region's fictional numbers (internal/demo/careplan.go).
const CM_OFFICE = '1379900001'; // あおば居宅介護支援事業所
const STATION_OFFICE = '1369900002'; // ひまわり訪問看護ステーション
const INSURER = '139998';

// The 第6表 columns (internal/careplan/columns.go, the standard's 4.1 layout): 1 CSVバージョン,
// 2 保険者番号, 3 被保険者番号, 4 作成年月日, 5 対象年月, 6 プラン担当業者コード, 7 プラン担当者名,
// 8 単位数, 9 前月までの短期入所利用日数, 10 サービス利用日, 11 日割対象日, 12 サービス開始時刻,
// 13 サービス終了時刻, 14 サービス回数, 15 サービスコード, 16 TAISコード, 17 福祉用具届出コード,
// 18 用具名称, 19 明細判別コード, 20 サービス事業者コード, 21 サービス事業所名, 22 サテライト枝番,
// 23 ３０日超区分, 24 更新業者コード, 25 識別子: one row per service code per day of use.
// Node encodes only UTF-8, so the office name is given as its MS932 bytes.
const MS932 = {
  'ひまわり訪問看護': Buffer.from('82d082dc82ed82e8964b96e28ac58cec', 'hex'),
};
function rows({ insured, month, code = '131211', start, end, days, provider = STATION_OFFICE }) {
  return Buffer.concat(days.map((d) => {
    const f = ['202407', INSURER, insured, `${month}01`, month, CM_OFFICE, '', '823', '', `${month}${String(d).padStart(2, '0')}`, '',
      start, end, '1', code, '', '', '', '', provider, '@', '', '0', CM_OFFICE, ''];
    const [before, after] = f.join(',').split('@');
    return Buffer.concat([Buffer.from(before + '"', 'latin1'), MS932['ひまわり訪問看護'], Buffer.from('"' + after + '\r\n', 'latin1')]);
  }));
}

await mkdir(SHOTS, { recursive: true });
await mkdir(FILES, { recursive: true });
const { results, open, step, shoot } = harness(SHOTS);
const problems = [];
async function screen(page, name) {
  await shoot(page, name);
  problems.push(...(await axe(page, name)));
}

let failed = false;
try {
  const nurse = await step('the station nurse signs in through the API', () => new Client(BASE).signIn('demo.nurse', PASSWORD));
  // Next month: every day of it is still to come.
  const today = tokyoDay();
  const [y, m] = today.split('-').map(Number);
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  const yyyymm = next.replace('-', '');

  const { a, b } = await step('two of her patients with their 介護保険 numbers (API)', async () => {
    const { patients } = await nurse.req('GET', '/patients', undefined, { expect: 200 });
    const mine = patients.filter((p) => p.consent === 'full' && p.insured_number && p.insurer_number === INSURER);
    check(mine.length >= 2, `patients with numbers: ${mine.length}`);
    return { a: mine[0], b: mine[1] };
  });

  const name = `UPPLAN_${yyyymm}_${CM_OFFICE}_43_${STATION_OFFICE}_13_${today.replaceAll('-', '')}090000.CSV`;
  const file = Buffer.concat([
    rows({ insured: a.insured_number, month: yyyymm, start: '1000', end: '1030', days: [5, 12, 19] }),
    rows({ insured: b.insured_number, month: yyyymm, code: '131311', start: '1400', end: '1500', days: [8] }),
    rows({ insured: '9900009999', month: yyyymm, start: '0900', end: '0930', days: [6] }),
    rows({ insured: a.insured_number, month: yyyymm, code: '171001', start: '9999', end: '9999', days: [1] }),
  ]);
  const planPath = join(FILES, name);
  await writeFile(planPath, file);

  const app = await launch({ base: BASE });
  open.push(app);
  const page = app.page;
  await step('the nurse signs in to the app (PIN) and syncs', async () => {
    await signInUI(page, 'demo.nurse', PASSWORD, PIN);
    await controlled(page, PIN);
    await settled(page);
  });

  await step('a. from her week to ケアプラン取込: the file is previewed, with the rows it does not import', async () => {
    await page.evaluate(() => { location.hash = '#/calendar'; });
    await page.click('.careplan-entry a');
    await page.waitForSelector('#cp-h');
    await page.setInputFiles('input[name=careplan_file]', planPath);
    await page.click('button:has-text("内容を確認")');
    await page.waitForSelector('table.careplan-slots', { timeout: 15000 });
    const rows = await page.locator('table.careplan-slots tbody tr').allTextContents();
    check(rows.length === 4, `slots: ${rows.length}: ${rows.join(' | ')}`);
    check(rows.filter((r) => r.includes(a.name) && r.includes('訪問看護（131211）') && r.includes('新規')).length === 3, `patient A's rows: ${rows.join(' | ')}`);
    check(rows.some((r) => r.includes(b.name) && r.includes('訪問看護（131311）') && /14:00/.test(r)), `patient B's row: ${rows.join(' | ')}`);
    const un = await page.locator('table.careplan-unmatched tbody tr').allTextContents();
    check(un.length === 2 && un.some((r) => r.includes('9900009999') && r.includes('担当にいません')) && un.some((r) => r.includes('福祉用具貸与（171001）') && r.includes('日時がない')),
      `unmatched: ${un.join(' | ')}`);
    await screen(page, 'preview');
    await page.locator('table.careplan-unmatched').evaluate((e) => e.scrollIntoView({ block: 'center' }));
    await shoot(page, 'preview-unmatched');
  });

  await step('b. 取り込む: the visits are hers, on her week', async () => {
    await page.click('button:has-text("取り込む")');
    await page.waitForSelector('.done-msg', { timeout: 15000 });
    check(/新しく作成 4件/.test(await page.textContent('.done-msg')), `done: ${await page.textContent('.done-msg')}`);
    await screen(page, 'imported');
    const { visits } = await nurse.req('GET', `/me/visits?from=${next}-01&to=${next}-28`, undefined, { expect: 200 });
    const ours = visits.filter((v) => v.note?.startsWith('訪問看護（13'));
    check(ours.length === 4 && ours.every((v) => v.kind === 'nurse_visit' && v.assignee_ids.includes(nurse.me.id)), `her visits: ${JSON.stringify(ours)}`);
    // Her week of the 12th, on the device after sync.
    await page.evaluate(() => { location.hash = '#/calendar'; });
    await settled(page);
    const day = `${next}-12`;
    const monOf = (d) => { const t = new Date(`${d}T12:00:00+09:00`); return tokyoDay(new Date(t.getTime() - ((t.getUTCDay() + 6) % 7) * 86400000)); };
    const weeks = Math.round((Date.parse(`${monOf(day)}T12:00:00+09:00`) - Date.parse(`${monOf(today)}T12:00:00+09:00`)) / (7 * 86400000));
    for (let i = 0; i < weeks; i++) await page.click('.cal-nav button[aria-label="次の週"]');
    const v12 = ours.find((v) => v.starts_at.startsWith(day));
    await until(async () => (await page.locator(`a.visit-chip[href*="${v12.id}"]`).count()) === 1, 'the imported visit on her week', 30000);
    await page.locator(`a.visit-chip[href*="${v12.id}"]`).evaluate((e) => e.scrollIntoView({ block: 'center' }));
    await screen(page, 'nurse-week');
    return ours;
  });

  const send = (path) => fetch(`${BASE}/api/v1${path}?filename=${encodeURIComponent(name)}`, {
    method: 'POST', headers: { Cookie: nurse.cookie, 'Content-Type': 'text/csv', Accept: 'application/json' }, body: file,
  }).then(async (r) => ({ status: r.status, body: await r.json() }));

  await step('c. the same file again changes nothing (API)', async () => {
    const r = await send('/careplan/plans');
    check(r.status === 200 && r.body.created === 0 && r.body.kept === 4 && r.body.cancelled === 0, `again: ${JSON.stringify(r.body).slice(0, 300)}`);
  });

  await step('d. one visit done: the 実績 file carries it, in MS932', async () => {
    const { visits } = await nurse.req('GET', `/me/visits?from=${next}-05&to=${next}-05`, undefined, { expect: 200 });
    const v = visits.find((x) => x.note === '訪問看護（131211）');
    await nurse.req('PATCH', `/visits/${v.id}`, { base_version: v.version, status: 'done' }, { expect: 200 });
    const res = await fetch(`${BASE}/api/v1/careplan/actuals?month=${next}&to=${CM_OFFICE}&service_type=13`, { headers: { Cookie: nurse.cookie } });
    check(res.status === 200, `export: ${res.status}`);
    const disp = res.headers.get('content-disposition');
    const out = /filename="(UPJSK_[0-9_]+\.CSV)"/.exec(disp)?.[1];
    check(out && out.startsWith(`UPJSK_${yyyymm}_${STATION_OFFICE}_13_${CM_OFFICE}_43_`), `file name: ${disp}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    await writeFile(join(FILES, out), bytes);
    const text = new TextDecoder('shift_jis').decode(bytes);
    // サービス事業所名 (No.21) is the station's name, quoted free text in MS932.
    const cols = text.trim().split('\r\n').map((l) => l.split(','));
    check(cols.length === 1 && cols[0].length === 25 && cols[0][2] === a.insured_number && cols[0][9] === `${yyyymm}05` && cols[0][11] === '1000' &&
      cols[0][13] === '1' && cols[0][14] === '131211' && cols[0][19] === STATION_OFFICE && cols[0][20].startsWith('"') && cols[0][23] === STATION_OFFICE,
      `実績: ${text}`);
    console.log(`  予定 ${name}:\n${new TextDecoder('shift_jis').decode(file)}  実績 ${out}:\n${text}`);
    // The export list on the screen.
    await page.evaluate((h) => { location.hash = h; }, `#/careplan/${next}`);
    await page.waitForSelector('.careplan-offices li', { timeout: 15000 });
    check(/実績 1件/.test(await page.textContent('.careplan-offices li')), `offices: ${await page.textContent('.careplan-offices')}`);
    await page.locator('.careplan-export').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await screen(page, 'export');
  });

  check(problems.length === 0, `screens with problems:\n${problems.join('\n')}`);
} catch (e) {
  failed = true;
  console.log(e.stack ?? e);
} finally {
  for (const o of open) await o.close().catch(() => undefined);
  console.log(results.join('\n'));
}
process.exit(failed ? 1 : 0);
