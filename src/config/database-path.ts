// BRIDGE_DB's problems named before the store opens it: a path under a file, a folder that
// cannot be made (read-only places, /proc), a folder where the file should be. Folders are made
// one level at a time: a recursive mkdir under /proc never returns.
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** The problem with the SQLite path, if any; `create`: also make its missing folders (npm start). */
export function databasePathProblem(path: string, create: boolean): string | undefined {
  if (path === ':memory:') return undefined;
  const file = resolve(path);
  const name = `BRIDGE_DB ${path}`;
  if (existsSync(file)) return statSync(file).isDirectory() ? `${name} is a folder; it must name the SQLite file (e.g. ${path}/bridge.db)` : undefined;
  const missing: string[] = [];
  let folder = dirname(file);
  while (!existsSync(folder)) {
    missing.unshift(folder);
    folder = dirname(folder);
  }
  if (!statSync(folder).isDirectory()) return `${name} cannot be created: ${folder} is a file, not a folder`;
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    return `${name} cannot be created: ${folder} is not writable by this user`;
  }
  if (!create) return undefined;
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (error) {
      return `${name} cannot be created: the folder ${level} cannot be made (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    }
  }
  return undefined;
}
