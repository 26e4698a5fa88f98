export * from './sender.js';
export * from './transport.js';
