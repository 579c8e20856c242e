import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderBouncesHtml, renderBouncesJson, renderBouncesText } from './render.js';
import { analyzePaths } from './run.js';

const FIX = join(import.meta.dirname, '../../../test/fixtures/bounces/messages');
const clock = () => new Date('2025-03-03T10:00:00Z');

describe('analyzePaths and the renderers', () => {
  const run = analyzePaths([FIX], { internalZones: ['corp.example.org'], showPersonal: false }, clock);

  it('aggregates kinds and non-passing findings', () => {
    expect(run.aggregate.messages).toBe(5);
    expect(run.aggregate.byKind).toEqual({ dsn: 2, bounce: 1, autoreply: 2, other: 0, unreadable: 0 });
    expect(run.aggregate.byFinding['bounces.full-original']).toBe(2);
    expect(run.aggregate.byFinding['autoreply.private-phone']).toBe(1);
    expect(run.summary.fail).toBe(2);
  });

  it('renders JSON that parses back to the same run, versioned', () => {
    const back = JSON.parse(renderBouncesJson(run)) as typeof run;
    expect(back.schema).toBe(1);
    expect(back.command).toBe('bounces analyze');
    expect(back.messages).toHaveLength(run.messages.length);
  });

  it('renders text with the per-id remediation once, and without colour codes when asked', () => {
    const text = renderBouncesText(run, { color: false, showPassing: false });
    expect(text).toContain('5 message(s): 2 DSN, 1 other bounce, 2 auto-reply, 0 other, 0 unreadable');
    expect(text.match(/bounces\.full-original: Return headers only/g)).toHaveLength(1);
    expect(text).not.toContain('\u001b[');
    expect(text).not.toContain('Bounce names no mail server software');
    expect(renderBouncesText(run, { color: false, showPassing: true })).toContain(
      'Bounce names no mail server software',
    );
  });

  it('renders self-contained, escaped HTML', () => {
    const html = renderBouncesHtml(run);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|https?:\/\//);
    expect(html).toContain('bounces.internal-host');
    expect(html).toContain('personal data redacted');
  });
});
