// End-to-end scenarios against the real server (started by scripts/e2e.sh):
//   a. first sign-in enrols TOTP, then sets the PIN
//   b. an offline nursing record with vitals and a photo survives an offline reload
//      and reaches the server exactly once
//   c. a team member's push reaches the receiver, the service worker shows it, and
//      the unread badge appears
//   d. a visit moved by the care manager while the nurse changed it offline shows
//      the conflict view with both versions; choosing "mine" resolves it on the server
//   j. an amendment made offline on a record the doctor amended meanwhile comes back
//      stale; the conflict view shows both versions and a reconciling amendment fixes it
//   h. today shows what changed since the nurse's last visit; the vitals chart draws
//      the patient's records
//   i. the care manager, in the app, creates a weekly series and moves one occurrence,
//      and the server has both; the month view renders; a three-day stay shows on each
//      of its days in the month and week views
//   k. 代行入力と確定: the nurse enters a record in the app for her colleague at the same
//      station; the colleague finds it on today's "awaiting confirmation" list and
//      confirms it offline in the app; once online the server shows who confirmed it,
//      and the version history shows who entered and who confirmed it; a proxy entry
//      for a suspended colleague comes back refused (422), shown on the record and in
//      the sync problems until dismissed
//   e. sign-out leaves no patient data in IndexedDB, Cache Storage or Web Storage
//   f. screenshots of the main screens (landscape and portrait) and axe-core checks
//      on each of them and on the sign-in screen
//   g. offline start time and JS size
// Env: E2E_BASE_URL, E2E_PUSH_URL, E2E_ARTIFACTS, CHROMIUM.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { firstLoadFiles } from '../scripts/first-load.mjs';
import { Client, uuidv7 } from './lib/client.mjs';
import { enterPin, launch, settled, signInUI } from './lib/browser.mjs';
import { LANDSCAPE, PORTRAIT, axe, check, controlled, harness, tokyoDay, until } from './lib/harness.mjs';

const BASE = process.env.E2E_BASE_URL;
const PUSH = process.env.E2E_PUSH_URL;
const ART = process.env.E2E_ARTIFACTS || new URL('../../test-artifacts', import.meta.url).pathname;
const SHOTS = join(ART, 'screenshots');
const PASSWORD = 'tsunagu-demo-2026';
const PIN = '2580';
const DIST = new URL('../dist/', import.meta.url).pathname;
if (!BASE || !PUSH) throw new Error('run through scripts/e2e.sh (E2E_BASE_URL, E2E_PUSH_URL)');

const addDays = (day, n) => tokyoDay(new Date(Date.parse(`${day}T12:00:00+09:00`) + n * 86400000));
const weekdayCode = (day) => ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'][new Date(`${day}T12:00:00+09:00`).getUTCDay()];
/** Monday of the week of `day` (the app's weeks start on Monday). */
const weekStart = (day) => addDays(day, -((new Date(`${day}T12:00:00+09:00`).getUTCDay() + 6) % 7));
const axeProblems = [];

await mkdir(SHOTS, { recursive: true });
const { results, open, step, shoot } = harness(SHOTS);
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
    axeProblems.push(...(await axe(np, 'signin-landscape')));
    await np.setViewportSize(PORTRAIT);
    await shoot(np, 'signin-portrait');
    axeProblems.push(...(await axe(np, 'signin-portrait')));
    await np.setViewportSize(LANDSCAPE);
    await signInUI(np, 'demo.nurse', PASSWORD, PIN);
    await controlled(np, PIN);
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

  // The doctor's recent records with vitals (one out of range), for the trend and "since".
  const today = tokyoDay();
  const seeded = [
    [-9, { temperature_c: 36.5, bp_systolic: 128, bp_diastolic: 76, pulse: 72, spo2: 97 }],
    [-6, { temperature_c: 36.9, bp_systolic: 134, bp_diastolic: 82, pulse: 80, spo2: 96 }],
    [-3, { temperature_c: 38.2, bp_systolic: 146, bp_diastolic: 88, pulse: 104, spo2: 92 }],
    [-1, { temperature_c: 37.1, bp_systolic: 130, bp_diastolic: 80, pulse: 84, spo2: 95 }],
  ];
  await step('the doctor records vitals on four earlier days (API)', async () => {
    for (const [d, vitals] of seeded) {
      await doc.req('POST', `/patients/${patient.id}/records`, {
        id: uuidv7(), kind: 'doctor_note', occurred_at: `${addDays(today, d)}T10:30:00+09:00`, text: `E2E診療 ${d}`, vitals,
      }, { expect: 201 });
    }
  });

  // A visit for today, planned by the care manager, assigned to the nurse.
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

  await step('h. today: what changed since the nurse\'s last visit (the doctor\'s four records, one out of range)', async () => {
    const since = np.locator('li.visit', { has: np.locator(`a[href="#/patients/${patient.id}"]`) }).locator('.since summary');
    await since.waitFor({ timeout: 20000 });
    const text = await until(async () => {
      const x = await since.textContent();
      return /記録 4件/.test(x) ? x : null;
    }, 'the doctor\'s records in "since my last visit"').catch(async () => since.textContent());
    check(/記録 4件/.test(text) && /基準範囲外あり 1件/.test(text), `since-last-visit summary: ${text}`);
    await since.click();
    await np.waitForSelector('details.since[open] li');
    await shoot(np, 'today-since');
  });

  // c (set-up). The doctor's app, with a push subscription at the local receiver.
  const doctor = await launch({ base: BASE, permissions: ['notifications'] });
  open.push(doctor);
  const dp = doctor.page;
  const sub = await step('c. doctor signs in in the app (TOTP code) and subscribes at the push receiver', async () => {
    await signInUI(dp, 'demo.doctor', PASSWORD, PIN);
    await controlled(dp, PIN);
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

  const queued = await step('b. offline: write a nursing record with vitals and a photo', async () => {
    await nurse.context.setOffline(true);
    await np.evaluate(() => window.dispatchEvent(new Event('offline')));
    await np.evaluate((id) => { location.hash = `#/patients/${id}/new`; }, patient.id);
    await np.waitForSelector('form.record');
    const nums = await np.$$('form.record fieldset input[type=number]');
    const vals = ['37.8', '132', '78', '88', '96'];
    for (let i = 0; i < vals.length; i++) await nums[i].fill(vals[i]);
    await np.fill('form.record textarea[name=text]', marker);
    await np.setInputFiles('form.record input[type=file]', photo);
    await np.waitForSelector('ul.thumbs img');
    await shoot(np, 'record-new');
    await np.click('form.record button.primary');
    await np.waitForSelector('.timeline .tag.warn', { timeout: 10000 });
    // Opening the timeline also queued read receipts for the doctor's records.
    await np.waitForTimeout(500);
    return Number(/未送信 (\d+)件/.exec(await np.textContent('.syncbar'))?.[1]);
  });

  await step('d. offline: the nurse marks the visit done', async () => {
    await np.evaluate(() => { location.hash = '#/today'; });
    const row = np.locator('li.visit').filter({ has: np.locator(`a[href="#/patients/${patient.id}"]`) }).first();
    await row.locator('button.done').click();
    await np.waitForFunction((n) => (document.querySelector('.syncbar')?.textContent ?? '').includes(`未送信 ${n}件`), queued + 1, { timeout: 10000 });
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
    // The bar reads 同期中 while the engine's first (offline) attempt runs; then the count.
    await np.waitForFunction((n) => (document.querySelector('.syncbar')?.textContent ?? '').includes(`未送信 ${n}件`), queued + 1, { timeout: 10000 }).catch(() => {});
    const bar = await np.textContent('.syncbar');
    check(bar.includes(`未送信 ${queued + 1}件`), `sync bar after the offline reload: ${bar}`);
    await np.evaluate((id) => { location.hash = `#/patients/${id}`; }, patient.id);
    await np.waitForSelector(`.timeline li:has-text("${marker}") .tag.warn`, { timeout: 10000 });
    return { pinShown, listShown };
  });

  const moved = await step('d. meanwhile the care manager moves the visit (PATCH, API)', async () => {
    const m = await cm.req('PATCH', `/visits/${visit.id}`, {
      base_version: visit.version, starts_at: `${today}T16:00:00+09:00`, ends_at: `${today}T17:00:00+09:00`,
    }, { expect: 200 });
    check(m.version > visit.version, 'PATCH did not bump the version');
    return m;
  });

  const serverRecord = await step('b. online again: the record reaches the server exactly once, with vitals and photo', async () => {
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

  await step('d. the nurse\'s app shows the conflict with both versions side by side', async () => {
    await np.waitForSelector('.syncbar a.conflicts', { timeout: 20000 });
    await np.click('.syncbar a.conflicts');
    await np.waitForSelector('li.conflict td.yours', { timeout: 20000 });
    const server = (await np.locator('li.conflict td.server').allTextContents()).join(' ');
    const yours = (await np.locator('li.conflict td.yours').allTextContents()).join(' ');
    check(/16:00/.test(server) && /予定/.test(server), `server side of the conflict: ${server}`);
    check(/完了/.test(yours), `the nurse's side of the conflict: ${yours}`);
    for (const [vp, tag] of [[LANDSCAPE, 'landscape'], [PORTRAIT, 'portrait']]) {
      await np.setViewportSize(vp);
      await shoot(np, `conflicts-${tag}`);
      axeProblems.push(...(await axe(np, `conflicts-${tag}`)));
    }
    await np.setViewportSize(LANDSCAPE);
  });

  await step('d. choosing "mine" resolves the conflict on the server (done, at the care manager\'s new time)', async () => {
    await np.click('li.conflict button.choose-mine');
    await np.waitForSelector('p.empty[role=status]', { timeout: 10000 });
    const v = await until(async () => {
      const x = await cm.req('GET', `/visits/${visit.id}`, undefined, { expect: 200 });
      return x.status === 'done' ? x : null;
    }, 'the nurse\'s choice on the server');
    check(v.version === moved.version + 1, `version ${v.version} after ${moved.version}`);
    check(Date.parse(v.starts_at) === Date.parse(`${today}T16:00:00+09:00`), `the care manager's move was lost: ${v.starts_at}`);
    await settled(np);
    check(!/競合/.test(await np.textContent('.syncbar')), 'the sync bar still shows a conflict');
  });

  await step('j. a stale amendment: the nurse amends offline, the doctor amends first; she reconciles both', async () => {
    await nurse.context.setOffline(true);
    await np.evaluate(() => window.dispatchEvent(new Event('offline')));
    await np.evaluate((id) => { location.hash = `#/patients/${id}`; }, patient.id);
    await np.click(`a.amend[href$="/records/${serverRecord.id}/amend"]`);
    await np.waitForSelector('form.record input[name=reason]');
    await np.fill('form.record textarea[name=text]', `${marker} 夕方に再訪問`);
    await np.fill('form.record input[name=reason]', '追記');
    await np.click('form.record button.primary');
    await np.waitForSelector(`.timeline li:has-text("夕方に再訪問") .tag.warn`, { timeout: 10000 });
    await doc.req('POST', `/records/${serverRecord.id}/amendments`, { reason: '医師の追記', base_version: serverRecord.version, text: `${marker} 解熱剤を処方` }, { expect: 201 });
    await nurse.context.setOffline(false);
    await np.evaluate(() => window.dispatchEvent(new Event('online')));
    await np.waitForSelector('.syncbar a.conflicts', { timeout: 20000 });
    await np.click('.syncbar a.conflicts');
    await np.waitForSelector('li.conflict td.server', { timeout: 10000 });
    const yours = (await np.locator('li.conflict td.yours').allTextContents()).join(' ');
    const server = (await np.locator('li.conflict td.server').allTextContents()).join(' ');
    check(/夕方に再訪問/.test(yours) && /解熱剤を処方/.test(server), `record conflict: mine ${yours} / theirs ${server}`);
    await shoot(np, 'conflicts-record');
    axeProblems.push(...(await axe(np, 'conflicts-record')));
    await np.click('li.conflict button[aria-expanded]');
    const merged = `${marker} 解熱剤を処方。夕方に再訪問`;
    await np.fill('form.reconcile textarea', merged);
    await np.fill('form.reconcile input', '医師の追記と統合');
    await np.click('form.reconcile button.primary');
    await np.waitForSelector('p.empty[role=status]', { timeout: 10000 });
    const r = await until(async () => {
      const x = await doc.req('GET', `/records/${serverRecord.id}`, undefined, { expect: 200 });
      return x.version === 4 ? x : null;
    }, 'the reconciling amendment on the server');
    check(r.text === merged && !r.stale_parent && r.versions.length === 4 && r.versions[2].stale_parent, `record after reconciling: v${r.version} ${r.text} stale=${r.stale_parent}`);
    await settled(np);
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
    const notifications = () => dp.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => `${n.title}|${n.body}`));
    // On a loaded machine the first delivery can reach a worker still starting and be
    // dropped by the browser: deliver again (the app shows each push it gets) until
    // one is shown, for at most 30 s.
    let shown = [];
    for (let i = 0; i < 6 && shown.length === 0; i++) {
      await cdp.send('ServiceWorker.deliverPushMessage', { origin: new URL(BASE).origin, registrationId: reg.registrationId, data: payload });
      shown = await until(() => notifications().then((n) => (n.length ? n : null)), 'a shown notification', 5000).catch(() => []);
    }
    if (shown.length === 0) throw new Error('timed out waiting for a shown notification (6 deliveries)');
    check(shown.length >= 1, 'no notification');
    await dp.waitForSelector(`a[href="#/patients/${patient.id}"] .badge`, { timeout: 20000 });
    await shoot(dp, 'patients-unread');
    return shown;
  });

  await step('h. the vitals chart draws the five measured records, the out-of-range ones marked', async () => {
    await np.evaluate((id) => { location.hash = `#/patients/${id}/vitals`; }, patient.id);
    await np.waitForSelector('.trend svg', { timeout: 10000 });
    const chart = await np.evaluate(() => ({
      panels: document.querySelectorAll('.trend svg[role=img]').length,
      temps: document.querySelectorAll('.trend:first-child .line .mark').length,
      bad: document.querySelectorAll('.trend .mark.bad').length,
      line: document.querySelector('.trend:first-child polyline')?.getAttribute('points') ?? '',
      desc: document.querySelector('.trend:first-child desc')?.textContent ?? '',
      rows: document.querySelectorAll('table.data tbody tr').length,
    }));
    check(chart.panels === 4, `vitals panels: ${chart.panels}`);
    check(chart.temps === 5 && chart.line.split(' ').length === 5, `temperature points: ${JSON.stringify(chart)}`);
    // Outside the served 基準範囲 (GET /vitals/ranges): the doctor's 38.2 °C, pulse 104, SpO2 92 and the
    // nurse's 37.8 °C; 146 mmHg is within (the systolic flag is at 160 and above).
    check(chart.bad === 4, `out-of-range markers: ${chart.bad}`);
    check(/最新 37.8/.test(chart.desc) && /範囲外 2件/.test(chart.desc), `spoken summary: ${chart.desc}`);
    check(chart.rows === 5, `table rows: ${chart.rows}`);
  });

  // k. 代行入力と確定: two nurses of one station (care/authorship.go: the author works at
  // the enterer's facility and reaches the patient at the kind's level).
  const proxy = await step('k. find a patient of both station nurses with full consent', async () => {
    const { patients } = await cm.req('GET', '/patients', undefined, { expect: 200 });
    for (const p of patients.filter((x) => x.consent === 'full' && x.id !== patient.id)) {
      const { members } = await cm.req('GET', `/patients/${p.id}/team`, undefined, { expect: 200 });
      const colleague = members.find((m) => m.profession === 'nurse' && m.user_id !== nurseMe.id && m.facility_id === nurseMe.facility_id);
      if (colleague && members.some((m) => m.user_id === nurseMe.id)) return { patient: p, colleague };
    }
    throw new Error('no patient with both station nurses on the team');
  });
  const proxyMarker = `E2E代行入力-${Date.now()}`;
  const proxied = await step('k. nurse (app): a proxy entry (代行入力) for her colleague; the server has the colleague as author', async () => {
    await np.evaluate((id) => { location.hash = `#/patients/${id}/new`; }, proxy.patient.id);
    await np.waitForSelector('form.record fieldset.author');
    await np.check(`input[name=author][value="${proxy.colleague.user_id}"]`);
    await np.waitForSelector('fieldset.author .notice');
    check(await np.inputValue('form.record input[name=kind]:checked') === 'nursing_visit', 'the kind is not the colleague\'s template');
    for (const [vp, tag] of [[PORTRAIT, 'portrait'], [LANDSCAPE, 'landscape']]) {
      await np.setViewportSize(vp);
      await np.evaluate(() => document.querySelector('fieldset.author')?.scrollIntoView());
      await shoot(np, `record-new-proxy-${tag}`);
      axeProblems.push(...(await axe(np, `record-new-proxy-${tag}`)));
    }
    await np.fill('form.record textarea[name=text]', proxyMarker);
    await np.click('form.record button.primary');
    const card = np.locator('.timeline li.awaiting', { hasText: proxyMarker });
    await card.waitFor({ timeout: 10000 });
    const tags = (await card.locator('.tag').allTextContents()).join(' ');
    check(tags.includes(`代行入力 ${nurseMe.name}`) && tags.includes('確定待ち'), `timeline tags: ${tags}`);
    const r = await until(async () => {
      const { records } = await doc.req('GET', `/patients/${proxy.patient.id}/records`, undefined, { expect: 200 });
      return records.find((x) => x.text === proxyMarker);
    }, 'the proxy entry on the server');
    check(r.author_id === proxy.colleague.user_id && r.entered_by === nurseMe.id && r.awaiting_confirmation, `proxy entry: author ${r.author_id} entered_by ${r.entered_by} awaiting ${r.awaiting_confirmation}`);
    await settled(np);
    await shoot(np, 'timeline-proxy');
    return r;
  });

  const colleague = await launch({ base: BASE });
  open.push(colleague);
  const kp = colleague.page;
  await step('k. colleague (app): today lists the record awaiting her confirmation; the history shows who entered it', async () => {
    await signInUI(kp, 'demo.nurse2', PASSWORD, PIN);
    await kp.waitForSelector(`section.awaiting a[href$="/records/${proxied.id}"]`, { timeout: 30000 });
    for (const [vp, tag] of [[PORTRAIT, 'portrait'], [LANDSCAPE, 'landscape']]) {
      await kp.setViewportSize(vp);
      await shoot(kp, `today-awaiting-${tag}`);
      axeProblems.push(...(await axe(kp, `today-awaiting-${tag}`)));
    }
    await kp.click(`section.awaiting a[href$="/records/${proxied.id}"]`);
    await kp.waitForSelector('.record-view .versions li');
    const v1 = await kp.textContent('.record-view .versions li');
    check(v1.includes(nurseMe.name) && v1.includes('確定待ち') && v1.includes('代行入力'), `version 1 before confirming: ${v1}`);
    for (const [vp, tag] of [[PORTRAIT, 'portrait'], [LANDSCAPE, 'landscape']]) {
      await kp.setViewportSize(vp);
      await shoot(kp, `record-awaiting-${tag}`);
      axeProblems.push(...(await axe(kp, `record-awaiting-${tag}`)));
    }
  });

  await step('k. colleague (app): confirms offline; once online the server shows confirmed_by', async () => {
    await colleague.context.setOffline(true);
    await kp.evaluate(() => window.dispatchEvent(new Event('offline')));
    await kp.click('.record-view button.confirm');
    await kp.waitForSelector('.record-view p.notice[role=status]');
    await kp.waitForFunction(() => (document.querySelector('.syncbar')?.textContent ?? '').includes('未送信 1件'), null, { timeout: 10000 });
    await colleague.context.setOffline(false);
    await kp.evaluate(() => window.dispatchEvent(new Event('online')));
    const r = await until(async () => {
      const x = await doc.req('GET', `/records/${proxied.id}`, undefined, { expect: 200 });
      return x.confirmed_by ? x : null;
    }, 'the confirmation on the server');
    const [v] = r.versions;
    check(r.confirmed_by === proxy.colleague.user_id && !r.awaiting_confirmation && v.confirmed_by_name === proxy.colleague.name && v.entered_by === nurseMe.id,
      `after confirming: ${JSON.stringify({ confirmed_by: r.confirmed_by, awaiting: r.awaiting_confirmation, v })}`);
    // The history now names both: who entered the version and who confirmed it (Asia/Tokyo time).
    const hm = new Intl.DateTimeFormat('ja-JP', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit' }).format(new Date(v.confirmed_at));
    const text = await until(async () => {
      const x = await kp.textContent('.record-view .versions li').catch(() => '');
      return x.includes(`${proxy.colleague.name} ·`) ? x : null;
    }, 'the confirmation in the history', 15000);
    check(text.includes(nurseMe.name) && text.includes(hm), `history after confirming: ${text}`);
    for (const [vp, tag] of [[PORTRAIT, 'portrait'], [LANDSCAPE, 'landscape']]) {
      await kp.setViewportSize(vp);
      await shoot(kp, `record-history-${tag}`);
      axeProblems.push(...(await axe(kp, `record-history-${tag}`)));
    }
    // Her timeline marks it confirmed, with no confirm button left.
    await kp.evaluate((id) => { location.hash = `#/patients/${id}`; }, proxy.patient.id);
    const card = kp.locator('.timeline li', { hasText: proxyMarker });
    await card.locator('.tag', { hasText: '確定済み' }).waitFor({ timeout: 10000 });
    check(await card.locator('button.confirm').count() === 0, 'the confirm button is still on the confirmed record');
  });
  await step('l. suspended: the colleague\'s app is wiped at its next contact (IndexedDB empty, back to sign-in)', async () => {
    const setStatus = (st) => np.evaluate(async ({ id, st }) => (await fetch(`/api/v1/users/${id}`, {
      method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ status: st }) })).status, { id: proxy.colleague.user_id, st });
    const rows = () => kp.evaluate(async () => {
      let n = 0;
      for (const d of await indexedDB.databases()) {
        const db = await new Promise((res, rej) => { const r = indexedDB.open(d.name); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
        for (const s of db.objectStoreNames) {
          if (s === 'meta') continue;
          n += await new Promise((res) => { const r = db.transaction(s).objectStore(s).count(); r.onsuccess = () => res(r.result); });
        }
        db.close();
      }
      return n;
    });
    check(await rows() > 0, 'the colleague\'s device holds no data before the test');
    check(await setStatus('suspended') === 200, 'suspending the colleague');
    try {
      // Her next contact: the app comes back to the foreground and syncs.
      await kp.evaluate(() => { document.dispatchEvent(new Event('visibilitychange')); });
      await kp.waitForSelector('input[name=login_id]', { timeout: 20000 });
      await until(async () => (await rows()) === 0, 'the colleague\'s IndexedDB emptied');
      await shoot(kp, 'suspended-wiped');
    } finally {
      await setStatus('active');
    }
  });
  await colleague.close();
  open.splice(open.indexOf(colleague), 1);

  await step('k. a proxy entry the server refuses (the colleague was suspended while it waited offline) shows on the record and in the sync problems; dismissing it removes it', async () => {
    // The nurse administers her station: from another session of hers (API) she
    // suspends her colleague for a moment, while her app holds a proxy entry offline.
    // (The app offers only active colleagues, so the refusal comes from the server.)
    const admin = await new Client(BASE).signIn('demo.nurse', PASSWORD);
    const setStatus = async (st) => (await admin.req('PATCH', `/users/${proxy.colleague.user_id}`, { status: st }, { raw: true })).status;
    try {
      const refusedMarker = `${proxyMarker}-refused`;
      await nurse.context.setOffline(true);
      await np.evaluate(() => window.dispatchEvent(new Event('offline')));
      await np.evaluate((id) => { location.hash = `#/patients/${id}/new`; }, proxy.patient.id);
      await np.check(`input[name=author][value="${proxy.colleague.user_id}"]`);
      await np.fill('form.record textarea[name=text]', refusedMarker);
      await np.click('form.record button.primary');
      check(await setStatus('suspended') === 200, 'suspending the colleague');
      await nurse.context.setOffline(false);
      await np.evaluate(() => window.dispatchEvent(new Event('online')));
      const card = np.locator('.timeline li', { hasText: refusedMarker });
      await card.locator('p.error').waitFor({ timeout: 15000 });
      const why = await card.locator('p.error').textContent();
      check(/代行入力が認められず/.test(why) && (await card.locator('.tag', { hasText: '送信できませんでした' }).count()) === 1, `refused card: ${why}`);
      for (const [vp, tag] of [[PORTRAIT, 'portrait'], [LANDSCAPE, 'landscape']]) {
        await np.setViewportSize(vp);
        await card.scrollIntoViewIfNeeded();
        await shoot(np, `timeline-proxy-refused-${tag}`);
        axeProblems.push(...(await axe(np, `timeline-proxy-refused-${tag}`)));
      }
      await np.evaluate(() => { location.hash = '#/settings'; });
      const problem = np.locator('.list li', { hasText: '記録の送信' });
      await problem.waitFor({ timeout: 10000 });
      check(/代行入力が認められず/.test(await problem.textContent()), 'the sync problem does not say why');
      await problem.scrollIntoViewIfNeeded();
      await shoot(np, 'settings-refused');
      await problem.locator('button').click();
      await problem.waitFor({ state: 'detached', timeout: 10000 });
      await np.evaluate((id) => { location.hash = `#/patients/${id}`; }, proxy.patient.id);
      await np.waitForSelector(`.timeline li:has-text("${proxyMarker}")`);
      check(await np.locator('.timeline li', { hasText: refusedMarker }).count() === 0, 'the refused record is still shown after dismissing it');
    } finally {
      await setStatus('active');
    }
  });

  // i. The care manager plans a weekly series in the app and moves one visit of it.
  // A three-day stay (all day) in today's week, so every day of it is in this month's grid.
  const stayStart = addDays(today, -Math.min(2, (new Date(`${today}T12:00:00+09:00`).getUTCDay() + 6) % 7));
  const stayDays = [0, 1, 2].map((n) => addDays(stayStart, n));
  const stay = await step('i. care manager plans a three-day stay, all day (API)', () =>
    cm.req('POST', `/patients/${patient.id}/visits`, {
      kind: 'care_service', assignee_ids: [cm.me.id], status: 'planned', all_day: true,
      starts_at: `${stayStart}T00:00:00+09:00`, ends_at: `${addDays(stayStart, 3)}T00:00:00+09:00`,
    }, { expect: 201 }));
  const cmApp = await launch({ base: BASE });
  open.push(cmApp);
  const cp = cmApp.page;
  const first = addDays(today, 1);
  const second = addDays(today, 3);
  const moveDay = addDays(first, 7);
  const series = await step('i. care manager (app): the month view renders; a weekly series, twice a week, 4 times', async () => {
    await signInUI(cp, 'demo.caremanager', PASSWORD, PIN);
    await cp.evaluate((id) => { location.hash = `#/patients/${id}/calendar`; }, patient.id);
    await cp.waitForSelector('table.month tbody td button.day', { timeout: 20000 });
    const cells = await cp.locator('table.month tbody td').count();
    check(cells >= 28 && cells % 7 === 0, `month cells: ${cells}`);
    check(await cp.locator('table.month td.today').count() === 1, 'today is not marked in the month view');
    // The stay is on each of its three days, not only on its first.
    const gridStart = weekStart(`${today.slice(0, 7)}-01`);
    for (const d of stayDays) {
      const i = Math.round((Date.parse(`${d}T12:00:00+09:00`) - Date.parse(`${gridStart}T12:00:00+09:00`)) / 86400000);
      const chips = await cp.locator('table.month tbody td').nth(i).locator('.chip').allTextContents();
      check(chips.some((c) => /終日/.test(c)), `the stay is missing on ${d}: ${chips.join(' | ')}`);
    }
    await shoot(cp, 'calendar-month-cm');
    await cp.click(`a.button.primary[href^="#/patients/${patient.id}/visits/new/"]`);
    await cp.waitForSelector('form.visit-edit');
    await cp.selectOption('select[name=kind]', 'nurse_visit');
    await cp.uncheck(`input[name=assignee][value="${cm.me.id}"]`);
    await cp.check(`input[name=assignee][value="${nurseMe.id}"]`);
    await cp.fill('input[name=day]', first);
    await cp.fill('input[name=start]', '10:00');
    await cp.fill('input[name=end]', '11:00');
    await cp.check('input[name=repeat]');
    await cp.check(`input[name=by_day][value=${weekdayCode(second)}]`);
    await cp.fill('input[name=count]', '4');
    const preview = await cp.textContent('form.visit-edit p[role=status]');
    check(/全4回/.test(preview), `series preview: ${preview}`);
    await shoot(cp, 'visit-new-series');
    await cp.click('form.visit-edit button.primary');
    await cp.waitForSelector('.calendar', { timeout: 10000 });
    return until(async () => {
      const cal = await cm.req('GET', `/patients/${patient.id}/visits?from=${first}&to=${addDays(first, 13)}`, undefined, { expect: 200 });
      const os = cal.days.flatMap((d) => d.visits).filter((v) => v.recurrence?.count === 4);
      return os.length === 4 ? { id: os[0].id, occurrences: os, rule: os[0].recurrence } : null;
    }, 'the series on the server');
  });
  check(series.rule.interval === 1 && [...series.rule.by_day].sort().join() === [weekdayCode(first), weekdayCode(second)].sort().join(), `rule: ${JSON.stringify(series.rule)}`);

  await step('i. care manager (app): moves one occurrence (this one only) to 15:00; the server has the exception', async () => {
    const occ = series.occurrences.find((o) => tokyoDay(new Date(o.starts_at)) === moveDay);
    check(occ, `no occurrence on ${moveDay}`);
    const occStart = new Date(occ.occurrence_start).toISOString();
    await cp.click('[role=radiogroup] [role=radio]:nth-child(2)'); // week view
    await until(async () => (await cp.locator(`.week a.visit-chip[href$="/visits/${stay.id}"]`).count()) === 3, 'the stay on its three days of the week view', 10000);
    await shoot(cp, 'calendar-week-stay');
    const weeks = Math.round((Date.parse(weekStart(moveDay)) - Date.parse(weekStart(today))) / (7 * 86400000));
    for (let i = 0; i < weeks; i++) await cp.click('.cal-nav button:nth-of-type(2)');
    await cp.click(`a.visit-chip[href$="/${encodeURIComponent(occStart)}"]`);
    await cp.waitForSelector('form.visit-edit input[name=scope][value=occurrence]:checked');
    await cp.fill('input[name=start]', '15:00');
    await cp.fill('input[name=end]', '16:00');
    await shoot(cp, 'visit-edit-occurrence');
    await cp.click('form.visit-edit button.primary');
    await cp.waitForSelector('.calendar', { timeout: 10000 });
    const v = await until(async () => {
      const x = await cm.req('GET', `/visits/${series.id}`, undefined, { expect: 200 });
      return x.exceptions.length ? x : null;
    }, 'the moved occurrence on the server');
    const e = v.exceptions[0];
    check(v.exceptions.length === 1 && Date.parse(e.occurrence_start) === Date.parse(occStart), `exceptions: ${JSON.stringify(v.exceptions)}`);
    check(Date.parse(e.starts_at) === Date.parse(`${moveDay}T15:00:00+09:00`) && Date.parse(e.ends_at) === Date.parse(`${moveDay}T16:00:00+09:00`), `moved to ${e.starts_at}–${e.ends_at}`);
    check(v.recurrence.count === 4 && v.version === 2, `the series itself changed: ${JSON.stringify(v.recurrence)} v${v.version}`);
    // The week view shows it at its new time.
    await until(() => cp.locator(`a.visit-chip[href$="/${encodeURIComponent(occStart)}"]`).textContent().then((x) => /15:00/.test(x)), 'the moved visit in the week view', 10000);
    await shoot(cp, 'calendar-week-cm');
  });
  await cmApp.close();
  open.splice(open.indexOf(cmApp), 1);

  await step('f. screenshots and axe-core on every main screen, landscape and portrait', async () => {
    await until(async () => {
      await np.evaluate(() => window.dispatchEvent(new Event('online')));
      await settled(np);
      await np.evaluate(() => { location.hash = '#/calendar'; });
      return np.locator(`a.visit-chip[href*="/visits/${series.id}/"]`).count().catch(() => 0);
    }, 'the series on the nurse\'s device').catch(() => undefined);
    const occ = new Date(series.occurrences[0].occurrence_start).toISOString();
    const screens = [['today', '#/today'], ['patients', '#/patients'], ['patient-timeline', `#/patients/${patient.id}`],
      ['patient-calendar-month', `#/patients/${patient.id}/calendar`, 1], ['patient-calendar-week', `#/patients/${patient.id}/calendar`, 2],
      ['patient-vitals', `#/patients/${patient.id}/vitals`], ['patient-team', `#/patients/${patient.id}/team`],
      ['my-week', '#/calendar'], ['visit-edit', `#/patients/${patient.id}/visits/${series.id}/${encodeURIComponent(occ)}`],
      ['visit-new', `#/patients/${patient.id}/visits/new/${today}`], ['record-new', `#/patients/${patient.id}/new`], ['settings', '#/settings']];
    for (const [vp, tag] of [[LANDSCAPE, 'landscape'], [PORTRAIT, 'portrait']]) {
      await np.setViewportSize(vp);
      for (const [name, hash, viewRadio] of screens) {
        await np.evaluate((x) => { location.hash = x; }, hash);
        await np.waitForSelector('main#main > *', { timeout: 10000 });
        if (viewRadio) await np.click(`.calendar [role=radiogroup] [role=radio]:nth-child(${viewRadio})`);
        await np.waitForTimeout(250);
        await shoot(np, `${name}-${tag}`);
        axeProblems.push(...(await axe(np, `${name}-${tag}`)));
      }
    }
    check(axeProblems.length === 0, `axe found serious/critical violations:\n${axeProblems.join('\n')}`);
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
  console.log(`JavaScript of the first load: ${(js.raw / 1024).toFixed(1)} KiB, ${(js.gz / 1024).toFixed(1)} KiB gzipped`);
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

/** The first load's JavaScript (what the budget counts), raw and gzipped. */
async function jsSize() {
  let raw = 0;
  let gz = 0;
  for (const f of firstLoadFiles(DIST)) {
    const b = await readFile(f);
    raw += b.length;
    gz += gzipSync(b, { level: 9 }).length;
  }
  return { raw, gz };
}
