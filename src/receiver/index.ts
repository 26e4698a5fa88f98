export * from '../authorization/lifecycle.js';
export * from './handlers.js';
export * from './ports.js';
export * from './processor.js';
export * from './receiver.js';
export * from './secrets.js';
