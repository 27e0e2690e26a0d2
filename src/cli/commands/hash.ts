// `hash-password` and `hash-token`: the values that go into the mappings, so the
// secrets themselves never do. Only the hash is printed.
import { hashPassword, hashToken } from '../../core/credentials.js';
import type { CliIo } from '../io.js';
import { readSecret } from '../secret-input.js';

/** For `password_hash` in mappings/resellers.json. */
export async function hashPasswordCommand(io: CliIo, password: string | undefined): Promise<void> {
  io.stdout.write(`${await hashPassword(await readSecret(io, 'password', password))}\n`);
}

/** For `token_hmac` in mappings/directories.json. */
export async function hashTokenCommand(io: CliIo, token: string | undefined): Promise<void> {
  io.stdout.write(`${hashToken(await readSecret(io, 'token', token))}\n`);
}
