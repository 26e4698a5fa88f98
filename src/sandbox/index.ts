export * from './context.js';
export * from './faults.js';
export * from './server.js';
export * from './state.js';
