// Staff messages (スタッフ連絡), against the demo region:
//   1. a nurse (demo.nurse2) opens スタッフ連絡 from the navigation, starts a new
//      message, finds the pharmacist in the staff directory and sends text and a photo;
//   2. the pharmacist's navigation shows one unread; the thread list shows the
//      nurse's thread with its badge; opening it shows the text and the photo, and
//      reading it clears the count (API);
//   3. the pharmacist answers; the nurse's open thread shows the answer;
//   4. the nurse writes to her station's staff; a care worker of another facility
//      gets 404 for that thread (API).
// Screenshots to screenshots/staff/, each checked with axe-core.
// Env: E2E_BASE_URL, E2E_ARTIFACTS, CHROMIUM, E2E_STATE (scripts/e2e.sh).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '../lib/client.mjs';
import { launch, signInUI } from '../lib/browser.mjs';
import { axe, check, harness, until } from '../lib/harness.mjs';

const BASE = process.env.E2E_BASE_URL;
const ART = process.env.E2E_ARTIFACTS || new URL('../../../test-artifacts', import.meta.url).pathname;
const SHOTS = join(ART, 'screenshots', 'staff');
const PASSWORD = 'tsunagu-demo-2026';
const PIN = '3691';
const PHOTO = new URL('../../public/icons/icon-192.png', import.meta.url).pathname;
if (!BASE) throw new Error('run through scripts/e2e.sh (E2E_BASE_URL)');

const TEXT = `来月のシフト表を共有します（${Date.now() % 100000}）`;
const ANSWER = '確認しました。ありがとうございます。';

await mkdir(SHOTS, { recursive: true });
const { results, open, step, shoot } = harness(SHOTS);
const axeProblems = [];
async function screen(page, name) {
  await shoot(page, name);
  axeProblems.push(...(await axe(page, name)));
}

let failed = false;
try {
  const pharmApi = await step('the pharmacist signs in through the API', () => new Client(BASE).signIn('demo.pharmacist', PASSWORD));
  const before = (await pharmApi.req('GET', '/staff/threads', undefined, { expect: 200 })).unread;

  const nurse = await launch({ base: BASE });
  open.push(nurse);
  const np = nurse.page;
  await step('1. the nurse opens スタッフ連絡 from the navigation', async () => {
    await signInUI(np, 'demo.nurse2', PASSWORD, PIN);
    await np.getByRole('navigation', { name: 'メインメニュー' }).getByRole('link', { name: /スタッフ連絡/ }).click();
    await np.getByRole('heading', { name: 'スタッフ連絡' }).waitFor();
    // The demo's station thread is listed (from the demo data).
    await np.locator('.threads li').first().waitFor();
    await screen(np, 'nurse-threads');
  });

  await step('1. she finds the pharmacist in the staff directory and sends text and a photo', async () => {
    await np.getByRole('link', { name: '新しい連絡' }).click();
    await np.getByRole('searchbox', { name: '宛先を検索(名前・かな)' }).fill('レイダ ヤクコ');
    await np.getByRole('button', { name: '検索' }).click();
    await np.getByRole('button', { name: /例田 薬子/ }).click();
    await np.getByRole('heading', { name: '宛先: 例田 薬子' }).waitFor();
    await np.getByLabel('本文').fill(TEXT);
    await np.locator('input[type=file]').setInputFiles(PHOTO);
    await np.getByText('写真 1枚').waitFor({ timeout: 15000 });
    await screen(np, 'nurse-compose');
    await np.getByRole('button', { name: '送信' }).click();
    // Sent: the app opens the new thread, which holds the message.
    await np.getByRole('heading', { name: '例田 薬子' }).waitFor({ timeout: 15000 });
    await np.locator('.messages li.mine', { hasText: TEXT }).waitFor();
    check(/#\/staff\/[0-9a-f-]{36}$/.test(await np.evaluate(() => location.hash)), 'the thread did not open after sending');
    await screen(np, 'nurse-sent');
  });

  const pharm = await launch({ base: BASE });
  open.push(pharm);
  const pp = pharm.page;
  await step('2. the pharmacist sees one unread in the navigation and the thread list', async () => {
    check((await pharmApi.req('GET', '/staff/threads', undefined, { expect: 200 })).unread === before + 1, 'the API does not count the new message');
    await signInUI(pp, 'demo.pharmacist', PASSWORD, PIN);
    const nav = pp.getByRole('navigation', { name: 'メインメニュー' }).getByRole('link', { name: /スタッフ連絡/ });
    await until(async () => (await nav.innerText()).includes(String(before + 1)), 'the unread count in the navigation');
    await nav.click();
    const row = pp.locator('.threads li', { hasText: '仮野 さくら' });
    await row.waitFor();
    check((await row.locator('.badge').innerText()).trim() === '1', 'the thread has no unread badge of 1');
    await screen(pp, 'pharmacist-threads');
  });

  await step('2. she opens it: the text and the photo; reading clears the count', async () => {
    await pp.locator('.threads li', { hasText: '仮野 さくら' }).getByRole('link').click();
    await pp.locator('.messages li', { hasText: TEXT }).waitFor();
    const img = pp.locator('.messages li', { hasText: TEXT }).locator('img');
    await until(() => img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the photo thumbnail');
    await screen(pp, 'pharmacist-thread');
    await until(async () => (await pharmApi.req('GET', '/staff/threads', undefined, { expect: 200 })).unread === before, 'the read position');
  });

  await step('3. she answers; the nurse\'s open thread shows the answer', async () => {
    await pp.getByLabel('本文').fill(ANSWER);
    await pp.getByRole('button', { name: '送信' }).click();
    await pp.locator('.messages li.mine', { hasText: ANSWER }).waitFor();
    await np.locator('.messages li', { hasText: ANSWER }).waitFor({ timeout: 40000 });
    await screen(np, 'nurse-answered');
  });

  await step('4. the nurse writes to her station; a care worker of another facility cannot read it', async () => {
    await np.evaluate(() => { location.hash = '#/staff/new'; });
    await np.getByRole('link', { name: '自施設のスタッフ全員へ' }).click();
    await np.getByRole('heading', { name: /（施設内）|\(施設内\)/ }).waitFor();
    await np.getByLabel('本文').fill('明日の朝礼は8時半からです。');
    await np.getByRole('button', { name: '送信' }).click();
    await np.locator('.messages li.mine', { hasText: '明日の朝礼は8時半からです。' }).waitFor();
    await screen(np, 'nurse-station');
    const station = (await np.evaluate(() => location.hash)).split('/').pop();
    const helper = await new Client(BASE).signIn('demo.helper', PASSWORD);
    await helper.req('GET', `/staff/threads/${station}/messages`, undefined, { expect: 404 });
    await helper.req('POST', '/staff/messages', { id: crypto.randomUUID(), facility_id: station, text: 'x' }, { expect: 404 });
  });
  check(axeProblems.length === 0, `axe:\n${axeProblems.join('\n')}`);
} catch (e) {
  failed = true;
  console.log(e.stack ?? e);
} finally {
  for (const o of open) await o.close().catch(() => undefined);
}
console.log(results.join('\n'));
process.exit(failed ? 1 : 0);
