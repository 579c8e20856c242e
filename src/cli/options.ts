import { InvalidArgumentError, type Command } from 'commander';
import { SEVERITIES, type Severity } from '../core/finding.js';
import { UsageError } from '../core/errors.js';
import { readOptionText } from '../core/option-files.js';

export type Format = 'text' | 'json' | 'html';
export const FORMATS: readonly Format[] = ['text', 'json', 'html'];

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parseFormat(value: string): Format {
  if (!(FORMATS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${FORMATS.join(', ')}`);
  }
  return value as Format;
}

export function parseSeverity(value: string): Severity {
  if (!(SEVERITIES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${SEVERITIES.join(', ')}`);
  }
  return value as Severity;
}

/** `--format`, `--out` and `--fail-on`, as every command that writes a findings report takes them. */
export function reportOptions(cmd: Command): Command {
  return cmd
    .option('--format <format>', 'text, json or html', parseFormat, 'text')
    .option('--out <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <severity>', 'exit 1 when a finding at or above this severity fails', parseSeverity);
}

export function positiveNumber(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > max)
      throw new InvalidArgumentError(`expected a number in (0, ${max}]`);
    return n;
  };
}

/** Reads a domains file: one name per line, `#` comments and blank lines ignored. */
export function readDomainsFile(path: string): string[] {
  return readOptionText('--domains-file', path)
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '');
}

/** Reads a PEM bundle given with --ca; a file without a certificate is a usage error naming it. */
export function readPemFile(path: string): string {
  const text = readOptionText('--ca', path);
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    throw new UsageError(`--ca ${path}: no PEM certificate found`);
  return text;
}
