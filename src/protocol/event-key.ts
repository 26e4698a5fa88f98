/**
 * The inbox dedupe key (DESIGN.md §2.1 step 4): the same event delivered again — a retry, a duplicate —
 * has the same key, so it is stored once, permanently. `TYPE:<subject>`, where the subject is the authCode
 * or the access token.
 */
import type { Notification } from './notification.js';

/**
 * The event's subject: the authCode of AUTHCODE_CREATED, the access token of the two token events.
 *
 * @example
 * eventSubject(n); // 'T1'
 */
export function eventSubject(notification: Notification): string {
  return notification.authorizationNotifyType === 'AUTHCODE_CREATED'
    ? notification.authCode
    : notification.accessToken;
}

/**
 * The dedupe key. A receiver that must not store tokens passes the subject it stores instead (the
 * keyed hash of the access token); the key's shape stays the same.
 *
 * @example
 * eventKey({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'T1', result }); // 'TOKEN_CANCELED:T1'
 * eventKey(n, await secrets.tokenHash(n.accessToken)); // 'TOKEN_CANCELED:3f9a…'
 */
export function eventKey(notification: Notification, subject: string = eventSubject(notification)): string {
  return `${notification.authorizationNotifyType}:${subject}`;
}

/** The subject part of an event key (everything after the type). */
export function subjectOfEventKey(key: string): string {
  return key.slice(key.indexOf(':') + 1);
}
