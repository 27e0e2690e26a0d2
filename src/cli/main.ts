// `npm run bridge -- <command>`: the operator CLI's process entry.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 24 || (major === 24 && minor < 21)) {
  process.stderr.write(
    `the bridge CLI needs Node 24.21 or newer; this is Node ${process.versions.node}.\n` +
      'Run it as `npm run bridge -- <command>` after `npm ci`: the project pins Node 24 through its `node` dependency.\n',
  );
  process.exit(1);
}

// Loaded after the check: the store needs node:sqlite.
const { runCli } = await import('./program.js');
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
