// `explain '<legacy request>'`: the v3 calls that replace a legacy request, as runnable curl
// commands (or --json), for whoever rewrites the integration. Reads only the mappings.
import { parseEnv } from '../../config/env.js';
import { loadMappings } from '../../config/mappings.js';
import { explainRequest } from '../../edge/explain/explain.js';
import { parseLegacyRequest } from '../../edge/explain/legacy-request.js';
import { DEFAULT_V3_BASE_URL, renderExplanation } from '../../edge/explain/render.js';
import { CliError, EXIT, writeJson, type CliIo } from '../io.js';

export interface ExplainOptions {
  json?: boolean;
  reseller?: string;
  baseUrl?: string;
}

export function explainCommand(io: CliIo, input: string, options: ExplainOptions): void {
  const env = parseEnv(io.env);
  const parsed = parseLegacyRequest(input);
  if (!parsed.ok) throw new CliError(parsed.problem, EXIT.usage);
  const explanation = explainRequest(parsed.request, loadMappings(env.BRIDGE_MAPPINGS), {
    ...(options.reseller !== undefined ? { reseller: options.reseller } : {}),
  });
  if (options.json) return writeJson(io, explanation);
  const upstream = env.SENDGRID_API_URL && env.SENDGRID_API_URL !== 'simulator' ? env.SENDGRID_API_URL : DEFAULT_V3_BASE_URL;
  io.stdout.write(renderExplanation(explanation, options.baseUrl ?? upstream));
}
