// End-to-end smoke test of the built app in Debian's Chromium (playwright-core, no
// browser download). Serves dist/ and a fake /api/v1 that speaks the shapes the app
// expects (see README), signs in with TOTP, sets a PIN, reads today's visit, writes a
// record offline and checks that it is pushed exactly once on reconnect.
// Usage: npm run build && node e2e/smoke.mjs [--shots DIR]
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { chromium } from 'playwright-core';

const DIST = new URL('../dist/', import.meta.url).pathname;
const SHOTS = process.argv.includes('--shots') ? process.argv[process.argv.indexOf('--shots') + 1] : null;
const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date());

const me = { id: 'u-nurse', login_id: 'nurse1', name: '看護 花子', profession: 'nurse', facility_id: 'f1', roles: [] };
const patient = { id: 'p1', name: '山田 太郎', name_kana: 'やまだ たろう', birth_date: '1941-03-05', patient_id: 'p1' };
const visit = { id: 'v1', patient_id: 'p1', kind: 'nurse_visit', assignee_ids: ['u-nurse'], starts_at: `${today}T10:00:00+09:00`, ends_at: `${today}T11:00:00+09:00`, status: 'planned', version: 1 };
const pushed = [];
const ledger = new Set();
let signedIn = false;

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'Content-Type': type });
  res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
}
const problem = (res, status, code) => send(res, status, { type: 'about:blank', title: code, status, code }, 'application/problem+json');

async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

async function api(req, res, path) {
  const b = await body(req);
  const route = `${req.method} ${path}`;
  if (route === 'POST /session') {
    const j = JSON.parse(b);
    if (j.login_id !== 'nurse1' || j.password !== 'correct horse battery') return problem(res, 401, 'invalid_credentials');
    if (!j.totp_code) return problem(res, 401, 'totp_required');
    if (j.totp_code !== '123456') return problem(res, 401, 'totp_invalid');
    signedIn = true;
    return send(res, 200, me);
  }
  if (!signedIn) return problem(res, 401, 'unauthenticated');
  if (route === 'GET /me') return send(res, 200, me);
  if (route === 'POST /devices') return send(res, 200, { secret: Buffer.from('device-secret-e2e-0123456789abcd').toString('base64'), expires_at: new Date(Date.now() + 7 * 864e5).toISOString() });
  if (route === 'GET /me/unread') return send(res, 200, { patients: [{ patient_id: 'p1', count: 2 }] });
  if (route === 'GET /sync/pull') {
    const cursor = new URL(req.url, 'http://x').searchParams.get('cursor');
    if (cursor) return send(res, 200, { changes: [], cursor, has_more: false, resets: [] });
    return send(res, 200, { changes: [{ entity: 'patient', op: 'upsert', data: patient }, { entity: 'visit', op: 'upsert', data: visit }], cursor: 'c1', has_more: false, resets: [] });
  }
  if (route === 'POST /sync/push') {
    const j = JSON.parse(b);
    const results = j.mutations.map((m) => {
      const dup = ledger.has(m.id);
      ledger.add(m.id);
      if (!dup) pushed.push(m);
      return { id: m.id, status: dup ? 'duplicate' : 'applied' };
    });
    return send(res, 200, { results });
  }
  if (route === 'GET /events') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    res.write(': hello\n\n');
    return; // kept open
  }
  if (req.method === 'PUT' && path.startsWith('/attachments/')) return send(res, 204, '');
  return problem(res, 404, 'not_found');
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.webmanifest': 'application/manifest+json' };
const server = createServer(async (req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (path.startsWith('/api/v1/')) return api(req, res, path.slice(7));
  try {
    const file = join(DIST, path === '/' ? 'index.html' : path);
    send(res, 200, await readFile(file), TYPES[extname(file)] ?? 'application/octet-stream');
  } catch {
    send(res, 404, 'not found', 'text/plain');
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const ctx = await browser.newContext({ viewport: { width: 820, height: 1180 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
const page = await ctx.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
const shot = async (name) => SHOTS && page.screenshot({ path: `${SHOTS}/${name}.png` });
const step = (s) => console.log('·', s);

let failed = 0;
function check(cond, what) {
  console.log(cond ? '  ok  ' : '  FAIL', what);
  if (!cond) failed++;
}

try {
  await page.goto(base + '/');
  await page.getByLabel('ログインID').fill('nurse1');
  await page.getByLabel('パスワード').fill('correct horse battery');
  await shot('1-signin');
  await page.getByRole('button', { name: 'サインイン' }).click();
  step('TOTP step');
  await page.getByLabel('確認コード(6桁)').fill('123456');
  await page.getByRole('button', { name: '確認' }).click();
  step('PIN');
  await page.getByLabel('PIN', { exact: true }).fill('2468');
  await page.getByLabel('PIN(確認)').fill('2468');
  await shot('2-pin');
  await page.getByRole('button', { name: '開く' }).click();
  await page.getByRole('heading', { name: '今日の訪問' }).waitFor();
  await page.getByText('山田 太郎').waitFor();
  check(true, "today shows the patient's visit");
  await shot('3-today');
  await page.getByRole('link', { name: '患者' }).click();
  await page.getByLabel('ふりがなで検索').fill('ヤマダ');
  check(await page.getByText('山田 太郎').isVisible(), 'kana search (katakana query) finds やまだ');
  check(await page.getByLabel('未読 2件').isVisible(), 'unread badge');
  await shot('4-patients');
  await page.getByText('山田 太郎').click();
  await page.getByRole('link', { name: '記録を書く' }).click();
  step('offline record');
  await ctx.setOffline(true);
  await page.getByLabel('体温(℃)').fill('38.2');
  await page.getByLabel('内容').fill('創部の発赤あり。');
  check(await page.getByText('目安の範囲外です').isVisible(), 'out-of-range hint for 38.2 ℃');
  await shot('5-record');
  await page.getByRole('button', { name: '保存' }).click();
  await page.getByText('未送信', { exact: true }).waitFor();
  check(pushed.length === 0, 'nothing pushed while offline');
  await shot('6-timeline-offline');
  await ctx.setOffline(false);
  await page.evaluate(() => dispatchEvent(new Event('online')));
  for (let i = 0; i < 50 && pushed.length === 0; i++) await page.waitForTimeout(100);
  check(pushed.length === 1 && pushed[0].type === 'record.create' && pushed[0].args.vitals?.temperature_c === 38.2, 'record pushed once on reconnect');
  const raw = await page.evaluate(async () => {
    const db = await new Promise((r) => { const q = indexedDB.open('tsunagu'); q.onsuccess = () => r(q.result); });
    const all = await new Promise((r) => { const q = db.transaction('entities').objectStore('entities').getAll(); q.onsuccess = () => r(q.result); });
    return JSON.stringify(all.map((x) => [x.key, new TextDecoder().decode(x.sealed.ct)]));
  });
  check(!raw.includes('山田') && !raw.includes('発赤'), 'IndexedDB holds no plaintext patient data');
  await page.getByRole('link', { name: '設定' }).click();
  await shot('7-settings');
  check(errors.length === 0, `no page errors ${errors.join(' | ')}`);
} catch (e) {
  failed++;
  console.error(e);
  await shot('error');
} finally {
  await browser.close();
  server.close();
}
console.log(`${failed ? 0 : 1} passed, ${failed ? 1 : 0} failed`);
process.exit(failed ? 1 : 0);
