// Scratch driver (not committed): registers a patient and records a consent in Chromium.
import { readFile } from 'node:fs/promises';
import { launch, enterPin, settled } from './lib/browser.mjs';

const base = process.env.BASE;
const SHOTS = '/tmp/consent-shots';
const problems = [];
async function axe(page, name) {
  axe.source ??= await readFile(new URL('../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axe.source);
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  for (const v of r.violations) if (v.impact === 'serious' || v.impact === 'critical') problems.push(`${name}: ${v.impact} ${v.id} ${v.help} ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3)}`);
}
async function shot(page, name) {
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  await axe(page, name);
}
const { context, page, close } = await launch({ base });
try {
  await page.goto('/');
  await page.fill('input[name=login_id]', 'demo.doctor');
  await page.fill('input[name=password]', 'tsunagu-demo-2026');
  await page.click('button.primary');
  await page.waitForSelector('input[name=pin]', { timeout: 15000 });
  await enterPin(page, '246810');
  await settled(page, 60000);
  await page.goto('/#/patients');
  await page.getByRole('link', { name: '患者を登録' }).waitFor();
  await shot(page, '01-patients');
  await page.getByRole('link', { name: '患者を登録' }).click();
  await page.getByRole('heading', { name: '患者の登録' }).waitFor();
  await page.getByRole('button', { name: '登録して同意書の記録へ' }).click();
  await shot(page, '02-register-errors');
  await page.getByLabel('氏名').fill('架空 春子');
  await page.getByLabel('ふりがな').fill('カクウ ハルコ');
  await page.getByLabel('生年月日').fill('1940-03-02');
  const era = await page.locator('.wareki').textContent();
  if (era !== '和暦: 昭和15年3月2日') problems.push(`wareki shows ${era}`);
  await page.getByLabel('女性').check();
  await page.getByLabel('住所').fill('架空県つなぐ市3-3');
  await page.getByLabel('電話番号').fill('000-0000-0003');
  await shot(page, '03-register-filled');
  await context.setOffline(true);
  await page.waitForTimeout(300);
  await shot(page, '03b-register-offline');
  await context.setOffline(false);
  await page.waitForTimeout(300);
  await page.getByRole('button', { name: '登録して同意書の記録へ' }).click();
  await page.getByRole('heading', { name: /同意書の記録/ }).waitFor();
  // Offline from here: the consent is queued with its pages.
  await context.setOffline(true);
  const jpeg = async (color) => Buffer.from((await page.evaluate((c) => {
    const cv = document.createElement('canvas'); cv.width = 600; cv.height = 840;
    const g = cv.getContext('2d'); g.fillStyle = '#fff'; g.fillRect(0, 0, 600, 840); g.fillStyle = c; g.fillRect(40, 40, 520, 120);
    g.fillStyle = '#333'; for (let y = 200; y < 760; y += 40) g.fillRect(40, y, 400 + (y % 120), 8);
    return cv.toDataURL('image/jpeg', 0.8);
  }, color)).split(',')[1], 'base64');
  const files = [];
  for (const [i, c] of ['#c33', '#3a3', '#33c'].entries()) files.push({ name: `page${i + 1}.jpg`, mimeType: 'image/jpeg', buffer: await jpeg(c) });
  await page.locator('input[type=file]').setInputFiles(files);
  await page.getByRole('img', { name: '3ページ目' }).waitFor();
  await shot(page, '04-consent-pages');
  await page.getByRole('button', { name: '3ページ目を前へ' }).click();
  await page.getByRole('button', { name: '1ページ目を削除' }).click();
  await page.getByLabel('予定と連絡事項だけを共有する').check();
  await shot(page, '05-consent-ready');
  await page.getByRole('button', { name: '同意を記録' }).click();
  await page.getByRole('heading', { name: '同意の履歴' }).waitFor();
  await page.getByText('送信待ち').first().waitFor();
  await shot(page, '06-consent-pending-offline');
  await context.setOffline(false);
  await settled(page, 60000);
  await page.reload();
  await page.waitForSelector('input[name=pin]', { timeout: 15000 });
  await enterPin(page, '246810');
  await page.getByRole('heading', { name: '同意の履歴' }).waitFor({ timeout: 30000 });
  await page.getByRole('img', { name: '2ページ目' }).waitFor({ timeout: 30000 });
  await shot(page, '07-consent-history');
  await page.getByRole('button', { name: /の同意を撤回する$/ }).first().click();
  await page.getByRole('button', { name: '撤回を確定' }).click();
  await page.getByRole('alert').waitFor();
  await shot(page, '08-withdraw-confirm');
  await page.getByLabel('撤回の理由').fill('ご家族の意向により撤回');
  await page.getByRole('button', { name: '撤回を確定' }).click();
  await page.getByText('撤回の理由: ご家族の意向により撤回').waitFor({ timeout: 15000 });
  await shot(page, '09-withdrawn');
  await page.setViewportSize({ width: 820, height: 1180 });
  await shot(page, '10-withdrawn-portrait');
} catch (e) {
  problems.push(String(e));
  await page.screenshot({ path: `${SHOTS}/failed.png`, fullPage: true }).catch(() => undefined);
} finally {
  console.log(problems.length ? problems.join('\n') : 'ok');
  await close();
}
