/**
 * `authnotify/sandbox` — a local Alipay for tests and development: the authorization API, wallet pages,
 * the notification sender with fault switches, and a fast clock.
 */

export type { SandboxConfig } from './context.js';
export { type FaultSettings, FaultSettingsSchema, NO_FAULTS } from './faults.js';
export { type RunningSandbox, type SandboxOptions, startSandbox } from './server.js';
