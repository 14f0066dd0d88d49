// Photos are compressed on the phone before they are stored or sent: the
// long side scaled down to 1600 px and encoded as JPEG at quality 0.8 on a
// canvas (a 12-megapixel photo of ~4 MB becomes ~300 kB), which keeps the
// outbox small and the upload short on a weak network.
export const MAX_SIDE = 1600;
export const QUALITY = 0.8;

export async function compress(file) {
  const bmp = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
  const w = Math.max(1, Math.round(bmp.width * scale));
  const h = Math.max(1, Math.round(bmp.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bmp, 0, 0, w, h);
  bmp.close?.();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY));
  if (!blob) throw new Error('照片压缩失败');
  return blob;
}
