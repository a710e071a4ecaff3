// Prints the gzipped size of every JavaScript file the build emitted and fails when
// the first load is over the budget in docs/BUDGETS.md (JavaScript for a nurse's
// first load ≤ 60 KiB gzipped). The first load is the entry script of index.html,
// every chunk it imports statically (transitively) and the service worker; chunks
// reached only through a dynamic import() (screens not every user opens) are listed
// as loaded on demand and not counted.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
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

// The first load: index.html's module scripts and preloads, the service worker, and
// what they import statically (`import … from "./x.js"` / `import "./x.js"`, not `import("./x.js")`).
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const first = new Set();
const queue = [...html.matchAll(/<(?:script[^>]*type="module"[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="\/([^"]+\.js)"/g)].map((m) => join(dist, m[1]));
for (const sw of ['sw.js']) if (statSync(join(dist, sw), { throwIfNoEntry: false })) queue.push(join(dist, sw));
while (queue.length) {
  const f = queue.shift();
  if (first.has(f)) continue;
  first.add(f);
  const src = readFileSync(f, 'utf8');
  for (const m of src.matchAll(/\bimport\s*(?:[\w$*{}\s,]+?\s*from\s*)?["'](\.{1,2}\/[^"']+\.js)["']/g)) queue.push(join(dirname(f), m[1]));
}

let total = 0;
let lazy = 0;
for (const f of [...walk(dist)].sort()) {
  const gz = gzipSync(readFileSync(f), { level: 9 }).length;
  const counted = first.has(f);
  if (counted) total += gz;
  else lazy += gz;
  console.log(`${(gz / 1024).toFixed(2).padStart(8)} KiB  ${relative(dist, f)}${counted ? '' : '  (on demand)'}`);
}
const kib = total / 1024;
console.log(`${(lazy / 1024).toFixed(2).padStart(8)} KiB  loaded on demand (dynamic import)`);
console.log(`${kib.toFixed(2).padStart(8)} KiB  total gzipped JS of the first load (budget ${BUDGET_KIB} KiB)`);
if (kib > BUDGET_KIB) {
  console.error(`over budget by ${(kib - BUDGET_KIB).toFixed(2)} KiB`);
  process.exit(1);
}
