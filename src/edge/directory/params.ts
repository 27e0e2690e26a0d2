// Parameters of the directory "Account Manipulation" call (DESIGN.md §4), parsed and
// validated as a pure function of the raw query (and form body) pairs.

export interface DirectoryChange {
  /** Directory package name, when a package change was asked for. */
  packageName?: string;
  /** Replaces the tag set when present (an empty value clears it). */
  tags?: string[];
  /** Ordered key/value list, when present. */
  subscriptionParams?: [string, string][];
}

export type ParsedDirectoryChange = { ok: true; change: DirectoryChange } | { ok: false; errors: string[] };

const PARAMS = 'external_subscription_params';

/** `pairs` in the order sent (query first, then body). Undeclared parameters are ignored. */
export function parseDirectoryParams(
  pairs: Iterable<readonly [string, string]>,
  knownPackages: readonly string[],
): ParsedDirectoryChange {
  const errors: string[] = [];
  const scalars = new Map<string, string>();
  let subscriptionParams: [string, string][] | undefined;

  for (const [key, value] of pairs) {
    if (key === PARAMS || key === `${PARAMS}[]` || /^external_subscription_params\[\d+\]$/.test(key)) {
      // Array form: each item is KEY=VALUE.
      const eq = value.indexOf('=');
      subscriptionParams ??= [];
      if (eq <= 0) errors.push(`${PARAMS}: "${value}" is not KEY=VALUE`);
      else subscriptionParams.push([value.slice(0, eq), value.slice(eq + 1)]);
      continue;
    }
    const keyed = /^external_subscription_params\[(.+)\]$/.exec(key);
    if (keyed) {
      subscriptionParams ??= [];
      subscriptionParams.push([keyed[1]!, value]);
      continue;
    }
    scalars.set(key, value); // last one wins
  }

  const change: DirectoryChange = {};
  const packageName = scalars.get('package_name');
  if (packageName !== undefined) {
    if (!knownPackages.includes(packageName))
      errors.push(`package_name: unknown package "${packageName}" (available: ${knownPackages.join(', ')})`);
    else change.packageName = packageName;
  }
  const tags = scalars.get('edit_tags');
  if (tags !== undefined)
    change.tags = [...new Set(tags.split(',').map((t) => t.trim()).filter(Boolean))];
  if (subscriptionParams) change.subscriptionParams = subscriptionParams;

  for (const name of ['add_sms_credits', 'delete_sms_credits']) {
    const value = scalars.get(name)?.trim();
    if (value === undefined || value === '') continue;
    if (!/^\d+$/.test(value)) errors.push(`${name}: must be a whole number`);
    else if (Number(value) !== 0)
      errors.push(`${name}: SMS credits have no equivalent in the SendGrid v3 API; nothing was changed`);
  }
  return errors.length ? { ok: false, errors } : { ok: true, change };
}

/** `Authorization: Token token="…"` (quotes optional, as Rails accepts). */
export function tokenFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Token\s+token=(?:"([^"]*)"|([^\s,]+))/i.exec(header.trim());
  return match ? (match[1] ?? match[2]) : undefined;
}
