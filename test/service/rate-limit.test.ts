import { describe, expect, it } from 'vitest';
import { RejectionLimiter } from '../../src/service/rate-limit.js';

describe('RejectionLimiter', () => {
  it('limits a source after `limit` rejections and forgets it after the window', () => {
    let now = 0;
    const limiter = new RejectionLimiter({ limit: 3, windowMs: 10_000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfter('a')).toBe(0);
      limiter.reject('a');
    }
    expect(limiter.retryAfter('a')).toBe(10);
    expect(limiter.retryAfter('b')).toBe(0);
    now = 9_001;
    expect(limiter.retryAfter('a')).toBe(1);
    now = 10_000;
    expect(limiter.retryAfter('a')).toBe(0);
  });

  it('remembers a bounded number of sources', () => {
    const limiter = new RejectionLimiter({ limit: 1, maxSources: 2, now: () => 0 });
    limiter.reject('a');
    limiter.reject('b');
    limiter.reject('c'); // forgets a
    expect([limiter.retryAfter('a'), limiter.retryAfter('b'), limiter.retryAfter('c')]).toEqual([0, 60, 60]);
  });
});
