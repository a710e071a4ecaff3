// E-mail notification (slice H), against the demo region with a mailpit SMTP
// server (scripts/e2e.sh starts it and sets E2E_MAILPIT_URL):
//   1. a doctor opens 設定 → 通知, registers an address; the confirmation mail
//      arrives; opening its link in the signed-in app confirms the address;
//   2. she chooses e-mail only for records and saves;
//   3. a nurse of a shared patient writes a record (API); mailpit holds one mail
//      to the doctor with the generic subject and no patient name or record text.
// Screenshots to screenshots/mail/, each checked with axe-core.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, uuidv7 } from '../lib/client.mjs';
import { launch, signInUI } from '../lib/browser.mjs';
import { axe, check, harness, until } from '../lib/harness.mjs';

const BASE = process.env.E2E_BASE_URL;
const MAILPIT = process.env.E2E_MAILPIT_URL;
const ART = process.env.E2E_ARTIFACTS || new URL('../../../test-artifacts', import.meta.url).pathname;
const SHOTS = join(ART, 'screenshots', 'mail');
const PASSWORD = 'tsunagu-demo-2026';
const PIN = '4826';
if (!BASE) throw new Error('run through scripts/e2e.sh (E2E_BASE_URL)');
if (!MAILPIT) {
  if (process.env.CI === 'true') throw new Error('80-mail: no mailpit (E2E_MAILPIT_URL); scripts/ci-setup.sh installs it');
  console.log('skip 80-mail: mailpit not installed (go install github.com/axllent/mailpit@v1.33.1)');
  process.exit(0);
}
const ADDRESS = `doctor2.${Date.now()}@e2e.example`;
const CANARY = 'カナリア本文 e2e-mail';

const mails = async () => {
  const r = await (await fetch(`${MAILPIT}/api/v1/messages?limit=500`)).json();
  return r.messages ?? [];
};
const mailText = async (id) => (await (await fetch(`${MAILPIT}/api/v1/message/${id}`)).json()).Text ?? '';
const mailRaw = async (id) => (await fetch(`${MAILPIT}/api/v1/message/${id}/raw`)).text();
const to = (m) => [...(m.To ?? []), ...(m.Bcc ?? [])].map((a) => a.Address);

await mkdir(SHOTS, { recursive: true });
const { results, open, step, shoot } = harness(SHOTS);
const axeProblems = [];
async function screen(page, name) {
  await shoot(page, name);
  axeProblems.push(...(await axe(page, name)));
}

let failed = false;
try {
  const doc = await launch({ base: BASE });
  open.push(doc);
  const dp = doc.page;
  await step('1. the doctor signs in and opens 設定 → 通知', async () => {
    await signInUI(dp, 'demo.doctor2', PASSWORD, PIN);
    await dp.evaluate(() => { location.hash = '#/settings'; });
    await dp.getByRole('link', { name: '通知の方法・メール・通知しない時間帯' }).click();
    await dp.getByRole('heading', { name: '通知の設定' }).waitFor();
    await dp.getByLabel('メールアドレス').waitFor();
    await screen(dp, 'notify-settings');
  });

  await step('1. she registers an address; the confirmation mail arrives; its link confirms it', async () => {
    await dp.getByLabel('メールアドレス').fill(ADDRESS);
    await dp.getByRole('button', { name: '確認メールを送る' }).click();
    await dp.getByText('確認のメールを送りました').waitFor();
    const m = await until(async () => (await mails()).find((x) => to(x).includes(ADDRESS)), 'the confirmation mail');
    check(m.Subject === 'つなぐ: メールアドレスの確認', `subject ${m.Subject}`);
    const link = (await mailText(m.ID)).match(/https?:\/\/\S+#\/settings\/notifications\?confirm=[A-Za-z0-9_-]+/)?.[0];
    check(link, 'no confirmation link in the mail');
    await dp.goto(link);
    await dp.getByText('メールアドレスを確認しました').waitFor({ timeout: 15000 });
    await dp.getByText(`${ADDRESS}(確認済み)`).waitFor();
    check(!(await dp.evaluate(() => location.hash)).includes('confirm='), 'the used token stays in the address bar');
    await screen(dp, 'notify-confirmed');
  });

  await step('2. she chooses e-mail only for records and saves', async () => {
    await dp.getByLabel('新しい記録・確定待ちの記録').selectOption('email');
    await dp.getByRole('button', { name: '通知の設定を保存' }).click();
    await dp.getByText('通知の設定を保存しました').waitFor();
    await dp.getByRole('heading', { name: '通知しない時間帯' }).scrollIntoViewIfNeeded();
    await screen(dp, 'notify-saved');
  });

  await step('3. a nurse writes a record of a shared patient: one generic mail to the doctor, no patient data', async () => {
    const nurse = await new Client(BASE).signIn('demo.nurse', PASSWORD);
    const docApi = await new Client(BASE).signIn('demo.doctor2', PASSWORD);
    const mine = new Set((await docApi.req('GET', '/patients', undefined, { expect: 200 })).patients.map((p) => p.id));
    const shared = (await nurse.req('GET', '/patients', undefined, { expect: 200 })).patients.find((p) => mine.has(p.id));
    check(shared, 'demo.nurse and demo.doctor2 share no patient');
    const before = (await mails()).filter((x) => to(x).includes(ADDRESS)).length;
    await nurse.req('POST', `/patients/${shared.id}/records`, { id: uuidv7(), kind: 'note', occurred_at: new Date().toISOString(), text: CANARY }, { expect: 201 });
    const got = await until(async () => {
      const l = (await mails()).filter((x) => to(x).includes(ADDRESS));
      return l.length > before && l;
    }, 'the record mail');
    const m = got[0];
    check(m.Subject === 'つなぐ: 新しい記録があります', `subject ${m.Subject}`);
    const raw = await mailRaw(m.ID);
    const text = await mailText(m.ID);
    for (const leak of [shared.name, shared.name_kana, CANARY, shared.id].filter(Boolean)) {
      check(!raw.includes(leak) && !text.includes(leak), `the mail carries ${leak}`);
    }
    await new Promise((r) => setTimeout(r, 1500));
    const after = (await mails()).filter((x) => to(x).includes(ADDRESS)).length;
    check(after === before + 1, `${after - before} mails for one record`);
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
