// Camera photos and scanned forms: decoded, downscaled to at most 2048 px on the long
// side and re-encoded as JPEG on a canvas. Re-encoding drops EXIF (GPS, device), so
// none of it is stored or uploaded; the server sanitizes again anyway.

export const MAX_SIDE = 2048;

export function fitWithin(w: number, h: number, max = MAX_SIDE): [number, number] {
  const s = Math.min(1, max / Math.max(w, h));
  return [Math.round(w * s), Math.round(h * s)];
}

export async function downscale(file: Blob, quality = 0.85): Promise<Blob> {
  // imageOrientation applies the EXIF rotation before it is thrown away.
  const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const [w, h] = fitWithin(bmp.width, bmp.height);
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d')!.drawImage(bmp, 0, 0, w, h);
  bmp.close();
  const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/jpeg', quality));
  canvas.width = canvas.height = 0; // free the pixels now: iPad Safari's canvas memory is small
  if (!blob) throw new Error('encode failed');
  return blob;
}
