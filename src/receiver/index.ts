export * from './handlers.js';
export * from './lifecycle.js';
export * from './ports.js';
export * from './processor.js';
export * from './receiver.js';
export * from './secrets.js';
