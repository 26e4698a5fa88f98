import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventKey, MAX_LENGTH, type Notification, parseNotification } from '../../src/protocol/index.js';

const OK = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' };
const SEED =
  '{\n"authorizationNotifyType": "TOKEN_CANCELED",\n"accessToken": "28100103_20215703001538122119",\n"result": {\n"resultCode": "SUCCESS",\n"resultMessage": "success",\n"resultStatus": "S"\n}\n}';

const base = {
  AUTHCODE_CREATED: {
    authorizationNotifyType: 'AUTHCODE_CREATED',
    authCode: 'AC1',
    authState: 'ST1',
    result: OK,
  },
  TOKEN_CREATED: {
    authorizationNotifyType: 'TOKEN_CREATED',
    accessToken: 'T1',
    authState: 'ST1',
    result: OK,
  },
  TOKEN_CANCELED: { authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'T1', result: OK },
};

const long = (n: number) => 'x'.repeat(n);

describe('parseNotification accepts', () => {
  it('the seed page sample request (TOKEN_CANCELED)', () => {
    const outcome = parseNotification(SEED);
    expect(outcome.status).toBe('valid');
    if (outcome.status === 'valid') {
      expect(eventKey(outcome.notification)).toBe('TOKEN_CANCELED:28100103_20215703001538122119');
    }
  });

  it.each([
    ['AUTHCODE_CREATED with authCode and authState', base.AUTHCODE_CREATED],
    ['TOKEN_CREATED with accessToken and authState', base.TOKEN_CREATED],
    ['TOKEN_CANCELED with a reason', { ...base.TOKEN_CANCELED, reason: '不再使用' }],
    [
      'every optional field at its maximum length',
      {
        ...base.TOKEN_CREATED,
        authClientId: long(64),
        accessToken: long(128),
        authState: long(256),
        userLoginId: long(64),
        userId: long(64),
        reason: long(256),
        result: { ...OK, resultCode: 'SUCCESS', resultMessage: long(256) },
      },
    ],
    [
      'an authCode of 128 characters (the larger documented limit)',
      { ...base.AUTHCODE_CREATED, authCode: long(128) },
    ],
    ['an authorizationNotifyType longer than 32 is not needed but 64 is the cap', base.TOKEN_CANCELED],
    ['empty optional strings', { ...base.TOKEN_CANCELED, userLoginId: '', reason: '' }],
    [
      'a result without resultMessage',
      { ...base.TOKEN_CANCELED, result: { resultCode: 'SUCCESS', resultStatus: 'S' } },
    ],
  ])('%s', (_name, body) => {
    expect(parseNotification(JSON.stringify(body))).toMatchObject({ status: 'valid' });
  });

  it('keeps unknown fields such as passThroughInfo', () => {
    const outcome = parseNotification(
      JSON.stringify({ ...base.TOKEN_CANCELED, passThroughInfo: '{"a":1}', extra: { n: 1 } }),
    );
    expect(outcome.status).toBe('valid');
    if (outcome.status === 'valid') {
      expect((outcome.notification as Record<string, unknown>).passThroughInfo).toBe('{"a":1}');
      expect((outcome.notification as Record<string, unknown>).extra).toEqual({ n: 1 });
    }
  });

  it('reads raw UTF-8 bytes', () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ ...base.TOKEN_CANCELED, reason: '用户取消' }));
    expect(parseNotification(bytes)).toMatchObject({ status: 'valid', notification: { reason: '用户取消' } });
  });
});

type Row = [string, unknown, { path: string; rule: string }[]];
const rejects: Row[] = [
  ['a body that is not JSON', '{"a":', [{ path: '', rule: 'json' }]],
  ['a JSON array', [], [{ path: '', rule: 'object' }]],
  ['a JSON string', '"hello"', [{ path: '', rule: 'object' }]],
  [
    'a missing authorizationNotifyType',
    { accessToken: 'T1', result: OK },
    [{ path: 'authorizationNotifyType', rule: 'required' }],
  ],
  [
    'a numeric authorizationNotifyType',
    { authorizationNotifyType: 1, result: OK },
    [{ path: 'authorizationNotifyType', rule: 'type' }],
  ],
  [
    'AUTHCODE_CREATED without authCode',
    { ...base.AUTHCODE_CREATED, authCode: undefined },
    [{ path: 'authCode', rule: 'required' }],
  ],
  [
    'AUTHCODE_CREATED without authState',
    { ...base.AUTHCODE_CREATED, authState: undefined },
    [{ path: 'authState', rule: 'required' }],
  ],
  [
    'TOKEN_CREATED without accessToken',
    { ...base.TOKEN_CREATED, accessToken: undefined },
    [{ path: 'accessToken', rule: 'required' }],
  ],
  [
    'TOKEN_CREATED without authState',
    { ...base.TOKEN_CREATED, authState: undefined },
    [{ path: 'authState', rule: 'required' }],
  ],
  [
    'TOKEN_CANCELED without accessToken',
    { ...base.TOKEN_CANCELED, accessToken: undefined },
    [{ path: 'accessToken', rule: 'required' }],
  ],
  [
    'an empty required accessToken',
    { ...base.TOKEN_CANCELED, accessToken: '' },
    [{ path: 'accessToken', rule: 'min_length' }],
  ],
  ['a missing result', { ...base.TOKEN_CANCELED, result: undefined }, [{ path: 'result', rule: 'required' }]],
  [
    'a result that is a string',
    { ...base.TOKEN_CANCELED, result: 'SUCCESS' },
    [{ path: 'result', rule: 'type' }],
  ],
  [
    'a result without resultCode',
    { ...base.TOKEN_CANCELED, result: { resultStatus: 'S' } },
    [{ path: 'result.resultCode', rule: 'required' }],
  ],
  [
    'a resultStatus outside S/F/U',
    { ...base.TOKEN_CANCELED, result: { ...OK, resultStatus: 'X' } },
    [{ path: 'result.resultStatus', rule: 'enum' }],
  ],
  [
    'a failure result',
    { ...base.TOKEN_CANCELED, result: { ...OK, resultStatus: 'F' } },
    [{ path: 'result.resultStatus', rule: 'success_result' }],
  ],
  [
    'a number where a string belongs (userId)',
    { ...base.TOKEN_CANCELED, userId: 2088 },
    [{ path: 'userId', rule: 'type' }],
  ],
  [
    'a boolean where a string belongs (reason)',
    { ...base.TOKEN_CANCELED, reason: true },
    [{ path: 'reason', rule: 'type' }],
  ],
  [
    'null where a string belongs (authClientId)',
    { ...base.TOKEN_CANCELED, authClientId: null },
    [{ path: 'authClientId', rule: 'type' }],
  ],
  [
    'authClientId over 64',
    { ...base.TOKEN_CANCELED, authClientId: long(65) },
    [{ path: 'authClientId', rule: 'max_length' }],
  ],
  [
    'accessToken over 128',
    { ...base.TOKEN_CANCELED, accessToken: long(129) },
    [{ path: 'accessToken', rule: 'max_length' }],
  ],
  [
    'authState over 256',
    { ...base.TOKEN_CREATED, authState: long(257) },
    [{ path: 'authState', rule: 'max_length' }],
  ],
  [
    'authCode over 128',
    { ...base.AUTHCODE_CREATED, authCode: long(129) },
    [{ path: 'authCode', rule: 'max_length' }],
  ],
  [
    'reason over 256',
    { ...base.TOKEN_CANCELED, reason: long(257) },
    [{ path: 'reason', rule: 'max_length' }],
  ],
  [
    'userLoginId over 64',
    { ...base.TOKEN_CANCELED, userLoginId: long(65) },
    [{ path: 'userLoginId', rule: 'max_length' }],
  ],
  ['userId over 64', { ...base.TOKEN_CANCELED, userId: long(65) }, [{ path: 'userId', rule: 'max_length' }]],
  [
    'resultCode over 64',
    { ...base.TOKEN_CANCELED, result: { ...OK, resultCode: long(65) } },
    [{ path: 'result.resultCode', rule: 'max_length' }],
  ],
  [
    'resultMessage over 256',
    { ...base.TOKEN_CANCELED, result: { ...OK, resultMessage: long(257) } },
    [{ path: 'result.resultMessage', rule: 'max_length' }],
  ],
];

describe('parseNotification rejects', () => {
  it.each(rejects)('%s', (_name, body, expected) => {
    const outcome = parseNotification(typeof body === 'string' ? body : JSON.stringify(body));
    expect(outcome.status).toBe('invalid');
    if (outcome.status === 'invalid') {
      expect(outcome.violations.map(({ path, rule }) => ({ path, rule }))).toEqual(expected);
      for (const v of outcome.violations) expect(v.message.length).toBeGreaterThan(5);
    }
  });

  it('reports every violation at once', () => {
    const outcome = parseNotification(
      JSON.stringify({
        authorizationNotifyType: 'TOKEN_CREATED',
        userId: 5,
        reason: long(300),
        result: { resultStatus: 'S' },
      }),
    );
    expect(outcome.status).toBe('invalid');
    if (outcome.status === 'invalid') {
      expect(outcome.violations.map((v) => v.path).sort()).toEqual([
        'accessToken',
        'authState',
        'reason',
        'result.resultCode',
        'userId',
      ]);
      expect(outcome.type).toBe('TOKEN_CREATED');
    }
  });

  it('rejects invalid UTF-8', () => {
    const outcome = parseNotification(Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d));
    expect(outcome).toMatchObject({ status: 'invalid', violations: [{ rule: 'utf8' }] });
  });

  it('reports an unknown type as its own outcome', () => {
    const outcome = parseNotification(
      JSON.stringify({ authorizationNotifyType: 'TOKEN_REFRESHED', accessToken: 'T', result: OK }),
    );
    expect(outcome).toMatchObject({ status: 'unknown_type', type: 'TOKEN_REFRESHED' });
  });

  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])(
    'reports the object property name %s as an unknown type instead of throwing',
    (type) => {
      const outcome = parseNotification(
        JSON.stringify({ authorizationNotifyType: type, accessToken: 'T', result: OK }),
      );
      expect(outcome).toMatchObject({ status: 'unknown_type', type });
    },
  );
});

describe('parseNotification properties', () => {
  it('never throws on arbitrary bytes or JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.json().map((j) => new TextEncoder().encode(j)),
          fc.anything().map((a) => JSON.stringify(a) ?? ''),
        ),
        (input) => {
          const outcome = parseNotification(input);
          expect(['valid', 'invalid', 'unknown_type']).toContain(outcome.status);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated valid notifications', () => {
    const fields = [
      'authorizationNotifyType',
      'accessToken',
      'authCode',
      'authState',
      'reason',
      'userId',
      'result',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.values(base)),
        fc.constantFrom(...fields),
        fc.anything(),
        (body, field, value) => {
          parseNotification(JSON.stringify({ ...body, [field]: value }));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('eventKey', () => {
  it.each([
    [base.AUTHCODE_CREATED, 'AUTHCODE_CREATED:AC1'],
    [base.TOKEN_CREATED, 'TOKEN_CREATED:T1'],
    [base.TOKEN_CANCELED, 'TOKEN_CANCELED:T1'],
  ])('keys %o as %s', (body, key) => {
    expect(eventKey(body as Notification)).toBe(key);
  });

  it('limits stay as DESIGN.md §1.1 states', () => {
    expect(MAX_LENGTH).toMatchObject({
      authCode: 128,
      accessToken: 128,
      authState: 256,
      authorizationNotifyType: 64,
    });
  });
});
