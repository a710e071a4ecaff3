// Debian's Chromium through playwright-core: no browser download, a fresh profile
// per context, and the app's own sign-in / PIN screens driven like a user would.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { nextCode, secrets } from './client.mjs';

const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A persistent context in a new user-data-dir (service workers need a profile). */
export async function launch({ base, viewport = { width: 1180, height: 820 }, permissions = [] }) {
  const dir = await mkdtemp(join(tmpdir(), 'tsunagu-e2e-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    viewport,
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
    baseURL: base,
    permissions,
  });
  // Whatever the app's Content-Security-Policy blocks is kept for the checks (run.mjs axe()).
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window.__cspViolations ||= []).push(`${e.effectiveDirective} ${e.blockedURI || 'inline'}`);
    });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => console.log(`  [page error] ${e.message}`));
  return { context, page, close: async () => { await context.close(); await rm(dir, { recursive: true, force: true }); } };
}

/** Signs in through the app (enrolling TOTP or entering a code as asked) and sets the PIN. */
export async function signInUI(page, login, password, pin) {
  await page.goto('/');
  await page.fill('input[name=login_id]', login);
  await page.fill('input[name=password]', password);
  await page.click('button.primary');
  // Enrolment shows the secret and the code input in one render: whichever wait wins
  // the race, the secret decides which screen this is.
  await page.waitForSelector('input[name=totp_code]', { timeout: 15000 });
  const secret = await page.$('code.secret');
  if (secret) secrets.set(login, await secret.getAttribute('data-secret'));
  await page.fill('input[name=totp_code]', await nextCode(login));
  await page.click('button.primary');
  await page.waitForSelector('input[name=pin]', { timeout: 15000 });
  await enterPin(page, pin);
}

/**
 * A new account's first sign-in through the app: the initial password, then the
 * change to its own password, the TOTP enrolment, and a new PIN.
 */
export async function firstSignInUI(page, login, initial, password, pin) {
  await page.goto('/');
  await page.fill('input[name=login_id]', login);
  await page.fill('input[name=password]', initial);
  await page.click('button.primary');
  await page.waitForSelector('input[name=new_password], input[name=totp_code]', { timeout: 15000 });
  if (await page.$('input[name=new_password]')) {
    await page.fill('input[name=new_password]', password);
    await page.fill('input[name=new_password2]', password);
    await page.click('button.primary');
    await page.waitForSelector('input[name=totp_code]', { timeout: 15000 });
  }
  const secret = await page.waitForSelector('code.secret', { timeout: 15000 });
  secrets.set(login, await secret.getAttribute('data-secret'));
  await page.fill('input[name=totp_code]', await nextCode(login));
  await page.click('button.primary');
  await page.waitForSelector('input[name=pin]', { timeout: 15000 });
  await enterPin(page, pin);
}

export async function enterPin(page, pin) {
  await page.fill('input[name=pin]', pin);
  if (await page.$('input[name=pin2]')) await page.fill('input[name=pin2]', pin);
  await page.click('button.primary');
  await page.waitForSelector('nav.tabbar', { timeout: 30000 });
}

/** Waits until the app's sync bar shows nothing waiting and no sync running. */
export async function settled(page, timeout = 20000) {
  await page.waitForFunction(() => {
    const t = document.querySelector('.syncbar')?.textContent ?? '';
    return t && !/未送信|同期中|送信中/.test(t);
  }, null, { timeout });
}
