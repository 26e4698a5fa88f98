export * from './key-source.js';
export * from './node-crypto.js';
