import { describe, expect, it } from 'vitest';
import { loadMappings } from '../../src/config/mappings.js';
import {
  customerUpdateFor,
  planChange,
  validateRequest,
  type ChangeRequest,
  type CurrentAccount,
  type Plan,
} from '../../src/rules/account.js';
import type { Offering } from '../../src/v3/schemas.js';

const mappings = loadMappings('mappings');
const reseller = mappings.resellerByUser.get('your_sendgrid_username')!;

const pkg = (name: string): Offering => ({ name, type: 'package', quantity: 1 });
const addon = (name: string, quantity = 1): Offering => ({ name, type: 'addon', quantity });
const FREE = pkg('org.ei.free.v1');
const BASIC = pkg('org.ei.basic.v1');
const SILVER = pkg('org.ei.silver.v1');
const GOLD = pkg('org.ei.gold.v1');
const IP = (n: number) => addon('org.ei.addon.dedicated_ip.v1', n);
const MC = addon('org.mc.basic.v1');
const UNKNOWN_ADDON = addon('org.ei.expert_services.v1');

const req = (kind: ChangeRequest['kind'], packageName?: string, ips: string[] = [], ipGroups: string[] = []): ChangeRequest => ({
  kind,
  packageName,
  ips,
  ipGroups,
});
const active = (...offerings: Offering[]): CurrentAccount => ({ offerings, state: 'activated' });

describe('validateRequest: checks that need no v3 call', () => {
  const cases: [string, ChangeRequest, string[], string[]][] = [
    ['a known package', req('upgrade', 'Basic Package'), [], []],
    ['a missing package', req('upgrade'), [], ['package is required']],
    ['an unknown package', req('downgrade', 'Bronze Package'), [], ['Package "Bronze Package" does not exist']],
    ['close needs no package', req('close'), [], []],
    [
      'Gold requires an IP on upgrade',
      req('upgrade', 'Gold Package'),
      [],
      ['Gold Package requires a dedicated IP: send ip[] with one of your free IPs'],
    ],
    ['Gold with one of the reseller IPs', req('upgrade', 'Gold Package', ['255.255.255.0']), [], []],
    ['an IP the reseller does not own', req('upgrade', 'Gold Package', ['1.2.3.4']), [], ['IP 1.2.3.4 is not one of your IPs']],
    [
      'an IP held by another customer',
      req('upgrade', 'Gold Package', ['255.255.254.0']),
      ['255.255.254.0'],
      ['IP 255.255.254.0 is already assigned to another customer'],
    ],
    ['an IP listed twice', req('upgrade', 'Gold Package', ['255.255.255.0', '255.255.255.0']), [], ['IP 255.255.255.0 is listed twice']],
    ['a known IP group', req('close', undefined, [], ['Reseller Group']), [], []],
    ['an unknown IP group', req('upgrade', 'Basic Package', [], ['Other Group']), [], ['IP group "Other Group" does not exist']],
    ['close with IPs', req('close', undefined, ['255.255.255.0']), [], ['ip[] cannot be assigned when closing an account']],
    [
      'a directory change to an IP package',
      req('change', 'Gold Package'),
      [],
      ['Gold Package requires a dedicated IP, which this endpoint cannot assign'],
    ],
    [
      'every problem at once',
      req('upgrade', 'Nope', ['9.9.9.9'], ['Nope Group']),
      [],
      ['Package "Nope" does not exist', 'IP 9.9.9.9 is not one of your IPs', 'IP group "Nope Group" does not exist'],
    ],
  ];
  it.each(cases)('%s', (_name, request, held, expected) => {
    expect(validateRequest(request, reseller, mappings, new Set(held))).toEqual(expected);
  });
});

describe('planChange: rank rules, add-ons and retries', () => {
  const put = (...offerings: Offering[]) => expect.objectContaining({ kind: 'put', offerings });
  const cases: [string, ChangeRequest, CurrentAccount, Plan | ReturnType<typeof put>][] = [
    ['upgrade Free → Basic', req('upgrade', 'Basic Package'), active(FREE), put(BASIC)],
    ['upgrade keeps add-ons', req('upgrade', 'Gold Package', ['255.255.255.0']), active(SILVER, MC), put(GOLD, MC, IP(1))],
    ['ip[] sets the dedicated IP quantity', req('upgrade', 'Gold Package', ['255.255.255.0', '255.255.254.0']), active(SILVER, IP(1)), put(GOLD, IP(2))],
    ['without ip[] the IP add-on is left as it is', req('downgrade', 'Silver Package'), active(GOLD, IP(3), UNKNOWN_ADDON), put(SILVER, IP(3), UNKNOWN_ADDON)],
    ['upgrade to a lower package', req('upgrade', 'Basic Package'), active(SILVER), { kind: 'rejected', errors: ['Basic Package is not an upgrade from Silver Package'] }],
    ['downgrade to a higher package', req('downgrade', 'Silver Package'), active(BASIC), { kind: 'rejected', errors: ['Silver Package is not a downgrade from Basic Package'] }],
    ['a free customer cannot downgrade', req('downgrade', 'Basic Package'), active(FREE), { kind: 'rejected', errors: ['Free customers cannot be downgraded'] }],
    ['downgrade Gold → Basic', req('downgrade', 'Basic Package'), active(GOLD, IP(1)), put(BASIC, IP(1))],
    ['retry: already on the target', req('upgrade', 'Basic Package'), active(BASIC, MC), { kind: 'noop', to: mappings.packageByName.get('Basic Package')! }],
    ['retry of a downgrade', req('downgrade', 'Basic Package'), active(BASIC), { kind: 'noop', to: mappings.packageByName.get('Basic Package')! }],
    ['close drops drop_on_close add-ons only', req('close'), active(GOLD, IP(1), MC, UNKNOWN_ADDON), put(FREE, MC, UNKNOWN_ADDON)],
    ['close of a free customer is a no-op', req('close'), active(FREE, MC), { kind: 'noop', to: mappings.packageByName.get('Free Package')! }],
    ['close from an unmapped package is allowed', req('close'), active(pkg('org.ei.legacy_custom.v1'), MC), put(FREE, MC)],
    ['an unmapped current package', req('upgrade', 'Gold Package', ['255.255.255.0']), active(pkg('org.ei.legacy_custom.v1')), { kind: 'rejected', errors: ['Current package "org.ei.legacy_custom.v1" is not in the mappings'] }],
    ['an account that is not activated', req('upgrade', 'Basic Package'), { offerings: [FREE], state: 'suspended' }, { kind: 'rejected', errors: ['Account is suspended, not activated'] }],
    ['a directory change goes either way', req('change', 'Basic Package'), active(SILVER, MC), put(BASIC, MC)],
  ];
  it.each(cases)('%s', (_name, request, current, expected) => {
    expect(planChange(request, current, mappings)).toEqual(expected);
  });
});

describe('customerUpdateFor: what the store records', () => {
  it.each([
    ['IPs and groups when sent', req('upgrade', 'Gold Package', ['255.255.255.0'], ['Reseller Group']), { ips: ['255.255.255.0'], ipGroups: ['Reseller Group'] }],
    ['nothing when nothing was sent', req('upgrade', 'Basic Package'), {}],
    ['a close releases the IPs', req('close', undefined, [], ['Reseller Group']), { ips: [], ipGroups: ['Reseller Group'] }],
  ] as const)('%s', (_name, request, expected) => {
    expect(customerUpdateFor(request)).toEqual(expected);
  });
});
