// Record search (C): a word from a nursing record is found by the nurse and not by a
// care worker on the same team (demo.helper), who finds only the shared note saying it.
//   1. the nurse writes a nursing record and a note with a word of their own (API);
//   2. in the app she opens 記録を検索 from the patients list, finds both, with the
//      word marked, and opens the nursing record from its result;
//   3. the box above the patient's timeline finds it too (typed in half-width kana);
//   4. offline, the search says it needs a connection;
//   5. the care worker's app finds the note only; his API answer lacks the record.
// Screenshots to screenshots/search/, each checked with axe-core.
// Env: E2E_BASE_URL, E2E_ARTIFACTS, CHROMIUM, E2E_STATE (scripts/e2e.sh).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, uuidv7 } from '../lib/client.mjs';
import { launch, signInUI } from '../lib/browser.mjs';
import { axe, check, harness, until } from '../lib/harness.mjs';

const BASE = process.env.E2E_BASE_URL;
const ART = process.env.E2E_ARTIFACTS || new URL('../../../test-artifacts', import.meta.url).pathname;
const SHOTS = join(ART, 'screenshots', 'search');
const PASSWORD = 'tsunagu-demo-2026';
const PIN = '2580';
if (!BASE) throw new Error('run through scripts/e2e.sh (E2E_BASE_URL)');

// A word nobody else wrote: katakana of this run (a fictional dressing name).
const KANA = 'アイウエオカキクケコサシスセソタチツテト';
const tag = [...Array(4)].map(() => KANA[Math.floor(Math.random() * KANA.length)]).join('');
const WORD = `ガーゼ${tag}`;
const toHalf = { ア: 'ｱ', イ: 'ｲ', ウ: 'ｳ', エ: 'ｴ', オ: 'ｵ', カ: 'ｶ', キ: 'ｷ', ク: 'ｸ', ケ: 'ｹ', コ: 'ｺ', サ: 'ｻ', シ: 'ｼ', ス: 'ｽ', セ: 'ｾ', ソ: 'ｿ', タ: 'ﾀ', チ: 'ﾁ', ツ: 'ﾂ', テ: 'ﾃ', ト: 'ﾄ', ガ: 'ｶﾞ', ー: 'ｰ', ゼ: 'ｾﾞ' };
// The word as a half-width keyboard types it (ｶﾞｰｾﾞ…): the search folds widths (NFKC).
const HALF_WIDTH = [...WORD].map((c) => toHalf[c] ?? c).join('');

await mkdir(SHOTS, { recursive: true });
const { results, open, step, shoot } = harness(SHOTS);
const axeProblems = [];
async function screen(page, name) {
  await shoot(page, name);
  axeProblems.push(...(await axe(page, name)));
}
const hits = (page) => page.locator('.record-search ol.hits > li');

let failed = false;
try {
  const nurse = await step('the nurse and the care worker sign in through the API', () => new Client(BASE).signIn('demo.nurse', PASSWORD));
  const helper = await new Client(BASE).signIn('demo.helper', PASSWORD);

  const patient = await step('find a patient whose team has the nurse and the care worker', async () => {
    const { patients } = await nurse.req('GET', '/patients', undefined, { expect: 200 });
    for (const p of patients) {
      const { members } = await nurse.req('GET', `/patients/${p.id}/team`, undefined, { expect: 200 });
      const ids = new Set(members.map((m) => m.user_id));
      if (ids.has(nurse.me.id) && ids.has(helper.me.id)) return p;
    }
    throw new Error('no patient with the nurse and the care worker on the team');
  });

  const rec = uuidv7();
  const note = uuidv7();
  await step('1. the nurse writes a nursing record and a note with the word (API)', async () => {
    await nurse.req('POST', `/patients/${patient.id}/records`, {
      id: rec, kind: 'nursing_visit', occurred_at: new Date(Date.now() - 60 * 60000).toISOString(), text: '褥瘡の処置を行った。',
      fields: { wound: `仙骨部に発赤あり。${WORD}で保護し、明日も観察する。`, observations: '表情穏やか' },
    }, { expect: 201 });
    await nurse.req('POST', `/patients/${patient.id}/records`, {
      id: note, kind: 'note', occurred_at: new Date(Date.now() - 30 * 60000).toISOString(), text: `${WORD}の在庫が少なくなっています。`,
    }, { expect: 201 });
  });

  const n = await launch({ base: BASE });
  open.push(n);
  const np = n.page;
  await step('2. the nurse signs in to the app and opens 記録を検索 from the patients list', async () => {
    await signInUI(np, 'demo.nurse', PASSWORD, PIN);
    await np.goto('/#/patients');
    await np.getByRole('link', { name: '記録を検索' }).click();
    await np.getByRole('heading', { name: '記録の検索' }).waitFor();
  });

  await step('2. she finds the nursing record and the note, the word marked', async () => {
    await np.getByRole('searchbox').fill(WORD);
    await np.getByRole('button', { name: '検索', exact: true }).click();
    await until(async () => (await hits(np).count()) === 2, 'two results');
    const texts = await hits(np).allInnerTexts();
    check(texts[0].includes('メモ') && texts[1].includes('訪問看護記録'), `results: ${texts.join(' | ')}`);
    check(texts[1].includes('仙骨部に発赤あり'), 'the nursing record\'s line is shown');
    check(texts.every((t) => t.includes(patient.name)), 'each result names the patient');
    check((await hits(np).locator('mark', { hasText: WORD }).count()) === 2, 'the word is marked in both');
    await screen(np, 'search-nurse-all');
  });

  await step('2. the nursing record opens from its result', async () => {
    await hits(np).nth(1).getByRole('link').click();
    await until(() => np.evaluate((id) => location.hash.endsWith(`/records/${id}`), rec), 'the record view');
    await np.getByText('褥瘡の処置を行った', { exact: false }).first().waitFor();
    await np.getByRole('heading', { name: /訪問看護記録/ }).waitFor();
  });

  await step('3. the box above the timeline finds it, typed in half-width kana', async () => {
    await np.evaluate((id) => { location.hash = `#/patients/${id}`; }, patient.id);
    const box = np.getByRole('searchbox', { name: 'この患者の記録を検索(2文字以上の言葉)' });
    await box.fill(`${HALF_WIDTH} 発赤`);
    await np.getByRole('button', { name: '検索', exact: true }).click();
    await until(async () => (await hits(np).count()) === 1, 'one result (both words only in the nursing record)');
    check((await hits(np).first().innerText()).includes('訪問看護記録'), 'the nursing record');
    await screen(np, 'search-nurse-timeline');
  });

  await step('4. offline, the search says it needs a connection', async () => {
    await n.context.setOffline(true);
    await np.evaluate(() => { location.hash = '#/search'; });
    await np.getByText('記録の検索にはネット接続が必要です', { exact: false }).first().waitFor({ timeout: 20000 });
    await screen(np, 'search-offline');
    await n.context.setOffline(false);
  });

  const hp = await step('5. the care worker signs in to the app', async () => {
    const h = await launch({ base: BASE });
    open.push(h);
    await signInUI(h.page, 'demo.helper', PASSWORD, PIN);
    return h.page;
  });

  await step('5. the care worker finds the note only, never the nursing record', async () => {
    await hp.goto('/#/search');
    await hp.getByRole('searchbox').fill(WORD);
    await hp.getByRole('button', { name: '検索', exact: true }).click();
    await until(async () => (await hits(hp).count()) === 1, 'one result');
    const text = await hits(hp).first().innerText();
    check(text.includes('メモ') && !text.includes('訪問看護記録') && !text.includes('発赤'), `care worker's result: ${text}`);
    check(text.includes(patient.name) && text.includes(nurse.me.name), `the result names the patient and the author: ${text}`);
    await screen(hp, 'search-helper');
    const api = await helper.req('GET', `/search/records?q=${encodeURIComponent(WORD)}`, undefined, { expect: 200 });
    const ids = api.records.map((r) => r.id);
    check(ids.includes(note) && !ids.includes(rec), `care worker's API answer: ${ids.join(',')}`);
    const mine = await nurse.req('GET', `/search/records?q=${encodeURIComponent('発赤 ' + WORD)}&patient_id=${patient.id}`, undefined, { expect: 200 });
    check(mine.records.length === 1 && mine.records[0].id === rec, 'the nurse\'s API answer has the record');
  });

  if (axeProblems.length) throw new Error(`axe-core found serious problems:\n${axeProblems.join('\n')}`);
} catch (e) {
  failed = true;
  if (!results.some((r) => r.startsWith('FAIL'))) console.log(`FAIL ${e.stack ?? e}`);
} finally {
  for (const o of open) await o.close().catch(() => undefined);
}
console.log(results.join('\n'));
process.exit(failed ? 1 : 0);
