// Request validation as the v3 API performs it: every problem is reported at once,
// each as `{message, field, error_id}`. Profile problems use the spec's own field
// names and error ids (email 10-40002, company_website 10-40008, phone 10-40010).
import { writeStates, type Offering, type Profile, type WritableState } from '../v3/schemas.js';
import { errorIds, specError, type SpecError } from './errors.js';

export type OfferingType = 'package' | 'addon';
/** Offering name → its type, from the seeded catalog. */
export type CatalogIndex = ReadonlyMap<string, OfferingType>;

type Checked<T> = { ok: true; value: T } | { ok: false; errors: SpecError[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;

export function checkLimit(raw: string | null): Checked<number> {
  if (raw === null || raw === '') return { ok: true, value: DEFAULT_LIMIT };
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (limit >= 1 && limit <= MAX_LIMIT) return { ok: true, value: limit };
  return { ok: false, errors: [specError(`limit must be an integer between 1 and ${MAX_LIMIT}`, 'limit')] };
}

/** `offerings` of a create or a full-replacement PUT: catalog names, exactly one package of quantity 1. */
export function checkOfferings(body: unknown, catalog: CatalogIndex): Checked<Offering[]> {
  if (!isObject(body)) return { ok: false, errors: [specError('request body must be a JSON object', '')] };
  const list = body.offerings;
  if (list === undefined) return { ok: false, errors: [specError('offerings is required', 'offerings')] };
  if (!Array.isArray(list)) return { ok: false, errors: [specError('offerings must be an array', 'offerings')] };

  const errors: SpecError[] = [];
  const offerings: Offering[] = [];
  const seen = new Set<string>();
  let packages = 0;
  list.forEach((item: unknown, i) => {
    const at = `offerings[${i}]`;
    if (!isObject(item)) {
      errors.push(specError('offering must be an object', at));
      return;
    }
    const { name, type, quantity } = item;
    const problems = errors.length;
    if (type !== 'package' && type !== 'addon') errors.push(specError('type must be "package" or "addon"', `${at}.type`));
    if (typeof name !== 'string' || name === '') errors.push(specError('name is required', `${at}.name`));
    else if (!catalog.has(name)) errors.push(specError(`"${name}" is not an offering of the catalog`, `${at}.name`));
    else if (seen.has(name)) errors.push(specError(`"${name}" is listed twice`, `${at}.name`));
    else if ((type === 'package' || type === 'addon') && catalog.get(name) !== type)
      errors.push(specError(`"${name}" is a${catalog.get(name) === 'addon' ? 'n addon' : ' package'}`, `${at}.type`));
    if (typeof name === 'string') seen.add(name);
    if (type === 'package') packages++;

    if (quantity !== undefined && !Number.isSafeInteger(quantity))
      errors.push(specError('quantity must be an integer', `${at}.quantity`));
    else if (type === 'package' && quantity !== undefined && quantity !== 1)
      errors.push(specError('quantity of a package must be 1', `${at}.quantity`));
    else if (type === 'addon' && typeof quantity === 'number' && quantity < 1)
      errors.push(specError('quantity of an add-on must be at least 1', `${at}.quantity`));

    if (errors.length === problems)
      offerings.push({ name: name as string, type: type as OfferingType, quantity: (quantity as number | undefined) ?? 1 });
  });
  if (packages !== 1) errors.push(specError('an account must have exactly one package offering', 'offerings'));
  return errors.length ? { ok: false, errors } : { ok: true, value: offerings };
}

const profileFields = ['first_name', 'last_name', 'company_name', 'company_website', 'email', 'phone', 'timezone'] as const;

/**
 * The optional `profile` of a create. An empty string counts as not given, like a form
 * field left blank; a given value must be well formed.
 */
export function checkProfile(profile: unknown): Checked<Profile | undefined> {
  if (profile === undefined) return { ok: true, value: undefined };
  if (!isObject(profile)) return { ok: false, errors: [specError('profile must be an object', 'profile')] };
  const errors: SpecError[] = [];
  const value: Profile = {};
  for (const field of profileFields) {
    const v = profile[field];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') {
      errors.push(specError('Field must be a string', field));
      continue;
    }
    const problem = fieldProblem(field, v);
    if (problem) errors.push(problem);
    else value[field] = v;
  }
  return errors.length ? { ok: false, errors } : { ok: true, value };
}

function fieldProblem(field: (typeof profileFields)[number], v: string): SpecError | undefined {
  switch (field) {
    case 'email':
      return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? undefined : specError('Field must be a valid email', field, errorIds.email);
    case 'phone':
      return /^\+[1-9]\d{1,14}$/.test(v)
        ? undefined
        : specError(
            'Field must be formatted using the E.164 standard consisting of [+] [country code] [subscriber number including area code] and can have a maximum of fifteen digits.',
            field,
            errorIds.phone,
          );
    case 'company_website':
      return isWebUrl(v) ? undefined : specError('Field must be a valid URL', field, errorIds.url);
    case 'timezone':
      return isTimeZone(v) ? undefined : specError('Field must be an IANA time zone (Area/Location)', field);
    default:
      return undefined;
  }
}

function isWebUrl(v: string): boolean {
  if (!URL.canParse(v)) return false;
  const url = new URL(v);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.includes('.');
}

function isTimeZone(v: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
    return true;
  } catch {
    return false;
  }
}

export function checkStateWrite(body: unknown): Checked<WritableState> {
  const state = isObject(body) ? body.state : undefined;
  if ((writeStates as readonly unknown[]).includes(state)) return { ok: true, value: state as WritableState };
  return { ok: false, errors: [specError(`state must be one of: ${writeStates.join(', ')}`, 'state')] };
}
