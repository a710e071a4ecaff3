// The registry these machines use serves native optional packages only for the
// platforms it carries (e.g. @rollup/rollup-linux-x64-gnu), so `npm install` leaves
// the others out of package-lock.json and `npm ci` then refuses the lock ("Missing:
// @rollup/rollup-darwin-arm64 … from lock file"). This adds a lock entry, marked
// optional with its os/cpu/libc, for each such platform package, so npm ci skips them
// on this machine and would fetch them on another platform. Run after `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const pkgs = lock.packages;
const OS = ['android', 'darwin', 'freebsd', 'linux', 'openbsd', 'openharmony', 'win32', 'sunos', 'aix'];
const CPU = ['arm64', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x', 'arm'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  if (!os || !cpu) return null;
  const e = { os: [os], cpu: [cpu] };
  if (os === 'linux') e.libc = [parts.some((p) => p.startsWith('musl')) ? 'musl' : 'glibc'];
  return e;
}

let added = 0;
for (const [loc, p] of Object.entries(pkgs)) {
  for (const [dep, spec] of Object.entries(p.optionalDependencies ?? {})) {
    const here = `${loc ? loc + '/' : ''}node_modules/${dep}`;
    if (pkgs[here] || pkgs[`node_modules/${dep}`]) continue;
    const plat = platformOf(dep);
    if (!plat || !/^\d+\.\d+\.\d+/.test(spec)) continue;
    pkgs[`node_modules/${dep}`] = { version: spec, ...plat, ...(p.dev ? { dev: true } : {}), optional: true };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} optional platform entries`);
