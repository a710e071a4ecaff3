// Record forms per profession (slice A), in the app against the demo region:
//   1. a visit planned today for the nurse (API, care manager); the nurse opens its
//      record from today's visit row: the form is headed by who the patient is, the
//      nursing-visit form takes vitals with JCS, a wound with DESIGN-R;
//   2. leaving the half-written form asks first; coming back restores the draft;
//   3. 保存して完了: the record reaches the server with the visit, JCS and wound, the
//      visit is done, the timeline shows 37.0 (not 37) and flags JCS by the served table;
//   4. the pharmacist records medicines with leftover doses and a report to the doctor
//      through the form; the server has them and flag_to_doctor set.
// Screenshots in screenshots/forms/, each screen checked with axe-core.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '../lib/client.mjs';
import { launch, settled, signInUI } from '../lib/browser.mjs';
import { axe, check, controlled, harness, tokyoDay, until } from '../lib/harness.mjs';

const BASE = process.env.E2E_BASE_URL;
const ART = process.env.E2E_ARTIFACTS || new URL('../../../test-artifacts', import.meta.url).pathname;
const SHOTS = join(ART, 'screenshots', 'forms');
const PASSWORD = 'tsunagu-demo-2026';
const PIN = '1357';
if (!BASE) throw new Error('run through scripts/e2e.sh (E2E_BASE_URL)');

await mkdir(SHOTS, { recursive: true });
const { results, open, step, shoot } = harness(SHOTS);
const axeProblems = [];
async function screen(page, name) {
  await shoot(page, name);
  axeProblems.push(...(await axe(page, name)));
}
const marker = `E2E様式-${Date.now()}`;

let failed = false;
try {
  const cm = await step('care manager and pharmacist sign in (API)', () => new Client(BASE).signIn('demo.caremanager', PASSWORD));
  const ph = await new Client(BASE).signIn('demo.pharmacist', PASSWORD);

  const nurse = await launch({ base: BASE });
  open.push(nurse);
  const np = nurse.page;
  await step('the nurse signs in to the app', async () => {
    await signInUI(np, 'demo.nurse', PASSWORD, PIN);
    await controlled(np, PIN);
  });
  const nurseId = (await np.evaluate(() => fetch('/api/v1/me').then((r) => r.json()))).user.id;

  const patient = await step('a patient of the nurse, the pharmacist and the care manager', async () => {
    const { patients } = await cm.req('GET', '/patients', undefined, { expect: 200 });
    for (const p of patients) {
      const ids = new Set((await cm.req('GET', `/patients/${p.id}/team`, undefined, { expect: 200 })).members.map((m) => m.user_id));
      if (ids.has(nurseId) && ids.has(ph.me.id) && ids.has(cm.me.id)) return p;
    }
    throw new Error('no patient with nurse, pharmacist and care manager on the team');
  });
  const today = tokyoDay();
  const visit = await step('the care manager plans a visit today for the nurse (API)', () =>
    cm.req('POST', `/patients/${patient.id}/visits`, {
      kind: 'nurse_visit', assignee_ids: [nurseId], status: 'planned', starts_at: `${today}T16:00:00+09:00`, ends_at: `${today}T16:45:00+09:00`,
    }, { expect: 201 }));

  const link = `a[href^="#/patients/${patient.id}/new/${visit.id}"]`;
  await step('1. the nurse opens the record from today\'s visit row: the heading says who the patient is', async () => {
    await np.evaluate(() => { location.hash = '#/today'; });
    await until(async () => {
      if (await np.$(link)) return true;
      await np.evaluate(() => window.dispatchEvent(new Event('online')));
      return false;
    }, 'the visit row with its record link', 30000);
    await screen(np, 'today-visit-row');
    await np.click(link);
    await np.waitForSelector('form.record input[name=temperature_c]');
    const h1 = await np.textContent('form.record h1');
    check(h1.includes(patient.name), `heading: ${h1}`);
    check(await np.$('form.record button[name=save_done]'), 'no 保存して完了 on a form opened from a visit');
    check(await np.inputValue('input[name=kind]:checked') === 'nursing_visit', 'the nurse\'s form is not the nursing visit');
    check(await np.$(`form.record a[href="#/patients/${patient.id}/scan"]`), '書類 does not lead to the scanner');
  });

  await step('1. vitals with JCS, a wound with DESIGN-R (基準範囲 from the served table)', async () => {
    await np.fill('input[name=temperature_c]', '37');
    await np.fill('input[name=spo2]', '96');
    await np.selectOption('select[name=consciousness]', 'I-1');
    await np.fill('textarea[name=observations]', `${marker} 表情穏やか`);
    await np.fill('textarea[name=wound]', '仙骨部 2×3cm 浅い発赤');
    await np.fill('input[name=design_r]', '9');
    const hint = await np.textContent('#spo2-hint');
    check(/基準範囲 93以上/.test(hint), `SpO2 hint: ${hint}`);
    await np.waitForTimeout(600); // the draft follows the typing
    await np.evaluate(() => window.scrollTo(0, 0));
    await screen(np, 'nursing-visit-form');
    await np.evaluate(() => document.querySelector('textarea[name=wound]')?.scrollIntoView());
    await screen(np, 'nursing-visit-wound');
  });

  await step('2. leaving the half-written form asks; coming back restores the draft', async () => {
    // Staying: the form and its address remain.
    np.once('dialog', (d) => void d.dismiss());
    await np.click('nav.tabbar a[href="#/patients"]');
    await np.waitForTimeout(300);
    check((await np.evaluate(() => location.hash)).includes(`/new/`), 'refusing to leave still left the form');
    check(await np.inputValue('select[name=consciousness]') === 'I-1', 'refusing to leave lost the input');
    let asked = '';
    np.once('dialog', (d) => { asked = d.message(); void d.accept(); });
    await np.click('nav.tabbar a[href="#/patients"]');
    await np.waitForSelector('ul.list', { timeout: 10000 });
    check(/保存していない/.test(asked), `leave warning: ${asked}`);
    await np.evaluate(() => { location.hash = '#/today'; });
    await np.click(link);
    await np.waitForSelector('form.record .notice.draft');
    check(await np.inputValue('textarea[name=observations]') === `${marker} 表情穏やか`, 'observations not restored');
    check(await np.inputValue('select[name=consciousness]') === 'I-1', 'JCS not restored');
    check(await np.inputValue('input[name=temperature_c]') === '37', 'temperature not restored');
    await screen(np, 'draft-restored');
  });

  await step('3. 保存して完了: the record with the visit, and the visit done', async () => {
    await np.click('form.record button[name=save_done]');
    await np.waitForFunction(() => location.hash === '#/today');
    await settled(np, 30000);
    const rec = await until(async () => {
      const { records } = await ph.req('GET', `/patients/${patient.id}/records`, undefined, { expect: 200 });
      return records.find((r) => r.fields?.observations?.startsWith(marker));
    }, 'the nursing record on the server');
    check(rec.kind === 'nursing_visit' && rec.visit_id === visit.id, `record: ${rec.kind} visit ${rec.visit_id}`);
    check(rec.vitals?.consciousness === 'I-1' && rec.vitals?.temperature_c === 37, `vitals: ${JSON.stringify(rec.vitals)}`);
    check(rec.fields.wound === '仙骨部 2×3cm 浅い発赤' && rec.fields.design_r === 9, `wound: ${JSON.stringify(rec.fields)}`);
    check(rec.flags.some((f) => f.field === 'vitals.consciousness'), `flags: ${JSON.stringify(rec.flags)}`);
    const v = await until(async () => {
      const x = await cm.req('GET', `/visits/${visit.id}`, undefined, { expect: 200 });
      return x.status === 'done' ? x : null;
    }, 'the visit done');
    check(v.status === 'done', 'visit not done');
    await np.evaluate((id) => { location.hash = `#/patients/${id}`; }, patient.id);
    const card = np.locator('.timeline li', { hasText: marker }).first();
    await card.waitFor({ timeout: 10000 });
    const txt = await card.textContent();
    check(txt.includes('37.0'), `timeline temperature: ${txt}`);
    check(await card.locator('.vitals .abnormal').count() === 1, 'the JCS is not flagged on the timeline');
    check(!(await np.evaluate(() => document.body.innerText.includes('目安'))), '目安 still shown');
    await screen(np, 'timeline-after-save');
  });

  // 4. The pharmacist.
  const pharm = await launch({ base: BASE });
  open.push(pharm);
  const pp = pharm.page;
  await step('4. the pharmacist records leftover medicines and a report to the doctor in the form', async () => {
    await signInUI(pp, 'demo.pharmacist', PASSWORD, PIN);
    await controlled(pp, PIN);
    await pp.evaluate((id) => { location.hash = `#/patients/${id}/new`; }, patient.id);
    await pp.waitForSelector('form.record input[name=drug_name_0]');
    check(await pp.inputValue('input[name=kind]:checked') === 'medication', 'the pharmacist\'s form is not medication');
    await pp.fill('input[name=drug_name_0]', 'アムロジピン錠5mg');
    await pp.fill('input[name=drug_dose_0]', '1錠 朝食後');
    await pp.fill('input[name=drug_leftover_0]', '12');
    await pp.click('button.add-drug');
    await pp.fill('input[name=drug_name_1]', 'マグミット錠330mg');
    await pp.fill('input[name=drug_leftover_1]', '30');
    await pp.selectOption('select[name=adherence]', 'partial');
    await pp.fill('textarea[name=report_to_doctor]', `${marker} 残薬が多く朝の内服忘れあり。一包化をご検討ください`);
    check(await pp.isChecked('input[name=flag_to_doctor]'), 'the report does not ask the doctor to look');
    await screen(pp, 'medication-form');
    await pp.click('form.record button[name=save]');
    await pp.waitForSelector('.timeline', { timeout: 10000 });
    await settled(pp, 30000);
    const rec = await until(async () => {
      const { records } = await ph.req('GET', `/patients/${patient.id}/records`, undefined, { expect: 200 });
      return records.find((r) => r.fields?.report_to_doctor?.startsWith(marker));
    }, 'the medication record on the server');
    const drugs = rec.fields.drugs_checked ?? [];
    check(rec.kind === 'medication' && rec.fields.flag_to_doctor === true && rec.fields.adherence === 'partial', `medication: ${JSON.stringify(rec.fields)}`);
    check(drugs.length === 2 && drugs[0].leftover === 12 && drugs[1].leftover === 30 && drugs[0].dose === '1錠 朝食後', `drugs: ${JSON.stringify(drugs)}`);
    await screen(pp, 'medication-timeline');
  });

  check(axeProblems.length === 0, `axe found serious/critical violations:\n${axeProblems.join('\n')}`);
} catch (e) {
  console.log(e.stack ?? e);
  failed = true;
} finally {
  for (const o of open) await o.close().catch(() => undefined);
}
console.log(`\n${results.join('\n')}`);
if (failed) {
  console.log('\ne2e forms: FAILED');
  process.exit(1);
}
console.log(`\nscreenshots: ${SHOTS}\ne2e forms: all steps passed`);
