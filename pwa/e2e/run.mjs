// End-to-end scenarios against the real server (started by scripts/e2e.sh):
//   a. first sign-in enrols TOTP, then sets the PIN
//   b. an offline nursing record with vitals and a photo survives an offline reload
//      and reaches the server exactly once
//   c. a team member's push reaches the receiver, the service worker shows it, and
//      the unread badge appears
//   d. a visit moved by the care manager while the nurse changed it offline shows
//      the conflict view with both versions
//   e. sign-out leaves no patient data in IndexedDB, Cache Storage or Web Storage
//   f. screenshots of the main screens (landscape and portrait) and axe-core checks
//   g. offline start time and JS size
// Env: E2E_BASE_URL, E2E_PUSH_URL, E2E_ARTIFACTS, CHROMIUM.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { Client } from './lib/client.mjs';
import { enterPin, launch, settled, signInUI } from './lib/browser.mjs';

const BASE = process.env.E2E_BASE_URL;
const PUSH = process.env.E2E_PUSH_URL;
const ART = process.env.E2E_ARTIFACTS || new URL('../../test-artifacts', import.meta.url).pathname;
const SHOTS = join(ART, 'screenshots');
const PASSWORD = 'tsunagu-demo-2026';
const PIN = '2580';
const DIST = new URL('../dist/', import.meta.url).pathname;
if (!BASE || !PUSH) throw new Error('run through scripts/e2e.sh (E2E_BASE_URL, E2E_PUSH_URL)');

const results = [];
async function step(name, f) {
  const t0 = Date.now();
  try {
    const v = await f();
    results.push(`ok   ${name} (${Date.now() - t0} ms)`);
    console.log(`ok   ${name}`);
    return v;
  } catch (e) {
    console.log(`FAIL ${name}\n${e.stack ?? e}`);
    throw e;
  }
}
function check(cond, msg) {
  if (!cond) throw new Error(msg);
}
const until = async (f, what, ms = 20000) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};
const tokyoDay = (d = new Date()) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(d);

await mkdir(SHOTS, { recursive: true });
const open = [];
let failed = false;
try {
  // The other users, as API sessions (they enrol TOTP here on first sign-in).
  const cm = await step('care manager signs in through the API (TOTP enrolment)', () => new Client(BASE).signIn('demo.caremanager', PASSWORD));
  const doc = await step('doctor signs in through the API (TOTP enrolment)', () => new Client(BASE).signIn('demo.doctor', PASSWORD));

  // a. The nurse's first sign-in in the app.
  const nurse = await launch({ base: BASE });
  open.push(nurse);
  const np = nurse.page;
  await step('a. nurse: first sign-in enrols TOTP in the app, then sets the PIN', async () => {
    await np.goto('/');
    await np.waitForSelector('input[name=login_id]');
    await shoot(np, 'signin');
    await signInUI(np, 'demo.nurse', PASSWORD, PIN);
    await controlled(np);
  });
  const nurseMe = (await np.evaluate(() => fetch('/api/v1/me').then((r) => r.json()))).user;

  // A patient whose team has the nurse, the doctor and the care manager.
  const patient = await step('find a patient shared by nurse, doctor and care manager', async () => {
    const { patients } = await cm.req('GET', '/patients', undefined, { expect: 200 });
    for (const p of patients) {
      const { members } = await cm.req('GET', `/patients/${p.id}/team`, undefined, { expect: 200 });
      const ids = new Set(members.map((m) => m.user_id));
      if (ids.has(nurseMe.id) && ids.has(doc.me.id) && ids.has(cm.me.id)) return p;
    }
    throw new Error('no patient with nurse, doctor and care manager on the team');
  });

  // A visit for today, planned by the care manager, assigned to the nurse.
  const today = tokyoDay();
  const visit = await step('care manager plans a visit for today (API)', () =>
    cm.req('POST', `/patients/${patient.id}/visits`, {
      kind: 'nurse_visit', assignee_ids: [nurseMe.id], status: 'planned',
      starts_at: `${today}T14:00:00+09:00`, ends_at: `${today}T15:00:00+09:00`,
    }, { expect: 201 }));

  await step('nurse sees the caseload and today\'s visit', async () => {
    await np.goto('/#/patients');
    await np.waitForSelector('ul.list a.row', { timeout: 30000 });
    await np.evaluate(() => { location.hash = '#/today'; });
    await np.waitForSelector(`a[href="#/patients/${patient.id}"]`, { timeout: 30000 });
  });

  // c (set-up). The doctor's app, with a push subscription at the local receiver.
  const doctor = await launch({ base: BASE, permissions: ['notifications'] });
  open.push(doctor);
  const dp = doctor.page;
  const sub = await step('c. doctor signs in in the app (TOTP code) and subscribes at the push receiver', async () => {
    await signInUI(dp, 'demo.doctor', PASSWORD, PIN);
    await controlled(dp);
    const { public_key } = await dp.evaluate(() => fetch('/api/v1/push/key').then((r) => r.json()));
    const res = await fetch(`${PUSH}/subscribe`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ userVisibleOnly: 'true', applicationServerKey: public_key }) });
    const { data, error } = await res.json();
    check(data, `receiver /subscribe: ${JSON.stringify(error)}`);
    // The receiver names itself "localhost"; the server allows 127.0.0.1:<port>.
    const endpoint = data.endpoint.replace('//localhost:', '//127.0.0.1:');
    const status = await dp.evaluate(async (b) => (await fetch('/api/v1/push/subscriptions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) })).status,
      { endpoint, keys: data.keys });
    check(status === 204, `POST /push/subscriptions answered ${status}`);
    await dp.evaluate(() => { location.hash = '#/patients'; });
    await dp.waitForSelector('ul.list a.row', { timeout: 30000 });
    return data;
  });

  // b + d. Offline: a record with vitals and a photo, and a change to the visit.
  const marker = `E2E訪問記録-${Date.now()}`;
  const photo = join(ART, 'e2e-photo.jpg');
  await np.evaluate(() => { location.hash = '#/today'; });
  const jpeg = await np.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 64; c.height = 48;
    const g = c.getContext('2d');
    g.fillStyle = '#2a7'; g.fillRect(0, 0, 64, 48); g.fillStyle = '#fff'; g.fillRect(8, 8, 20, 20);
    return c.toDataURL('image/jpeg', 0.9).split(',')[1];
  });
  await writeFile(photo, Buffer.from(jpeg, 'base64'));

  await step('b. offline: write a nursing record with vitals and a photo', async () => {
    await nurse.context.setOffline(true);
    await np.evaluate(() => window.dispatchEvent(new Event('offline')));
    await np.evaluate((id) => { location.hash = `#/patients/${id}/new`; }, patient.id);
    await np.waitForSelector('form.record');
    const nums = await np.$$('form.record fieldset input[type=number]');
    const vals = ['37.8', '132', '78', '88', '96'];
    for (let i = 0; i < vals.length; i++) await nums[i].fill(vals[i]);
    await np.fill('form.record textarea', marker);
    await np.setInputFiles('form.record input[type=file]', photo);
    await np.waitForSelector('ul.thumbs img');
    await shoot(np, 'record-new');
    await np.click('form.record button.primary');
    await np.waitForSelector('.timeline .tag.warn', { timeout: 10000 });
  });

  await step('d. offline: the nurse marks the visit done', async () => {
    await np.evaluate(() => { location.hash = '#/today'; });
    const row = np.locator('ul.list li.row', { hasText: '' }).filter({ has: np.locator(`a[href="#/patients/${patient.id}"]`) }).first();
    await row.locator('button').click();
    await np.waitForFunction(() => /未送信 2件/.test(document.querySelector('.syncbar')?.textContent ?? ''), null, { timeout: 10000 });
  });

  const offlineStart = await step('b. reload offline: the shell opens from the service worker, the record is still queued', async () => {
    await np.evaluate(() => { location.hash = '#/patients'; });
    await np.reload({ waitUntil: 'domcontentloaded' });
    await np.waitForSelector('input[name=pin]', { timeout: 15000 });
    await shoot(np, 'pin-offline');
    const pinShown = await np.evaluate(() => performance.now());
    await enterPin(np, PIN);
    await np.waitForSelector('ul.list a.row', { timeout: 15000 });
    const listShown = await np.evaluate(() => performance.now());
    const bar = await np.textContent('.syncbar');
    check(/未送信 2件/.test(bar), `sync bar after the offline reload: ${bar}`);
    await np.evaluate((id) => { location.hash = `#/patients/${id}`; }, patient.id);
    await np.waitForSelector(`.timeline li:has-text("${marker}") .tag.warn`, { timeout: 10000 });
    return { pinShown, listShown };
  });

  await step('d. meanwhile the care manager moves the visit (PATCH, API)', async () => {
    const moved = await cm.req('PATCH', `/visits/${visit.id}`, {
      base_version: visit.version, starts_at: `${today}T16:00:00+09:00`, ends_at: `${today}T17:00:00+09:00`,
    }, { expect: 200 });
    check(moved.version > visit.version, 'PATCH did not bump the version');
  });

  await step('b. online again: the record reaches the server exactly once, with vitals and photo', async () => {
    await nurse.context.setOffline(false);
    await np.evaluate(() => window.dispatchEvent(new Event('online')));
    await until(async () => {
      const { records } = await doc.req('GET', `/patients/${patient.id}/records`, undefined, { expect: 200 });
      return records.some((r) => r.text === marker);
    }, 'the record on the server');
    await settled(np).catch(() => undefined);
    await np.evaluate(() => window.dispatchEvent(new Event('online'))); // a second sync must not resend
    await new Promise((r) => setTimeout(r, 1500));
    const { records } = await doc.req('GET', `/patients/${patient.id}/records`, undefined, { expect: 200 });
    const mine = records.filter((r) => r.text === marker);
    check(mine.length === 1, `the record is on the server ${mine.length} times`);
    const r = mine[0];
    check(r.vitals?.temperature_c === 37.8 && r.vitals?.bp_systolic === 132, `vitals: ${JSON.stringify(r.vitals)}`);
    check(r.attachment_ids?.length === 1, `attachments: ${JSON.stringify(r.attachment_ids)}`);
    const thumb = await doc.req('GET', `/attachments/${r.attachment_ids[0]}/thumbnail?redirect=1`, undefined, { raw: true });
    check(thumb.status === 303, `thumbnail redirect: ${thumb.status}`);
    return r;
  });

  await step('d. the nurse\'s app shows the conflict with both versions', async () => {
    await np.evaluate(() => { location.hash = '#/settings'; });
    await np.waitForSelector('.conflict .yours', { timeout: 20000 });
    const server = await np.textContent('.conflict .server');
    const yours = await np.textContent('.conflict .yours');
    check(/16:00/.test(server), `server side of the conflict: ${server}`);
    check(/完了/.test(yours), `the nurse's side of the conflict: ${yours}`);
    await shoot(np, 'settings-conflict');
  });

  await step('c. the push reaches the receiver; the service worker shows it; the badge appears', async () => {
    const msgs = await until(async () => {
      const r = await fetch(`${PUSH}/get-notifications`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ clientHash: sub.clientHash }) });
      const j = await r.json();
      return j.data?.messages?.length ? j.data.messages : null;
    }, 'a push at the receiver', 30000);
    const payload = typeof msgs[0] === 'string' ? msgs[0] : JSON.stringify(msgs[0]);
    const p = JSON.parse(payload);
    check(p.patient_id === patient.id, `push payload: ${payload}`);
    check(!payload.includes(patient.name) && !payload.includes(patient.name.split(' ')[0]), 'the push payload carries the patient name');
    const cdp = await doctor.context.newCDPSession(dp);
    const regs = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => regs.push(...e.registrations));
    await cdp.send('ServiceWorker.enable');
    const reg = await until(() => regs.find((r) => !r.isDeleted), 'the service worker registration', 10000);
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: new URL(BASE).origin, registrationId: reg.registrationId, data: payload });
    const shown = await until(() => dp.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => `${n.title}|${n.body}`)).then((n) => (n.length ? n : null)), 'a shown notification', 10000);
    check(shown.length >= 1, 'no notification');
    await dp.waitForSelector(`a[href="#/patients/${patient.id}"] .badge`, { timeout: 20000 });
    await shoot(dp, 'patients-unread');
    return shown;
  });

  await step('f. screenshots and axe-core on the main screens', async () => {
    const screens = [['today', '#/today'], ['patients', '#/patients'], ['patient-timeline', `#/patients/${patient.id}`],
      ['record-new', `#/patients/${patient.id}/new`], ['settings', '#/settings']];
    const problems = [];
    for (const [w, h, tag] of [[1180, 820, 'landscape'], [820, 1180, 'portrait']]) {
      await np.setViewportSize({ width: w, height: h });
      for (const [name, hash] of screens) {
        await np.evaluate((x) => { location.hash = x; }, hash);
        await np.waitForSelector('main#main > *', { timeout: 10000 });
        await np.waitForTimeout(300);
        await shoot(np, `${name}-${tag}`);
        if (tag === 'landscape') problems.push(...(await axe(np, name)));
      }
      for (const tab of ['calendar', 'team']) {
        await np.evaluate((x) => { location.hash = x; }, `#/patients/${patient.id}`);
        await np.click(`[role=tab]:nth-child(${tab === 'calendar' ? 2 : 3})`);
        await np.waitForTimeout(300);
        await shoot(np, `patient-${tab}-${tag}`);
        if (tag === 'landscape') problems.push(...(await axe(np, `patient-${tab}`)));
      }
    }
    check(problems.length === 0, `axe found serious/critical violations:\n${problems.join('\n')}`);
  });

  await step('e. sign-out leaves no patient data in IndexedDB, Cache Storage or Web Storage', async () => {
    np.once('dialog', (d) => d.accept());
    await np.evaluate(() => { location.hash = '#/settings'; });
    await np.click('button.danger:last-of-type');
    await np.waitForSelector('input[name=login_id]', { timeout: 15000 });
    await shoot(np, 'signed-out');
    const left = await np.evaluate(async ({ pid, name }) => {
      const out = [];
      for (const d of await indexedDB.databases()) {
        const db = await new Promise((res, rej) => { const r = indexedDB.open(d.name); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
        for (const s of db.objectStoreNames) {
          const n = await new Promise((res) => { const r = db.transaction(s).objectStore(s).count(); r.onsuccess = () => res(r.result); });
          if (n && s !== 'meta') out.push(`IndexedDB ${d.name}/${s}: ${n} rows`);
        }
        db.close();
      }
      for (const k of await caches.keys()) {
        const c = await caches.open(k);
        for (const req of await c.keys()) {
          if (/\/api\/|\/blobs\//.test(req.url)) out.push(`Cache ${k}: ${req.url}`);
        }
      }
      for (const st of [localStorage, sessionStorage]) {
        for (let i = 0; i < st.length; i++) {
          const k = st.key(i); const v = st.getItem(k) ?? '';
          if (v.includes(pid) || v.includes(name) || k.includes(pid)) out.push(`Storage ${k}`);
        }
      }
      return out;
    }, { pid: patient.id, name: patient.name });
    check(left.length === 0, `left on the device after sign-out:\n${left.join('\n')}`);
  });

  // g. Numbers.
  const js = await jsSize();
  console.log(`\noffline start (navigation start → PIN screen): ${offlineStart.pinShown.toFixed(0)} ms`);
  console.log(`offline start (navigation start → patient list, PIN typed by the test incl. key derivation): ${offlineStart.listShown.toFixed(0)} ms`);
  console.log(`JavaScript: ${(js.raw / 1024).toFixed(1)} KiB, ${(js.gz / 1024).toFixed(1)} KiB gzipped`);
  console.log(`screenshots: ${SHOTS}`);
} catch {
  failed = true;
} finally {
  for (const o of open) await o.close().catch(() => undefined);
}
console.log(`\n${results.join('\n')}`);
if (failed) {
  console.log('\ne2e: FAILED');
  process.exit(1);
}
console.log('\ne2e: all scenarios passed');

/** Makes sure the service worker controls the page (reloading once and unlocking if not). */
async function controlled(page) {
  await page.evaluate(() => navigator.serviceWorker.ready);
  if (await page.evaluate(() => !!navigator.serviceWorker.controller)) return;
  await page.reload();
  await page.waitForSelector('input[name=pin]', { timeout: 15000 });
  await enterPin(page, PIN);
  check(await page.evaluate(() => !!navigator.serviceWorker.controller), 'the service worker does not control the page');
}

async function shoot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

async function axe(page, name) {
  await page.addScriptTag({ path: new URL('../node_modules/axe-core/axe.min.js', import.meta.url).pathname });
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `  ${name}: ${v.impact} ${v.id} — ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

async function jsSize() {
  let raw = 0;
  let gz = 0;
  const walk = async (dir) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.js')) {
        const b = await readFile(p);
        raw += b.length;
        gz += gzipSync(b, { level: 9 }).length;
      }
    }
  };
  await walk(DIST);
  return { raw, gz };
}
