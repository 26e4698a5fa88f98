import { describe, expect, it } from 'vitest';
import {
  ACK_BODY,
  ALIPAY_RETRY_DELAYS_MS,
  AuthNotifyError,
  failureBody,
  formatDuration,
  formatRequestTime,
  isAckBody,
  ManualClock,
  maxDeliveries,
  nextDueAt,
  parseDuration,
  parseRequestTime,
  parseSchedule,
  scheduleHorizonMs,
  statusForCode,
} from '../../src/protocol/index.js';

describe('parseRequestTime', () => {
  it.each([
    ['epoch milliseconds', '1700000000000', 1_700_000_000_000],
    ['epoch seconds', '1700000000', 1_700_000_000_000],
    ['ISO-8601 with Z', '2023-11-14T22:13:20Z', 1_700_000_000_000],
    ['ISO-8601 with milliseconds', '2023-11-14T22:13:20.123Z', 1_700_000_000_123],
    [
      'ISO-8601 with an offset (the docs’ example)',
      '2019-05-28T12:12:12+08:00',
      Date.UTC(2019, 4, 28, 4, 12, 12),
    ],
    ['ISO-8601 with a compact offset', '2019-05-28T12:12:12+0800', Date.UTC(2019, 4, 28, 4, 12, 12)],
    ['surrounding whitespace', ' 1700000000000 ', 1_700_000_000_000],
  ])('parses %s', (_name, text, expected) => {
    expect(parseRequestTime(text)).toBe(expected);
  });

  it.each([
    '',
    'now',
    '2019-05-28',
    '2019-05-28T12:12:12',
    '2019-13-28T12:12:12Z',
    '-1700000000',
    '1e12',
    '12345678901234567890',
  ])('rejects %j with REQUEST_TIME_INVALID', (text) => {
    expect(() => parseRequestTime(text)).toThrow(expect.objectContaining({ code: 'REQUEST_TIME_INVALID' }));
  });

  it('formats epoch ms by default and ISO on request', () => {
    expect(formatRequestTime(1_700_000_000_123.9)).toBe('1700000000123');
    expect(formatRequestTime(1_700_000_000_000, 'iso')).toBe('2023-11-14T22:13:20.000Z');
  });
});

describe('retry schedule', () => {
  it('is the documented 0s, 2min, 10min, 10min, 1h, 2h, 6h, 15h', () => {
    expect(ALIPAY_RETRY_DELAYS_MS.map((ms) => formatDuration(ms))).toEqual([
      '0ms',
      '2m',
      '10m',
      '10m',
      '1h',
      '2h',
      '6h',
      '15h',
    ]);
    expect(maxDeliveries()).toBe(8);
  });

  it('spans 24 h 22 min from first send to last delivery', () => {
    expect(scheduleHorizonMs()).toBe((24 * 60 + 22) * 60_000);
  });

  it('counts each delay from the end of the previous delivery, on a fake clock', () => {
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const created = clock.now();
    const due: number[] = [];
    let previousEnd = created;
    for (let k = 0; ; k++) {
      const at = nextDueAt(k, previousEnd);
      if (at === undefined) break;
      clock.set(at);
      due.push(clock.now() - created);
      clock.advance(10_000); // each delivery times out after 10 s
      previousEnd = clock.now();
    }
    expect(due).toHaveLength(8);
    expect(due[1]).toBe(10_000 + 2 * 60_000);
    expect(due[7]).toBe(scheduleHorizonMs() + 7 * 10_000);
  });

  it.each([
    ['alipay', 8],
    ['once', 1],
    ['0s,2m,10m', 3],
    ['1s, 500ms', 2],
  ])('parses the schedule %s', (text, count) => {
    expect(parseSchedule(text).delaysMs).toHaveLength(count);
  });

  it.each(['', '2 minutes', '5', '1w', '0s,,1m'])('rejects the schedule %j', (text) => {
    expect(() => parseSchedule(text)).toThrow(AuthNotifyError);
  });

  it('parses durations', () => {
    expect([
      parseDuration('500ms'),
      parseDuration('10s'),
      parseDuration('1.5h'),
      parseDuration('1d'),
    ]).toEqual([500, 10_000, 5_400_000, 86_400_000]);
  });
});

describe('acknowledgement and results', () => {
  it('is the exact documented ack body', () => {
    expect(ACK_BODY).toBe('{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}');
  });

  it.each([
    [ACK_BODY, true],
    ['{"result":{"resultStatus":"S","resultCode":"SUCCESS","resultMessage":"Success"}}', true],
    [' {"result":{"resultCode":"SUCCESS","resultStatus":"S"}} ', true],
    ['{"result":{"resultCode":"SUCCESS","resultStatus":"U"}}', false],
    ['{"result":{"resultCode":"success","resultStatus":"S"}}', false],
    ['{"resultCode":"SUCCESS","resultStatus":"S"}', false],
    ['SUCCESS', false],
    ['', false],
    ['null', false],
  ])('isAckBody(%j) is %s', (body, expected) => {
    expect(isAckBody(body)).toBe(expected);
  });

  it('builds failure bodies', () => {
    expect(JSON.parse(failureBody('INVALID_SIGNATURE', 'bad'))).toEqual({
      result: { resultCode: 'INVALID_SIGNATURE', resultStatus: 'F', resultMessage: 'bad' },
    });
    expect(JSON.parse(failureBody('PROCESS_FAIL', 'store down', 'U')).result.resultStatus).toBe('U');
  });

  it('maps error codes to HTTP statuses', () => {
    expect([
      statusForCode('BODY_TOO_LARGE'),
      statusForCode('INVALID_SIGNATURE'),
      statusForCode('STORE_UNAVAILABLE'),
    ]).toEqual([413, 401, 503]);
    const error = new AuthNotifyError('PARAM_ILLEGAL', 'x', { cause: new Error('y') });
    expect(error).toMatchObject({ code: 'PARAM_ILLEGAL', status: 400, name: 'AuthNotifyError' });
    expect((error.cause as Error).message).toBe('y');
  });
});

describe('uuidv7', () => {
  it('is a version-7 UUID that sorts in creation order, even within one millisecond', async () => {
    const { uuidv7 } = await import('../../src/protocol/ids.js');
    const ids = Array.from({ length: 5000 }, () => uuidv7(1_700_000_000_000));
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
