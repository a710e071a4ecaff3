// Prints the gzipped size of every JavaScript file the build emitted and fails when
// the first load (first-load.mjs) is over the budget in docs/BUDGETS.md (a nurse's
// first load ≤ 60 KiB of gzipped JavaScript). Chunks loaded on use are listed apart.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { firstLoadFiles } from './first-load.mjs';

const BUDGET_KIB = 60;
const dist = new URL('../dist/', import.meta.url).pathname;

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.js') || p.endsWith('.mjs')) yield p;
  }
}

const first = firstLoadFiles(dist);

let firstTotal = 0;
let lazyTotal = 0;
for (const f of [...walk(dist)].sort()) {
  const gz = gzipSync(readFileSync(f), { level: 9 }).length;
  const isFirst = first.has(f);
  if (isFirst) firstTotal += gz;
  else lazyTotal += gz;
  console.log(`${(gz / 1024).toFixed(2).padStart(8)} KiB  ${relative(dist, f)}${isFirst ? '' : '  (loaded on demand)'}`);
}
// What the server sends for the first load (JS, CSS, index.html): as built, and the
// precompressed copies (scripts/precompress.mjs) it picks by Accept-Encoding.
const shell = [...first, ...[...readFileSync(join(dist, 'index.html'), 'utf8').matchAll(/href="\/([^"]+\.css)"/g)].map((m) => join(dist, m[1])), join(dist, 'index.html')];
const sent = { raw: 0, gz: 0, br: 0 };
for (const f of shell) {
  const raw = statSync(f).size;
  sent.raw += raw;
  sent.gz += existsSync(f + '.gz') ? statSync(f + '.gz').size : raw;
  sent.br += existsSync(f + '.br') ? statSync(f + '.br').size : raw;
}
const k = (n) => (n / 1024).toFixed(2);
console.log(`sent for the first load (JS, CSS, HTML): ${k(sent.raw)} KiB as is, ${k(sent.gz)} KiB gzip, ${k(sent.br)} KiB brotli`);
const kib = firstTotal / 1024;
console.log(`${(lazyTotal / 1024).toFixed(2).padStart(8)} KiB  loaded on demand (not in the first load)`);
console.log(`${kib.toFixed(2).padStart(8)} KiB  first-load gzipped JS (budget ${BUDGET_KIB} KiB)`);
if (kib > BUDGET_KIB) {
  console.error(`over budget by ${(kib - BUDGET_KIB).toFixed(2)} KiB`);
  process.exit(1);
}
