// Scenario B — the document scanner and viewer:
//   a nurse photographs a three-page referral letter OFFLINE (synthetic photographs of
//   a page in perspective on a cluttered desk, made in the browser and set on the
//   camera input), fixes one corner by dragging its handle, saves; online again the
//   record reaches the server exactly once with its three pages in order; the
//   doctor's app shows them in the viewer with page navigation, each page the one
//   photographed (told apart by a bar whose length is the page number).
// Env: E2E_BASE_URL, E2E_ARTIFACTS, CHROMIUM, E2E_STATE (scripts/e2e.sh).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '../lib/client.mjs';
import { launch, settled, signInUI } from '../lib/browser.mjs';
import { LANDSCAPE, PORTRAIT, axe, check, controlled, harness, until } from '../lib/harness.mjs';

const BASE = process.env.E2E_BASE_URL;
const ART = process.env.E2E_ARTIFACTS || new URL('../../../test-artifacts', import.meta.url).pathname;
const SHOTS = join(ART, 'screenshots', 'scan');
const PASSWORD = 'tsunagu-demo-2026';
const PIN = '2580';
if (!BASE) throw new Error('run through scripts/e2e.sh (E2E_BASE_URL)');

await mkdir(SHOTS, { recursive: true });
const { results, open, step, shoot } = harness(SHOTS);
const axeProblems = [];
let failed = false;

/**
 * In the page: a W×H JPEG photograph of an A4 letter whose corners land on `quad`
 * (its page number `k` shown as a bar k fifths of the text width long at the top),
 * on a wooden desk with clutter; `underSheet` lays a second white sheet under the
 * letter's top-left corner (which makes the corner hard to find).
 */
function photographInPage({ W, H, quad, k, underSheet, seed }) {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const PW = 600, PH = 848;
  const pc = document.createElement('canvas');
  pc.width = PW; pc.height = PH;
  const g = pc.getContext('2d');
  g.fillStyle = '#f7f6f1'; g.fillRect(0, 0, PW, PH);
  g.fillStyle = '#1c1c24';
  g.font = 'bold 34px "Noto Sans CJK JP", sans-serif';
  g.fillText('診療情報提供書(紹介状)', 60, 80);
  g.fillRect(60, 110, 96 * k, 22); // the page number as a bar length
  g.font = '18px "Noto Sans CJK JP", sans-serif';
  for (let y = 175; y < PH - 70; y += 30) {
    let x = 60;
    const end = 60 + 480 * (0.5 + 0.5 * rand());
    while (x < end) { const w = 20 + rand() * 70; g.fillRect(x, y, Math.min(w, end - x), 12); x += w + 12; }
  }
  const page = g.getImageData(0, 0, PW, PH).data;

  const c = document.createElement('canvas');
  c.width = W; c.height = H;
  const d = c.getContext('2d');
  d.fillStyle = '#7b5a3a'; d.fillRect(0, 0, W, H);
  for (let i = 0; i < 12; i++) {
    d.fillStyle = `hsl(${Math.floor(rand() * 360)}, 55%, ${30 + Math.floor(rand() * 30)}%)`;
    d.fillRect(rand() * W, rand() * H, 40 + rand() * 200, 30 + rand() * 160);
  }
  if (underSheet) {
    d.save(); d.translate(quad[0].x, quad[0].y); d.rotate(-0.5); d.fillStyle = '#f8f8f6'; d.fillRect(-150, -60, 230, 200); d.restore();
  }
  // The inverse homography photo → page, from the four corners.
  const src = quad, dst = [[0, 0], [PW, 0], [PW, PH], [0, PH]];
  const A = [], b = [];
  for (let i = 0; i < 4; i++) {
    const { x, y } = src[i], [u, v] = dst[i];
    A.push([x, y, 1, 0, 0, 0, -u * x, -u * y]); b.push(u);
    A.push([0, 0, 0, x, y, 1, -v * x, -v * y]); b.push(v);
  }
  for (let col = 0; col < 8; col++) {
    let p = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(A[r][col]) > Math.abs(A[p][col])) p = r;
    [A[col], A[p]] = [A[p], A[col]]; [b[col], b[p]] = [b[p], b[col]];
    for (let r = col + 1; r < 8; r++) { const f = A[r][col] / A[col][col]; for (let k2 = col; k2 < 8; k2++) A[r][k2] -= f * A[col][k2]; b[r] -= f * b[col]; }
  }
  const h = new Array(8);
  for (let r = 7; r >= 0; r--) { let t = b[r]; for (let k2 = r + 1; k2 < 8; k2++) t -= A[r][k2] * h[k2]; h[r] = t / A[r][r]; }
  const img = d.getImageData(0, 0, W, H);
  const o = img.data;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const i = (y * W + x) * 4;
    let acc0 = 0, acc1 = 0, acc2 = 0;
    for (const [dx, dy] of [[-0.25, -0.25], [0.25, -0.25], [-0.25, 0.25], [0.25, 0.25]]) {
      const X = x + dx, Y = y + dy, w = h[6] * X + h[7] * Y + 1;
      const u = (h[0] * X + h[1] * Y + h[2]) / w, v = (h[3] * X + h[4] * Y + h[5]) / w;
      if (u >= 0 && v >= 0 && u < PW && v < PH) {
        const j = (Math.floor(v) * PW + Math.floor(u)) * 4;
        acc0 += page[j]; acc1 += page[j + 1]; acc2 += page[j + 2];
      } else { acc0 += o[i]; acc1 += o[i + 1]; acc2 += o[i + 2]; }
    }
    const light = 1 - 0.15 * (x / W), n = (rand() - 0.5) * 10;
    o[i] = (acc0 / 4) * light + n; o[i + 1] = (acc1 / 4) * light + n; o[i + 2] = (acc2 / 4) * light + n;
  }
  d.putImageData(img, 0, 0);
  return c.toDataURL('image/jpeg', 0.92).split(',')[1];
}

/** In the page: the page number of each flattened page shown in `imgs` (the bar's length). */
function pageNumbers(imgs) {
  return imgs.map((img) => {
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const W = c.width, H = c.height;
  const y = Math.round(H * (121 / 848)); // the middle of the bar
  const row = g.getImageData(0, y, W, 1).data;
  let dark = 0;
  for (let x = Math.round(W * (60 / 600)); x < Math.round(W * (540 / 600)); x++) if (row[x * 4] < 128) dark++;
  return Math.round(dark / (W * (96 / 600)));
  });
}

try {
  const doc = await step('doctor signs in through the API', () => new Client(BASE).signIn('demo.doctor', PASSWORD));
  const nurseApi = await step('nurse signs in through the API', () => new Client(BASE).signIn('demo.nurse', PASSWORD));
  const patient = await step('find a patient of both the nurse and the doctor', async () => {
    const { patients } = await doc.req('GET', '/patients', undefined, { expect: 200 });
    for (const p of patients) {
      const { members } = await doc.req('GET', `/patients/${p.id}/team`, undefined, { expect: 200 });
      const ids = new Set(members.map((m) => m.user_id));
      if (ids.has(nurseApi.me.id) && ids.has(doc.me.id)) return p;
    }
    throw new Error('no patient with both the nurse and the doctor on the team');
  });
  const title = `E2E紹介状 ${Date.now()}`;

  const nurse = await launch({ base: BASE });
  open.push(nurse);
  const np = nurse.page;
  await step('nurse signs in in the app', async () => {
    await signInUI(np, 'demo.nurse', PASSWORD, PIN);
    await controlled(np, PIN);
    await np.evaluate((id) => { location.hash = `#/patients/${id}`; }, patient.id);
    await settled(np).catch(() => undefined);
  });

  // Three photographs; page 2 lies on another white sheet that hides its top-left corner.
  const shots = [
    { W: 1280, H: 960, k: 1, seed: 11, quad: [{ x: 420, y: 90 }, { x: 905, y: 150 }, { x: 860, y: 880 }, { x: 330, y: 820 }] },
    { W: 1280, H: 960, k: 2, seed: 22, underSheet: true, quad: [{ x: 470, y: 150 }, { x: 930, y: 110 }, { x: 990, y: 860 }, { x: 420, y: 900 }] },
    { W: 1280, H: 960, k: 3, seed: 33, quad: [{ x: 380, y: 70 }, { x: 860, y: 100 }, { x: 900, y: 900 }, { x: 350, y: 870 }] },
  ];
  const files = [];
  await step('make three synthetic photographs of the letter', async () => {
    for (const s of shots) {
      const b64 = await np.evaluate(photographInPage, s);
      const f = join(SHOTS, `photo-${s.k}.jpg`);
      await writeFile(f, Buffer.from(b64, 'base64'));
      files.push(f);
    }
  });

  await step('offline: open the scanner, enter the title and the type', async () => {
    await nurse.context.setOffline(true);
    await np.evaluate(() => window.dispatchEvent(new Event('offline')));
    await np.evaluate((id) => { location.hash = `#/patients/${id}/scan`; }, patient.id);
    await np.waitForSelector('form.scan input[name=title]', { timeout: 15000 });
    await np.fill('form.scan input[name=title]', title);
    await np.selectOption('form.scan select[name=document_type]', 'referral');
  });

  const drag = { before: 0, after: 0 };
  for (const [i, s] of shots.entries()) {
    await step(`offline: photograph page ${i + 1}${s.underSheet ? ', drag its top-left handle onto the corner' : ''}`, async () => {
      await np.setInputFiles('form.scan input[name=page]', files[i]);
      await np.waitForSelector('.scan-edit .scan-stage img', { timeout: 20000 });
      await np.waitForFunction(() => document.querySelector('.scan-edit .scan-stage img')?.complete);
      if (s.underSheet) {
        const handle = np.locator('.scan-stage .handle.c0');
        await handle.scrollIntoViewIfNeeded();
        const stage = await np.locator('.scan-stage').boundingBox();
        const toScreen = (p) => ({ x: stage.x + (p.x / s.W) * stage.width, y: stage.y + (p.y / s.H) * stage.height });
        const truth = toScreen(s.quad[0]);
        const hb = await handle.boundingBox();
        const from = { x: hb.x + hb.width / 2, y: hb.y + hb.height / 2 };
        drag.before = Math.hypot(from.x - truth.x, from.y - truth.y) * (s.W / stage.width);
        check(hb.width >= 44 && hb.height >= 44, `the handle is ${hb.width}×${hb.height} px`);
        await shoot(np, 'scan-corners-before');
        axeProblems.push(...(await axe(np, 'scan-corners')));
        await np.mouse.move(from.x, from.y);
        await np.mouse.down();
        for (let t = 1; t <= 10; t++) await np.mouse.move(from.x + ((truth.x - from.x) * t) / 10, from.y + ((truth.y - from.y) * t) / 10);
        await np.mouse.up();
        const after = await handle.boundingBox();
        drag.after = Math.hypot(after.x + after.width / 2 - truth.x, after.y + after.height / 2 - truth.y) * (s.W / stage.width);
        check(drag.after < 4, `the dragged handle is ${drag.after.toFixed(1)} px (photo) from the corner`);
        await shoot(np, 'scan-corners-after');
      }
      await np.click('.scan-edit button.apply');
      await np.waitForFunction((n) => document.querySelectorAll('form.scan .scan-pages img').length === n, i + 1, { timeout: 20000 });
    });
  }

  await step('offline: an extra page is moved, removed; page 3 is retaken in its place', async () => {
    const numbers = () => np.$$eval('.scan-pages img', pageNumbers);
    await np.setInputFiles('form.scan input[name=page]', files[0]);
    await np.click('.scan-edit button.apply');
    await np.waitForFunction(() => document.querySelectorAll('form.scan .scan-pages img').length === 4, null, { timeout: 20000 });
    await np.getByRole('button', { name: '4ページ目を前へ' }).click();
    check((await numbers()).join(',') === '1,2,1,3', `after moving page 4 earlier: ${await numbers()}`);
    await np.getByRole('button', { name: '3ページ目を削除' }).click();
    check((await numbers()).join(',') === '1,2,3', `after removing page 3: ${await numbers()}`);
    const [chooser] = await Promise.all([np.waitForEvent('filechooser'), np.getByRole('button', { name: '3ページ目を撮り直す' }).click()]);
    await chooser.setFiles(files[2]);
    await np.waitForSelector('.scan-edit h1:has-text("3ページ目")', { timeout: 20000 });
    await np.click('.scan-edit button.apply');
    await np.waitForSelector('form.scan .scan-pages', { timeout: 20000 });
    check((await numbers()).join(',') === '1,2,3', `after retaking page 3: ${await numbers()}`);
  });

  await step('offline: three pages listed in order; save the document', async () => {
    const labels = await np.$$eval('.scan-pages li strong', (els) => els.map((e) => e.textContent));
    check(labels.join('|') === '1 / 3 ページ|2 / 3 ページ|3 / 3 ページ', `pages: ${labels}`);
    await shoot(np, 'scan-pages');
    axeProblems.push(...(await axe(np, 'scan-pages')));
    await np.setViewportSize(PORTRAIT);
    await np.evaluate(() => scrollTo(0, 0));
    await shoot(np, 'scan-form-portrait');
    axeProblems.push(...(await axe(np, 'scan-form-portrait')));
    await np.setViewportSize(LANDSCAPE);
    // Each listed page is the one photographed (its bar), in order.
    const nums = await np.$$eval('.scan-pages img', pageNumbers);
    check(nums.join(',') === '1,2,3', `page numbers read from the flattened pages: ${nums}`);
    await np.click('form.scan button.primary');
    await np.waitForFunction((id) => location.hash === `#/patients/${id}`, patient.id, { timeout: 15000 });
    const bar = await np.textContent('.syncbar');
    check(/未送信 \d+件/.test(bar), `sync bar after saving offline: ${bar}`);
  });

  const rec = await step('online: the document reaches the server exactly once, pages in order', async () => {
    await nurse.context.setOffline(false);
    await np.evaluate(() => window.dispatchEvent(new Event('online')));
    const find = async () => (await doc.req('GET', `/patients/${patient.id}/records?limit=100`, undefined, { expect: 200 })).records.filter((r) => r.fields?.title === title);
    await until(async () => (await find()).length > 0, 'the document on the server', 30000);
    await settled(np).catch(() => undefined);
    await np.evaluate(() => window.dispatchEvent(new Event('online'))); // a second sync must not resend
    await new Promise((r) => setTimeout(r, 1500));
    const mine = await find();
    check(mine.length === 1, `${mine.length} document records on the server`);
    const r = mine[0];
    check(r.kind === 'document' && r.fields.document_type === 'referral', `kind ${r.kind}, type ${r.fields.document_type}`);
    check(r.attachment_ids?.length === 3, `${r.attachment_ids?.length} pages`);
    return r;
  });

  const doctor = await launch({ base: BASE });
  open.push(doctor);
  const dp = doctor.page;
  await step('doctor: the viewer shows the three pages in order, with page navigation', async () => {
    await signInUI(dp, 'demo.doctor', PASSWORD, PIN);
    await dp.evaluate(([p, r]) => { location.hash = `#/patients/${p}/records/${r}`; }, [patient.id, rec.id]);
    const pageNo = async (n) => {
      await dp.waitForFunction((k) => {
        const im = document.querySelector(`.doc-viewer .doc-page img[data-page="${k}"]`);
        return im && im.complete && im.naturalWidth > 0;
      }, n, { timeout: 20000 });
      const count = await dp.textContent('.doc-viewer .count');
      check(count === `${n} / 3 ページ`, `count shows ${count}`);
      const id = await dp.getAttribute('.doc-viewer .doc-page img', 'data-attachment');
      check(id === rec.attachment_ids[n - 1], `page ${n} shows attachment ${id}`);
      const [k] = await dp.$$eval('.doc-viewer .doc-page img', pageNumbers);
      check(k === n, `page ${n} shows the photograph of page ${k}`);
    };
    await pageNo(1);
    await dp.waitForFunction(() => /\Sさんの記録一覧へ/.test(document.querySelector('.record-view a.back')?.textContent ?? ''));
    await shoot(dp, 'viewer-page-1');
    axeProblems.push(...(await axe(dp, 'viewer')));
    await dp.click('.doc-viewer button.next');
    await pageNo(2);
    await dp.click('.doc-viewer button.next');
    await pageNo(3);
    check(await dp.isDisabled('.doc-viewer button.next'), 'next is enabled on the last page');
    await dp.getByRole('button', { name: '拡大' }).click();
    const transform = await dp.$eval('.doc-viewer .doc-page img', (im) => im.style.transform);
    check(/scale\(1\.5\)/.test(transform), `zoomed transform: ${transform}`);
    await shoot(dp, 'viewer-page-3-zoomed');
    await dp.click('.doc-viewer button.prev');
    await pageNo(2);
  });

  console.log(`  corner drag: the found top-left corner was ${drag.before.toFixed(1)} px from the sheet's, ${drag.after.toFixed(1)} px after dragging`);
  check(axeProblems.length === 0, `axe found serious/critical violations:\n${axeProblems.join('\n')}`);
} catch (e) {
  console.log(e.stack ?? e);
  failed = true;
} finally {
  for (const o of open) await o.close().catch(() => undefined);
}
console.log(`\n${results.join('\n')}`);
if (failed) {
  console.log('\ne2e scan: FAILED');
  process.exit(1);
}
console.log(`\nscreenshots: ${SHOTS}\ne2e scan: all steps passed`);
