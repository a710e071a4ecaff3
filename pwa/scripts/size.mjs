// Prints the gzipped size of every JavaScript file the build emitted and fails when
// the first load is over the budget in docs/BUDGETS.md (a nurse's first load ≤ 60 KiB gzipped).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KIB = 60;
const dist = new URL('../dist/', import.meta.url).pathname;

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.js') || p.endsWith('.mjs')) yield p;
  }
}

// The first load: the scripts index.html names (the entry and what it preloads)
// and the service worker. Chunks the app imports dynamically (screens loaded on
// use, such as onboarding and administration) are listed but not counted.
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const firstLoad = new Set(['sw.js']);
for (const m of html.matchAll(/<(?:script|link)\b[^>]*?(?:src|href)="\/([^"]+\.m?js)"/g)) firstLoad.add(m[1]);

let total = 0;
let lazy = 0;
for (const f of [...walk(dist)].sort()) {
  const gz = gzipSync(readFileSync(f), { level: 9 }).length;
  const name = relative(dist, f);
  if (firstLoad.has(name)) total += gz;
  else lazy += gz;
  console.log(`${(gz / 1024).toFixed(2).padStart(8)} KiB  ${name}${firstLoad.has(name) ? '' : '  (loaded on use)'}`);
}
const kib = total / 1024;
console.log(`${(lazy / 1024).toFixed(2).padStart(8)} KiB  gzipped JS loaded on use`);
console.log(`${kib.toFixed(2).padStart(8)} KiB  total gzipped JS of the first load (budget ${BUDGET_KIB} KiB)`);
if (kib > BUDGET_KIB) {
  console.error(`over budget by ${(kib - BUDGET_KIB).toFixed(2)} KiB`);
  process.exit(1);
}
