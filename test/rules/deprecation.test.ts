// The header values of a Deprecation/Sunset signal, read back with maintained parsers of
// the formats they claim: structured fields (RFC 9651) and web links (RFC 8288).
import LinkHeader from 'http-link-header';
import { parseItem } from 'structured-headers';
import { describe, expect, it } from 'vitest';
import {
  deprecationHeader,
  isPastSunset,
  linkHeader,
  NO_SIGNALS,
  signalFor,
  signalHeaders,
  sunsetHeader,
  type DeprecationSignal,
  type DeprecationSignals,
} from '../../src/rules/deprecation.js';

// RFC 7231 §7.1.1.1 IMF-fixdate
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

describe('Deprecation (RFC 9745): an sf-date', () => {
  it.each([
    ['2023-06-30T23:59:59Z', '@1688169599'],
    ['1970-01-01T00:00:00Z', '@0'],
    ['2026-01-01T00:00:00.999Z', '@1767225600'], // whole seconds, rounded down
  ])('%s → %s', (instant, header) => {
    expect(deprecationHeader(new Date(instant))).toBe(header);
    const [value] = parseItem(header);
    expect(value).toBeInstanceOf(Date);
    expect((value as Date).getTime()).toBe(Math.floor(Date.parse(instant) / 1000) * 1000);
  });
});

describe('Sunset (RFC 8594): an IMF-fixdate', () => {
  it.each([
    ['2027-12-31T23:59:59Z', 'Fri, 31 Dec 2027 23:59:59 GMT'],
    ['2026-03-01T08:05:09+02:00', 'Sun, 01 Mar 2026 06:05:09 GMT'],
    ['2018-11-05T00:00:00Z', 'Mon, 05 Nov 2018 00:00:00 GMT'],
  ])('%s → %s', (instant, header) => {
    expect(sunsetHeader(new Date(instant))).toBe(header);
    expect(header).toMatch(IMF_FIXDATE);
    expect(Date.parse(header)).toBe(Date.parse(instant));
  });
});

describe('Link (RFC 8288)', () => {
  const guide = 'https://example.com/migrate?from=v2&to=v3';
  const policy = 'https://example.com/policy';
  it.each([
    [{ migrationGuide: guide, policy }, [{ uri: guide, rel: 'deprecation' }, { uri: policy, rel: 'sunset' }]],
    [{ migrationGuide: guide }, [{ uri: guide, rel: 'deprecation' }]],
    [{ policy }, [{ uri: policy, rel: 'sunset' }]],
  ])('%j', (links, expected) => {
    const header = linkHeader({ deprecation: new Date(0), ...links })!;
    expect(LinkHeader.parse(header).refs.map(({ uri, rel }) => ({ uri, rel }))).toEqual(expected);
  });
  it('no links, no header', () => expect(linkHeader({ deprecation: new Date(0) })).toBeUndefined());
});

describe('which signal a request gets', () => {
  const surface: DeprecationSignal = { deprecation: new Date('2026-01-01T00:00:00Z'), sunset: new Date('2027-01-01T00:00:00Z') };
  const overview: DeprecationSignal = { deprecation: new Date('2026-01-01T00:00:00Z'), sunset: new Date('2028-01-01T00:00:00Z') };
  const signals: DeprecationSignals = { ...NO_SIGNALS, apiv2: { surface, tasks: new Map([['overview', overview]]) } };
  it.each([
    ['apiv2', 'overview', overview],
    ['apiv2', 'list', surface],
    ['apiv2', undefined, surface],
    ['apiv2', 'no_such_task', surface],
    ['directory', 'change_package', undefined],
  ] as const)('%s %s', (s, task, expected) => expect(signalFor(signals, s, task)).toBe(expected));

  it('headers: only what the signal has', () => {
    expect(signalHeaders({ deprecation: new Date(0) })).toEqual([['Deprecation', '@0']]);
    expect(signalHeaders(surface).map(([name]) => name)).toEqual(['Deprecation', 'Sunset']);
  });

  it.each([
    ['2026-12-31T23:59:59.999Z', false],
    ['2027-01-01T00:00:00Z', true],
    ['2030-01-01T00:00:00Z', true],
  ])('past the sunset at %s: %s', (at, past) => expect(isPastSunset(surface, new Date(at))).toBe(past));
  it('no sunset is never past', () => expect(isPastSunset({ deprecation: new Date(0) }, new Date())).toBe(false));
});
