import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileIdentity, normaliseAddress } from './identity.js';

const ann = compileIdentity({ addresses: ['Ann@X.org'], names: [] });

describe('compileIdentity addresses', () => {
  it('matches case-insensitively and inside angle brackets', () => {
    expect(ann.addresses('From: "A" <ANN@x.ORG>')).toEqual([0]);
    expect(ann.addresses('write to ann@x.org.')).toEqual([0]);
  });
  it('does not match a longer local part or a longer domain', () => {
    expect(ann.addresses('joann@x.org')).toEqual([]);
    expect(ann.addresses('j.ann@x.org')).toEqual([]);
    expect(ann.addresses('ann@x.org.uk')).toEqual([]);
    expect(ann.addresses('ann@x.organic.example')).toEqual([]);
    expect(ann.addresses('ann@sub-x.org')).toEqual([]);
    expect(ann.addresses('ann@mx.org')).toEqual([]);
  });
  it('understands plus-addressing', () => {
    expect(ann.addresses('ann+news@x.org')).toEqual([0]);
    expect(ann.addresses('annie+news@x.org')).toEqual([]);
    const tagged = compileIdentity({ addresses: ['ann+shop@x.org'], names: [] });
    expect(tagged.addresses('ann@x.org')).toEqual([0]);
  });
  it('matches either IDN form of the domain', () => {
    const id = compileIdentity({ addresses: ['jörg@bücher.example'], names: [] });
    expect(id.addresses('JÖRG@xn--bcher-kva.example')).toEqual([0]);
    expect(id.addresses('jörg@BÜCHER.example')).toEqual([0]);
    expect(id.addresses('xjörg@bücher.example')).toEqual([]);
    expect(normaliseAddress('a@BÜCHER.example').domains).toEqual(['xn--bcher-kva.example', 'bücher.example']);
  });
  it('matches HTML and URL escapes of the @ and URL query values', () => {
    expect(ann.addresses('ann&#64;x.org')).toEqual([0]);
    expect(ann.addresses('mailto:ann%40x.org')).toEqual([0]);
    expect(ann.addresses('https://x/?to=ann@x.org&a=1')).toEqual([0]);
  });
  it('reports which of several addresses matched', () => {
    const two = compileIdentity({ addresses: ['ann@x.org', 'ann.b@y.example'], names: [] });
    expect(two.addresses('cc: ANN.B@y.example')).toEqual([1]);
  });
  it('never matches an address whose local part merely ends with the subject (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9._-]{1,12}$/), (prefix) => {
        if (prefix.endsWith('.') || prefix === '') return true;
        return ann.addresses(`${prefix}ann@x.org`).length === 0;
      }),
    );
  });
  it('finds the address wherever it is embedded among separators (property)', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.constantFrom(' ', '<', '(', ',', ':', '"', '\n'),
        fc.string(),
        (a, sep, b) => {
          return ann.addresses(`${a}${sep}ANN@x.org>${sep}${b}`).includes(0);
        },
      ),
    );
  });
});

describe('compileIdentity names', () => {
  const id = compileIdentity({ addresses: [], names: ['Ann  Example'] });
  it('matches whole words, any case and spacing', () => {
    expect(id.names('"ann example" <a@b.c>')).toEqual([0]);
    expect(id.names('Ann\n Example')).toEqual([0]);
    expect(id.names('Joann Example')).toEqual([]);
    expect(id.names('Ann Examples')).toEqual([]);
  });
  it('rejects an empty subject', () => {
    expect(() => compileIdentity({ addresses: [], names: [] })).toThrow(/--subject/);
    expect(() => compileIdentity({ addresses: ['nope'], names: [] })).toThrow(/--subject/);
  });
});
