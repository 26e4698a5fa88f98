/**
 * `authnotify/node` — the Node defaults: node:crypto signatures and secrets, and key sources read from
 * files or environment variables. Everything else in the package runs on Web-standard APIs.
 */
export { nodeSignatureCrypto } from '../protocol/node-crypto.js';
export { readKeySource } from '../protocol/node-key-source.js';
export { nodeDefaults } from '../receiver/node-defaults.js';
export { createNodeSecrets } from '../receiver/node-secrets.js';
