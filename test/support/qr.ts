import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';

type QrDecoder = typeof jsQRModule.default;
/** jsqr is CommonJS whose module.exports is the function itself; its types say `export default`. */
const jsQR: QrDecoder =
  (jsQRModule as unknown as { default?: QrDecoder }).default ??
  (jsQRModule as unknown as QrDecoder);

/** What a QR PNG says, read back as a phone camera would; null when there is no readable code. */
export function decodeQr(bytes: Buffer): string | null {
  const png = PNG.sync.read(bytes);
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
}
