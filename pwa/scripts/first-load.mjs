// Which JavaScript files of a build the first load fetches: what index.html loads
// (its scripts and module preloads), everything those files import statically,
// and the service worker. Chunks only reached through import() (screens loaded on
// use: the office console, onboarding, the care team) are not part of it.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Absolute paths of the first load's files in build directory `dist`. */
export function firstLoadFiles(dist) {
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
  return first;
}
