// What every end-to-end scenario file shares: named steps that report what each
// open app showed when one fails, polling, screenshots, and the axe-core and
// Content-Security-Policy check of a screen.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { enterPin } from './browser.mjs';

export const LANDSCAPE = { width: 1180, height: 820 };
export const PORTRAIT = { width: 820, height: 1180 };

/** Steps, screenshots and accessibility checks writing into `shots`. */
export function harness(shots) {
  const results = [];
  const open = [];
  async function step(name, f) {
    const t0 = Date.now();
    try {
      const v = await f();
      results.push(`ok   ${name} (${Date.now() - t0} ms)`);
      console.log(`ok   ${name}`);
      return v;
    } catch (e) {
      console.log(`FAIL ${name}\n${e.stack ?? e}`);
      // What each open app showed when the step failed.
      for (const [i, o] of open.entries()) {
        await o.page.screenshot({ path: join(shots, `failed-${i}.png`) }).catch(() => undefined);
        console.log(`  [app ${i}] ${await o.page.evaluate(() => `${location.hash} | ${document.querySelector('main, .card')?.innerText.slice(0, 600)}`).catch(() => '?')}`);
      }
      throw e;
    }
  }
  async function shoot(page, name) {
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
  }
  return { results, open, step, shoot };
}

export function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

export async function until(f, what, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export const tokyoDay = (d = new Date()) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(d);

/** Makes sure the service worker controls the page (reloading once and unlocking if not). */
export async function controlled(page, pin) {
  await page.evaluate(() => navigator.serviceWorker.ready);
  if (await page.evaluate(() => !!navigator.serviceWorker.controller)) return;
  await page.reload();
  await page.waitForSelector('input[name=pin]', { timeout: 15000 });
  await enterPin(page, pin);
  check(await page.evaluate(() => !!navigator.serviceWorker.controller), 'the service worker does not control the page');
}

let axeSource;
/** Serious accessibility problems of the page, and anything its Content-Security-Policy blocked. */
export async function axe(page, name) {
  // Evaluated through DevTools, not as a <script> tag: the app's CSP allows no inline script.
  axeSource ??= await readFile(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const blocked = await page.evaluate(() => window.__cspViolations ?? []);
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `  ${name}: ${v.impact} ${v.id} — ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`)
    .concat(blocked.map((b) => `  ${name}: the Content-Security-Policy blocked ${b}`));
}
