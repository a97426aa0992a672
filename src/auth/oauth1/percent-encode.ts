/**
 * Percent-encoding for OAuth 1.0a signatures, as RFC 5849 section 3.6 defines it: the UTF-8
 * bytes of a value, with every byte except `A-Z a-z 0-9 - . _ ~` written as `%XX` in upper-case
 * hex. A space is `%20`, never `+`.
 *
 * Hand-written because `encodeURIComponent` leaves `! ' ( ) *` unencoded and throws on a lone
 * surrogate, and `URLSearchParams` writes a space as `+`. Either would give a signature that the
 * server computes differently.
 */

const UPPER_HEX = '0123456789ABCDEF';

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x2d || // -
    byte === 0x2e || // .
    byte === 0x5f || // _
    byte === 0x7e // ~
  );
}

/**
 * Encodes a string (as UTF-8) or raw bytes per RFC 5849 section 3.6.
 * A lone surrogate in a string becomes U+FFFD, as `TextEncoder` writes it.
 */
export function percentEncode(value: string | Uint8Array): string {
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  let encoded = '';
  for (const byte of bytes) {
    if (isUnreserved(byte)) {
      encoded += String.fromCharCode(byte);
    } else {
      encoded += '%' + UPPER_HEX[byte >> 4] + UPPER_HEX[byte & 0x0f];
    }
  }
  return encoded;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

/**
 * Decodes one name or value of an `application/x-www-form-urlencoded` string into bytes:
 * `+` is a space and `%XX` is one byte. A `%` not followed by two hex digits stays as it is,
 * which is what `URLSearchParams` does too.
 */
export function formDecodeToBytes(text: string): Uint8Array {
  const input = new TextEncoder().encode(text.replaceAll('+', ' '));
  const output = new Uint8Array(input.length);
  let length = 0;
  for (let index = 0; index < input.length; index++) {
    const byte = input[index]!;
    if (byte === 0x25 && index + 2 < input.length) {
      const high = hexValue(input[index + 1]!);
      const low = hexValue(input[index + 2]!);
      if (high >= 0 && low >= 0) {
        output[length++] = high * 16 + low;
        index += 2;
        continue;
      }
    }
    output[length++] = byte;
  }
  return output.subarray(0, length);
}

/** One parameter whose name and value are already encoded per RFC 5849 section 3.6. */
export interface EncodedParameter {
  name: string;
  value: string;
}

/**
 * Splits an `application/x-www-form-urlencoded` string (a query or a form body) into
 * parameters, each decoded to bytes and re-encoded per RFC 5849 section 3.6.
 *
 * Working on bytes keeps a value that is not valid UTF-8, such as `%FF`, exactly as the
 * sender wrote it, where a decode to a JavaScript string would turn it into U+FFFD.
 * A part without `=` is a name with an empty value. Empty parts (`a=1&&b=2`) are skipped.
 */
export function encodedFormParameters(text: string): EncodedParameter[] {
  const parameters: EncodedParameter[] = [];
  for (const part of text.split('&')) {
    if (part === '') continue;

    const separator = part.indexOf('=');
    const rawName = separator === -1 ? part : part.slice(0, separator);
    const rawValue = separator === -1 ? '' : part.slice(separator + 1);
    parameters.push({
      name: percentEncode(formDecodeToBytes(rawName)),
      value: percentEncode(formDecodeToBytes(rawValue)),
    });
  }
  return parameters;
}
