export * from './key-source.js';
export * from './node-crypto.js';
export * from './node-secrets.js';
