/** Proof Key for Code Exchange with the S256 method (RFC 7636). */
import { createHash, randomBytes } from 'node:crypto';

export interface PkcePair {
  codeVerifier: string;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
}

/** The characters RFC 7636 section 4.1 allows in a code verifier, 43 to 128 of them. */
const CODE_VERIFIER_PATTERN = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Creates a code verifier from 32 random bytes: 43 base64url characters, 256 bits of entropy. */
export function createCodeVerifier(): string {
  return randomBytes(32).toString('base64url');
}

/** Computes the S256 code challenge: base64url(SHA-256(ASCII(verifier))), without padding. */
export function codeChallengeS256(codeVerifier: string): string {
  if (!CODE_VERIFIER_PATTERN.test(codeVerifier)) {
    throw new RangeError('A PKCE code verifier must be 43 to 128 characters from A-Z, a-z, 0-9, "-", ".", "_" and "~".');
  }
  return createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}

/** Creates a fresh code verifier and its S256 challenge. */
export function createPkcePair(): PkcePair {
  const codeVerifier = createCodeVerifier();
  return { codeVerifier, codeChallenge: codeChallengeS256(codeVerifier), codeChallengeMethod: 'S256' };
}
