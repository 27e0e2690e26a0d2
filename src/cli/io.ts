// What a command may touch: the environment and the three standard streams, injected so
// tests can run the CLI in-process. Results go to stdout, logs and errors to stderr.
export interface CliInput extends AsyncIterable<string | Buffer> {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  setEncoding?(encoding: BufferEncoding): unknown;
  on?(event: 'data', listener: (chunk: string | Buffer) => void): unknown;
  off?(event: 'data', listener: (chunk: string | Buffer) => void): unknown;
  resume?(): unknown;
  pause?(): unknown;
}

export interface CliOutput {
  write(text: string): unknown;
}

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdin: CliInput;
  stdout: CliOutput;
  stderr: CliOutput;
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the operator can act on: printed as `error: <message>`, no stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failure,
  ) {
    super(message);
  }
}

export const writeJson = (io: CliIo, value: unknown): void => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
