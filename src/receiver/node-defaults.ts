/** The Node implementations of the receiver's crypto ports, gathered for `createReceiver`. */
import { nodeSignatureCrypto } from '../protocol/node-crypto.js';
import { createNodeSecrets } from './node-secrets.js';

/**
 * The Node implementations of the receiver's crypto ports, to spread into its options.
 *
 * @example
 * const receiver = await createReceiver({ ...nodeDefaults, clientId, alipayPublicKeys, secretKey, store });
 */
export const nodeDefaults = { crypto: nodeSignatureCrypto, secretsFactory: createNodeSecrets } as const;
