import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { HeaderField } from '../message/header-fields.js';
import { applyHeaderEdits, diffHeaders } from './header-diff.js';

const field = fc.record({
  name: fc.constantFrom('Received', 'received', 'X-A', 'Subject', 'User-Agent', 'DKIM-Signature'),
  value: fc.constantFrom(' a\r\n', ' b\r\n', ' c\r\n\t d\r\n', ' \r\n'),
});

/** An edited header as a sanitiser makes one: each field kept, changed or removed, plus new fields on top or at the end. */
const scenario = fc
  .array(field, { maxLength: 25 })
  .chain((before) =>
    fc.record({
      before: fc.constant(before),
      fate: fc.array(fc.constantFrom('keep', 'change', 'remove'), {
        minLength: before.length,
        maxLength: before.length,
      }),
      newValue: fc.array(fc.constantFrom(' x\r\n', ' y\r\n\t z\r\n'), {
        minLength: before.length,
        maxLength: before.length,
      }),
      top: fc.array(field, { maxLength: 2 }),
      end: fc.array(field, { maxLength: 2 }),
    }),
  )
  .map(({ before, fate, newValue, top, end }) => {
    const kept: HeaderField[] = [];
    before.forEach((f, i) => {
      if (fate[i] === 'keep') kept.push(f);
      else if (fate[i] === 'change') kept.push({ name: f.name, value: newValue[i]! });
    });
    // New fields only count as "on top" when something is kept below them.
    const after = kept.length > 0 ? [...top, ...kept, ...end] : [...top, ...end];
    return { before, after };
  });

describe('diffHeaders', () => {
  it('gives edits that turn the old header into the new one', () => {
    fc.assert(
      fc.property(scenario, ({ before, after }) => {
        const edits = diffHeaders(before, after);
        const norm = (l: HeaderField[]) => l.map((f) => `${f.name.toLowerCase()}:${f.value}`);
        expect(norm(applyHeaderEdits(before, edits))).toEqual(norm(after));
      }),
      { numRuns: 500 },
    );
  });

  it('produces nothing when nothing changed', () => {
    const h = [
      { name: 'Received', value: ' a\r\n' },
      { name: 'Subject', value: ' s\r\n' },
    ];
    expect(
      diffHeaders(
        h,
        h.map((f) => ({ ...f })),
      ),
    ).toEqual([]);
  });

  it('deletes repeated fields from the highest index down', () => {
    const before = [
      { name: 'Received', value: ' 1\r\n' },
      { name: 'Received', value: ' 2\r\n' },
      { name: 'Subject', value: ' s\r\n' },
      { name: 'Received', value: ' 3\r\n' },
    ];
    const after = [{ name: 'Received', value: ' 1\r\n' }, before[2]!];
    expect(diffHeaders(before, after)).toEqual([
      { kind: 'delete', name: 'Received', index: 3 },
      { kind: 'delete', name: 'Received', index: 2 },
    ]);
  });

  it('changes in place and appends new fields', () => {
    const before = [
      { name: 'Received', value: ' from pc.lan\r\n' },
      { name: 'User-Agent', value: ' X\r\n' },
    ];
    const after = [
      { name: 'Received', value: ' from redacted.invalid\r\n' },
      { name: 'X-Sanitized', value: ' yes\r\n' },
    ];
    expect(diffHeaders(before, after)).toEqual([
      { kind: 'change', name: 'Received', index: 1, value: ' from redacted.invalid\r\n' },
      { kind: 'delete', name: 'User-Agent', index: 1 },
      { kind: 'add', name: 'X-Sanitized', value: ' yes\r\n' },
    ]);
  });
});
