// Prints the gzipped size of every JavaScript file the build emitted and fails when
// the first load is over the budget in DESIGN.md (web app JavaScript ≤ 60 KiB
// gzipped). The first load is what index.html loads, everything those files import
// statically, and the service worker; chunks only reached through import() (the
// office console, src/admin/) are listed apart and do not count.
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

// index.html's scripts and module preloads, then their static imports, transitively.
const first = new Set([join(dist, 'sw.js')]);
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const todo = [...html.matchAll(/<(?:script|link)\b[^>]*?(?:src|href)="\/([^"]+\.m?js)"/g)]
  .filter((m) => /<script|rel="modulepreload"/.test(m[0])).map((m) => join(dist, m[1]));
while (todo.length) {
  const f = todo.pop();
  if (first.has(f)) continue;
  first.add(f);
  const src = readFileSync(f, 'utf8');
  // `import … from "./x.js"` and `import "./x.js"`, not `import("./x.js")`.
  for (const m of src.matchAll(/(?:\bfrom|\bimport)\s*["'](\.{1,2}\/[^"']+)["']/g)) todo.push(join(dirname(f), m[1]));
}

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
