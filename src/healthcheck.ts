// The container's HEALTHCHECK: GET /livez on the bridge's own port; exit 0 when it answers 200.
// Plain Node (no curl or wget in the image), a few lines, no dependencies, run as
// `node dist/src/healthcheck.js` with the container's environment (PORT, HOST).
const port = Number(process.env.PORT || 3000);
const configuredHost = process.env.HOST || '0.0.0.0';
const host = configuredHost === '0.0.0.0' || configuredHost === '::' ? '127.0.0.1' : configuredHost;
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/livez`;

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  process.exitCode = response.status === 200 ? 0 : 1;
  if (response.status !== 200) process.stderr.write(`${url}: ${response.status}\n`);
} catch (error) {
  process.stderr.write(`${url}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
