// `hash-password` and `hash-token`: the values that go into the mappings, so the
// secrets themselves never do. Only the hash is printed; the secret comes from stdin or a
// prompt, never from an argument (shell history, `ps`).
import { hashPassword, hashToken } from '../../core/credentials.js';
import { CliError, EXIT, type CliIo } from '../io.js';
import { readSecret } from '../secret-input.js';

/** For `password_hash` in mappings/resellers.json. */
export async function hashPasswordCommand(io: CliIo, args: readonly string[]): Promise<void> {
  refuseArguments('password', args);
  io.stdout.write(`${await hashPassword(await readSecret(io, 'password'))}\n`);
}

/** For `token_hmac` in mappings/directories.json. */
export async function hashTokenCommand(io: CliIo, args: readonly string[]): Promise<void> {
  refuseArguments('token', args);
  io.stdout.write(`${hashToken(await readSecret(io, 'token'))}\n`);
}

/** An argument would already be in shell history and `ps` by now: refused (and never echoed), nothing is hashed. */
function refuseArguments(what: string, args: readonly string[]): void {
  if (args.length)
    throw new CliError(`the ${what} is not taken as an argument (it would stay in shell history and ps): pipe it on stdin or type it at the prompt`, EXIT.usage);
}
