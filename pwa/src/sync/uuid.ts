// UUIDv7 (RFC 9562): 48-bit Unix milliseconds, a 12-bit counter (rand_a, method 1 of
// §6.2), then 62 random bits. Ids made on this device sort in creation order, even
// within one millisecond.

let lastMs = -1;
let counter = 0;

export function uuidv7(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = crypto.getRandomValues(new Uint16Array(1))[0]! & 0x3ff; // random start, room to count up
  } else if (++counter > 0xfff) {
    lastMs++; // counter exhausted: borrow the next millisecond
    counter = 0;
  }
  const b = crypto.getRandomValues(new Uint8Array(16));
  let ms = lastMs;
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = 0x70 | (counter >> 8); // version 7 + counter high nibble
  b[7] = counter & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f); // variant 10
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
