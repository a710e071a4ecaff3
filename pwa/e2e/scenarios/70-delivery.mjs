// Delivery (helper G): how the web app reaches the iPad, and who lands where.
//   1. the browser gets every text file of the app Brotli-compressed (Content-Encoding
//      br, Vary: Accept-Encoding), decodes it and the app works: the nurse signs in,
//      opens a patient (a screen loaded on use) and sees a record made for it;
//   2. offline, the service worker's precache still opens the app and a screen that
//      was never opened (record form), from the cache;
//   3. a browser that accepts only gzip gets gzip and the app works; a client that
//      accepts neither gets the files as they are;
//   4. /robots.txt keeps crawlers out (not the app);
//   5. the network office (demo.admin) lands on its console, without the clinician tabs.
// Screenshots in screenshots/delivery/, each checked with axe-core.
// Env: E2E_BASE_URL, E2E_ARTIFACTS, CHROMIUM (run through scripts/e2e.sh).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { uuidv7 } from '../lib/client.mjs';
import { enterPin, launch, settled, signInUI } from '../lib/browser.mjs';
import { axe, check, controlled, harness, tokyoDay } from '../lib/harness.mjs';

const BASE = process.env.E2E_BASE_URL;
const ART = process.env.E2E_ARTIFACTS || new URL('../../../test-artifacts', import.meta.url).pathname;
const SHOTS = join(ART, 'screenshots', 'delivery');
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

/** Records what the server answered for the app's own text files (not the API). */
function watch(page) {
  const seen = [];
  page.on('response', async (res) => {
    const u = new URL(res.url());
    if (u.origin !== new URL(BASE).origin || u.pathname.startsWith('/api/') || /\.png$/.test(u.pathname)) return;
    if (res.fromServiceWorker()) return; // answered from the precache, not the server
    const h = await res.allHeaders().catch(() => ({}));
    seen.push({ path: u.pathname, status: res.status(), encoding: h['content-encoding'] ?? '', vary: h.vary ?? '', type: h['content-type'] ?? '' });
  });
  return seen;
}

/** Every text file the server sent was in `want` encoding, with Vary and a proper type. */
function allEncoded(seen, want, needed) {
  const files = seen.filter((r) => r.status === 200 && /\.(js|css|html|webmanifest)$|\/$/.test(r.path));
  for (const n of needed) check(files.some((r) => n.test(r.path)), `no ${n} among ${files.map((r) => r.path).join(', ')}`);
  for (const r of files) {
    check(r.encoding === want, `${r.path}: Content-Encoding ${JSON.stringify(r.encoding)}, want ${want}`);
    check(/accept-encoding/i.test(r.vary), `${r.path}: Vary ${JSON.stringify(r.vary)}`);
    check(!/octet-stream/.test(r.type) && r.type !== '', `${r.path}: Content-Type ${r.type}`);
  }
  return files.length;
}

let failed = false;
try {
  // 1. Brotli in the browser.
  const app = await launch({ base: BASE });
  open.push(app);
  const p = app.page;
  let nurse;
  const brSeen = watch(p);
  await step('1. the browser gets the app Brotli-compressed and it works: sign-in, today, a patient', async () => {
    await signInUI(p, 'demo.nurse2', PASSWORD, PIN);
    await controlled(p, PIN);
    await settled(p);
    // A record of her own for one of her patients, written through the API with the app's session.
    const marker = `配信確認 ${uuidv7().slice(-8)}`;
    // And a visit of hers for today (the Today row and its button).
    nurse = await p.evaluate(async ({ marker, id, at, day }) => {
      const { patients } = await (await fetch('/api/v1/patients')).json();
      const { user } = await (await fetch('/api/v1/me')).json();
      const post = async (path, body) => {
        const r = await fetch(`/api/v1${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
        if (r.status !== 201) throw new Error(`${path}: ${r.status} ${await r.text()}`);
      };
      await post(`/patients/${patients[0].id}/records`, { id, kind: 'nursing_visit', occurred_at: at, text: `${marker} 訪問時の様子は安定` });
      await post(`/patients/${patients[0].id}/visits`, { kind: 'nurse_visit', assignee_ids: [user.id], status: 'planned', starts_at: `${day}T22:00:00+09:00`, ends_at: `${day}T22:30:00+09:00` });
      return { patient: patients[0], marker };
    }, { marker, id: uuidv7(), at: new Date(Date.now() - 60000).toISOString(), day: tokyoDay() });
    await p.evaluate(() => window.dispatchEvent(new Event('online')));
    await settled(p);
    await p.evaluate(() => { location.hash = '#/today'; });
    await p.getByRole('link', { name: /訪問予定を開く/ }).first().waitFor({ timeout: 20000 });
    check(await p.getByRole('link', { name: /訪問予定を開く/ }).first().innerText() === '予定を開く', 'the Today row\'s button does not say 予定を開く');
    const today = await p.locator('main#main').innerText();
    check(!/日間以降|サインイン/.test(today), `today's wording: ${today.slice(0, 300)}`);
    await screen(p, 'today-br');
    await p.evaluate((id) => { location.hash = `#/patients/${id}`; }, nurse.patient.id);
    await p.getByText(nurse.marker).first().waitFor({ timeout: 20000 });
    const n = allEncoded(brSeen, 'br', [/^\/$/, /\/assets\/index-[^/]+\.js$/, /\/assets\/index-[^/]+\.css$/]);
    // The service worker fetched the rest (its precache): ask the server again for
    // each of them from the page (a query string passes the precache by).
    const fetched = await p.evaluate(async () => {
      const urls = ['/sw.js'];
      for (const k of await caches.keys()) for (const r of await (await caches.open(k)).keys()) urls.push(new URL(r.url).pathname);
      const out = [];
      for (const u of urls.filter((x) => /\.(js|css|html|webmanifest)$/.test(x))) {
        const r = await fetch(`${u}?delivery=1`, { cache: 'no-store' });
        const text = await r.text();
        out.push({ path: u, status: r.status, encoding: r.headers.get('content-encoding') ?? '', vary: r.headers.get('vary') ?? '', type: r.headers.get('content-type') ?? '', start: text.slice(0, 20), length: text.length });
      }
      return out;
    });
    check(fetched.some((f) => /\/assets\/patient-/.test(f.path)) && fetched.some((f) => f.path === '/sw.js'), `fetched: ${fetched.map((f) => f.path).join(', ')}`);
    allEncoded(fetched, 'br', []);
    for (const f of fetched) check(f.length > 0 && !/^\uFFFD|^\x1f/.test(f.start), `${f.path}: not decoded (${JSON.stringify(f.start)})`);
    // English is a chunk of its own, loaded when chosen.
    await p.evaluate(() => { location.hash = '#/settings'; });
    await p.getByRole('radio', { name: 'English' }).click();
    await p.getByRole('link', { name: 'Settings' }).waitFor({ timeout: 10000 });
    check(await p.getByRole('button', { name: 'Log out' }).count() === 1, 'no "Log out" button in English');
    await p.reload(); // the chosen language is there from the first screen
    await p.waitForSelector('input[name=pin]', { timeout: 15000 });
    check(await p.getByRole('button', { name: 'Open' }).count() === 1, 'the PIN screen is not in English after a reload');
    await enterPin(p, PIN);
    await p.evaluate(() => { location.hash = '#/settings'; });
    await p.getByRole('radio', { name: '日本語' }).click();
    await p.getByRole('link', { name: '設定' }).waitFor({ timeout: 10000 });
    check(await p.getByRole('button', { name: 'ログアウト' }).count() === 1, 'no ログアウト button');
    console.log(`  ${n + fetched.length} answers for the app's files came as br, decoded by the browser`);
    await screen(p, 'patient-br');
  });

  // 2. Offline: the precache (workbox) still has every chunk.
  await step('2. offline, the precache opens the app and a screen never opened before', async () => {
    const cached = await p.evaluate(async () => {
      const urls = [];
      for (const k of await caches.keys()) for (const r of await (await caches.open(k)).keys()) urls.push(new URL(r.url).pathname);
      return urls;
    });
    for (const re of [/\/assets\/forms-[^/]+\.js/, /\/assets\/settings-[^/]+\.js/, /\/index\.html/]) check(cached.some((u) => re.test(u)), `${re} not precached: ${cached.join(', ')}`);
    check(!cached.some((u) => /\.(br|gz)$/.test(u)), 'a compressed copy is in the precache list');
    await app.context.setOffline(true);
    const fromCache = [];
    p.on('response', (res) => { if (res.fromServiceWorker() && /\/assets\/forms-/.test(res.url())) fromCache.push(res.url()); });
    await p.reload();
    await p.waitForSelector('input[name=pin]', { timeout: 15000 });
    await enterPin(p, PIN);
    await p.evaluate((id) => { location.hash = `#/patients/${id}/new`; }, nurse.patient.id);
    await p.waitForSelector('main#main textarea, main#main form', { timeout: 15000 });
    check(fromCache.length > 0, 'the record form chunk did not come from the service worker');
    await screen(p, 'record-new-offline');
    await app.context.setOffline(false);
  });
  await app.close();
  open.splice(open.indexOf(app), 1);

  // 3. gzip only, and neither.
  await step('3. a browser accepting only gzip gets gzip and the app starts', async () => {
    const gz = await launch({ base: BASE });
    open.push(gz);
    await gz.context.setExtraHTTPHeaders({ 'Accept-Encoding': 'gzip' });
    const seen = watch(gz.page);
    await gz.page.goto('/');
    await gz.page.waitForSelector('input[name=login_id]', { timeout: 15000 });
    allEncoded(seen, 'gzip', [/^\/$/, /\/assets\/index-[^/]+\.js$/, /\/assets\/index-[^/]+\.css$/]);
    await screen(gz.page, 'signin-gzip');
    await gz.close();
    open.splice(open.indexOf(gz), 1);
  });
  await step('3. a client accepting neither gets the files as they are', async () => {
    const html = await fetch(`${BASE}/`, { headers: { 'Accept-Encoding': 'identity' } });
    const body = await html.text();
    check(!html.headers.get('content-encoding') && /vary/i.test([...html.headers.keys()].join(' ')) && body.includes('<script'), `identity /: ${html.headers.get('content-encoding')} ${body.slice(0, 80)}`);
    const js = body.match(/src="(\/assets\/index-[^"]+\.js)"/)[1];
    const raw = await fetch(`${BASE}${js}`, { headers: { 'Accept-Encoding': 'identity' } });
    const br = await fetch(`${BASE}${js}`, { headers: { 'Accept-Encoding': 'br' } });
    const rawLen = Number(raw.headers.get('content-length'));
    const brLen = Number(br.headers.get('content-length'));
    check(!raw.headers.get('content-encoding') && br.headers.get('content-encoding') === 'br', 'identity/br negotiation');
    check(brLen > 0 && brLen < rawLen / 2, `br ${brLen} bytes vs ${rawLen} as is`);
    console.log(`  ${js}: ${rawLen} bytes as is, ${brLen} bytes br`);
  });

  // 4. robots.txt
  await step('4. /robots.txt keeps crawlers out', async () => {
    const r = await fetch(`${BASE}/robots.txt`);
    const text = await r.text();
    check(r.status === 200 && /^text\/plain/.test(r.headers.get('content-type') ?? ''), `robots.txt: ${r.status} ${r.headers.get('content-type')}`);
    check(/^User-agent: \*\nDisallow: \/\n?$/.test(text), `robots.txt: ${JSON.stringify(text)}`);
  });

  // 5. The network office.
  await step('5. the network office (demo.admin) lands on its console, without the clinician tabs', async () => {
    const office = await launch({ base: BASE });
    open.push(office);
    const op = office.page;
    await signInUI(op, 'demo.admin', PASSWORD, PIN);
    await op.getByRole('navigation', { name: '管理メニュー' }).waitFor({ timeout: 20000 });
    // Staff messages are the office's too (to and from any staff member); an unread count may follow the label.
    const tabs = (await op.locator('nav.tabbar a').allTextContents()).map((t) => t.replace(/[\s(（]*\d+[)）]?\s*$/, '').trim());
    check(JSON.stringify(tabs) === JSON.stringify(['スタッフ連絡', '管理', '設定']), `office tabs: ${tabs.join(', ')}`);
    check(await op.locator('nav.tabbar a[aria-current=page]').textContent() === '管理', 'the console tab is not the current one');
    await screen(op, 'office-home');
    await op.evaluate(() => { location.hash = '#/today'; }); // the installed app's start_url
    await op.getByRole('navigation', { name: '管理メニュー' }).waitFor({ timeout: 10000 });
    await office.close();
    open.splice(open.indexOf(office), 1);
  });

  await step('axe-core and the Content-Security-Policy on every screen shown', async () => {
    check(axeProblems.length === 0, `axe found serious/critical violations:\n${axeProblems.join('\n')}`);
  });
} catch {
  failed = true;
} finally {
  for (const o of open) await o.close().catch(() => undefined);
}
console.log(results.join('\n'));
process.exit(failed ? 1 : 0);
