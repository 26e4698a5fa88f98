/**
 * A notification's lifecycle facts as the inbox keeps them: the event without its subject (the authCode or
 * the access token's keyed hash, already the subject of the row's event key), so the row stays small; and
 * the rows a notification's event looks up, which follow from the event.
 */
import type { LifecycleEvent, LifecycleLookup } from './types.js';

/** The events a notification means (the others come from the flow). */
export type NotificationEvent = Extract<
  LifecycleEvent,
  { kind: 'AUTHCODE_CREATED' } | { kind: 'TOKEN_CREATED' } | { kind: 'TOKEN_CANCELED' }
>;

/** The rows a notification's event looks up. */
export function lookupOf(event: NotificationEvent): LifecycleLookup {
  switch (event.kind) {
    case 'AUTHCODE_CREATED':
      return { authState: event.authState, authCode: event.authCode };
    case 'TOKEN_CREATED':
      return { authState: event.authState, tokenHash: event.tokenHash };
    case 'TOKEN_CANCELED':
      return { tokenHash: event.tokenHash };
  }
}

/**
 * The facts to store: the event as JSON without its subject.
 *
 * @example
 * factsOf({ kind: 'TOKEN_CANCELED', tokenHash: 'ab12…', reason: 'moved' }); // '{"kind":"TOKEN_CANCELED","reason":"moved"}'
 */
export function factsOf(event: NotificationEvent): string {
  const {
    authCode: _code,
    tokenHash: _hash,
    ...rest
  } = event as Partial<Record<'authCode' | 'tokenHash', string>> & NotificationEvent;
  return JSON.stringify(rest);
}

/** The event stored facts mean, given the row's event-key subject. */
export function eventOfFacts(facts: string, subject: string): NotificationEvent {
  const rest = JSON.parse(facts) as { kind: NotificationEvent['kind'] };
  return (
    rest.kind === 'AUTHCODE_CREATED' ? { ...rest, authCode: subject } : { ...rest, tokenHash: subject }
  ) as NotificationEvent;
}
