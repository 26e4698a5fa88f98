export * from '../authorization/record.js';
export * from './schema.js';
export * from './types.js';
