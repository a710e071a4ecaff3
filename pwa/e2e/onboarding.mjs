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
//      alert and acknowledges it;
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
    if (facility && (await fac.isEnabled())) await fac.selectOption({ label: facility });
    await d.locator('select[name=profession]').selectOption(profession);
    await d.locator('input[name=initial_password]').fill(p.initial);
    if (facilityAdmin) await d.getByLabel('施設管理者').check();
    await d.getByRole('button', { name: '職員アカウントを作成' }).click();
    await d.getByText('アカウントを作成しました').waitFor();
    await d.getByRole('button', { name: '閉じる' }).first().click();
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

  // ONBOARDING-PATIENT (filled in below)

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
