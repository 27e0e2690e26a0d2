import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFormComponent, parseFormPairs, rawQueryOf, type FormPair } from '../../../src/edge/legacy/form-pairs.js';
import { normaliseParams, parseVariableName, type ListParam } from '../../../src/edge/legacy/params.js';

describe('decodeFormComponent (PHP urldecode)', () => {
  it.each([
    ['plus is a space', 'Basic+Package', 'Basic Package'],
    ['%20 is a space', 'Basic%20Package', 'Basic Package'],
    ['%2B is a plus', 'a%2Bb', 'a+b'],
    ['hex digits in either case', '%2f%2F', '//'],
    ['UTF-8 bytes', 'caf%C3%A9', 'café'],
    ['bytes that are not UTF-8 are ISO-8859-1', 'caf%E9', 'café'],
    ['raw UTF-8 bytes pass through', 'café', 'café'],
    ['lone % kept', '100%', '100%'],
    ['% with one hex digit kept', '%4', '%4'],
    ['% with non-hex kept, rest still decoded', '%zz%41', '%zzA'],
    ['%u escapes are not decoded', '%u00e9', '%u00e9'],
    ['encoded & and = are data', '%26%3D', '&='],
    ['NUL byte kept in values', 'a%00b', 'a\u0000b'],
    ['plain ASCII is read as it is', 'reseller-01.example_user~', 'reseller-01.example_user~'],
    ['an empty component', '', ''],
    ['a leading byte order mark is data, kept', '%EF%BB%BFabc', '\ufeffabc'],
  ])('%s', (_name, encoded, decoded) => {
    expect(decodeFormComponent(Buffer.from(encoded, 'utf8'))).toBe(decoded);
  });

  it('decodes any bytes as PHP urldecode does, then UTF-8 if valid, else ISO-8859-1', () => {
    // PHP's urldecode, written out the obvious way, against the one the edge runs.
    const urldecode = (bytes: Uint8Array): string => {
      const out: number[] = [];
      const hex = (b: number | undefined) => b !== undefined && /[0-9a-fA-F]/.test(String.fromCharCode(b));
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] === 0x2b) out.push(0x20);
        else if (bytes[i] === 0x25 && hex(bytes[i + 1]) && hex(bytes[i + 2])) {
          out.push(parseInt(String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!), 16));
          i += 2;
        } else out.push(bytes[i]!);
      }
      const decoded = Buffer.from(out);
      const utf8 = decoded.toString('utf8');
      return Buffer.from(utf8, 'utf8').equals(decoded) ? utf8 : decoded.toString('latin1');
    };
    const byte = fc.oneof(fc.constantFrom(0x25, 0x2b, 0x41, 0x66, 0x30, 0xc3, 0xa9, 0xe9), fc.integer({ min: 0, max: 255 }));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 24 }), fc.array(byte, { maxLength: 24 }), (random, biased) => {
      for (const bytes of [random, Uint8Array.from(biased)]) expect(decodeFormComponent(Buffer.from(bytes))).toBe(urldecode(bytes));
    }));
  });
});

describe('parseFormPairs', () => {
  it.each<[string, string, FormPair[]]>([
    ['pairs in order', 'a=1&b=2&a=3', [['a', '1'], ['b', '2'], ['a', '3']]],
    ['empty pairs skipped', '&&a=1&', [['a', '1']]],
    ['no = means empty value', 'flag&a=1', [['flag', ''], ['a', '1']]],
    ['only the first = splits', 'a=b=c', [['a', 'b=c']]],
    ['; is not a separator', 'a=1;b=2', [['a', '1;b=2']]],
    ['names are decoded too', 'ip%5B%5D=1', [['ip[]', '1']]],
    ['empty string', '', []],
  ])('%s', (_name, raw, pairs) => {
    expect(parseFormPairs(raw)).toEqual(pairs);
  });

  it('reads a query string Node handed over as byte-valued characters', () => {
    // Node gives a raw UTF-8 `é` in the request target as two characters, one per byte.
    expect(parseFormPairs('user=caf\u00c3\u00a9')).toEqual([['user', 'café']]);
  });

  it.each([
    ['/apiv2/reseller.account.json?task=overview&user=a', 'task=overview&user=a'],
    ['/apiv2/reseller.account.json', ''],
    ['/x?a=1?b=2', 'a=1?b=2'],
  ])('rawQueryOf(%s)', (target, query) => {
    expect(rawQueryOf(target)).toBe(query);
  });
});

describe('parseVariableName (PHP variable names)', () => {
  it.each([
    ['plain', 'user', { name: 'user', indices: [] }],
    ['append', 'ip[]', { name: 'ip', indices: [null] }],
    ['index', 'ip[0]', { name: 'ip', indices: ['0'] }],
    ['named index', 'ip[first]', { name: 'ip', indices: ['first'] }],
    ['nested', 'a[b][]', { name: 'a', indices: ['b', null] }],
    ['space and dot become _ in the name', 'ip group.x[]', { name: 'ip_group_x', indices: [null] }],
    ['leading spaces dropped', '  user', { name: 'user', indices: [] }],
    ['one space inside [ ] still appends', 'ip[ ]', { name: 'ip', indices: [null] }],
    ['a space before a real index is kept', 'ip[ 1]', { name: 'ip', indices: [' 1'] }],
    ['unclosed [ is part of the name', 'ip[0', { name: 'ip_0', indices: [] }],
    ['unclosed [ with specials', 'a[b.c d[e', { name: 'a_b_c_d_e', indices: [] }],
    ['unclosed nested index dropped', 'a[b][c', { name: 'a', indices: ['b'] }],
    ['text after ] ignored', 'ip[0]x', { name: 'ip', indices: ['0'] }],
    ['name cut at NUL', 'user\u0000junk', { name: 'user', indices: [] }],
  ])('%s: %j', (_name, raw, path) => {
    expect(parseVariableName(raw)).toEqual(path);
  });

  it.each(['', '[]', '[0]', '   ', '\u0000user'])('ignores %j', (raw) => {
    expect(parseVariableName(raw)).toBeUndefined();
  });
});

describe('normaliseParams', () => {
  describe('lists (ip, ip_group)', () => {
    it.each<[string, ListParam, string, string[]]>([
      ['ip[]', 'ip', 'ip[]=a&ip[]=b', ['a', 'b']],
      ['ip[0]', 'ip', 'ip[0]=a&ip[1]=b', ['a', 'b']],
      ['any index, order as sent', 'ip', 'ip[7]=a&ip[2]=b&ip[x]=c', ['a', 'b', 'c']],
      ['repeated plain ip', 'ip', 'ip=a&ip=b', ['a', 'b']],
      ['single plain ip', 'ip', 'ip=a', ['a']],
      ['encoded brackets', 'ip', 'ip%5B%5D=a&ip%5B5%5D=b', ['a', 'b']],
      ['[] then the index it took: the later value replaces it', 'ip', 'ip[]=a&ip[0]=b', ['b']],
      ['mixed forms, one list in order', 'ip', 'ip=a&ip[]=b&ip[5]=c&ip[]=d', ['a', 'b', 'c', 'd']],
      ['repeated index keeps its place, takes the later value', 'ip', 'ip[0]=a&ip[1]=b&ip[0]=c', ['c', 'b']],
      ['[] takes the next index after the highest (here 6), which ip[6] then replaces', 'ip', 'ip[5]=a&ip[]=b&ip[6]=c', ['a', 'c']],
      ['empty values kept', 'ip', 'ip[]=&ip[]=b', ['', 'b']],
      ['+ and %20 in values', 'ip_group', 'ip_group[]=Reseller+Group&ip_group[]=Other%20Group', ['Reseller Group', 'Other Group']],
      ['spelled with a space', 'ip_group', 'ip+group[]=g', ['g']],
      ['absent', 'ip', 'user=a', []],
    ])('%s', (_name, name, query, expected) => {
      expect(normaliseParams(query, undefined).list(name)).toEqual(expected);
    });

    it('keeps ip and ip_group apart', () => {
      const params = normaliseParams('ip[]=1.2.3.4&ip_group[]=g&ip=5.6.7.8', undefined);
      expect(params.list('ip')).toEqual(['1.2.3.4', '5.6.7.8']);
      expect(params.list('ip_group')).toEqual(['g']);
      expect(params.get('ip')).toBeUndefined();
      expect(params.malformed).toEqual([]);
    });

    it('drops a nested element and reports the list as malformed', () => {
      const params = normaliseParams('ip[]=a&ip[x][]=b&ip[]=c', undefined);
      expect(params.list('ip')).toEqual(['a', 'c']);
      expect(params.malformed).toEqual(['ip']);
    });
  });

  describe('scalars', () => {
    it.each<[string, string, string, string | undefined]>([
      ['last one wins', 'user=a&user=b', 'user', 'b'],
      ['+ is a space', 'package=Basic+Package', 'package', 'Basic Package'],
      ['%20 is a space', 'package=Basic%20Package', 'package', 'Basic Package'],
      ['no = is the empty string', 'user', 'user', ''],
      ['names are case-sensitive', 'User=a', 'user', undefined],
      ['dot in the name becomes _', 'api.user=a', 'api_user', 'a'],
      ['malformed escape kept literally', 'package=50%+off', 'package', '50% off'],
      ['absent', 'a=1', 'user', undefined],
    ])('%s', (_name, query, name, expected) => {
      expect(normaliseParams(query, undefined).get(name)).toBe(expected);
    });

    it.each<[string, string, string | undefined, string[]]>([
      ['bracketed scalar is no value', 'user[]=a', undefined, ['user']],
      ['bracketed after plain replaces it', 'user=a&user[]=b', undefined, ['user']],
      ['plain after bracketed replaces it', 'user[]=a&user=b', 'b', []],
      ['indexed scalar', 'user[0]=a', undefined, ['user']],
    ])('%s (PHP leaves an array)', (_name, query, expected, malformed) => {
      const params = normaliseParams(query, undefined);
      expect(params.get('user')).toBe(expected);
      expect(params.has('user')).toBe(true);
      expect(params.malformed).toEqual(malformed);
    });
  });

  describe('body over query', () => {
    it.each<[string, string, FormPair[], string, string | string[] | undefined]>([
      ['body scalar wins', 'user=q', [['user', 'b']], 'user', 'b'],
      ['query used when the body lacks it', 'user=q', [['task', 'list']], 'user', 'q'],
      ['last one wins within the body', '', [['user', 'a'], ['user', 'b']], 'user', 'b'],
      ['body list replaces the whole query list', 'ip[]=1&ip[]=2', [['ip[]', '3']], 'ip', ['3']],
      ['query list kept when the body has none', 'ip[]=1&ip[]=2', [['user', 'u']], 'ip', ['1', '2']],
      ['body plain ip replaces query ip[]', 'ip[]=1', [['ip', '2']], 'ip', ['2']],
      ['an empty body value still wins', 'user=q', [['user', '']], 'user', ''],
    ])('%s', (_name, query, body, name, expected) => {
      const params = normaliseParams(query, body);
      const actual = name === 'ip' ? params.list('ip') : params.get(name);
      expect(actual).toEqual(expected);
    });

    it('reads body field names with PHP rules too', () => {
      const params = normaliseParams('', [['ip[0]', 'a'], ['ip[1]', 'b'], ['api.key', 'k']]);
      expect(params.list('ip')).toEqual(['a', 'b']);
      expect(params.get('api_key')).toBe('k');
    });
  });

  it('the doc example, a space and all, sent as the docs show it once encoded', () => {
    const params = normaliseParams(
      'api_user=your_sendgrid_username&api_key=your_sendgrid_password&task=immediate_upgrade&package=Basic%20Package&user=customer@example.com&ip_group[]=Reseller%20Group',
      undefined,
    );
    expect(params.get('task')).toBe('immediate_upgrade');
    expect(params.get('package')).toBe('Basic Package');
    expect(params.get('user')).toBe('customer@example.com');
    expect(params.list('ip_group')).toEqual(['Reseller Group']);
    expect(params.list('ip')).toEqual([]);
  });

  it('is frozen', () => {
    const params = normaliseParams('ip=a', undefined);
    expect(Object.isFrozen(params)).toBe(true);
    expect(Object.isFrozen(params.list('ip'))).toBe(true);
  });
});
