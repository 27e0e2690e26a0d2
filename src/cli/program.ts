// The operator CLI: one commander program, run against injected streams so tests can
// drive it in-process. Exit codes: 0 success, 1 failure, 2 bad usage or configuration.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/errors.js';
import { LISTED_STATUSES } from '../store/store.js';
import { auditCommand, type AuditOptions } from './commands/audit.js';
import {
  brownoutAddCommand,
  brownoutListCommand,
  brownoutRemoveCommand,
  brownoutSwitchCommand,
  parseResellers,
  parseSurfaces,
  parseTasks,
  parseWindowId,
  type BrownoutAddOptions,
} from './commands/brownout.js';
import { usageCommand, type UsageCommandOptions } from './commands/usage.js';
import { explainCommand, type ExplainOptions } from './commands/explain.js';
import { customersCommand, type CustomersOptions } from './commands/customers.js';
import { hashPasswordCommand, hashTokenCommand } from './commands/hash.js';
import { pendingCommand, type PendingOptions } from './commands/pending.js';
import { runSchedulerCommand, type RunSchedulerOptions } from './commands/run-scheduler.js';
import { CliError, EXIT, type CliIo, type ExitCode } from './io.js';
import { CHANGE_STATUSES, parseChangeId, parseDays, parseInstant, parseStatuses } from './options.js';

const ENVIRONMENT_NOTE = `
Configuration comes from the environment of \`npm start\`: BRIDGE_DB, DATABASE_URL,
BRIDGE_MAPPINGS, SENDGRID_API_URL, the resellers' v3 key variables, SIMULATOR_PORT.
pending, customers, audit and usage only read the store: they need no v3 key.
Logs go to stderr (level warn unless LOG_LEVEL is set); results go to stdout, so
\`npm run -s bridge -- pending --json | jq .\` reads clean JSON (-s: no npm banner).`;

export function buildProgram(io: CliIo): Command {
  const program = new Command('bridge')
    .description('Operator commands of reseller-bridge')
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    // Errors come back to runCli as exceptions instead of ending the process (inherited by the commands below).
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', ENVIRONMENT_NOTE);

  program
    .command('hash-password')
    .description('print the scrypt hash of a reseller password read from stdin (or prompted twice), for password_hash in mappings/resellers.json')
    .addHelpText('after', '\nThe password is never an argument (shell history, ps): pipe it in, or type it at the prompt.')
    .allowExcessArguments()
    .action((_options: object, command: Command) => hashPasswordCommand(io, command.args));

  program
    .command('hash-token')
    .description('print the HMAC of a directory token read from stdin (or prompted twice), for token_hmac in mappings/directories.json')
    .addHelpText('after', '\nThe token is never an argument (shell history, ps): pipe it in, or type it at the prompt.')
    .allowExcessArguments()
    .action((_options: object, command: Command) => hashTokenCommand(io, command.args));

  program
    .command('pending')
    .description('list scheduled changes: current → target package, effective date, status, attempts, last error')
    .option(`--status <list>`, `comma-separated statuses: ${CHANGE_STATUSES.join(', ')}, or all`, parseStatuses, [...LISTED_STATUSES])
    .option('--reseller <api_user>', 'only this reseller')
    .option('--json', 'machine-readable output')
    .action((options: PendingOptions) => pendingCommand(io, options));

  program
    .command('customers')
    .description('list customers: account id, billing day, IPs, IP groups, directory tags and subscription params')
    .option('--reseller <api_user>', 'only this reseller')
    .option('--json', 'machine-readable output')
    .action((options: CustomersOptions) => customersCommand(io, options));

  program
    .command('audit')
    .description('list audit records, oldest first')
    .option('--customer <name>', 'a username or a business uid')
    .option('--reseller <api_user>', "only this reseller's customers")
    .option('--change <id>', 'one scheduled change', parseChangeId)
    .option('--json', 'machine-readable output')
    .action((options: AuditOptions) => auditCommand(io, options));

  program
    .command('run-scheduler')
    .description('run one scheduler pass at the given instant against the configured upstream and print its result')
    .requiredOption('--now <instant>', 'YYYY-MM-DD (00:00 UTC) or an ISO-8601 instant with offset', parseInstant)
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
With the demo's simulator upstream, a simulator already serving the state file on
SIMULATOR_PORT (the one a running \`npm start\` embeds) carries the pass's v3 calls;
with no bridge running, the CLI embeds its own on a free port, on the same state file.
A bridge running on the database without its simulator on SIMULATOR_PORT: refused.`,
    )
    .action((options: RunSchedulerOptions) => runSchedulerCommand(io, options));

  program
    .command('explain')
    .description('print the v3 calls that replace a legacy request, as curl commands, and what the bridge keeps that v3 cannot')
    .argument('<request>', "a query string, a URL, or a curl command line, quoted: 'task=immediate_upgrade&user=…'")
    .option('--json', 'machine-readable output')
    .option('--reseller <api_user>', 'the reseller, when the request authenticates with a v3 key')
    .option('--base-url <url>', 'the v3 base URL in the curl commands (default: SENDGRID_API_URL, else https://api.sendgrid.com)')
    .action((request: string, options: ExplainOptions) => explainCommand(io, request, options));

  program
    .command('usage')
    .description('who still calls the legacy API: calls per reseller and task, last seen, sunset readiness (the operator page\'s table)')
    .option('--reseller <name>', 'only this reseller (api_user) or directory id')
    .option('--days <n>', 'days of daily counts', parseDays, 30)
    .option('--quiet-days <n>', 'days without a call after which a caller is ready for the sunset (default: BRIDGE_SUNSET_QUIET_DAYS, 14)', parseDays)
    .option('--json', 'machine-readable output: the whole report')
    .action((options: UsageCommandOptions) => usageCommand(io, options));

  const brownout = program
    .command('brownout')
    .description('brownout windows, in which legacy calls are refused (503 with Retry-After, or 410 after the sunset)')
    .addHelpText(
      'after',
      `
Every running bridge on the same database sees a change within a second, without a restart.`,
    );
  brownout
    .command('add')
    .description('add a window; empty lists mean every surface, task or reseller')
    .option('--start <instant>', 'when it starts (default: now)', parseInstant)
    .requiredOption('--end <instant>', 'when it ends (exclusive)', parseInstant)
    .option('--surface <list>', 'comma-separated: apiv2, directory', parseSurfaces)
    .option('--task <list>', 'comma-separated legacy tasks (immediate_upgrade, list, change_package, …)', parseTasks)
    .option('--reseller <list>', 'comma-separated api_users or directory ids', parseResellers)
    .option('--dry-run', 'count the requests it would refuse, refuse none')
    .option('--gone-after-sunset', 'answer 410 Gone instead of 503 once the sunset (deprecation.json) has passed')
    .option('--note <text>', 'shown on the operator page and by list')
    .option('--json', 'machine-readable output')
    .action((options: BrownoutAddOptions) => brownoutAddCommand(io, options));
  brownout
    .command('list')
    .description('every window, past ones too, with what it refused or would have, and the switch')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) => brownoutListCommand(io, options));
  brownout
    .command('remove')
    .description('remove a window')
    .argument('<id>', 'the window id (from list)', parseWindowId)
    .action((id: number) => brownoutRemoveCommand(io, id));
  brownout
    .command('on')
    .description('windows refuse (the default)')
    .action(() => brownoutSwitchCommand(io, true));
  brownout
    .command('off')
    .description('every window only counts, as a dry run, until on')
    .action(() => brownoutSwitchCommand(io, false));

  return program;
}

/** Runs one command line (without the `node main.js` part) and returns its exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCode> {
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: CliIo): ExitCode {
  // Commander has printed its own message (or the help) already.
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof ConfigError) {
    io.stderr.write(`${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof CliError) {
    io.stderr.write(`error: ${error.message}\n`);
    return error.exitCode;
  }
  io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.failure;
}
