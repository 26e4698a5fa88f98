import { describe, expect, it } from 'vitest';
import { createNodeSecrets } from '../../src/receiver/node-secrets.js';
import { createSecrets, parseSecret, type Secrets } from '../../src/receiver/secrets.js';

const SECRET = 'q'.repeat(64).replace(/q/g, 'a');

describe('secrets: WebCrypto and node:crypto implementations agree', () => {
  const providers: [string, () => Promise<Secrets> | Secrets][] = [
    ['webcrypto', () => createSecrets(SECRET)],
    ['node', () => createNodeSecrets(SECRET)],
  ];

  it('derive the same token hash', async () => {
    const [web, node] = await Promise.all(providers.map(([, make]) => make()));
    expect(await web?.tokenHash('28100103_20215703001538122119')).toBe(
      await node?.tokenHash('28100103_20215703001538122119'),
    );
    expect(await web?.tokenHash('a')).not.toBe(await web?.tokenHash('b'));
  });

  it.each([
    ['webcrypto', 'node'],
    ['node', 'webcrypto'],
  ])('data sealed by %s opens with %s', async (from, to) => {
    const make = Object.fromEntries(providers);
    const sealer = await (make[from] as () => Promise<Secrets>)();
    const opener = await (make[to] as () => Promise<Secrets>)();
    const plain = new TextEncoder().encode('{"accessToken":"T-1","reason":"用户取消"}');
    const sealed = await sealer.seal(plain);
    expect(Buffer.from(sealed).includes(Buffer.from('T-1'))).toBe(false);
    expect(await opener.open(sealed)).toEqual(plain);
  });

  it.each(providers)('%s: a different secret cannot open, and tampering is detected', async (_name, make) => {
    const secrets = await make();
    const other = await createSecrets('b'.repeat(64));
    const sealed = await secrets.seal(new TextEncoder().encode('hello'));
    await expect(other.open(sealed)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const tampered = sealed.slice();
    tampered[20] = (tampered[20] as number) ^ 1;
    await expect(secrets.open(tampered)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it.each([
    ['too short', 'abcd', /at least 32/],
    ['not base64 or hex', '!!!not a key!!!', /neither base64 nor hex/],
  ])('rejects a secret that is %s', (_name, secret, message) => {
    expect(() => parseSecret(secret)).toThrow(message);
  });
});
