import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../../core/errors.js';
import {
  renderTraceDot,
  renderTraceMermaid,
  renderTraceText,
  traceMessage,
  type Trace,
} from '../../dsar/trace/index.js';
import { EXIT } from '../exit-codes.js';
import { collect } from '../options.js';
import { emit } from '../output.js';

type TraceFormat = 'text' | 'json' | 'mermaid' | 'dot';
const TRACE_FORMATS: readonly TraceFormat[] = ['text', 'json', 'mermaid', 'dot'];

interface TraceFlags {
  logs?: string[];
  copy?: string;
  format: TraceFormat;
  out?: string;
  year?: number;
}

function parseTraceFormat(value: string): TraceFormat {
  if (!(TRACE_FORMATS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${TRACE_FORMATS.join(', ')}`);
  return value as TraceFormat;
}

/** Renders a trace in the chosen format. */
export function renderTrace(t: Trace, format: TraceFormat): string {
  if (format === 'json') return `${JSON.stringify(t, null, 2)}\n`;
  if (format === 'mermaid') return renderTraceMermaid(t);
  if (format === 'dot') return renderTraceDot(t);
  return renderTraceText(t);
}

/** `mailcomply trace <message-id|queue-id> --logs FILES...`. */
export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description('follow a message through Postfix queue ids, hosts and Dovecot deliveries')
    .argument('<id>', 'Message-ID (<x@y> or x@y) or Postfix queue id')
    .option(
      '--logs <files...>',
      'mail logs of every host on the path (plain or .gz); repeatable',
      collectMany,
    )
    .option('--copy <file>', 'a copy of the message (.eml): adds the hops of its Received chain')
    .option('--format <format>', `output: ${TRACE_FORMATS.join(', ')}`, parseTraceFormat, 'text')
    .option('--out <file>', 'write the output to a file (atomically) instead of stdout')
    .option('--year <year>', 'year for syslog timestamps, which have none (default: this year)', Number)
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply trace "<abc@sender.example>" --logs mx1/mail.log mx2/mail.log\n  mailcomply trace 4AB12C3D4E --logs mail.log --copy msg.eml --format mermaid',
    )
    .action(async (id: string, flags: TraceFlags) => {
      if (!flags.logs?.length && !flags.copy) throw new UsageError('trace needs --logs FILES or --copy FILE');
      const t = await traceMessage(id, {
        logs: flags.logs ?? [],
        ...(flags.copy ? { copy: flags.copy } : {}),
        ...(flags.year !== undefined ? { year: flags.year } : {}),
      });
      emit(renderTrace(t, flags.format), flags.out);
      // Nothing found is an answer, not a failure; but scripts want to tell it apart.
      process.exitCode = t.hops.length || t.received.length ? EXIT.OK : EXIT.FINDINGS;
    });
}

function collectMany(value: string, previous: string[] = []): string[] {
  return collect(value, previous);
}
