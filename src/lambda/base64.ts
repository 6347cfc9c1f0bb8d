import { Base64Error } from './errors.js';

// Standard or URL-safe alphabet, optional padding; whitespace (line wrapping) is allowed.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const WHITESPACE = /\s+/g;

/**
 * Decodes base64 strictly. Buffer.from(text, 'base64') silently skips characters
 * outside the alphabet, which would turn garbage into a "corrupt JPEG" message
 * instead of saying the encoding is wrong.
 */
export function decodeBase64(text: string): Uint8Array {
  const compact = text.replace(WHITESPACE, '');
  if (compact.length === 0) throw new Base64Error('not valid base64 (empty)');
  if (!BASE64.test(compact)) throw new Base64Error('not valid base64 (characters outside the base64 alphabet)');
  if (compact.length % 4 === 1) throw new Base64Error('not valid base64 (truncated length)');
  const bytes = Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Whether text could be base64 at all; cheap pre-check before decoding a body. */
export function looksLikeBase64(text: string): boolean {
  const compact = text.replace(WHITESPACE, '');
  return compact.length > 0 && compact.length % 4 !== 1 && BASE64.test(compact);
}

/** Decoded size of base64 text without decoding it (for the size limit check). */
export function decodedLength(text: string): number {
  return Math.floor((text.length * 3) / 4);
}
