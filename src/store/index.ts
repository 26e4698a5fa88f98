export * from './authorization.js';
export * from './schema.js';
export * from './types.js';
