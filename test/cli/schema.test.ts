import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

describe('authnotify schema', () => {
  it('prints the JSON Schema of the body: three types, string fields with the documented limits', async () => {
    const run = await cli(['schema']);
    expect(run.code).toBe(0);
    const schema = JSON.parse(run.stdout) as { oneOf?: unknown[]; anyOf?: unknown[] };
    const variants = (schema.oneOf ?? schema.anyOf) as {
      properties: Record<string, { type?: string; maxLength?: number; const?: string }>;
      required: string[];
    }[];
    expect(variants.map((v) => v.properties.authorizationNotifyType?.const).sort()).toEqual([
      'AUTHCODE_CREATED',
      'TOKEN_CANCELED',
      'TOKEN_CREATED',
    ]);
    const canceled = variants.find((v) => v.properties.authorizationNotifyType?.const === 'TOKEN_CANCELED');
    expect(canceled?.properties.accessToken).toMatchObject({ type: 'string', maxLength: 128 });
    expect(canceled?.required).toEqual(
      expect.arrayContaining(['authorizationNotifyType', 'accessToken', 'result']),
    );
  });
});
