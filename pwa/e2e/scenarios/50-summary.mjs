// The record view and the printable summary (issue 13, slice E), against the demo region:
//   1. the nurse writes a nursing record (vitals, wound, DESIGN-R, excretion, intake)
//      and a two-page document (API); the doctor reads and corrects her record (訂正);
//   2. the nurse's record view labels it 訂正 by the doctor, shows the changed fields
//      (before and after), her 確定 comes after the content; read receipts show the
//      doctor as read and, of those who may read a chart record, nurse2 as not yet
//      (never the care manager or the care worker: no chart access); once nurse2
//      reads it, she moves over; the nurse confirms;
//   3. the summary (#/patients/:id/summary) for a date range: screenshot, axe, the
//      print button calls window.print(); rendered to PDF in Chromium (A4 from the
//      CSS @page) and read back with pdftotext: the patient's name, the records'
//      text and the vitals table's values; offline it still renders from local data.
// Env: E2E_BASE_URL, E2E_ARTIFACTS, CHROMIUM (scripts/e2e.sh).
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, uuidv7 } from '../lib/client.mjs';
import { launch, settled, signInUI } from '../lib/browser.mjs';
import { LANDSCAPE, PORTRAIT, axe, check, controlled, harness, tokyoDay, until } from '../lib/harness.mjs';

const BASE = process.env.E2E_BASE_URL;
const ART = process.env.E2E_ARTIFACTS || new URL('../../../test-artifacts', import.meta.url).pathname;
const SHOTS = join(ART, 'screenshots', 'summary');
const PASSWORD = 'tsunagu-demo-2026';
const PIN = '5012';
if (!BASE) throw new Error('run through scripts/e2e.sh (E2E_BASE_URL)');

const addDays = (day, n) => tokyoDay(new Date(Date.parse(`${day}T12:00:00+09:00`) + n * 86400000));
const squash = (s) => s.replace(/\s+/g, '');
const hasPdftotext = () => {
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

await mkdir(SHOTS, { recursive: true });
const { results, open, step, shoot } = harness(SHOTS);
const axeProblems = [];
async function screen(page, name) {
  await shoot(page, name);
  axeProblems.push(...(await axe(page, name)));
}

let failed = false;
try {
  const doc = await step('doctor, nurse2 and the care manager sign in (API)', () => new Client(BASE).signIn('demo.doctor', PASSWORD));
  const nurse2 = await new Client(BASE).signIn('demo.nurse2', PASSWORD);
  const cm = await new Client(BASE).signIn('demo.caremanager', PASSWORD);
  const nurseApi = await new Client(BASE).signIn('demo.nurse', PASSWORD);

  // A patient under a full consent whose team has both nurses, the doctor, the care manager and the care worker.
  const { patient, team } = await step('find a patient with nurse, nurse2, doctor, care manager and care worker', async () => {
    const { patients } = await cm.req('GET', '/patients', undefined, { expect: 200 });
    for (const p of patients) {
      if (p.consent !== 'full') continue;
      const { members } = await cm.req('GET', `/patients/${p.id}/team`, undefined, { expect: 200 });
      const profs = new Set(members.map((m) => m.profession));
      const ids = new Set(members.map((m) => m.user_id));
      if ([nurseApi, nurse2, doc, cm].every((c) => ids.has(c.me.id)) && profs.has('care_worker')) return { patient: p, team: members };
    }
    throw new Error('no such patient in the demo region');
  });
  const helper = team.find((m) => m.profession === 'care_worker');

  const today = tokyoDay();
  const marker = `E2E要約-${Date.now()}`;
  const earlier = `${addDays(today, -2)}T09:15:00+09:00`;
  const record = await step('1. the nurse writes a nursing record and an earlier one (API)', async () => {
    await nurseApi.req('POST', `/patients/${patient.id}/records`, {
      id: uuidv7(), kind: 'nursing_visit', occurred_at: earlier, text: `${marker} 前回`,
      vitals: { temperature_c: 36.6, pulse: 70, spo2: 97 }, fields: { observations: `${marker} 落ち着いている` },
    }, { expect: 201 });
    return nurseApi.req('POST', `/patients/${patient.id}/records`, {
      id: uuidv7(), kind: 'nursing_visit', occurred_at: `${addDays(today, -1)}T10:40:00+09:00`, text: `${marker} 本文`,
      vitals: { temperature_c: 37, bp_systolic: 132, bp_diastolic: 78, pulse: 88, spo2: 92 },
      fields: { observations: '仙骨部に発赤', wound: '仙骨部 2.0×1.5cm 浅い潰瘍', design_r: 12, excretion: '排尿良好', intake: '全量摂取', plan: '2時間ごとの体位変換' },
    }, { expect: 201 });
  });

  await step('1. the doctor reads the nurse\'s record and corrects it (訂正): wound, DESIGN-R, temperature', async () => {
    const r = await doc.req('POST', `/records/${record.id}/read`, undefined, { raw: true });
    check(r.status < 300, `mark read: ${r.status}`);
    await doc.req('POST', `/records/${record.id}/amendments`, {
      reason: '往診時に再計測', base_version: record.version, text: `${marker} 本文`,
      vitals: { temperature_c: 37.4, bp_systolic: 132, bp_diastolic: 78, pulse: 88, spo2: 92 },
      fields: { observations: '仙骨部に発赤', wound: '仙骨部 2.5×2.0cm 浅い潰瘍', design_r: 15, excretion: '排尿良好', intake: '全量摂取', plan: '2時間ごとの体位変換' },
    }, { expect: 201 });
  });

  const nurse = await launch({ base: BASE });
  open.push(nurse);
  const np = nurse.page;
  await step('2. the nurse signs in in the app', async () => {
    await signInUI(np, 'demo.nurse', PASSWORD, PIN);
    await controlled(np, PIN);
  });

  const view = `#/patients/${patient.id}/records/${record.id}`;
  await step('2. her record view labels the doctor\'s amendment 訂正 and shows what changed, field by field', async () => {
    await np.evaluate((h) => { location.hash = h; }, view);
    await np.waitForSelector('section.changes table.changes-table', { timeout: 30000 });
    const meta = await np.textContent('.record-view p.meta');
    check(/訂正/.test(meta) && !/代行入力/.test(meta), `the record's label: ${meta}`);
    const rows = await np.$$eval('.changes-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent.trim())));
    const byField = Object.fromEntries(rows.map(([f, b, a]) => [f, [b, a]]));
    check(JSON.stringify(byField['褥瘡・創傷の評価']) === JSON.stringify(['仙骨部 2.0×1.5cm 浅い潰瘍', '仙骨部 2.5×2.0cm 浅い潰瘍']), `wound change: ${JSON.stringify(rows)}`);
    check(JSON.stringify(byField['DESIGN-R 2020 合計点']) === JSON.stringify(['12', '15']), `DESIGN-R change: ${JSON.stringify(rows)}`);
    check(JSON.stringify(byField['体温(℃)']) === JSON.stringify(['37.0', '37.4']), `temperature change: ${JSON.stringify(rows)}`);
    check(rows.length === 3, `only the changed fields are listed: ${JSON.stringify(rows)}`);
    check(/往診時に再計測/.test(await np.textContent('section.changes')), 'the reason of the correction');
    // Every field of the kind with its Japanese label.
    const body = await np.textContent('.record-body');
    for (const label of ['観察', '褥瘡・創傷の評価', 'DESIGN-R 2020 合計点', '排泄', '食事・水分摂取', '計画・方針']) check(body.includes(label), `${label} missing from the record: ${body}`);
    // 確定 after the content, not above it.
    const after = await np.evaluate(() => {
      const body = document.querySelector('.record-body');
      const btn = document.querySelector('button.confirm');
      return !!body && !!btn && !!(body.compareDocumentPosition(btn) & Node.DOCUMENT_POSITION_FOLLOWING);
    });
    check(after, 'the 確定 button is not after the record content');
  });

  await step('2. read receipts: the doctor has read it; nurse2 has not; no one without chart access is waited for', async () => {
    // The team and the patient reach the device with the first sync.
    const unread = await until(async () => {
      const u = await np.textContent('.receipt-unread').catch(() => '');
      return u.includes(nurse2.me.name) && u;
    }, 'nurse2 among those who have not read it');
    const read = await np.textContent('.receipt-read');
    check(read.includes(doc.me.name), `read: ${read}`);
    check(unread.includes(nurse2.me.name), `not read yet: ${unread}`);
    for (const who of [cm.me.name, helper.name, nurseApi.me.name]) check(!unread.includes(who) && !read.includes(who), `${who} listed for a chart record: ${read} / ${unread}`);
    await screen(np, 'record-view-correction');
    await np.screenshot({ path: join(SHOTS, 'record-view-full.png'), fullPage: true });
    await np.evaluate(() => document.querySelector('.receipts')?.scrollIntoView());
    await shoot(np, 'record-view-receipts');
  });

  await step('2. once nurse2 reads it she moves to the readers; the nurse confirms (確定)', async () => {
    const r = await nurse2.req('POST', `/records/${record.id}/read`, undefined, { raw: true });
    check(r.status < 300, `mark read: ${r.status}`);
    await np.evaluate(() => { location.hash = '#/today'; });
    await np.evaluate((h) => { location.hash = h; }, view);
    await until(async () => (await np.textContent('.receipt-read').catch(() => '')).includes(nurse2.me.name), 'nurse2 among the readers');
    check(!(await np.textContent('.receipt-unread')).includes(nurse2.me.name), 'nurse2 still listed as not read');
    await np.click('button.confirm');
    await settled(np);
    await until(async () => (await doc.req('GET', `/records/${record.id}`, undefined, { expect: 200 })).confirmed_by === nurseApi.me.id, 'the confirmation on the server');
  });

  // A two-page document with its pages uploaded from the app's session.
  const docTitle = `E2E紹介状-${Date.now()}`;
  await step('3. a two-page referral letter for the summary\'s thumbnails', async () => {
    const ids = [uuidv7(), uuidv7()];
    const statuses = await np.evaluate(async ({ ids, pid }) => {
      const out = [];
      for (const [i, id] of ids.entries()) {
        const c = document.createElement('canvas');
        c.width = 210; c.height = 297;
        const g = c.getContext('2d');
        g.fillStyle = '#fff'; g.fillRect(0, 0, 210, 297); g.fillStyle = '#333';
        for (let y = 30; y < 270; y += 18) g.fillRect(20, y, 150 - (i * 20), 6);
        const blob = await new Promise((r) => c.toBlob(r, 'image/jpeg', 0.9));
        out.push((await fetch(`/api/v1/attachments/${id}?patient_id=${pid}`, { method: 'PUT', headers: { 'Content-Type': 'image/jpeg' }, body: blob })).status);
      }
      return out;
    }, { ids, pid: patient.id });
    check(statuses.every((s) => s === 201), `uploads: ${statuses}`);
    await nurseApi.req('POST', `/patients/${patient.id}/records`, {
      id: uuidv7(), kind: 'document', occurred_at: `${addDays(today, -1)}T11:00:00+09:00`, attachment_ids: ids,
      fields: { title: docTitle, document_type: 'referral' },
    }, { expect: 201 });
  });

  const summary = `#/patients/${patient.id}/summary`;
  await step('3. the patient screen links to the summary; it shows the range\'s records, vitals and documents', async () => {
    await np.evaluate((id) => { location.hash = `#/patients/${id}`; }, patient.id);
    await np.waitForSelector(`a[href="${summary}"]`, { timeout: 30000 });
    await until(async () => (await np.textContent('.timeline').catch(() => '')).includes(`${marker} 本文`), 'the records synced to the device');
    await until(async () => !!(await np.$('.timeline .photos img')), 'the document synced to the device');
    await np.click(`a[href="${summary}"]`);
    await np.waitForSelector('.sum-sheet');
    await np.fill('input[name=from]', addDays(today, -3));
    await np.fill('input[name=to]', today);
    await np.waitForSelector('.sum-vitals');
    const sheet = await np.textContent('.sum-sheet');
    for (const s of [patient.name, `${marker} 本文`, `${marker} 前回`, '37.4', docTitle]) check(sheet.includes(s), `${s} missing from the summary`);
    await until(() => np.$$eval('.sum-docs img', (is) => is.length === 2 && is.every((i) => i.complete && i.naturalWidth > 0)), 'the two page thumbnails');
    await screen(np, 'summary');
    await np.screenshot({ path: join(SHOTS, 'summary-full.png'), fullPage: true });
    // A range the wrong way round cannot be printed.
    await np.fill('input[name=from]', addDays(today, 1));
    await np.waitForSelector('.sum-form .error');
    check(await np.$eval('.sum-form button.primary', (b) => b.disabled), 'printing a reversed range');
    await shoot(np, 'summary-bad-range');
    await np.fill('input[name=from]', addDays(today, -3));
    await np.waitForSelector('.sum-vitals');
  });

  await step('3. the print button prints (window.print)', async () => {
    await np.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++; }; });
    await np.click('.sum-form button.primary');
    await until(() => np.evaluate(() => window.__printed === 1), 'window.print()');
  });

  await step('3. rendered to PDF (A4 from @page) and read back: name, records, vitals table', async () => {
    if (!hasPdftotext()) {
      // scripts/ci-setup.sh installs poppler-utils; under CI it must be there.
      check(process.env.CI !== 'true', 'pdftotext (poppler-utils) is missing');
      console.log('  skipped: no pdftotext (apt-get install poppler-utils)');
      return;
    }
    const pdf = join(ART, 'summary.pdf');
    await np.emulateMedia({ media: 'print' });
    await np.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
    await np.emulateMedia({ media: 'screen' });
    const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
    const [, w, h] = /Page size:\s+([\d.]+) x ([\d.]+) pts/.exec(info) ?? [];
    check(Math.abs(w - 595.28) < 1 && Math.abs(h - 841.89) < 1, `not A4 (595.28 x 841.89 pt): ${w} x ${h}`);
    const raw = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    const text = squash(raw);
    for (const s of [patient.name, patient.name_kana, `${marker}本文`, `${marker}前回`, '記録の要約', 'バイタルの推移', docTitle, '紹介状', nurseApi.me.name]) {
      check(text.includes(squash(s)), `${s} missing from the PDF text`);
    }
    // The vitals table: the corrected temperature with one decimal, the earlier one, the flagged SpO2.
    // One row a record in the table (blank columns are only spaces in the layout text).
    const row = (day, time, values) => new RegExp(`^\\s*${day.replaceAll('-', '/')} ${time}\\s+${values.map((v) => v.replace('.', '\\.')).join('\\s+')}\\s*$`, 'm');
    check(row(addDays(today, -1), '10:40', ['37.4', '132', '78', '88', '92※']).test(raw), `the corrected record's vitals row is missing:\n${raw.slice(0, 1500)}`);
    check(row(addDays(today, -2), '09:15', ['36.6', '70', '97']).test(raw), 'the earlier record\'s vitals row is missing');
    // Page numbers in the page margin (@page @bottom-center): 1/n … n/n.
    const pages = Number(/Pages:\s+(\d+)/.exec(info)?.[1]);
    check(pages >= 1 && new RegExp(`(^|\\s)1 ?/ ?${pages}(\\s|$)`, 'm').test(raw) && new RegExp(`(^|\\s)${pages} ?/ ?${pages}(\\s|$)`, 'm').test(raw), `no page numbers 1/${pages} … ${pages}/${pages} in the PDF`);
    check(!text.includes('印刷する期間') && !text.includes('カレンダー'), 'the form or the app\'s menus were printed');
  });

  await step('3. offline the summary still renders from the device\'s records', async () => {
    await nurse.context.setOffline(true);
    await np.evaluate(() => window.dispatchEvent(new Event('offline')));
    await np.evaluate(() => { location.hash = '#/today'; });
    await np.evaluate((h) => { location.hash = h; }, summary);
    await np.waitForSelector('.sum-sheet');
    await np.fill('input[name=from]', addDays(today, -3));
    await until(async () => (await np.textContent('.sum-sheet')).includes(`${marker} 本文`), 'the record in the offline summary');
    check(await np.$$eval('.sum-docs img', (is) => is.length === 0), 'offline, no image the server cannot send');
    check((await np.textContent('.sum-docs')).includes(docTitle), 'offline, the document captions');
    await np.setViewportSize(PORTRAIT);
    await screen(np, 'summary-offline-portrait');
    await np.evaluate((h) => { location.hash = h; }, view);
    await np.waitForSelector('.receipts');
    await screen(np, 'record-view-offline-portrait');
    check((await np.textContent('.receipts')).includes('オンラインのときに表示'), 'offline, the receipts say they show online');
    check(/訂正/.test(await np.textContent('.record-view p.meta')), 'offline, the record is still labelled 訂正');
    await np.setViewportSize(LANDSCAPE);
    await nurse.context.setOffline(false);
  });

  check(axeProblems.length === 0, `axe found serious/critical violations:\n${axeProblems.join('\n')}`);
} catch (e) {
  if (!results.length || !String(e).startsWith('Error: axe')) console.log(e.stack ?? e);
  failed = true;
} finally {
  for (const o of open) await o.close().catch(() => undefined);
}
console.log(`\n${results.join('\n')}`);
if (failed) {
  console.log('\ne2e 50-summary: FAILED');
  process.exit(1);
}
console.log('\ne2e 50-summary: ok');
