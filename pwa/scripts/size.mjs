// Prints the gzipped size of every JavaScript file the build emitted and fails when
// the first load (first-load.mjs) is over the budget in docs/BUDGETS.md (a nurse's
// first load ≤ 60 KiB of gzipped JavaScript). Chunks loaded on use are listed apart.
import { readdirSync, readFileSync, statSync } from 'node:fs';
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
const kib = firstTotal / 1024;
console.log(`${(lazyTotal / 1024).toFixed(2).padStart(8)} KiB  loaded on demand (not in the first load)`);
console.log(`${kib.toFixed(2).padStart(8)} KiB  first-load gzipped JS (budget ${BUDGET_KIB} KiB)`);
if (kib > BUDGET_KIB) {
  console.error(`over budget by ${(kib - BUDGET_KIB).toFixed(2)} KiB`);
  process.exit(1);
}
