/** Writes name.br and name.gz next to every text file under `dist` (scripts/precompress.mjs). */
export function precompress(dist: string): { file: string; raw: number; gz: number; br: number }[];
