// Reads a secret to hash, from stdin only (an argument would land in shell history and `ps`):
// piped input is read whole (one trailing newline dropped); a terminal is prompted twice,
// without echo.
import { CliError, EXIT, type CliInput, type CliIo } from './io.js';

export async function readSecret(io: CliIo, what: string): Promise<string> {
  const secret = io.stdin.isTTY ? await promptTwice(io, what) : await readPiped(io.stdin);
  if (secret === '') throw new CliError(`no ${what} given: pipe it on stdin, or run at a terminal to be prompted`, EXIT.usage);
  return secret;
}

async function readPiped(stdin: CliInput): Promise<string> {
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text.replace(/\r?\n$/, '');
}

async function promptTwice(io: CliIo, what: string): Promise<string> {
  const first = await promptHidden(io, `${capitalise(what)}: `);
  const again = await promptHidden(io, `${capitalise(what)} again: `);
  if (first !== again) throw new CliError(`the two ${what}s differ`, EXIT.usage);
  return first;
}

function promptHidden(io: CliIo, prompt: string): Promise<string> {
  const { stdin } = io;
  io.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error?: Error) => {
      stdin.off?.('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause?.();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string | Buffer) => {
      for (const char of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') return done();
        if (char === '\u0003') return done(new CliError('cancelled', EXIT.failure));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += char;
      }
    };
    stdin.setRawMode?.(true);
    stdin.setEncoding?.('utf8');
    stdin.on?.('data', onData);
    stdin.resume?.();
  });
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
