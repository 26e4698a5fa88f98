/**
 * authnotify — receive, verify, store and act on Alipay (Antom) notifyAuthorization notifications.
 * This entry exports the protocol core plus the Node helpers; `authnotify/protocol` is the same core
 * without any Node API, for edge runtimes.
 */
export * from './node/index.js';
export * from './protocol/index.js';
