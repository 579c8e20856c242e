import { countStatuses, type StatusCounts } from '../../report/model.js';
import { VERSION } from '../../core/version.js';
import { analyzeMessage, inputFinding, type BounceOptions, type MessageReport } from './analyze.js';
import { readMessages } from './store.js';

/** The versioned document every bounce renderer starts from. */
export interface BounceRun {
  schema: 1;
  tool: 'mailcomply';
  command: 'bounces analyze';
  version: string;
  startedAt: string;
  finishedAt: string;
  /** Whether evidence shows personal data unredacted (--show-personal). */
  personalData: boolean;
  aggregate: {
    messages: number;
    byKind: Record<MessageReport['kind'], number>;
    /** Non-passing findings per id. */
    byFinding: Record<string, number>;
  };
  summary: StatusCounts;
  /** Bounces, auto-replies and unreadable messages; ordinary mail is only counted. */
  messages: (MessageReport & { summary: StatusCounts })[];
}

/** Reads every message under the paths and analyses the bounces and auto-replies among them. */
export function analyzePaths(
  paths: readonly string[],
  o: BounceOptions,
  clock: () => Date = () => new Date(),
): BounceRun {
  const startedAt = clock();
  const byKind: BounceRun['aggregate']['byKind'] = {
    dsn: 0,
    bounce: 0,
    autoreply: 0,
    other: 0,
    unreadable: 0,
  };
  const byFinding: Record<string, number> = {};
  const messages: BounceRun['messages'] = [];
  let count = 0;
  for (const m of readMessages(paths)) {
    count++;
    const report: MessageReport = m.raw
      ? analyzeMessage(m.source, m.raw, o)
      : {
          source: m.source,
          kind: 'unreadable',
          reasons: [],
          findings: [inputFinding([m.error ?? 'unreadable'])],
        };
    byKind[report.kind]++;
    for (const f of report.findings) if (f.status !== 'pass') byFinding[f.id] = (byFinding[f.id] ?? 0) + 1;
    if (report.kind !== 'other' || report.findings.length > 0) {
      messages.push({ ...report, summary: countStatuses(report.findings) });
    }
  }
  return {
    schema: 1,
    tool: 'mailcomply',
    command: 'bounces analyze',
    version: VERSION,
    startedAt: startedAt.toISOString(),
    finishedAt: clock().toISOString(),
    personalData: o.showPersonal,
    aggregate: { messages: count, byKind, byFinding },
    summary: countStatuses(messages.flatMap((m) => m.findings)),
    messages,
  };
}
