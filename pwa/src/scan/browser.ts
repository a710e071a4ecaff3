// The only canvas code of the scanner: decoding a camera photo into pixels and
// encoding a finished page as JPEG. Everything in between is pure TypeScript.

import { fitWithin } from '../photo';
import type { Img } from './image';

function canvas(w: number, h: number): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  return c;
}

async function toJpeg(c: HTMLCanvasElement, quality: number): Promise<Blob> {
  const blob = await new Promise<Blob | null>((r) => c.toBlob(r, 'image/jpeg', quality));
  c.width = c.height = 0; // free the pixels now: iPad Safari's canvas memory is small
  if (!blob) throw new Error('encode failed');
  return blob;
}

/**
 * A photo's pixels (EXIF rotation applied, at most 2048 px on the long side) and the
 * same as a JPEG without EXIF, kept to adjust the corners again later.
 */
export async function decodePhoto(file: Blob): Promise<{ img: Img; jpeg: Blob }> {
  const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const [w, h] = fitWithin(bmp.width, bmp.height);
  const c = canvas(w, h);
  const g = c.getContext('2d', { willReadFrequently: true })!;
  g.drawImage(bmp, 0, 0, w, h);
  bmp.close();
  const d = g.getImageData(0, 0, w, h);
  const img: Img = { width: w, height: h, data: d.data };
  return { img, jpeg: await toJpeg(c, 0.9) };
}

/** A finished page as JPEG (black-and-white pages compress well at this quality too). */
export async function encodePage(img: Img, quality = 0.85): Promise<Blob> {
  const c = canvas(img.width, img.height);
  c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), 0, 0);
  return toJpeg(c, quality);
}
