import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

/** Text of a fixture file, e.g. `keys/alipay-v1.public.pem`. */
export function fixtureText(relative: string): string {
  return readFileSync(join(FIXTURES, relative), 'utf8');
}

export interface SignatureCase {
  name: string;
  receivedPath: string;
  headers: Record<string, string>;
  body: string;
  expect:
    | { ok: true; matchedPath: 'canonical' | 'received'; keyVersion: string }
    | { ok: false; code: string };
  sign?: { path: string; keyVersion: string; time: string };
}

export interface SignatureFixture {
  clientId: string;
  canonicalPath: string;
  publicKeys: Record<string, string>;
  privateKeys: Record<string, string>;
  cases: SignatureCase[];
}

export function signatureFixture(): SignatureFixture {
  return JSON.parse(fixtureText('signatures.json')) as SignatureFixture;
}
