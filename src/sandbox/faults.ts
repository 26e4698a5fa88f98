/**
 * Fault injection: how a merchant proves its integration survives what Alipay really does. Counters
 * apply to the next N events and count down; `delayMs` stays until cleared.
 */
import { z } from 'zod';
import type { AttemptFault, DeliveryFaults } from '../sender/sender.js';

const count = z.number().int().min(0).max(1000);
export const FaultSettingsSchema = z
  .object({
    /** Treat the next N acknowledgements as lost (Alipay retries). */
    dropAcks: count,
    /** Wait this long before every delivery. */
    delayMs: z.number().int().min(0).max(120_000),
    /** Deliver each of the next N notifications twice, a second apart. */
    duplicates: count,
    /** Deliver each of the next N notifications three times at once. */
    concurrent: count,
    /** Hold the next notification back 2 s so the one after it arrives first. */
    reorder: count,
    /** Sign the next N deliveries with a signature that does not verify. */
    corruptSignatures: count,
    /** Sign the next N deliveries with a Request-Time 26 hours old. */
    oldRequestTimes: count,
    /** Answer the next N API calls with resultStatus U (UNKNOWN_EXCEPTION). */
    apiUnknown: count,
    /** Sign the next N API responses wrongly. */
    badResponseSignatures: count,
  })
  .strict();

export type FaultSettings = z.infer<typeof FaultSettingsSchema>;

export const NO_FAULTS: FaultSettings = {
  dropAcks: 0,
  delayMs: 0,
  duplicates: 0,
  concurrent: 0,
  reorder: 0,
  corruptSignatures: 0,
  oldRequestTimes: 0,
  apiUnknown: 0,
  badResponseSignatures: 0,
};

type Counter = Exclude<keyof FaultSettings, 'delayMs'>;

export class Faults implements DeliveryFaults {
  #settings: FaultSettings = { ...NO_FAULTS };

  get settings(): FaultSettings {
    return { ...this.#settings };
  }

  set(patch: Partial<FaultSettings>): FaultSettings {
    this.#settings = { ...this.#settings, ...patch };
    return this.settings;
  }

  reset(): void {
    this.#settings = { ...NO_FAULTS };
  }

  /** Uses one unit of a counter; true when the fault applies now. */
  take(name: Counter): boolean {
    if (this.#settings[name] <= 0) return false;
    this.#settings[name]--;
    return true;
  }

  next(): AttemptFault {
    const fault: AttemptFault = {};
    if (this.#settings.delayMs > 0) fault.delayMs = this.#settings.delayMs;
    if (this.take('corruptSignatures')) fault.corruptSignature = true;
    if (this.take('oldRequestTimes')) fault.requestTimeOffsetMs = -26 * 3_600_000;
    if (this.take('dropAcks')) fault.dropAck = true;
    return fault;
  }

  /** How the next notification is queued: copies and their offsets in ms. */
  copies(): number[] {
    if (this.take('concurrent')) return [0, 0, 0];
    if (this.take('duplicates')) return [0, 1000];
    if (this.take('reorder')) return [2000];
    return [0];
  }
}
