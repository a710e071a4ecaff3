// Prints the gzipped size of every JavaScript file the build emitted and fails when
// the total is over the budget in DESIGN.md (web app JavaScript ≤ 60 KiB gzipped).
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

let total = 0;
for (const f of [...walk(dist)].sort()) {
  const gz = gzipSync(readFileSync(f), { level: 9 }).length;
  total += gz;
  console.log(`${(gz / 1024).toFixed(2).padStart(8)} KiB  ${relative(dist, f)}`);
}
const kib = total / 1024;
console.log(`${kib.toFixed(2).padStart(8)} KiB  total gzipped JS (budget ${BUDGET_KIB} KiB)`);
if (kib > BUDGET_KIB) {
  console.error(`over budget by ${(kib - BUDGET_KIB).toFixed(2)} KiB`);
  process.exit(1);
}
