import { describe, expect, it } from 'vitest';
import { PreparedStatements } from '../../src/store/postgres/prepared.js';

describe('PreparedStatements', () => {
  it('names a statement once and numbers its placeholders', () => {
    const p = new PreparedStatements();
    const first = p.config('SELECT * FROM t WHERE a = ? AND b = ?', [1, 2]);
    expect(first.text).toBe('SELECT * FROM t WHERE a = $1 AND b = $2');
    expect(first.name).toMatch(/^authnotify_/);
    expect(p.config('SELECT * FROM t WHERE a = ? AND b = ?', [3, 4]).name).toBe(first.name);
    expect(p.config('SELECT 1 WHERE ? = 1', [1]).name).not.toBe(first.name);
  });

  it('leaves a statement of more than 32 parameters unnamed (its text changes with its batch)', () => {
    const p = new PreparedStatements();
    const sql = `INSERT INTO t VALUES ${Array.from({ length: 33 }, () => '(?)').join(', ')}`;
    expect(
      p.config(
        sql,
        Array.from({ length: 33 }, (_, i) => i),
      ).name,
    ).toBeUndefined();
  });

  it.each([
    { name: 'renames after "cached plan must not change result type"', code: '0A000', renewed: true },
    { name: 'keeps the name after any other error', code: '23505', renewed: false },
  ])('$name', ({ code, renewed }) => {
    const p = new PreparedStatements();
    const before = p.config('SELECT * FROM t', []).name;
    expect(p.renew('SELECT * FROM t', Object.assign(new Error('x'), { code }))).toBe(renewed);
    expect(p.config('SELECT * FROM t', []).name === before).toBe(!renewed);
  });
});
