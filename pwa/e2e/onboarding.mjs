// Starting a region from nothing, in the app (scripts/e2e.sh starts an empty
// server where only `tsunagu admin create-network-admin` has run):
//   1. the network administrator signs in (TOTP enrolment), registers a clinic and
//      a visiting-nurse station, and creates the station's facility administrator
//      and a doctor of the clinic;
//   2. the facility administrator's first sign-in (own password, TOTP), then she
//      creates a nurse of her station;
//   3. the nurse registers a patient and photographs a two-page consent form;
//      she adds the clinic's doctor to the care team as 主治医 (primary physician);
//   4. the nurse's and the doctor's apps show the patient;
//   5. a doctor off the team probes the patient, and the office sees a misuse
//      alert and acknowledges it; the nurse sees the probes in 閲覧履歴;
//   6. the office suspends the nurse, and her app is wiped at its next contact.
// Screenshots of each office and onboarding screen, each checked with axe-core.
// Env: E2E_BASE_URL, E2E_ADMIN_PASSWORD, E2E_ARTIFACTS, CHROMIUM.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from './lib/client.mjs';
import { firstSignInUI, launch, settled, signInUI } from './lib/browser.mjs';
import { axe, check, controlled, harness, until } from './lib/harness.mjs';

const BASE = process.env.E2E_BASE_URL;
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD;
const ART = process.env.E2E_ARTIFACTS || new URL('../../test-artifacts', import.meta.url).pathname;
const SHOTS = join(ART, 'screenshots', 'onboarding');
const PIN = '3690';
if (!BASE || !ADMIN_PASSWORD) throw new Error('run through scripts/e2e.sh (E2E_BASE_URL, E2E_ADMIN_PASSWORD)');

// Fictional names only.
const CLINIC = 'つなぐ試験診療所';
const STATION = 'つなぐ試験訪問看護ステーション';
const people = {
  stationAdmin: { login: 'station.admin', name: '試験 管理花子', kana: 'シケン カンリハナコ', initial: 'Initial-kiku-2026-a', password: 'hydrangea-station-admin-9' },
  doctor: { login: 'clinic.doctor', name: '試験 医師太郎', kana: 'シケン イシタロウ', initial: 'Initial-kiku-2026-b', password: 'hydrangea-clinic-doctor-9' },
  nurse: { login: 'station.nurse', name: '試験 看護桜', kana: 'シケン カンゴサクラ', initial: 'Initial-kiku-2026-c', password: 'hydrangea-station-nurse-9' },
  prober: { login: 'clinic.other', name: '試験 別医師', kana: 'シケン ベツイシ', initial: 'Initial-kiku-2026-d', password: 'hydrangea-clinic-other-9' },
};
const PATIENT = { name: '試験 患者一郎', kana: 'シケン カンジャイチロウ', birth: '1940-03-02' };

await mkdir(SHOTS, { recursive: true });
const { results, open, step, shoot } = harness(SHOTS);
const axeProblems = [];
/** A screenshot and the axe-core check of what `page` shows now. */
async function screen(page, name) {
  await shoot(page, name);
  axeProblems.push(...(await axe(page, name)));
}
/** The dialog the office console has open. */
const dialog = (page) => page.locator('dialog[open]');

let failed = false;
try {
  // 1. The network office.
  const office = await launch({ base: BASE });
  open.push(office);
  const op = office.page;
  await step('1. the network administrator made on the command line signs in (TOTP enrolment, PIN)', async () => {
    await signInUI(op, 'office.admin', ADMIN_PASSWORD, PIN);
    await controlled(op, PIN);
  });

  await step('1. the office registers a clinic and a visiting-nurse station', async () => {
    await op.getByRole('link', { name: '管理' }).click();
    await op.getByRole('navigation', { name: '管理メニュー' }).getByRole('link', { name: '施設' }).click();
    for (const [name, kana, kind] of [[CLINIC, 'ツナグシケンシンリョウジョ', 'clinic'], [STATION, 'ツナグシケンホウモンカンゴステーション', 'nursing_station']]) {
      await op.getByRole('button', { name: '施設を登録' }).click();
      const d = dialog(op);
      await d.locator('input[name=facility_name]').fill(name);
      await d.locator('input[name=facility_kana]').fill(kana);
      await d.locator('select[name=facility_kind]').selectOption(kind);
      if (kind === 'clinic') await screen(op, 'office-facility-new');
      await d.getByRole('button', { name: '施設を登録' }).click();
      await dialog(op).waitFor({ state: 'detached' });
      await op.getByRole('cell', { name }).waitFor();
    }
    await screen(op, 'office-facilities');
  });

  /** Creates an account in the office console's staff screen (the dialog). */
  async function createStaff(page, p, { facility, profession, facilityAdmin = false }) {
    await page.getByRole('button', { name: '職員アカウントを作成' }).click();
    const d = dialog(page);
    await d.locator('input[name=name]').fill(p.name);
    await d.locator('input[name=name_kana]').fill(p.kana);
    await d.locator('input[name=login_id]').fill(p.login);
    const fac = d.locator('select[name=facility_id]');
    if (facility && (await fac.count())) {
      // Options read "name(kind)".
      const value = await fac.locator('option', { hasText: facility }).first().getAttribute('value');
      await fac.selectOption(value);
    }
    await d.locator('select[name=profession]').selectOption(profession);
    await d.locator('input[name=initial_password]').fill(p.initial);
    if (facilityAdmin) await d.getByLabel('施設管理者').check();
    await d.getByRole('button', { name: '職員アカウントを作成' }).click();
    await page.getByText(`${p.name}さんのアカウントを作成しました`).waitFor();
    await dialog(page).waitFor({ state: 'detached' });
  }

  await step('1. the office creates the station\'s facility administrator and a doctor of the clinic', async () => {
    await op.getByRole('navigation', { name: '管理メニュー' }).getByRole('link', { name: '職員' }).click();
    await createStaff(op, people.stationAdmin, { facility: STATION, profession: 'nurse', facilityAdmin: true });
    await createStaff(op, people.doctor, { facility: CLINIC, profession: 'doctor' });
    await createStaff(op, people.prober, { facility: CLINIC, profession: 'doctor' });
    await op.getByRole('button', { name: '検索' }).click();
    await op.getByRole('cell', { name: people.doctor.name }).waitFor();
    await screen(op, 'office-staff');
  });

  // 2. The station's facility administrator.
  const station = await launch({ base: BASE });
  open.push(station);
  const sp = station.page;
  await step('2. the facility administrator\'s first sign-in: own password, TOTP, PIN', async () => {
    const p = people.stationAdmin;
    await firstSignInUI(sp, p.login, p.initial, p.password, PIN);
  });
  await step('2. the facility administrator creates a nurse of her station', async () => {
    await sp.getByRole('link', { name: '管理' }).click();
    await sp.getByRole('navigation', { name: '管理メニュー' }).getByRole('link', { name: '職員' }).click();
    await createStaff(sp, people.nurse, { profession: 'nurse' });
    await sp.getByRole('cell', { name: people.nurse.name }).waitFor();
    await screen(sp, 'facility-admin-staff');
  });

  // 3. The nurse registers the patient and photographs the consent form.
  const nurse = await launch({ base: BASE });
  open.push(nurse);
  const np = nurse.page;
  await step('3. the nurse\'s first sign-in: own password, TOTP, PIN', async () => {
    const p = people.nurse;
    await firstSignInUI(np, p.login, p.initial, p.password, PIN);
    await controlled(np, PIN);
  });

  const patientId = await step('3. the nurse registers a patient (和暦 shown as she types the birth date)', async () => {
    await np.evaluate(() => { location.hash = '#/patients'; });
    await np.getByRole('link', { name: '患者を登録' }).click();
    await np.getByLabel('氏名').fill(PATIENT.name);
    await np.getByLabel('ふりがな').fill(PATIENT.kana);
    await np.getByLabel('生年月日').fill(PATIENT.birth);
    await np.getByText('和暦: 昭和15年3月2日').waitFor();
    await np.getByLabel('男性').check();
    await np.getByLabel('住所').fill('架空県つなぐ市試験町1-2-3');
    await np.getByLabel('電話番号').fill('000-0000-0000');
    await screen(np, 'nurse-register-patient');
    await np.getByRole('button', { name: '登録して同意書の記録へ' }).click();
    await np.getByRole('heading', { name: '同意書の記録' }).waitFor({ timeout: 15000 });
    const m = /#\/patients\/([0-9a-f-]{36})\/consent\/new/.exec(await np.evaluate(() => location.hash));
    check(m, `after registering, the app shows ${await np.evaluate(() => location.hash)}`);
    return m[1];
  });

  await step('3. the nurse photographs a two-page consent form and records the consent', async () => {
    const pages = [];
    for (const [i, color] of [[1, '#2a7'], [2, '#27a']]) {
      const jpeg = await np.evaluate((c) => {
        const cv = document.createElement('canvas');
        cv.width = 120; cv.height = 160;
        const g = cv.getContext('2d');
        g.fillStyle = '#fff'; g.fillRect(0, 0, 120, 160); g.fillStyle = c; g.fillRect(10, 10, 100, 20); g.fillRect(10, 120, 60, 10);
        return cv.toDataURL('image/jpeg', 0.9).split(',')[1];
      }, color);
      const file = join(ART, `e2e-consent-page-${i}.jpg`);
      await writeFile(file, Buffer.from(jpeg, 'base64'));
      pages.push(file);
    }
    for (const [i, file] of pages.entries()) {
      await np.locator('input[type=file]').setInputFiles(file);
      await np.getByRole('img', { name: `${i + 1}ページ目` }).waitFor();
    }
    await np.getByLabel('全部を共有する').check();
    await screen(np, 'nurse-consent-capture');
    await np.getByRole('button', { name: '同意を記録' }).click();
    await settled(np, 30000);
    const consents = await until(async () => {
      const r = await np.evaluate((id) => fetch(`/api/v1/patients/${id}`).then((x) => x.json()), patientId);
      return r.consents?.length ? r.consents : null;
    }, 'the consent on the server');
    check(consents.length === 1 && consents[0].active && consents[0].scope === 'full' && consents[0].attachment_ids?.length === 2,
      `the server holds ${JSON.stringify(consents.map((c) => ({ active: c.active, scope: c.scope, pages: c.attachment_ids?.length })))}`);
    await np.evaluate((id) => { location.hash = `#/patients/${id}/consent`; }, patientId);
    await np.locator('li.consent').filter({ hasText: '有効' }).waitFor({ timeout: 15000 });
    await screen(np, 'nurse-consent-history');
  });

  await step('3. the nurse adds the clinic\'s doctor to the care team as 主治医', async () => {
    await np.evaluate((id) => { location.hash = `#/patients/${id}/team`; }, patientId);
    await np.getByRole('button', { name: 'メンバーを追加' }).click();
    await np.getByLabel('氏名・ふりがな').fill('医師太郎');
    await np.getByRole('button', { name: '職員を検索' }).click();
    await np.getByRole('radio', { name: new RegExp(people.doctor.name) }).check();
    await np.getByLabel('チームでの役割').selectOption('primary_physician');
    await screen(np, 'nurse-team-add');
    await np.getByRole('button', { name: 'チームに追加' }).click();
    await np.getByText('さんをチームに追加しました。').waitFor({ timeout: 15000 });
    const row = np.getByRole('table', { name: 'ケアチーム' }).getByRole('row').filter({ hasText: people.doctor.name });
    check(/主治医/.test(await row.innerText()), `the doctor's row: ${await row.innerText()}`);
    await screen(np, 'nurse-team');
  });

  // 4. Both apps show the patient.
  const doctor = await launch({ base: BASE });
  open.push(doctor);
  const dp = doctor.page;
  await step('4. the nurse\'s and the doctor\'s apps show the patient', async () => {
    await np.evaluate(() => { location.hash = '#/patients'; });
    await np.getByText(PATIENT.name).first().waitFor({ timeout: 20000 });
    const p = people.doctor;
    await firstSignInUI(dp, p.login, p.initial, p.password, PIN);
    await dp.evaluate(() => { location.hash = '#/patients'; });
    await dp.getByText(PATIENT.name).first().waitFor({ timeout: 30000 });
    await screen(dp, 'doctor-patients');
  });

  // 5. A doctor off the team probes the patient; the office sees the alert.
  await step('5. a doctor off the team probes the patient five times (refused)', async () => {
    const p = people.prober;
    const prober = await new Client(BASE).signIn(p.login, p.initial, p.password);
    for (let i = 0; i < 5; i++) {
      const r = await prober.req('GET', `/patients/${patientId}`, undefined, { raw: true });
      check(r.status === 404 || r.status === 403, `probe ${i + 1} answered ${r.status}`);
    }
  });
  await step('5. the office sees the misuse alert, acknowledges it, and reads the audit log', async () => {
    await op.getByRole('navigation', { name: '管理メニュー' }).getByRole('link', { name: '不正利用アラート' }).click();
    const ack = op.getByRole('button', { name: `${people.prober.name}さんの「拒否されたアクセスの多発」を確認済みにする` });
    await until(async () => {
      if (await ack.count()) return true;
      await op.getByRole('radio', { name: '確認済み' }).click();
      await op.getByRole('radio', { name: '未確認' }).click();
      return false;
    }, 'the refused-access alert in the console', 30000);
    await screen(op, 'office-alerts');
    await ack.click();
    await dialog(op).locator('textarea[name=note]').fill('試験の確認。本人に連絡済み。');
    await dialog(op).getByRole('button', { name: '確認済みにする' }).click();
    await dialog(op).waitFor({ state: 'detached' });
    await op.getByRole('navigation', { name: '管理メニュー' }).getByRole('link', { name: '監査ログ' }).click();
    await op.getByRole('button', { name: '検索' }).click();
    await op.getByRole('button', { name: 'CSVをダウンロード' }).waitFor();
    await screen(op, 'office-audit');
  });

  await step('5. the nurse reads who viewed the patient (閲覧履歴): the doctor\'s reads and the refused probes', async () => {
    await np.evaluate((id) => { location.hash = `#/patients/${id}`; }, patientId);
    await np.getByRole('link', { name: '閲覧履歴' }).click();
    const table = np.getByRole('table', { name: '閲覧履歴(新しい順)' });
    await table.waitFor({ timeout: 15000 });
    const refused = table.locator('tr.res-denied', { hasText: people.prober.name });
    await refused.first().waitFor();
    check(await refused.count() >= 5, `refused probes in the access log: ${await refused.count()}`);
    check(await table.getByRole('row').filter({ hasText: people.doctor.name }).count() > 0, 'the doctor\'s reads are not in the access log');
    await screen(np, 'nurse-access-log');
  });

  // 6. The office suspends the nurse; her app is wiped at its next contact.
  await step('6. the office suspends the nurse, and her app is wiped at its next contact', async () => {
    await op.getByRole('navigation', { name: '管理メニュー' }).getByRole('link', { name: '職員' }).click();
    await op.locator('input[name=q]').fill(people.nurse.login);
    await op.getByRole('button', { name: '検索' }).click();
    await op.getByRole('button', { name: `${people.nurse.name}さんの操作` }).click();
    await dialog(op).getByRole('button', { name: '一時停止' }).click();
    await screen(op, 'office-suspend-confirm');
    await dialog(op).getByRole('button', { name: '実行する' }).click();
    await dialog(op).getByText('一時停止中').first().waitFor();
    // The nurse's app comes back to the foreground and syncs.
    await np.evaluate(() => window.dispatchEvent(new Event('online')));
    await np.getByText('この端末は利用できなくなったため、端末内のデータを消去しました').waitFor({ timeout: 30000 });
    const left = await np.evaluate(async () => {
      const out = [];
      for (const d of await indexedDB.databases()) {
        const db = await new Promise((res, rej) => { const r = indexedDB.open(d.name); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
        for (const s of db.objectStoreNames) {
          const n = await new Promise((res) => { const r = db.transaction(s).objectStore(s).count(); r.onsuccess = () => res(r.result); });
          if (n && s !== 'meta') out.push(`${d.name}/${s}: ${n}`);
        }
        db.close();
      }
      return out;
    });
    check(left.length === 0, `left on the wiped device: ${left.join(', ')}`);
    await screen(np, 'nurse-wiped');
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
  console.log('\ne2e onboarding: FAILED');
  process.exit(1);
}
console.log(`\nscreenshots: ${SHOTS}\ne2e onboarding: all steps passed`);
