// Writes name.br (Brotli, quality 11) and name.gz (gzip -9) next to every text file
// of a build, so the server sends them as they are (Content-Encoding by
// Accept-Encoding, internal/app/static.go) instead of compressing on each request.
// A copy that would not be smaller is not written (the server then sends the file as is).
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const TEXT = /\.(js|mjs|css|html|webmanifest|json|svg|txt)$/;

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

/** Compresses the text files under dist; returns [{file, raw, gz, br}]. */
export function precompress(dist) {
  const out = [];
  for (const f of [...walk(dist)]) {
    if (f.endsWith('.br') || f.endsWith('.gz')) {
      rmSync(f); // a stale copy of an earlier build
      continue;
    }
    if (!TEXT.test(f)) continue;
    const raw = readFileSync(f);
    const br = brotliCompressSync(raw, {
      params: {
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      },
    });
    const gz = gzipSync(raw, { level: 9 });
    const row = { file: f, raw: raw.length, gz: 0, br: 0 };
    if (gz.length < raw.length) writeFileSync(f + '.gz', gz), (row.gz = gz.length);
    if (br.length < raw.length) writeFileSync(f + '.br', br), (row.br = br.length);
    out.push(row);
  }
  return out;
}
