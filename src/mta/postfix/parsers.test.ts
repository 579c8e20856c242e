import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareLevels, expand } from './expand.js';
import { parseMainCf } from './main-cf.js';
import { parseMasterCf, splitWords } from './master-cf.js';
import { allowedProtocols, protocolRisk } from './protocols.js';

describe('parseMainCf', () => {
  it('joins continuation lines, skips comments, keeps the line of the first physical line', () => {
    const cf = parseMainCf(
      [
        '# comment',
        'a = 1',
        'relay = permit_mynetworks,',
        '  # inside',
        '    reject_unauth_destination',
        '',
        'a = 2',
      ].join('\n'),
      'main.cf',
    );
    expect(cf.params.get('relay')).toMatchObject({
      raw: 'permit_mynetworks, reject_unauth_destination',
      line: 3,
    });
    expect(cf.params.get('a')).toMatchObject({ raw: '2', line: 7 });
    expect(cf.problems).toEqual([]);
  });

  it('reports broken lines with file and line instead of throwing', () => {
    const cf = parseMainCf(
      '  leading = continuation\nno equals sign\nbad name! = x\nok=1',
      '/etc/postfix/main.cf',
    );
    expect(cf.problems.map((p) => [p.line, p.file])).toEqual([
      [1, '/etc/postfix/main.cf'],
      [2, '/etc/postfix/main.cf'],
      [3, '/etc/postfix/main.cf'],
    ]);
    expect(cf.params.get('ok')?.raw).toBe('1');
  });

  it('never throws and reports lines inside the file (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', '=', ' ', '\n', '#', '\t', '$', '{', '}', '_', '\r') }),
        (text) => {
          const cf = parseMainCf(text, 'f');
          const lines = text.split('\n').length;
          for (const p of cf.params.values()) expect(p.line).toBeLessThanOrEqual(lines);
          for (const p of cf.problems) expect(p.line).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('round-trips generated name = value lines (property)', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/);
    const value = fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(name, value), { selector: (t) => t[0], maxLength: 20 }),
        (pairs) => {
          const cf = parseMainCf(pairs.map(([n, v]) => `${n} = ${v}`).join('\n'), 'f');
          expect(cf.problems).toEqual([]);
          pairs.forEach(([n, v], i) => expect(cf.params.get(n)).toMatchObject({ raw: v, line: i + 1 }));
        },
      ),
    );
  });
});

describe('expand', () => {
  const vars: Record<string, string> = {
    myhostname: 'mx.example.org',
    mail_name: 'Postfix',
    empty: '',
    banner: '$myhostname ESMTP ${mail_name}',
    compatibility_level: '3.6',
    loop: '$loop x',
  };
  const look = (n: string) => vars[n];
  it.each([
    ['$myhostname', 'mx.example.org'],
    ['${myhostname}', 'mx.example.org'],
    ['$(myhostname)', 'mx.example.org'],
    ['$banner', 'mx.example.org ESMTP Postfix'],
    ['${mail_name?yes}', 'yes'],
    ['${empty?yes}', ''],
    ['${empty:fallback}', 'fallback'],
    ['${mail_name:fallback}', ''],
    ['${mail_name?{a}:{b}}', 'a'],
    ['${empty?{a}:{b}}', 'b'],
    ['${{$compatibility_level} <level {2} ? {subnet} : {host}}', 'host'],
    ['${{$compatibility_level} <level {3.10} ? {old} : {new}}', 'old'],
    ['${{$mail_name} == {Postfix} ? {same} : {other}}', 'same'],
    ['cost $$5', 'cost $5'],
    ['$undefined!', '!'],
  ])('%s → %s', (raw, want) => {
    expect(expand(raw, look).value).toBe(want);
  });

  it('stops a self-referencing value and says why', () => {
    const r = expand('$loop', look);
    expect(r.problem).toMatch(/too deep/);
  });

  it('compares compatibility levels field by field', () => {
    expect(compareLevels('3.10', '3.6')).toBeGreaterThan(0);
    expect(compareLevels('2', '3.6')).toBeLessThan(0);
    expect(compareLevels('1', '1.0')).toBe(0);
  });

  it('terminates on arbitrary input without throwing (property)', () => {
    const unit = fc.constantFrom('$', '{', '}', '(', ')', '?', ':', 'a', 'b', ' ', '<level', '==');
    fc.assert(
      fc.property(fc.string({ unit }), fc.string({ unit }), (raw, a) => {
        const r = expand(raw, (n) => (n === 'a' ? a : n === 'b' ? '$a$a' : undefined));
        expect(typeof r.value).toBe('string');
      }),
    );
  });
});

describe('parseMasterCf', () => {
  const text = [
    '# comment',
    'smtp      inet  n       -       y       -       -       smtpd',
    'submission inet n       -       y       -       -       smtpd',
    '  -o syslog_name=postfix/submission',
    '  # a comment inside the entry',
    '  -o { smtpd_banner = $myhostname ESMTP ready }',
    '  -osmtpd_tls_security_level=encrypt',
    '127.0.0.1:10025 inet n - n - - smtpd -v',
    'relay     unix  -       -       y       -       -       smtp',
  ].join('\n');

  it('reads services, -o overrides with braces, and the line of each override', () => {
    const m = parseMasterCf(text, 'master.cf');
    expect(m.problems).toEqual([]);
    expect(m.services.map((s) => `${s.name}/${s.type}/${s.command}`)).toEqual([
      'smtp/inet/smtpd',
      'submission/inet/smtpd',
      '127.0.0.1:10025/inet/smtpd',
      'relay/unix/smtp',
    ]);
    const sub = m.services[1];
    expect(sub?.overrides).toEqual([
      { name: 'syslog_name', raw: 'postfix/submission', line: 4 },
      { name: 'smtpd_banner', raw: '$myhostname ESMTP ready', line: 6 },
      { name: 'smtpd_tls_security_level', raw: 'encrypt', line: 7 },
    ]);
    expect(m.services[2]?.args).toEqual(['-v']);
  });

  it('reports short entries, unknown types, unbalanced braces and bare -o', () => {
    const m = parseMasterCf(
      'smtp inet n - y\nfoo bogus n - y - - x\nbar unix - - y - - x -o { a = b\nbaz unix - - y - - x -o',
      'm',
    );
    expect(m.problems.map((p) => p.line)).toEqual([1, 2, 3, 4]);
  });

  it('splits words with nested braces as one word', () => {
    expect(splitWords('a { b { c } d } e')).toEqual(['a', 'b { c } d', 'e']);
    expect(splitWords('a { b')).toBeUndefined();
  });

  it('never throws (property)', () => {
    const unit = fc.constantFrom(
      'smtp',
      ' ',
      'inet',
      'unix',
      '-',
      'n',
      'y',
      '-o',
      '{',
      '}',
      '=',
      '\n',
      '  ',
      'x',
    );
    fc.assert(
      fc.property(fc.string({ unit }), (t) => {
        const m = parseMasterCf(t, 'm');
        for (const s of m.services) expect(s.line).toBeGreaterThan(0);
      }),
    );
  });
});

describe('protocols', () => {
  it.each([
    ['>=TLSv1.2', ['TLSv1.2', 'TLSv1.3'], 'modern'],
    ['>=TLSv1', ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'], 'legacy-tls'],
    ['!SSLv2, !SSLv3, !TLSv1, !TLSv1.1', ['TLSv1.2', 'TLSv1.3'], 'modern'],
    ['!SSLv2 !TLSv1', ['SSLv3', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'], 'ssl'],
    ['TLSv1.3', ['TLSv1.3'], 'modern'],
    ['', ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'], 'legacy-tls'],
  ])('%s', (v, allowed, risk) => {
    expect(allowedProtocols(v)).toEqual(allowed);
    expect(protocolRisk(v)).toBe(risk);
  });
});
