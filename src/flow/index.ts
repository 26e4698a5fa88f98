/**
 * `authnotify/flow` — the authorization flow around the notifications: consult, the redirect landing,
 * one token exchange per authCode, refresh and revoke, with hooks on each lifecycle change.
 */
export {
  createFlow,
  type Flow,
  type FlowEventName,
  type FlowListener,
  type FlowOptions,
  type StartAuthorization,
} from './flow.js';
