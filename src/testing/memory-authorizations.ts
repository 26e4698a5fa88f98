/** The in-memory store's authorizations: consults, tombstones, the timeline, and lifecycle events. */

import { eventOfFacts, lookupOf } from '../authorization/facts.js';
import { decideLifecycle } from '../authorization/lifecycle.js';
import type {
  AuthorizationRecord,
  ConsultRecord,
  LifecycleContext,
  LifecycleEvent,
  LifecycleSnapshot,
  TombstoneRecord,
} from '../authorization/types.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { subjectOfEventKey } from '../protocol/event-key.js';
import { uuidv7 } from '../protocol/ids.js';
import { lifecycleEventRow } from '../store/event-writes.js';
import type {
  AppliedDue,
  ApplyEventInput,
  ApplyEventResult,
  DueRequest,
  InboxRecord,
  Page,
  Store,
  TimelineEntry,
} from '../store/types.js';
import type { MemoryEvents } from './memory-events.js';
import { conflict, copy, paged, type UndoLog } from './memory-tables.js';

type Unique = 'authState' | 'authCode' | 'tokenHash';
const UNIQUE: readonly Unique[] = ['authState', 'authCode', 'tokenHash'];

export class MemoryAuthorizations {
  readonly #rows = new Map<string, AuthorizationRecord>();
  readonly #consults = new Map<string, ConsultRecord>();
  readonly #tombstones = new Map<string, TombstoneRecord>();
  readonly #timeline: TimelineEntry[] = [];
  readonly #inbox: Map<string, InboxRecord>;
  readonly #log: UndoLog;
  readonly #events: MemoryEvents;

  /**
   * `inbox`: the store's inbox rows, which an event marks applied in its transaction; `events`: the event
   * log, written in the same transaction.
   */
  constructor(inbox: Map<string, InboxRecord>, log: UndoLog, events: MemoryEvents) {
    this.#inbox = inbox;
    this.#log = log;
    this.#events = events;
  }

  get size(): number {
    return this.#rows.size + this.#tombstones.size;
  }

  by(field: 'id' | Unique, value: string | undefined): AuthorizationRecord | undefined {
    if (value === undefined) return undefined;
    if (field === 'id') return this.#rows.get(value);
    for (const a of this.#rows.values()) if (a[field] === value) return a;
    return undefined;
  }

  #writeAuthorization(next: AuthorizationRecord): void {
    for (const field of UNIQUE) {
      const value = next[field];
      const holder = value === null ? undefined : this.by(field, value);
      if (holder && holder.id !== next.id) throw conflict('apply a lifecycle event');
    }
    this.#log.set(this.#rows, next.id, next);
  }

  apply(
    input: ApplyEventInput,
    event: LifecycleEvent,
    ctx: LifecycleContext,
    finish?: { owner: string },
    /** `due`: a PENDING row the caller holds (applyDue), finished with its attempt counted. */
    mode: 'leased' | 'due' = 'leased',
  ): ApplyEventResult {
    const inbox = input.inbox ? this.#inbox.get(input.inbox.id) : undefined;
    if (input.inbox && !inbox)
      throw new AuthNotifyError('NOT_FOUND', `inbox row ${input.inbox.id} does not exist`);
    const finishable =
      finish !== undefined &&
      inbox !== undefined &&
      (mode === 'due'
        ? inbox.status === 'PENDING'
        : inbox.leaseOwner === finish.owner && inbox.status === 'PROCESSING');
    const done = finishable
      ? {
          attempts: (inbox?.attempts ?? 0) + (mode === 'due' ? 1 : 0),
          status: 'PROCESSED' as const,
          leaseOwner: null,
          leasedUntil: null,
          nextAttemptAt: null,
          lastError: null,
          processedAt: input.now,
          updatedAt: input.now,
        }
      : {};
    const finished = finish ? { finished: finishable } : {};
    if (inbox?.applied) {
      const authorization = this.by('id', inbox.authorizationId ?? undefined);
      if (finishable) this.#log.set(this.#inbox, inbox.id, { ...inbox, ...done });
      return {
        decision: { outcome: inbox.outcome ?? '' },
        authorization: authorization && copy(authorization),
        alreadyApplied: true,
        ...finished,
      };
    }
    const { lookup } = input;
    const snapshot: LifecycleSnapshot = copy({
      byAuthState: this.by('authState', lookup.authState),
      byAuthCode: this.by('authCode', lookup.authCode),
      byTokenHash: this.by('tokenHash', lookup.tokenHash),
      consult: lookup.authState === undefined ? undefined : this.#consults.get(lookup.authState),
      tombstone: lookup.tokenHash === undefined ? undefined : this.#tombstones.get(lookup.tokenHash),
    });
    const decision = decideLifecycle(event, snapshot, ctx);
    let authorizationId: string | undefined;
    const write = decision.write;
    if (write?.kind === 'create') {
      if (this.#rows.has(write.authorization.id)) throw conflict('apply a lifecycle event');
      this.#writeAuthorization({ ...write.authorization, version: 0 });
      authorizationId = write.authorization.id;
    } else if (write?.kind === 'update') {
      const current = this.#rows.get(write.id);
      if (!current || current.version !== write.expectedVersion)
        throw new AuthNotifyError('CONFLICT', `authorization ${write.id} changed concurrently`);
      const patch = Object.fromEntries(Object.entries(write.patch).filter(([, v]) => v !== undefined));
      this.#writeAuthorization({ ...current, ...patch, version: current.version + 1 });
      authorizationId = write.id;
    }
    const t = decision.tombstone;
    if (t && !this.#tombstones.has(t.tokenHash)) this.#log.set(this.#tombstones, t.tokenHash, { ...t });
    if (decision.timeline) {
      const e = decision.timeline;
      const entry = { id: input.timelineId, ...e, inboxId: input.inbox?.id ?? null, at: input.now };
      this.#log.append(this.#timeline, entry);
      authorizationId ??= e.authorizationId;
    }
    if (inbox) {
      this.#log.set(this.#inbox, inbox.id, {
        ...inbox,
        applied: true,
        outcome: decision.outcome,
        authorizationId: authorizationId ?? null,
        updatedAt: input.now,
        ...done,
      });
    }
    const authorization = this.by('id', authorizationId);
    this.#events.record(
      lifecycleEventRow(decision, authorization, input.timelineId, input.inbox?.id ?? null, input.now),
    );
    return {
      decision,
      authorization: authorization && copy(authorization),
      alreadyApplied: false,
      ...finished,
    };
  }

  /** `Store.applyDue` on these maps (the caller runs it as one transaction); `facts` by inbox id. */
  applyDue(request: DueRequest, facts: ReadonlyMap<string, string>): AppliedDue[] {
    const now = request.now;
    return [...this.#inbox.values()]
      .filter(
        (r) =>
          r.status === 'PENDING' &&
          (r.nextAttemptAt ?? Number.POSITIVE_INFINITY) <= now &&
          facts.has(r.id) &&
          request.types.includes(r.type ?? ''),
      )
      .sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0))
      .slice(0, request.limit)
      .map((row) => {
        const event = eventOfFacts(facts.get(row.id) as string, subjectOfEventKey(row.eventKey));
        const input = {
          lookup: lookupOf(event),
          inbox: { id: row.id, owner: '' },
          timelineId: uuidv7(now),
          now,
        };
        const ctx = {
          now,
          newId: uuidv7(now),
          inboxId: row.id,
          acceptUnknownAuthState: request.acceptUnknownAuthState,
        };
        const r = this.apply(input, event, ctx, { owner: '' }, 'due');
        return {
          id: row.id,
          type: row.type,
          outcome: r.decision.outcome,
          authorizationId: r.authorization?.id ?? null,
          alreadyApplied: r.alreadyApplied,
        };
      });
  }

  claimCode(authCode: string, now: number): boolean {
    const a = this.by('authCode', authCode);
    if (!a || a.codeRedeemedAt !== null) return false;
    Object.assign(a, { codeRedeemedAt: now, version: a.version + 1 });
    return true;
  }
  releaseCode(authCode: string): void {
    const a = this.by('authCode', authCode);
    if (a) Object.assign(a, { codeRedeemedAt: null, version: a.version + 1 });
  }
  listExpiring(before: number, limit: number): AuthorizationRecord[] {
    return [...this.#rows.values()]
      .filter(
        (a) => a.status === 'ACTIVE' && a.accessTokenExpiresAt !== null && a.accessTokenExpiresAt < before,
      )
      .sort((a, b) => (a.accessTokenExpiresAt ?? 0) - (b.accessTokenExpiresAt ?? 0))
      .slice(0, limit)
      .map(copy);
  }

  saveConsult(consult: ConsultRecord, authorization: Omit<AuthorizationRecord, 'version'>): void {
    this.#log.run(() => {
      if (this.#rows.has(authorization.id) || this.#consults.has(consult.authState))
        throw conflict('save a consult');
      this.#writeAuthorization({ ...copy(authorization), version: 0 });
      this.#log.set(this.#consults, consult.authState, { ...consult });
      const entry = {
        id: uuidv7(consult.createdAt),
        authorizationId: authorization.id,
        kind: 'consult',
        from: null,
        to: authorization.status,
        inboxId: null,
        detail: null,
        at: consult.createdAt,
      };
      this.#log.append(this.#timeline, entry);
    });
  }
  get(id: string): AuthorizationRecord | undefined {
    const a = this.#rows.get(id);
    return a && copy(a);
  }
  getConsult(authState: string): ConsultRecord | undefined {
    const c = this.#consults.get(authState);
    return c && copy(c);
  }
  list(filter: Parameters<Store['listAuthorizations']>[0]): Page<AuthorizationRecord> {
    const keep = (a: AuthorizationRecord) =>
      (!filter.status || a.status === filter.status) &&
      (!filter.authState || a.authState === filter.authState) &&
      (!filter.tokenHash || a.tokenHash === filter.tokenHash) &&
      (!filter.merchantUserId || a.merchantUserId === filter.merchantUserId) &&
      (!filter.userLoginIdMasked || a.userLoginIdMasked === filter.userLoginIdMasked);
    return paged(this.#rows.values(), filter, (a) => a.updatedAt, keep);
  }
  timeline(authorizationId: string): TimelineEntry[] {
    return this.#timeline
      .filter((e) => e.authorizationId === authorizationId)
      .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(copy);
  }
}
