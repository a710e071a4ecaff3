// The team channel (連絡), against the demo region with a mailpit SMTP server
// (scripts/e2e.sh starts it and sets E2E_MAILPIT_URL):
//   1. the doctor has a confirmed e-mail address (API, the link read from mailpit)
//      and the patient's 連絡 tab open in his app;
//   2. the nurse, OFFLINE, writes an URGENT message to the doctor: @ completion by
//      keyboard (↓, Enter) from the patient's team; it shows at once as waiting;
//   3. online again: the message reaches the server once (urgent, mentioning the
//      doctor), and the doctor's open app shows it without a reload;
//   4. mailpit holds exactly one e-mail to the doctor, generic, without the
//      patient's name or the message text;
//   5. the doctor finds it under あなた宛ての連絡, replies by touch completion, and
//      makes a record of it (「記録にする」): the record cites the message, the message
//      links the record; the nurse sees the reply with its quote;
//   6. the nurse retracts a message: the doctor sees 「取り消されました」.
// Screenshots to screenshots/channel/, each checked with axe-core.
// Env: E2E_BASE_URL, E2E_MAILPIT_URL, E2E_ARTIFACTS, CHROMIUM, E2E_STATE.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, uuidv7 } from '../lib/client.mjs';
import { launch, settled, signInUI } from '../lib/browser.mjs';
import { PORTRAIT, LANDSCAPE, axe, check, controlled, harness, until } from '../lib/harness.mjs';

const BASE = process.env.E2E_BASE_URL;
const MAILPIT = process.env.E2E_MAILPIT_URL;
const ART = process.env.E2E_ARTIFACTS || new URL('../../../test-artifacts', import.meta.url).pathname;
const SHOTS = join(ART, 'screenshots', 'channel');
const PASSWORD = 'tsunagu-demo-2026';
const PIN = '2580';
if (!BASE) throw new Error('run through scripts/e2e.sh (E2E_BASE_URL)');
if (!MAILPIT) {
  if (process.env.CI === 'true') throw new Error('90-channel: no mailpit (E2E_MAILPIT_URL); scripts/ci-setup.sh installs it');
  console.log('skip 90-channel: mailpit not installed (go install github.com/axllent/mailpit@v1.33.1)');
  process.exit(0);
}
const ADDRESS = `doctor.chan.${Date.now()}@e2e.example`;
const CANARY_TAG = `e2e-${Date.now()}`; // ASCII: found in a request body however it is encoded
const CANARY = `カナリア連絡 ${CANARY_TAG}`;

const mails = async () => (await (await fetch(`${MAILPIT}/api/v1/messages?limit=500`)).json()).messages ?? [];
const mailText = async (id) => (await (await fetch(`${MAILPIT}/api/v1/message/${id}`)).json()).Text ?? '';
const mailRaw = async (id) => (await fetch(`${MAILPIT}/api/v1/message/${id}/raw`)).text();
const to = (m) => [...(m.To ?? []), ...(m.Bcc ?? [])].map((a) => a.Address);
const toDoctor = async () => (await mails()).filter((m) => to(m).includes(ADDRESS) && m.Subject !== 'つなぐ: メールアドレスの確認');

await mkdir(SHOTS, { recursive: true });
const { results, open, step, shoot } = harness(SHOTS);
const axeProblems = [];
async function screen(page, name) {
  await shoot(page, name);
  axeProblems.push(...(await axe(page, name)));
}
/** The thread's message (li.msg) whose text contains `text`. */
const msgIn = (page, text) => page.locator('li.msg', { hasText: text });

let failed = false;
try {
  const docApi = await step('the doctor and the nurse sign in through the API', () => new Client(BASE).signIn('demo.doctor', PASSWORD));
  const nurseApi = await new Client(BASE).signIn('demo.nurse', PASSWORD);
  const patient = await step('a patient whose team has both', async () => {
    const mine = new Set((await docApi.req('GET', '/patients', undefined, { expect: 200 })).patients.map((p) => p.id));
    const p = (await nurseApi.req('GET', '/patients', undefined, { expect: 200 })).patients.find((x) => mine.has(x.id));
    check(p, 'demo.nurse and demo.doctor share no patient');
    return p;
  });
  const thread = `#/patients/${patient.id}/messages`;

  await step('1. the doctor confirms an e-mail address (link from mailpit) and takes every kind by e-mail, no quiet hours', async () => {
    await docApi.req('PUT', '/me/email', { address: ADDRESS }, { expect: 200 });
    const m = await until(async () => (await mails()).find((x) => to(x).includes(ADDRESS)), 'the confirmation mail');
    const token = (await mailText(m.ID)).match(/confirm=([A-Za-z0-9_-]+)/)?.[1];
    check(token, 'no confirmation token in the mail');
    await docApi.req('POST', '/me/email/confirm', { token }, { expect: 200 });
    const both = 'both';
    await docApi.req('PUT', '/me/notification-preferences', {
      kinds: { record: both, visit: both, alert: both, message: both, mention: both, urgent: both },
      quiet_hours: { enabled: false, start: '22:00', end: '07:00' }, email_hourly: false,
    }, { expect: 200 });
  });

  const doctor = await launch({ base: BASE });
  open.push(doctor);
  const dp = doctor.page;
  await step('1. the doctor\'s app has the patient\'s 連絡 tab open', async () => {
    await signInUI(dp, 'demo.doctor', PASSWORD, PIN);
    await controlled(dp, PIN);
    await dp.evaluate((h) => { location.hash = h; }, thread);
    await dp.locator('form.composer').waitFor({ timeout: 20000 });
    await dp.evaluate(() => { window.__sameDocument = true; }); // gone if the page reloads
  });

  const nurse = await launch({ base: BASE });
  open.push(nurse);
  const np = nurse.page;
  await step('2. the nurse opens the patient\'s 連絡 tab', async () => {
    await signInUI(np, 'demo.nurse', PASSWORD, PIN);
    await controlled(np, PIN);
    await np.evaluate((id) => { location.hash = `#/patients/${id}`; }, patient.id);
    await np.getByRole('link', { name: /^連絡/ }).click();
    await np.locator('form.composer').waitFor({ timeout: 20000 });
    await settled(np);
  });

  await step('2. offline, she addresses the doctor by @ completion (keyboard) and marks it 至急', async () => {
    await nurse.context.setOffline(true);
    await np.evaluate(() => window.dispatchEvent(new Event('offline')));
    const box = np.getByRole('combobox', { name: 'チームへの連絡' });
    await box.click();
    await box.pressSequentially('@');
    const list = np.getByRole('listbox', { name: '宛先の候補' });
    await list.waitFor();
    check((await list.getByRole('option').count()) >= 2, 'the whole team is offered after @');
    await box.pressSequentially('みほ');
    await until(async () => (await list.getByRole('option').count()) === 1, 'the list narrowed to the doctor');
    await screen(np, 'mention-completion');
    await box.press('ArrowDown'); // wraps around to the one choice
    await box.press('Enter');
    check((await box.inputValue()) === '@見本 一郎 ', `after choosing: ${await box.inputValue()}`);
    await list.waitFor({ state: 'hidden' });
    await box.pressSequentially(`38.6度の発熱と呼吸苦があります。往診をお願いします。${CANARY}`);
    // A photo from the camera input, through the same outbox pipeline as a record's.
    const jpeg = await np.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 96; c.height = 64;
      const g = c.getContext('2d');
      g.fillStyle = '#c33'; g.fillRect(0, 0, 96, 64); g.fillStyle = '#fff'; g.fillRect(30, 12, 36, 40);
      return c.toDataURL('image/jpeg', 0.9).split(',')[1];
    });
    const photo = join(ART, 'e2e-channel-photo.jpg');
    await writeFile(photo, Buffer.from(jpeg, 'base64'));
    await np.setInputFiles('form.composer input[type=file]', photo);
    await np.locator('form.composer ul.thumbs img').waitFor();
    await np.getByRole('button', { name: '至急', pressed: false }).click();
    await np.getByText('宛先: 見本 一郎').waitFor();
    await screen(np, 'compose-urgent');
    await np.getByRole('button', { name: '至急で送信' }).click();
    const mine = msgIn(np, CANARY);
    await mine.waitFor({ timeout: 10000 });
    check(await mine.evaluate((el) => el.classList.contains('urgent') && el.classList.contains('pending')), 'not shown as urgent and waiting');
    await mine.getByText('送信待ち', { exact: true }).waitFor();
    await mine.getByText('写真1枚(送信待ち)').waitFor();
    check((await box.inputValue()) === '', 'the composer kept the text');
    await np.waitForFunction(() => /未送信 \d+件/.test(document.querySelector('.syncbar')?.textContent ?? ''));
    await screen(np, 'thread-offline-pending');
    const { items } = await docApi.req('GET', `/patients/${patient.id}/messages`, undefined, { expect: 200 });
    check(!items.some((m) => m.text.includes(CANARY)), 'the server has the message while the nurse is offline');
  });

  const sent = await step('3. online again, the answer to the push is lost: the app sends again and the server has it once', async () => {
    // The first push carrying the message reaches the server, but its answer does not reach the
    // app (the connection drops after the server took it): the message stays 送信待ち and goes
    // again on the next sync, and the server's ledger must drop the second copy. The context's
    // route sees the page's requests and those of its service worker alike.
    const lost = { pushes: 0, cut: 0, status: 0, aborted: false };
    await nurse.context.route('**/api/v1/sync/push', async (route) => {
      if (!(route.request().postData() ?? '').includes(CANARY_TAG)) return route.fallback();
      lost.pushes++;
      if (lost.cut) return route.fallback();
      lost.cut++;
      const res = await route.fetch();
      lost.status = res.status();
      await route.abort('connectionreset');
      lost.aborted = true;
    });
    await nurse.context.setOffline(false);
    await np.evaluate(() => window.dispatchEvent(new Event('online')));
    await until(async () => {
      const { items } = await docApi.req('GET', `/patients/${patient.id}/messages`, undefined, { expect: 200 });
      return items.some((x) => x.text.includes(CANARY));
    }, 'the message on the server');
    check(lost.cut === 1 && lost.status === 200, `the push was not cut after the server took it (${JSON.stringify(lost)})`);
    await until(() => lost.aborted, 'the lost answer');
    // The next sync (one during a run coalesces into one more after it) sends it again.
    await np.evaluate(() => window.dispatchEvent(new Event('online')));
    await msgIn(np, CANARY).getByText('送信待ち', { exact: true }).waitFor({ state: 'detached', timeout: 20000 });
    await np.waitForFunction(() => !/未送信/.test(document.querySelector('.syncbar')?.textContent ?? ''), null, { timeout: 20000 });
    check(lost.pushes >= 2, `the app did not send the message again (${lost.pushes} pushes)`);
    await nurse.context.unroute('**/api/v1/sync/push');
    const { items } = await docApi.req('GET', `/patients/${patient.id}/messages`, undefined, { expect: 200 });
    const m = items.filter((x) => x.text.includes(CANARY));
    check(m.length === 1, `the message is on the server ${m.length} times`);
    const [msg] = m;
    check(msg.urgent === true, 'not urgent on the server');
    check(JSON.stringify(msg.mentions) === JSON.stringify([docApi.me.id]), `mentions ${JSON.stringify(msg.mentions)}`);
    check(msg.attachment_ids?.length === 1, `attachments ${JSON.stringify(msg.attachment_ids)}`);
    return msg;
  });

  await step('3. the doctor\'s open app shows it live, without a reload', async () => {
    const m = msgIn(dp, CANARY);
    await m.waitFor({ timeout: 20000 });
    check(await dp.evaluate(() => window.__sameDocument === true), 'the doctor\'s page was reloaded');
    check(await m.evaluate((el) => el.classList.contains('urgent')), 'not highlighted as urgent');
    await m.locator('mark.mention', { hasText: '@見本 一郎' }).waitFor();
    await m.getByText('見本 看子').waitFor();
    const img = m.locator('.photos img');
    await until(() => img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the photo\'s thumbnail');
    await screen(dp, 'doctor-live');
  });

  await step('4. mailpit holds exactly one e-mail to the doctor, without the patient\'s name or the text', async () => {
    await until(async () => (await toDoctor()).length > 0, 'the mail to the doctor', 30000);
    // A second one would be a defect: the count must hold still over consecutive polls (~3 s).
    const settle = { last: -1, same: 0 };
    const got = await until(async () => {
      const now = await toDoctor();
      settle.same = now.length === settle.last ? settle.same + 1 : 0;
      settle.last = now.length;
      return settle.same >= 12 ? now : null;
    }, 'the count of mails to the doctor to hold still', 30000);
    check(got.length === 1, `${got.length} mails to the doctor: ${got.map((x) => x.Subject).join(' / ')}`);
    const [m] = got;
    check(/^つなぐ: .*連絡があります$/.test(m.Subject), `subject ${m.Subject}`);
    const raw = await mailRaw(m.ID);
    const text = await mailText(m.ID);
    for (const leak of [patient.name, patient.name_kana, patient.name?.split(/\s/)[0], CANARY, '38.6度', patient.id, sent.id].filter(Boolean)) {
      check(!raw.includes(leak) && !text.includes(leak), `the mail carries ${leak}`);
    }
  });

  await step('5. the doctor finds it under あなた宛ての連絡 and opens it at the message', async () => {
    await dp.evaluate(() => { location.hash = '#/today'; });
    await dp.getByRole('link', { name: /あなた宛ての連絡/ }).click();
    await dp.getByRole('heading', { name: 'あなた宛ての連絡' }).waitFor();
    const row = dp.locator('.mentions li', { hasText: CANARY });
    await row.waitFor({ timeout: 15000 });
    await row.getByText('至急').waitFor();
    await screen(dp, 'mentions');
    await row.getByRole('link').click();
    await dp.locator(`#m-${sent.id}.focus`).waitFor();
  });

  const REPLY = `承知しました。15時に伺います。@見本 看子 ${Date.now()}`;
  await step('5. he replies, choosing the nurse by touch in the completion list', async () => {
    await dp.locator(`#m-${sent.id}`).getByRole('button', { name: /に返信$/ }).click();
    await dp.getByText('見本 看子さんへの返信').waitFor();
    const box = dp.getByRole('combobox', { name: 'チームへの連絡' });
    await box.pressSequentially('承知しました。15時に伺います。@みほん');
    await dp.getByRole('option', { name: /見本 看子/ }).click();
    check((await box.inputValue()).includes('@見本 看子 '), `after the tap: ${await box.inputValue()}`);
    await box.fill(REPLY);
    await dp.getByRole('button', { name: '送信', exact: true }).click();
    const r = msgIn(dp, REPLY.slice(0, 20));
    await r.locator('blockquote.quote', { hasText: CANARY.slice(0, 10) }).waitFor();
    await settled(dp);
  });

  await step('5. the nurse sees the reply with its quote, live', async () => {
    const r = msgIn(np, '15時に伺います');
    await r.waitFor({ timeout: 20000 });
    await r.locator('blockquote.quote').waitFor();
    // The doctor has read hers: 既読 under it (receipts read again when a message arrives).
    await np.locator(`#m-${sent.id} .readers`, { hasText: '既読 1人(見本 一郎)' }).waitFor({ timeout: 15000 });
    await screen(np, 'nurse-reply');
    await np.setViewportSize(PORTRAIT);
    await screen(np, 'nurse-reply-portrait');
    await np.setViewportSize(LANDSCAPE);
  });

  await step('5. 「記録にする」: the form starts from the message; the record cites it and the message links the record', async () => {
    await dp.locator(`#m-${sent.id}`).getByRole('link', { name: /連絡を記録にする$/ }).click();
    await dp.locator('form.record').waitFor();
    const text = await dp.locator('form.record textarea[name=text]').inputValue();
    check(text.includes(CANARY), `the form's text: ${text}`);
    await dp.getByText('連絡から記録を作成します').waitFor();
    await screen(dp, 'record-from-message');
    await dp.locator('form.record button[name=save]').click();
    const link = dp.locator(`#m-${sent.id}`).getByRole('link', { name: /記録.*を開く/ });
    await link.waitFor({ timeout: 15000 });
    await settled(dp);
    const rec = await until(async () => {
      const { records } = await docApi.req('GET', `/patients/${patient.id}/records`, undefined, { expect: 200 });
      return records.find((r) => r.source_message_id === sent.id);
    }, 'the record citing the message');
    const { items } = await until(async () => {
      const p = await docApi.req('GET', `/patients/${patient.id}/messages`, undefined, { expect: 200 });
      return p.items.find((x) => x.id === sent.id)?.record_ids?.includes(rec.id) ? p : null;
    }, 'the message listing the record');
    check(items.length > 0, 'no messages');
    await screen(dp, 'record-linked');
    // And back: the record opens its message.
    await link.click();
    await dp.locator('section.record-view').getByRole('link', { name: '元の連絡を開く' }).click();
    await dp.locator(`#m-${sent.id}.focus`).waitFor();
  });

  await step('6. the nurse retracts a message; the doctor sees 「取り消されました」', async () => {
    const OOPS = `誤送信 ${Date.now()}`;
    const box = np.getByRole('combobox', { name: 'チームへの連絡' });
    await box.fill(OOPS);
    await np.getByRole('button', { name: '送信', exact: true }).click();
    await msgIn(np, OOPS).waitFor();
    await settled(np);
    await msgIn(dp, OOPS).waitFor({ timeout: 20000 });
    np.once('dialog', (d) => d.accept());
    await msgIn(np, OOPS).getByRole('button', { name: /取り消す$/ }).click();
    await msgIn(np, OOPS).locator('del').waitFor(); // the author still sees the text
    const gone = dp.locator('li.msg.retracted', { hasText: '取り消されました' });
    await gone.waitFor({ timeout: 20000 });
    check(!(await dp.locator('li.msg', { hasText: OOPS }).count()), 'the doctor still sees the retracted text');
    const below = dp.getByRole('button', { name: '新しい連絡があります ↓' });
    if (await below.isVisible()) await below.click(); // he was reading further up
    await gone.scrollIntoViewIfNeeded();
    await screen(dp, 'retracted');
  });

  await step('the badges: the doctor\'s caseload marks unread messages of the patient', async () => {
    // The doctor leaves the thread first: open, it would read the new message at once.
    await dp.evaluate(() => { location.hash = '#/patients'; });
    await dp.locator(`a[href="#/patients/${patient.id}"]`).first().waitFor({ timeout: 20000 });
    const nurseMsg = await nurseApi.req('POST', `/patients/${patient.id}/messages`, {
      id: uuidv7(), text: `バッジ確認 @見本 一郎`, mentions: [docApi.me.id],
    }, { expect: 201 });
    check(nurseMsg.id, 'no message');
    const badge = dp.locator(`a[href="#/patients/${patient.id}"] .badge.chan`);
    await badge.waitFor({ timeout: 20000 });
    check(/連絡 \d+ @\d+/.test(await badge.textContent()), `badge ${await badge.textContent()}`);
    await screen(dp, 'caseload-badges');
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
