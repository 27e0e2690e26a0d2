// Reads the Dockerfile as instructions (keyword, arguments) per stage, for the lint test and the
// production-layout test, which rebuilds the final stage's file layout without a Docker engine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../harness/processes.js';

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export const dockerfileText = () => readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');

/** The instructions of each stage, in order (continuation lines joined, comments dropped). */
export function stages(text = dockerfileText()): Instruction[][] {
  const result: Instruction[][] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1).trim()} ${lines[++i]!.trim()}`;
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') result.push([]);
    result.at(-1)?.push({ keyword: keyword.toUpperCase(), args, line: start + 1 });
  }
  return result;
}
