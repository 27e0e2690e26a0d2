// An explanation as text: the v3 calls as curl commands an integrator can run as they are
// (the key from the reseller's variable, a write fed by its read through jq), then what the
// bridge decides and keeps.
import type { ExplainedCall, Explanation } from './explain.js';

export const DEFAULT_V3_BASE_URL = 'https://api.sendgrid.com';

export function renderExplanation(explanation: Explanation, baseUrl = DEFAULT_V3_BASE_URL): string {
  const lines = [headline(explanation), ''];
  if (explanation.refusal) {
    lines.push(`The bridge answers ${explanation.refusal.status} without calling v3:`, ...bullets(explanation.refusal.errors));
    return `${lines.join('\n')}\n`;
  }
  if (explanation.calls.length === 0) lines.push('No v3 call: v3 has nothing that replaces this request.');
  else lines.push(...curlScript(explanation, baseUrl));
  for (const [title, items] of [
    ['The bridge decides from the reads:', explanation.checks],
    ['What the bridge keeps that v3 cannot:', explanation.bridgeKeeps],
    ['Notes:', explanation.notes],
  ] as const)
    if (items.length) lines.push('', title, ...bullets(items));
  return `${lines.join('\n')}\n`;
}

function headline(e: Explanation): string {
  const what = e.surface === 'directory' ? 'change_package (directory)' : `${e.task ?? '(no task)'} (${e.call ?? 'apiv2'}, ${e.format.toUpperCase()})`;
  const who = [e.reseller && `reseller ${e.reseller}`, e.customer && `customer ${e.customer.name}, v3 account ${e.customer.accountId}`].filter(Boolean);
  return `${what}${who.length ? `: ${who.join(', ')}` : ''}`;
}

const bullets = (items: readonly string[]) => items.map((item) => `- ${item}`);

function curlScript(e: Explanation, baseUrl: string): string[] {
  const fed = new Set(e.calls.flatMap((c) => c.uses));
  const lines = [`v3 calls, with the reseller's v3 key in $${e.keyVariable}:`];
  let phase: ExplainedCall['phase'] | undefined;
  for (const call of e.calls) {
    if (e.calls.some((c) => c.phase === 'billing_day') && call.phase !== phase) {
      lines.push('', call.phase === 'now' ? 'Now, when the request arrives:' : "On the billing day, by the bridge's scheduler:");
      phase = call.phase;
    }
    const from = call.uses.length ? ` (uses step ${call.uses.join(', ')})` : '';
    lines.push(`# ${call.step}. ${call.operation}${from}: ${call.purpose}`);
    lines.push(curlCommand(call, e.keyVariable, baseUrl, fed.has(call.step)));
  }
  return lines;
}

function curlCommand(call: ExplainedCall, keyVariable: string, baseUrl: string, captured: boolean): string {
  const url = shellQuote(`${baseUrl.replace(/\/+$/, '')}${call.path}`);
  const auth = `-H "Authorization: Bearer $${keyVariable}"`;
  if (call.method === 'GET') {
    const command = `curl -sS ${auth} ${url}`;
    return captured ? `${stepVariable(call.step)}=$(${command})` : command;
  }
  const put = `curl -sS -X ${call.method} ${auth} -H 'Content-Type: application/json'`;
  if (!call.template) return `${put} --data-binary ${shellQuote(JSON.stringify(call.body))} ${url}`;
  return `printf '%s' "$${stepVariable(call.template.addonsFrom)}" | jq -c ${shellQuote(jqProgram(call))} | ${put} --data-binary @- ${url}`;
}

const stepVariable = (step: number) => `STEP_${step}`;

/** The write's body from the offerings read: the package, the kept add-ons, the set add-on. */
export function jqProgram(call: ExplainedCall): string {
  const template = call.template!;
  const excluded = [...template.dropAddons, ...(template.setAddon ? [template.setAddon.name] : [])];
  const keep = ['.type == "addon"', ...excluded.map((name) => `.name != ${JSON.stringify(name)}`)].join(' and ');
  const fixed = JSON.stringify(call.body!.offerings);
  const added = template.setAddon ? ` + [${JSON.stringify(template.setAddon)}]` : '';
  return `{offerings: (${fixed} + [.offerings[] | select(${keep})]${added})}`;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
