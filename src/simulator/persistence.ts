// The optional state file: read at start when present, rewritten atomically
// (temporary file + rename) after every change, so a reader never sees half a file
// and the simulator restarts with the accounts the bridge's database refers to.
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import * as z from 'zod';
import { offeringSchema, profileSchema, readStates } from '../v3/schemas.js';
import type { SimulatedAccount } from './state.js';

const stateFileSchema = z.object({
  version: z.literal(1),
  accounts: z.array(
    z.object({
      id: z.string().min(1),
      reseller: z.string().min(1),
      email: z.string().optional(),
      created_at: z.string().min(1),
      state: z.enum(readStates),
      offerings: z.array(offeringSchema),
      profile: profileSchema.optional(),
      test: z.boolean().optional(),
    }),
  ),
});

/** The accounts stored in `path`, or undefined when the file does not exist yet. */
export function readStateFile(path: string): SimulatedAccount[] | undefined {
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`simulator state file ${path}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = stateFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`simulator state file ${path}: ${issue?.path.join('.') || '(top level)'}: ${issue?.message}`);
  }
  return parsed.data.accounts;
}

export function writeStateFile(path: string, accounts: SimulatedAccount[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ version: 1, accounts }, null, 2)}\n`);
  renameSync(temporary, path);
}

