// Loads and cross-checks the mappings folder once at start-up. Everything
// downstream receives the frozen `Mappings` and never re-reads the files.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { NO_SIGNALS, type DeprecationSignals } from '../rules/deprecation.js';
import { resolveDeprecationSignals } from './deprecation.js';
import { ConfigError, describeIssues } from './errors.js';
import {
  mappingFiles,
  simulatorSeedSchema,
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
    problems.push(...describeIssues(join(folder, file), result.error));
    return undefined;
  }
  return result.data as z.output<S>;
}

function duplicates(values: string[]): string[] {
  const seen = new Set<string>();
  return [...new Set(values.filter((v) => seen.has(v) || !seen.add(v)))];
}

export function loadMappings(folder: string): Mappings {
  const problems: string[] = [];
  const resellersFile = parseFile(folder, 'resellers.json', mappingFiles['resellers.json'], problems);
  const packagesFile = parseFile(folder, 'packages.json', mappingFiles['packages.json'], problems);
  const customersFile = parseFile(folder, 'customers.json', mappingFiles['customers.json'], problems);
  const directoriesFile = parseFile(folder, 'directories.json', mappingFiles['directories.json'], problems, true);
  const deprecationFile = parseFile(folder, 'deprecation.json', mappingFiles['deprecation.json'], problems, true);
  const simulatorSeed = parseFile(folder, 'simulator.json', simulatorSeedSchema, problems, true);
  if (!resellersFile || !packagesFile || !customersFile || problems.length) throw new ConfigError(problems);

  const resellers = resellersFile.resellers;
  const { packages, addons } = packagesFile;
  const customers = customersFile.customers;
  const directories = directoriesFile?.directories ?? [];
  const at = (file: string) => join(folder, file);

  for (const d of duplicates(resellers.map((r) => r.api_user)))
    problems.push(`${at('resellers.json')}: resellers.api_user: "${d}" appears twice`);
  for (const d of duplicates(packages.map((p) => p.name)))
    problems.push(`${at('packages.json')}: packages.name: "${d}" appears twice`);
  for (const d of duplicates([...packages.map((p) => p.offering), ...addons.map((a) => a.offering)]))
    problems.push(`${at('packages.json')}: offering "${d}" is mapped twice`);
  if (packages.filter((p) => p.free).length !== 1)
    problems.push(`${at('packages.json')}: packages.free: exactly one package must be free (the close target)`);
  if (addons.filter((a) => a.dedicated_ip).length > 1)
    problems.push(`${at('packages.json')}: addons.dedicated_ip: at most one add-on may carry dedicated IPs`);

  const users = new Set(resellers.map((r) => r.api_user));
  customers.forEach((c, i) => {
    if (!users.has(c.reseller))
      problems.push(`${at('customers.json')}: customers.${i}.reseller: unknown reseller "${c.reseller}"`);
  });
  for (const d of duplicates(customers.flatMap((c) => (c.username ? [c.username.toLowerCase()] : []))))
    problems.push(`${at('customers.json')}: customers.username: "${d}" appears twice`);
  for (const d of duplicates(customers.flatMap((c) => (c.business_uid ? [c.business_uid] : []))))
    problems.push(`${at('customers.json')}: customers.business_uid: "${d}" appears twice`);
  for (const d of duplicates(customers.map((c) => c.account_id)))
    problems.push(`${at('customers.json')}: customers.account_id: "${d}" appears twice`);

  const packageNames = new Set(packages.map((p) => p.name));
  directories.forEach((dir, i) => {
    if (!users.has(dir.reseller))
      problems.push(`${at('directories.json')}: directories.${i}.reseller: unknown reseller "${dir.reseller}"`);
    for (const [name, target] of Object.entries(dir.packages))
      if (!packageNames.has(target))
        problems.push(`${at('directories.json')}: directories.${i}.packages.${name}: unknown package "${target}"`);
  });
  const deprecation = deprecationFile
    ? resolveDeprecationSignals(at('deprecation.json'), deprecationFile.signals, problems)
    : NO_SIGNALS;
  if (simulatorSeed) {
    simulatorSeed.accounts.forEach((a, i) => {
      if (!simulatorSeed.resellers.some((r) => r.api_user === a.reseller))
        problems.push(`${at('simulator.json')}: accounts.${i}.reseller: unknown reseller "${a.reseller}"`);
    });
  }
  if (problems.length) throw new ConfigError(problems);

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
