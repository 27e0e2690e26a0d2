// The layering of README "Layout" as a test: dependencies point inward.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/bridge.js';
import { readImportGraph, violations, type ImportEdge } from './import-graph.js';

const edge = (from: string, to: string, typeOnly = false): ImportEdge => ({ from, to, typeOnly });

describe('the dependency rule', () => {
  it('holds for src/', () => {
    const graph = readImportGraph(join(projectRoot, 'src'));
    // The graph was read: the composition root reaches every layer.
    expect(graph.filter((e) => e.from === 'server.ts').map((e) => e.to)).toEqual(
      expect.arrayContaining(['core/index.ts', 'edge/app.ts', 'store/open.ts', 'v3/client.ts']),
    );
    expect(violations(graph)).toEqual([]);
  });

  it.each([
    ['the edge importing the store', edge('edge/apiv2/answer.ts', 'store/store.ts', true), 'the edge reaches the store and v3 only through core'],
    ['the edge importing a v3 type', edge('edge/explain/v3-calls.ts', 'v3/schemas.ts', true), 'the edge reaches the store and v3 only through core'],
    ['the scheduler importing the store', edge('scheduler/due-change-runner.ts', 'store/store.ts'), 'the scheduler reaches the store and v3 only through core'],
    ['rules importing a builtin', edge('rules/account.ts', 'node:fs'), 'rules/ imports nothing with I/O: other rules and types only'],
    ['rules importing a value from the store', edge('rules/usage.ts', 'store/store.ts'), 'rules/ imports nothing with I/O: other rules and types only'],
    ['the simulator importing core', edge('simulator/routes.ts', 'core/index.ts', true), 'the simulator shares only the v3 schemas and the mappings types with the bridge'],
    ['the simulator loading the mappings outside its entry point', edge('simulator/state.ts', 'config/mappings.ts'), 'the simulator shares only the v3 schemas and the mappings types with the bridge'],
    ['the store importing express', edge('store/sql-store.ts', 'express'), 'the store imports no HTTP code'],
    ['the store importing the v3 client', edge('store/operations.ts', 'v3/client.ts'), 'the store imports no HTTP code'],
  ])('catches %s', (_name, bad, rule) => {
    expect(violations([bad])).toEqual([`${rule}: ${bad.from} imports ${bad.to}`]);
  });

  it.each([
    ['core importing the store', edge('core/index.ts', 'store/store.ts')],
    ['rules importing a mappings type', edge('rules/account.ts', 'config/mappings.ts', true)],
    ['the simulator importing the v3 schemas', edge('simulator/validation.ts', 'v3/schemas.ts')],
    ['the store importing the v3 schemas', edge('store/codec.ts', 'v3/schemas.ts', true)],
  ])('allows %s', (_name, good) => {
    expect(violations([good])).toEqual([]);
  });
});
