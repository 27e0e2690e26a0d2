// Loads and cross-checks the mappings folder once at start-up. Everything
// downstream receives the frozen `Mappings` and never re-reads the files.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type * as z from 'zod';
import { NO_SIGNALS, type DeprecationSignals } from '../rules/deprecation.js';
import { resolveDeprecationSignals } from './deprecation.js';
import { ConfigError, describeIssues, firstString, type EntryNames } from './errors.js';
import {
  mappingSchemas,
  type AddonMapping,
  type CustomerMapping,
  type DirectoryMapping,
  type PackageMapping,
  type ResellerMapping,
  type SimulatorSeed,
} from './mappings-schema.js';

export type { AddonMapping, CustomerMapping, DirectoryMapping, PackageMapping, ResellerMapping, SimulatorSeed };

export interface Mappings {
  folder: string;
  resellers: ResellerMapping[];
  packages: PackageMapping[];
  addons: AddonMapping[];
  customers: CustomerMapping[];
  directories: DirectoryMapping[];
  /** Deprecation/Sunset signals of the legacy surfaces (none when deprecation.json is absent). */
  deprecation: DeprecationSignals;
  /** Present only in a demo world: the simulator's seed. */
  simulatorSeed?: SimulatorSeed;
  resellerByUser: ReadonlyMap<string, ResellerMapping>;
  packageByName: ReadonlyMap<string, PackageMapping>;
  packageByOffering: ReadonlyMap<string, PackageMapping>;
  addonByOffering: ReadonlyMap<string, AddonMapping>;
}

/** How each file's entries are named in problems: by the field an operator knows them by. */
const ENTRY_NAMES: EntryNames = {
  resellers: { singular: 'reseller', name: (e) => firstString(e, 'api_user') },
  packages: { singular: 'package', name: (e) => firstString(e, 'name') },
  addons: { singular: 'add-on', name: (e) => firstString(e, 'offering') },
  customers: { singular: 'customer', name: (e) => firstString(e, 'username', 'business_uid', 'account_id') },
  directories: { singular: 'directory', name: (e) => firstString(e, 'id') },
  signals: { singular: 'signal', name: (e) => firstString(e, 'surface') && [e.surface, e.task].filter((v) => typeof v === 'string').join(' ') },
  accounts: { singular: 'account', name: (e) => firstString(e, 'id') },
  catalog: { singular: 'catalog entry', name: (e) => firstString((e.offering ?? {}) as Record<string, unknown>, 'name') },
};

function readJson(folder: string, file: string, problems: string[], optional = false): unknown {
  const path = join(folder, file);
  if (!existsSync(path)) {
    if (!optional) problems.push(`${path}: file is missing`);
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    problems.push(`${path}: not valid JSON (${(e as Error).message})`);
    return undefined;
  }
}

function parseFile<S extends z.ZodType>(folder: string, file: string, schema: S, problems: string[], optional = false) {
  const raw = readJson(folder, file, problems, optional);
  if (raw === undefined) return undefined;
  const result = schema.safeParse(raw);
  if (!result.success) {
    problems.push(...describeIssues(join(folder, file), result.error, raw, ENTRY_NAMES));
    return undefined;
  }
  return result.data as z.output<S>;
}

function duplicates(values: string[]): string[] {
  const seen = new Set<string>();
  return [...new Set(values.filter((v) => seen.has(v) || !seen.add(v)))];
}

const customerLabel = (c: CustomerMapping) => `customer ${JSON.stringify(c.username ?? c.business_uid ?? c.account_id)}`;

/** The mappings, or every problem of the folder (each naming the file and the entry). */
export function loadMappings(folder: string): Mappings {
  const problems: string[] = [];
  const mappings = checkMappings(folder, problems);
  if (!mappings || problems.length) throw new ConfigError(problems);
  return mappings;
}

/**
 * Reads and cross-checks the folder, adding its problems to `problems`; returns the mappings
 * when every file needed parsed (`simulator.json` unless `read.simulatorSeed` is false). A check across files runs whenever the files it reads parsed,
 * so one broken file hides no problem of another.
 */
export function checkMappings(folder: string, problems: string[], read: { simulatorSeed?: boolean } = {}): Mappings | undefined {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    problems.push(`BRIDGE_MAPPINGS ${folder} is not a folder (${existsSync(folder) ? 'it is a file' : 'it does not exist'})`);
    return undefined;
  }
  const { files: mappingFiles, simulatorSeed: simulatorSeedSchema } = mappingSchemas();
  const resellersFile = parseFile(folder, 'resellers.json', mappingFiles['resellers.json'], problems);
  const packagesFile = parseFile(folder, 'packages.json', mappingFiles['packages.json'], problems);
  const customersFile = parseFile(folder, 'customers.json', mappingFiles['customers.json'], problems);
  const directoriesFile = parseFile(folder, 'directories.json', mappingFiles['directories.json'], problems, true);
  const deprecationFile = parseFile(folder, 'deprecation.json', mappingFiles['deprecation.json'], problems, true);
  // Only the embedded simulator needs its seed: with a real upstream a demo world's accounts are not parsed and kept.
  const simulatorSeed = read.simulatorSeed === false ? undefined : parseFile(folder, 'simulator.json', simulatorSeedSchema, problems, true);
  const at = (file: string) => join(folder, file);

  const resellers = resellersFile?.resellers;
  const users = resellers && new Set(resellers.map((r) => r.api_user));
  if (resellers)
    for (const d of duplicates(resellers.map((r) => r.api_user))) problems.push(`${at('resellers.json')}: reseller "${d}" appears twice`);

  if (packagesFile) {
    const { packages, addons } = packagesFile;
    for (const d of duplicates(packages.map((p) => p.name))) problems.push(`${at('packages.json')}: package "${d}" appears twice`);
    for (const d of duplicates([...packages.map((p) => p.offering), ...addons.map((a) => a.offering)]))
      problems.push(`${at('packages.json')}: offering "${d}" is mapped twice`);
    const free = packages.filter((p) => p.free);
    if (free.length !== 1)
      problems.push(
        `${at('packages.json')}: exactly one package must be free (the close target); ${free.length ? `${free.map((p) => `"${p.name}"`).join(', ')} are` : 'none is'}`,
      );
    const dedicated = addons.filter((a) => a.dedicated_ip);
    if (dedicated.length > 1)
      problems.push(`${at('packages.json')}: at most one add-on may carry dedicated IPs; ${dedicated.map((a) => `"${a.offering}"`).join(', ')} do`);
  }

  const customers = customersFile?.customers;
  if (customers) {
    if (users)
      for (const c of customers)
        if (!users.has(c.reseller)) problems.push(`${at('customers.json')}: ${customerLabel(c)}: reseller "${c.reseller}" is not in resellers.json`);
    for (const d of duplicates(customers.flatMap((c) => (c.username ? [c.username.toLowerCase()] : []))))
      problems.push(`${at('customers.json')}: username "${d}" appears twice`);
    for (const d of duplicates(customers.flatMap((c) => (c.business_uid ? [c.business_uid] : []))))
      problems.push(`${at('customers.json')}: business_uid "${d}" appears twice`);
    for (const d of duplicates(customers.map((c) => c.account_id))) problems.push(`${at('customers.json')}: account_id "${d}" appears twice`);
  }

  const directories = directoriesFile?.directories ?? [];
  const packageNames = packagesFile && new Set(packagesFile.packages.map((p) => p.name));
  for (const dir of directories) {
    const where = `${at('directories.json')}: directory "${dir.id}"`;
    if (users && !users.has(dir.reseller)) problems.push(`${where}: reseller "${dir.reseller}" is not in resellers.json`);
    if (packageNames)
      for (const [name, target] of Object.entries(dir.packages))
        if (!packageNames.has(target)) problems.push(`${where}: packages: "${name}" maps to package "${target}", which packages.json does not have`);
  }
  const deprecation = deprecationFile
    ? resolveDeprecationSignals(at('deprecation.json'), deprecationFile.signals, problems)
    : NO_SIGNALS;
  if (simulatorSeed) {
    for (const a of simulatorSeed.accounts)
      if (!simulatorSeed.resellers.some((r) => r.api_user === a.reseller))
        problems.push(`${at('simulator.json')}: account "${a.id}": reseller "${a.reseller}" is not among the seed's resellers`);
  }
  if (!resellers || !packagesFile || !customers) return undefined;
  const { packages, addons } = packagesFile;

  return Object.freeze({
    folder,
    resellers,
    packages,
    addons,
    customers,
    directories,
    deprecation,
    ...(simulatorSeed ? { simulatorSeed } : {}),
    resellerByUser: new Map(resellers.map((r) => [r.api_user, r])),
    packageByName: new Map(packages.map((p) => [p.name, p])),
    packageByOffering: new Map(packages.map((p) => [p.offering, p])),
    addonByOffering: new Map(addons.map((a) => [a.offering, a])),
  });
}
