// Draws the app icons as PNG files with nothing but zlib: two interlocking rings
// ("つなぐ" = to connect) in white on the brand teal. Run `npm run icons` after a
// design change; the PNGs are committed under public/icons.
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const BRAND = [0x0b, 0x6e, 0x69];
const WHITE = [255, 255, 255];

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, rgb) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB, no alpha: iOS fills transparency with black
  const raw = Buffer.alloc(size * (size * 3 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 3 + 1)] = 0; // filter: none
    rgb.copy(raw, y * (size * 3 + 1) + 1, y * size * 3, (y + 1) * size * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** `scale` < 1 keeps the drawing inside the maskable safe zone. */
function draw(size, scale) {
  const out = Buffer.alloc(size * size * 3);
  const S = 4; // 4×4 supersampling for smooth edges
  const r = 0.2 * scale, w = 0.055 * scale, dx = 0.13 * scale;
  const rings = [[0.5 - dx, 0.5], [0.5 + dx, 0.5]];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let hit = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const u = (x + (sx + 0.5) / S) / size, v = (y + (sy + 0.5) / S) / size;
          if (rings.some(([cx, cy]) => Math.abs(Math.hypot(u - cx, v - cy) - r) < w / 2)) hit++;
        }
      }
      const a = hit / (S * S);
      for (let i = 0; i < 3; i++) out[(y * size + x) * 3 + i] = Math.round(BRAND[i] * (1 - a) + WHITE[i] * a);
    }
  }
  return out;
}

const dir = new URL('../public/icons/', import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
for (const [name, size, scale] of [
  ['icon-192.png', 192, 1],
  ['icon-512.png', 512, 1],
  ['maskable-512.png', 512, 0.8],
  ['apple-touch-icon-180.png', 180, 0.9],
]) {
  writeFileSync(dir + name, png(size, draw(size, scale)));
  console.log('wrote', name);
}
