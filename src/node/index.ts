export * from './key-source.js';
export * from './node-crypto.js';
export * from './node-secrets.js';

import { nodeSignatureCrypto } from './node-crypto.js';
import { createNodeSecrets } from './node-secrets.js';

/**
 * The Node implementations of the receiver's crypto ports, to spread into its options.
 *
 * @example
 * const receiver = await createReceiver({ ...nodeDefaults, clientId, alipayPublicKeys, secretKey, store });
 */
export const nodeDefaults = { crypto: nodeSignatureCrypto, secretsFactory: createNodeSecrets } as const;
