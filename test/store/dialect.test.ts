// SQLite's driver binds parameters by position (src/store/dialect.ts `positional`).
import { describe, expect, it } from 'vitest';
import { positional, render } from '../../src/store/dialect.js';
import * as sql from '../../src/store/statements.js';
import type { Statement } from '../../src/store/script.js';

describe('positional parameters for SQLite', () => {
  it('turns each :name into ?, a name used twice bound twice, and leaves quoted text and casts alone', () => {
    expect(positional("SELECT * FROM t WHERE a = :a AND b = ':b' AND c = :c AND d = 'it''s :x' AND e = :a AND f = x::text")).toEqual({
      sql: "SELECT * FROM t WHERE a = ? AND b = ':b' AND c = ? AND d = 'it''s :x' AND e = ? AND f = x::text",
      names: ['a', 'c', 'a'],
    });
  });

  it('names, for every statement of the store, the parameters its SQLite text declares, and no other', () => {
    const statements = Object.values(sql).filter((s): s is Statement => typeof s === 'object' && s !== null && 'text' in s);
    expect(statements.length).toBeGreaterThan(50);
    for (const statement of statements) {
      const text = statement.text.sqlite;
      if (!text) continue;
      const { sql: rewritten, names } = positional(text.sql);
      expect({ name: statement.name, params: [...new Set(names)].sort() }).toEqual({ name: statement.name, params: [...text.params].sort() });
      expect(rewritten.split('?').length - 1, statement.name).toBe(names.length);
      expect(render('sqlite', rewritten).params, statement.name).toEqual([]);
    }
  });
});
