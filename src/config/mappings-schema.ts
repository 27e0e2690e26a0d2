// The declarative translation data in `mappings/`, one file per concern.
// Each file carries `version` so a future format change can be migrated explicitly.
import * as z from 'zod';
import { LEGACY_SURFACES } from '../rules/deprecation.js';
import { offeringSchema, readStates } from '../v3/schemas.js';

/**
 * Fresh schemas of every mapping file (and of their parts, for the types below): built each time
 * the files are read, not held by the module. The mappings are read once at start-up, and the
 * schemas' objects (about 0.17 MiB) would otherwise stay in the heap for the process's life.
 */
export function mappingSchemas() {
  const ipv4 = z.ipv4();
  const nonEmpty = z.string().trim().min(1);

  const resellerSchema = z.strictObject({
    api_user: nonEmpty,
    /** scrypt hash written by `npm run bridge -- hash-password`. */
    password_hash: z.string().regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, 'must be a scrypt hash from `hash-password`'),
    label: nonEmpty,
    /** Environment variable holding this reseller's v3 key (never the key itself). */
    api_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name'),
    /** IPs the reseller may hand to its customers through `ip[]`. */
    ips: z.array(ipv4).default([]),
    ip_groups: z.array(nonEmpty).default([]),
    /** `original`: legacy errors answered with HTTP 200, as the original server did; `http`: real statuses. Unset: BRIDGE_LEGACY_STATUSES. */
    legacy_statuses: z.enum(['original', 'http']).optional(),
    /** The older name of the same setting: true is `original`, false is `http`. */
    errors_with_http_200: z.boolean().optional(),
  }).transform(({ errors_with_http_200: alias, ...reseller }, ctx) => {
    const fromAlias = alias === undefined ? undefined : alias ? 'original' : 'http';
    if (reseller.legacy_statuses && fromAlias && reseller.legacy_statuses !== fromAlias)
      ctx.addIssue({ code: 'custom', message: `errors_with_http_200: ${alias} contradicts legacy_statuses "${reseller.legacy_statuses}"` });
    return { ...reseller, legacy_statuses: reseller.legacy_statuses ?? fromAlias };
  });

  const packageSchema = z.strictObject({
    name: nonEmpty,
    offering: nonEmpty,
    rank: z.number().int().min(0),
    free: z.boolean().default(false),
    requires_ip: z.boolean().default(false),
    /** Monthly send allowance shown by `overview` when the catalog gives none. */
    credits: z.number().int().min(0).optional(),
  });

  const addonSchema = z.strictObject({
    offering: nonEmpty,
    /** Removed when the customer is closed to the free package. */
    drop_on_close: z.boolean().default(false),
    /** The add-on whose quantity follows the number of `ip[]` sent. */
    dedicated_ip: z.boolean().default(false),
  });

  const customerSchema = z
    .strictObject({
      username: nonEmpty.optional(),
      business_uid: nonEmpty.optional(),
      account_id: nonEmpty,
      reseller: nonEmpty,
      billing_day: z.number().int().min(1).max(31).optional(),
    })
    .refine((c) => c.username !== undefined || c.business_uid !== undefined, {
      message: 'needs a username or a business_uid',
    });

  const directorySchema = z.strictObject({
    id: nonEmpty,
    label: nonEmpty,
    /** HMAC-SHA-256 (hex) of the token, written by `npm run bridge -- hash-token`. */
    token_hmac: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hex digits from `hash-token`'),
    /** The reseller whose v3 key and customers serve this directory's businesses. */
    reseller: nonEmpty,
    /** Directory package name → legacy package name in packages.json. */
    packages: z.record(nonEmpty, nonEmpty),
  });

  const instant = z.iso.datetime({ offset: true });
  const webPage = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

  /** A Deprecation/Sunset signal of a surface, or of one task (fields it leaves out come from its surface). */
  const deprecationSignalSchema = z.strictObject({
    surface: z.enum(LEGACY_SURFACES),
    task: nonEmpty.optional(),
    deprecation: instant.optional(),
    sunset: instant.optional(),
    migration_guide: webPage.optional(),
    policy: webPage.optional(),
  });

  const versioned = <T extends z.ZodRawShape>(shape: T) => z.strictObject({ version: z.literal(1), ...shape });

  const mappingFiles = {
    'resellers.json': versioned({ resellers: z.array(resellerSchema).min(1) }),
    'packages.json': versioned({ packages: z.array(packageSchema).min(1), addons: z.array(addonSchema).default([]) }),
    'customers.json': versioned({ customers: z.array(customerSchema) }),
    'directories.json': versioned({ directories: z.array(directorySchema).default([]) }),
    'deprecation.json': versioned({ signals: z.array(deprecationSignalSchema) }),
  } as const;

  /** Optional: its presence makes a mappings folder a demo world served by the simulator. */
  const simulatorSeedSchema = versioned({
    resellers: z.array(
      z.strictObject({
        api_user: nonEmpty,
        /** The key the simulator accepts for this reseller; `SIMULATOR_API_KEY` overrides the first. */
        demo_key: nonEmpty,
      }),
    ),
    catalog: z.array(
      z.strictObject({
        offering: offeringSchema,
        entitlements: z.record(z.string(), z.number().int()).default({}),
      }),
    ),
    accounts: z.array(
      z.strictObject({
        id: nonEmpty,
        reseller: nonEmpty,
        email: nonEmpty.optional(),
        created_at: z.iso.datetime(),
        state: z.enum(readStates).default('activated'),
        offerings: z.array(offeringSchema).min(1),
      }),
    ),
  });

  return {
    files: mappingFiles,
    reseller: resellerSchema,
    package: packageSchema,
    addon: addonSchema,
    customer: customerSchema,
    directory: directorySchema,
    deprecationSignal: deprecationSignalSchema,
    simulatorSeed: simulatorSeedSchema,
  };
}

type MappingSchemas = ReturnType<typeof mappingSchemas>;

export type ResellerMapping = z.infer<MappingSchemas['reseller']>;
export type PackageMapping = z.infer<MappingSchemas['package']>;
export type AddonMapping = z.infer<MappingSchemas['addon']>;
export type CustomerMapping = z.infer<MappingSchemas['customer']>;
export type DirectoryMapping = z.infer<MappingSchemas['directory']>;
export type DeprecationSignalMapping = z.infer<MappingSchemas['deprecationSignal']>;
export type SimulatorSeed = z.infer<MappingSchemas['simulatorSeed']>;
