// The doctor's digest (新着のまとめ) and the 在宅医療情報連携加算 report, against the
// demo region (scripts/e2e.sh):
//   1. the doctor has looked at the digest (API: seen), so what follows is new;
//   2. the pharmacist (API) records leftover medicines and a report to the doctor;
//      the nurse (API) records a visit with an SpO2 below the range;
//   3. the doctor's home (#/) shows the digest above today's visits: the report with
//      the leftover count, and the out-of-range SpO2 saying which value; an item
//      opens its record;
//   4. offline the home shows the last digest fetched, with its time;
//   5. 確認済みにする: the pharmacist's report leaves the digest;
//   6. the doctor (API) writes a doctor_note with the next visit date, a plan change
//      and points of care, and has read the pharmacist's record; the patient screen
//      links to the month's 加算 report, which lists the doctor's items; the previous
//      month is incomplete.
// Screenshots in screenshots/digest/, each checked with axe-core.
// Env: E2E_BASE_URL, E2E_ARTIFACTS, CHROMIUM, E2E_STATE.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, uuidv7 } from '../lib/client.mjs';
import { launch, signInUI } from '../lib/browser.mjs';
import { axe, check, controlled, harness, tokyoDay, until } from '../lib/harness.mjs';

const BASE = process.env.E2E_BASE_URL;
const ART = process.env.E2E_ARTIFACTS || new URL('../../../test-artifacts', import.meta.url).pathname;
const SHOTS = join(ART, 'screenshots', 'digest');
const PASSWORD = 'tsunagu-demo-2026';
const PIN = '4826';
if (!BASE) throw new Error('run through scripts/e2e.sh (E2E_BASE_URL)');

await mkdir(SHOTS, { recursive: true });
const { results, open, step, shoot } = harness(SHOTS);
const axeProblems = [];
async function screen(page, name) {
  await shoot(page, name);
  axeProblems.push(...(await axe(page, name)));
}

const REPORT = '残薬が多く、朝の服用を忘れがちです。一包化をご検討ください(E2E)';
const CARE_POINTS = '夜間の転倒に注意。水分摂取を促してください(E2E)';
let failed = false;
try {
  const [pharm, nurse, doc] = await step('the pharmacist, the nurse and the doctor sign in through the API', () =>
    Promise.all([new Client(BASE).signIn('demo.pharmacist', PASSWORD), new Client(BASE).signIn('demo.nurse', PASSWORD), new Client(BASE).signIn('demo.doctor', PASSWORD)]));

  // A patient of the pharmacist's whose chart the pharmacist writes (full consent).
  const { patient, medsId } = await step('2. the pharmacist records leftover medicines and a report to the doctor (API)', async () => {
    // 1. Whatever came before is seen: the digest then holds what this scenario makes.
    const d = await doc.req('GET', '/me/digest', undefined, { expect: 200 });
    await doc.req('POST', '/me/digest/seen', { until: d.until }, { expect: 200 });
    const { patients } = await pharm.req('GET', '/patients', undefined, { expect: 200 });
    for (const p of patients) {
      const id = uuidv7();
      const r = await pharm.req('POST', `/patients/${p.id}/records`, {
        id, kind: 'medication', occurred_at: new Date().toISOString(), fields: {
          drugs_checked: [{ name: 'アムロジピン錠5mg', dose: '1日1回朝', leftover: 14 }, { name: '酸化マグネシウム錠330mg', leftover: 0 }],
          adherence: 'partial', report_to_doctor: REPORT, flag_to_doctor: true,
        },
      }, { raw: true });
      if (r.status === 201) return { patient: p, medsId: id };
    }
    throw new Error('the pharmacist writes no chart record of any patient');
  });
  const visitId = await step('2. the nurse records a visit with SpO2 89 % (API)', async () => {
    const id = uuidv7();
    await nurse.req('POST', `/patients/${patient.id}/records`, {
      id, kind: 'nursing_visit', occurred_at: new Date().toISOString(), text: '息切れあり(E2E)', vitals: { spo2: 89, temperature_c: 36.8, pulse: 88 },
    }, { expect: 201 });
    return id;
  });

  const app = await launch({ base: BASE });
  open.push(app);
  const page = app.page;
  await step('3. the doctor\'s home shows the digest above today\'s visits', async () => {
    await signInUI(page, 'demo.doctor', PASSWORD, PIN);
    await controlled(page, PIN);
    await page.evaluate(() => { location.hash = '#/'; });
    const digest = page.locator('section.digest');
    await digest.getByRole('heading', { name: '新着のまとめ', level: 1 }).waitFor({ timeout: 15000 });
    await digest.getByText(REPORT).waitFor({ timeout: 15000 });
    await digest.getByText('残薬: アムロジピン錠5mg 14').waitFor();
    await digest.getByText('医師の確認希望').first().waitFor();
    const vitals = digest.locator('.digest-vitals');
    await vitals.getByText('SpO2 89(低: 基準 < 93)').waitFor();
    check(await vitals.getByText(patient.name).count() > 0, 'the out-of-range vitals do not name the patient');
    // The digest is above today's visits.
    const order = await page.evaluate(() => {
      const d = document.querySelector('section.digest');
      const t = document.getElementById('today-h');
      return !!(d && t && d.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING);
    });
    check(order, 'the digest is not above today\'s visits');
    await screen(page, 'doctor-home-digest');
  });

  await step('3. an item of the digest opens its record', async () => {
    await page.locator('.digest-vitals a').filter({ hasText: patient.name }).first().click();
    await until(async () => (await page.evaluate(() => location.hash)).includes(visitId), 'the record view of the nurse\'s visit');
    await page.goBack();
    await page.locator('section.digest').getByText(REPORT).waitFor({ timeout: 15000 });
  });

  await step('4. offline, the home shows the last digest fetched, with its time', async () => {
    await app.context.setOffline(true);
    await page.evaluate(() => { location.hash = '#/patients'; });
    await page.evaluate(() => { location.hash = '#/today'; });
    await page.getByText(/オフラインのため、.*に取得した内容を表示しています。/).waitFor({ timeout: 15000 });
    await page.locator('section.digest').getByText(REPORT).waitFor();
    check(await page.getByRole('button', { name: '確認済みにする' }).isDisabled(), 'the seen button works offline');
    await screen(page, 'doctor-home-digest-offline');
    await app.context.setOffline(false);
  });

  await step('5. 確認済みにする: the pharmacist\'s report leaves the digest', async () => {
    await page.evaluate(() => { location.hash = '#/patients'; });
    await page.evaluate(() => { location.hash = '#/'; });
    const seen = page.getByRole('button', { name: '確認済みにする' });
    await until(async () => (await seen.count()) > 0 && !(await seen.isDisabled()), 'the seen button, online');
    await seen.click();
    await page.getByText('確認済みにしました。').waitFor({ timeout: 15000 });
    check(await page.locator('section.digest').getByText(REPORT).count() === 0, 'the report is still in the digest after seen');
    const d = await doc.req('GET', '/me/digest', undefined, { expect: 200 });
    check(!JSON.stringify(d).includes(medsId), 'the server\'s digest still lists the pharmacist\'s record');
    await screen(page, 'doctor-home-digest-seen');
  });

  const month = tokyoDay().slice(0, 7);
  const noteId = await step('6. the doctor writes the 加算 items in a doctor_note (API) and has read the pharmacist\'s record', async () => {
    const id = uuidv7();
    const next = tokyoDay(new Date(Date.now() + 14 * 86400000));
    await doc.req('POST', `/patients/${patient.id}/records`, {
      id, kind: 'doctor_note', occurred_at: new Date().toISOString(), next_visit_on: next, plan_changed: true, care_notes: CARE_POINTS,
      fields: { findings: '下肢浮腫軽度', plan: 'アムロジピンを一包化し、朝の服用を訪問看護で確認' },
    }, { expect: 201 });
    await doc.req('POST', `/records/${medsId}/read`, undefined, { expect: 200 });
    return id;
  });

  await step('6. the patient screen links to the month\'s 加算 report, which lists the doctor\'s items', async () => {
    await page.evaluate((id) => { location.hash = `#/patients/${id}`; }, patient.id);
    await page.getByRole('link', { name: '連携加算の記録状況' }).waitFor({ timeout: 15000 });
    await screen(page, 'patient-with-collab-link');
    await page.getByRole('link', { name: '連携加算の記録状況' }).click();
    await page.getByRole('heading', { name: '在宅医療情報連携加算の記録状況' }).waitFor({ timeout: 15000 });
    await page.getByText('この月はすべての項目が記録されています。').waitFor({ timeout: 15000 });
    await page.getByText(CARE_POINTS).waitFor();
    await page.getByText('アムロジピンを一包化し、朝の服用を訪問看護で確認').waitFor();
    const rep = await doc.req('GET', `/patients/${patient.id}/collaboration-report?month=${month}`, undefined, { expect: 200 });
    for (const key of ['next_visit', 'plan_change', 'plan_change_outline', 'care_points']) {
      const it = rep.items.find((i) => i.key === key);
      check(it?.met && it.entries.some((e) => e.record_id === noteId), `${key}: ${JSON.stringify(it)}`);
    }
    const used = rep.items.find((i) => i.key === 'others_records_used');
    check(used?.entries.some((e) => e.record_id === medsId), `others_records_used: ${JSON.stringify(used)}`);
    await screen(page, 'collab-report');
    await page.getByRole('link', { name: '前の月' }).click();
    await page.getByText('未記録の項目があります。').waitFor({ timeout: 15000 });
    await screen(page, 'collab-report-previous-month');
  });

  check(axeProblems.length === 0, `accessibility problems:\n${axeProblems.join('\n')}`);
} catch (e) {
  if (!results.length || !String(e).includes('FAIL')) console.log(String(e?.stack ?? e));
  failed = true;
} finally {
  for (const o of open) await o.close().catch(() => undefined);
}
console.log(`\n${results.join('\n')}`);
if (failed) {
  console.log('\ne2e digest: FAILED');
  process.exit(1);
}
console.log(`\ne2e digest: passed (screenshots: ${SHOTS})`);
