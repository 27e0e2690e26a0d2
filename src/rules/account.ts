// The translation rules of reseller.account (DESIGN.md §3), as pure functions:
// (request, current offerings and state, mappings) → the offerings to PUT,
// "nothing to do", or every reason to refuse. No I/O here; see core/account-steps.ts.
import type { AddonMapping, PackageMapping, ResellerMapping } from '../config/mappings.js';
import type { AccountState, Offering } from '../v3/schemas.js';

/** `change` is the directory endpoint's package change: any direction is allowed. */
export type ChangeKind = 'upgrade' | 'downgrade' | 'close' | 'change';

export interface ChangeRequest {
  kind: ChangeKind;
  /** Legacy package name; ignored for `close` (the target is the free package). */
  packageName?: string | undefined;
  /** `ip[]` as sent (empty when not sent). */
  ips: readonly string[];
  /** `ip_group[]` as sent (empty when not sent). */
  ipGroups: readonly string[];
}

export interface Catalogue {
  packageByName: ReadonlyMap<string, PackageMapping>;
  packageByOffering: ReadonlyMap<string, PackageMapping>;
  addonByOffering: ReadonlyMap<string, AddonMapping>;
  packages: readonly PackageMapping[];
  addons: readonly AddonMapping[];
}

export function freePackage(catalogue: Catalogue): PackageMapping {
  const free = catalogue.packages.find((p) => p.free);
  if (!free) throw new Error('mappings have no free package'); // excluded by loadMappings
  return free;
}

export function targetPackage(request: ChangeRequest, catalogue: Catalogue): PackageMapping | undefined {
  if (request.kind === 'close') return freePackage(catalogue);
  return request.packageName === undefined ? undefined : catalogue.packageByName.get(request.packageName);
}

/**
 * Stage 1: everything that can be checked without asking v3. Returns every problem at once.
 * `ipHolders` are the sent IPs already held by another customer of this reseller.
 */
export function validateRequest(
  request: ChangeRequest,
  reseller: ResellerMapping,
  catalogue: Catalogue,
  ipHolders: ReadonlySet<string>,
): string[] {
  const errors: string[] = [];
  let target: PackageMapping | undefined;
  if (request.kind !== 'close') {
    if (!request.packageName) errors.push('package is required');
    else {
      target = catalogue.packageByName.get(request.packageName);
      if (!target) errors.push(`Package "${request.packageName}" does not exist`);
    }
  }
  if (request.kind === 'close' && request.ips.length > 0) errors.push('ip[] cannot be assigned when closing an account');
  if (target?.requires_ip && request.kind === 'upgrade' && request.ips.length === 0)
    errors.push(`${target.name} requires a dedicated IP: send ip[] with one of your free IPs`);
  if (target?.requires_ip && request.kind === 'change')
    errors.push(`${target.name} requires a dedicated IP, which this endpoint cannot assign`);
  const seen = new Set<string>();
  for (const ip of request.ips) {
    if (seen.has(ip)) errors.push(`IP ${ip} is listed twice`);
    else if (!reseller.ips.includes(ip)) errors.push(`IP ${ip} is not one of your IPs`);
    else if (ipHolders.has(ip)) errors.push(`IP ${ip} is already assigned to another customer`);
    seen.add(ip);
  }
  for (const group of request.ipGroups)
    if (!reseller.ip_groups.includes(group)) errors.push(`IP group "${group}" does not exist`);
  return errors;
}

export type Plan =
  /** PUT these offerings (full replacement). */
  | { kind: 'put'; offerings: Offering[]; from: PackageMapping | undefined; to: PackageMapping }
  /** Already where the request leads (an old client's retry): success without a PUT. */
  | { kind: 'noop'; to: PackageMapping }
  | { kind: 'rejected'; errors: string[] };

export interface CurrentAccount {
  offerings: readonly Offering[];
  state: AccountState;
}

export function currentPackageOffering(offerings: readonly Offering[]): Offering | undefined {
  return offerings.find((o) => o.type === 'package');
}

/** Stage 2: the rank rules against what v3 says now. Assumes `validateRequest` passed. */
export function planChange(request: ChangeRequest, current: CurrentAccount, catalogue: Catalogue): Plan {
  const to = targetPackage(request, catalogue);
  if (!to) return { kind: 'rejected', errors: [`Package "${request.packageName ?? ''}" does not exist`] };
  if (current.state !== 'activated') return { kind: 'rejected', errors: [`Account is ${current.state}, not activated`] };

  const currentOffering = currentPackageOffering(current.offerings);
  const from = currentOffering ? catalogue.packageByOffering.get(currentOffering.name) : undefined;
  if (!from && request.kind !== 'close')
    return {
      kind: 'rejected',
      errors: [`Current package ${currentOffering ? `"${currentOffering.name}"` : '(none)'} is not in the mappings`],
    };

  if (from && from.name !== to.name) {
    if (request.kind === 'upgrade' && to.rank <= from.rank)
      return { kind: 'rejected', errors: [`${to.name} is not an upgrade from ${from.name}`] };
    if (request.kind === 'downgrade' && from.free)
      return { kind: 'rejected', errors: ['Free customers cannot be downgraded'] };
    if (request.kind === 'downgrade' && to.rank >= from.rank)
      return { kind: 'rejected', errors: [`${to.name} is not a downgrade from ${from.name}`] };
  }

  const offerings = targetOfferings(request, current.offerings, to, catalogue);
  if (sameOfferings(offerings, current.offerings)) return { kind: 'noop', to };
  return { kind: 'put', offerings, from, to };
}

/** The full offering list to PUT: the target package plus the add-ons that survive. */
export function targetOfferings(
  request: ChangeRequest,
  currentOfferings: readonly Offering[],
  to: PackageMapping,
  catalogue: Catalogue,
): Offering[] {
  const addons: Offering[] = [];
  const ipAddon = catalogue.addons.find((a) => a.dedicated_ip);
  let ipAddonSeen = false;
  for (const offering of currentOfferings) {
    if (offering.type !== 'addon') continue;
    const mapping = catalogue.addonByOffering.get(offering.name);
    if (request.kind === 'close' && mapping?.drop_on_close) continue;
    if (mapping && mapping === ipAddon && request.ips.length > 0) {
      ipAddonSeen = true;
      addons.push({ name: offering.name, type: 'addon', quantity: request.ips.length });
      continue;
    }
    // Add-ons the mappings do not know pass through untouched.
    addons.push({ ...offering });
  }
  if (ipAddon && !ipAddonSeen && request.ips.length > 0)
    addons.push({ name: ipAddon.offering, type: 'addon', quantity: request.ips.length });
  return [{ name: to.offering, type: 'package', quantity: 1 }, ...addons];
}

/** Offerings compared as sets of (name, type, quantity); order does not matter to v3. */
export function sameOfferings(a: readonly Offering[], b: readonly Offering[]): boolean {
  const key = (o: Offering) => `${o.type}\u0000${o.name}\u0000${o.quantity ?? 1}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

/** What the store records about the customer once the change is applied. */
export function customerUpdateFor(request: ChangeRequest): { ips?: string[]; ipGroups?: string[] } {
  return {
    // A close releases the customer's IPs; otherwise IPs change only when sent.
    ...(request.kind === 'close' ? { ips: [] } : request.ips.length ? { ips: [...request.ips] } : {}),
    ...(request.ipGroups.length ? { ipGroups: [...request.ipGroups] } : {}),
  };
}
