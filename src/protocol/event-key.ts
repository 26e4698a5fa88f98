/**
 * The inbox dedupe key (DESIGN.md §2.1 step 4): the same event delivered again — a retry, a duplicate —
 * has the same key, so it is stored once, permanently.
 */
import type { Notification } from './notification.js';

/**
 * @example
 * eventKey({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'T1', result }); // 'TOKEN_CANCELED:T1'
 */
export function eventKey(notification: Notification): string {
  switch (notification.authorizationNotifyType) {
    case 'AUTHCODE_CREATED':
      return `AUTHCODE_CREATED:${notification.authCode}`;
    case 'TOKEN_CREATED':
      return `TOKEN_CREATED:${notification.accessToken}`;
    case 'TOKEN_CANCELED':
      return `TOKEN_CANCELED:${notification.accessToken}`;
  }
}
