import QRCode from 'qrcode';

/** What a code's QR image encodes: INSTALL_URL_TEMPLATE with `{code}` replaced. */
export function installUrl(template: string, code: string): string {
  return template.replaceAll('{code}', encodeURIComponent(code));
}

export function renderQrPng(content: string): Promise<Buffer> {
  return QRCode.toBuffer(content, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 8 });
}
