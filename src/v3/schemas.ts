// The v3 Account Provisioning API's data, as the official spec
// (contracts/v3/tsg_account_provisioning_v3.yaml) defines it. Answers are
// validated with these schemas; unknown fields pass through (the spec allows them).
// A namespace import, not `{ z }`: the bundle then holds only what is called (test/bundle.test.ts).
import * as z from 'zod';

export const readStates = ['activated', 'deactivated', 'suspended', 'banned', 'indeterminate'] as const;
export const writeStates = ['activated', 'deactivated'] as const;

export const offeringSchema = z.looseObject({
  name: z.string(),
  type: z.enum(['package', 'addon']),
  quantity: z.number().int().optional(),
});
export type Offering = z.infer<typeof offeringSchema>;

export const offeringListSchema = z.looseObject({
  offerings: z.array(offeringSchema).default([]),
});
export type OfferingList = z.infer<typeof offeringListSchema>;

export const accountSchema = z.looseObject({
  id: z.string(),
  created_at: z.string(),
});
export type Account = z.infer<typeof accountSchema>;

export const accountListSchema = z.looseObject({
  accounts: z.array(accountSchema).default([]),
  pages: z.looseObject({ last: z.string().optional() }).optional(),
});
export type AccountList = z.infer<typeof accountListSchema>;

export const accountIdSchema = z.looseObject({ account_id: z.string() });
export type AccountId = z.infer<typeof accountIdSchema>;

export const stateReadSchema = z.looseObject({ state: z.enum(readStates) });
export type AccountState = z.infer<typeof stateReadSchema>['state'];
export type WritableState = (typeof writeStates)[number];

export const entitlementsSchema = z.looseObject({
  email_sends_max_monthly: z.number().int().optional(),
  ip_count: z.number().int().optional(),
  teammates_max_total: z.number().int().optional(),
  users_max_total: z.number().int().optional(),
});
export type Entitlements = z.infer<typeof entitlementsSchema>;

export const catalogSchema = z.looseObject({
  catalog: z.array(
    z.looseObject({
      offering: offeringSchema,
      entitlements: entitlementsSchema.optional(),
    }),
  ),
});
export type Catalog = z.infer<typeof catalogSchema>;

export const profileSchema = z.looseObject({
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  company_name: z.string().optional(),
  company_website: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  timezone: z.string().optional(),
});
export type Profile = z.infer<typeof profileSchema>;

/** `error_id` and `field` are optional here: the real 429 body carries neither. */
export const errorBodySchema = z.looseObject({
  errors: z
    .array(
      z.looseObject({
        message: z.string().optional(),
        field: z.string().nullable().optional(),
        error_id: z.string().optional(),
      }),
    )
    .optional(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
