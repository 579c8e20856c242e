import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { commandConfig } from '../../core/config.js';
import { UsageError } from '../../core/errors.js';
import { appendEvidence, verifyEvidence } from '../../core/evidence-chain.js';
import { readKeyFile } from '../../logs/anonymize/keys.js';
import { applyPlan, restrictToConfirmed } from '../../retention/executor.js';
import { anonymizedHashes } from '../../retention/history.js';
import type { RetentionPlan } from '../../retention/plan-types.js';
import { buildPlan } from '../../retention/planner.js';
import { DEFAULT_EVIDENCE_FILE, resolvePolicyPaths, type RetentionPolicy } from '../../retention/policy.js';
import { spawnRunner } from '../../retention/postfix-queue.js';
import { renderApplyText, renderPlanText } from '../../retention/render.js';
import { cronLine, systemdUnits } from '../../retention/schedule.js';
import { EXIT } from '../exit-codes.js';
import { emit } from '../output.js';
import { readSecretFile } from '../../core/option-files.js';

type TextOrJson = 'text' | 'json';

function parseTextOrJson(v: string): TextOrJson {
  if (v !== 'text' && v !== 'json') throw new InvalidArgumentError('expected text or json');
  return v;
}

function loadPolicy(cmd: Command): { policy: RetentionPolicy; configPath: string } {
  const { path, config } = commandConfig(cmd);
  if (!path || !config.retention) {
    throw new UsageError('no retention section in the configuration (see `mailcomply retention --help`)');
  }
  return { policy: resolvePolicyPaths(config.retention, dirname(path)), configPath: path };
}

/** The evidence signing key: 32+ bytes, readable by the owner only. */
function readEvidenceKey(path: string | undefined): Buffer | undefined {
  if (!path) return undefined;
  const data = readSecretFile('evidence key', path);
  if (data.length < 32) throw new UsageError(`evidence key ${path}: must hold at least 32 bytes`);
  return data;
}

const errorCount = (plan: RetentionPlan): number => plan.stores.reduce((n, s) => n + s.errors.length, 0);

/** `mailcomply retention plan|apply|verify|schedule`. */
export function registerRetention(program: Command): void {
  const retention = program
    .command('retention')
    .description(
      'enforce the retention policy of mailcomply.yaml: plan, apply with evidence, verify, schedule',
    );

  retention
    .command('plan')
    .description(
      'show what apply would delete or anonymise (files, messages, bytes, oldest); changes nothing',
    )
    .option('--format <format>', 'text or json (a plan file `apply --plan` accepts)', parseTextOrJson, 'text')
    .option('--out <file>', 'write the plan to a file instead of stdout')
    .option(
      '--evidence <file>',
      'evidence file to read earlier anonymisations from (default: from the policy)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply retention plan\n  mailcomply retention plan --format json --out plan.json',
    )
    .action(async (flags: { format: TextOrJson; out?: string; evidence?: string }, cmd: Command) => {
      const { policy } = loadPolicy(cmd);
      const evidence = flags.evidence ?? policy.evidence ?? DEFAULT_EVIDENCE_FILE;
      const plan = await buildPlan(policy, {
        now: new Date(),
        run: spawnRunner,
        anonymized: await anonymizedHashes(evidence),
      });
      emit(flags.format === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : renderPlanText(plan), flags.out);
      process.exitCode = errorCount(plan) ? EXIT.OPERATIONAL : EXIT.OK;
    });

  retention
    .command('apply')
    .description('carry out the policy and append a signed record to the evidence file')
    .option('--yes', 'apply what a fresh plan finds, without a plan file')
    .option(
      '--plan <file>',
      'apply only what this confirmed plan (from `plan --format json`) lists and is still due',
    )
    .option(
      '--evidence <file>',
      'evidence file (default: retention.evidence, else ' + DEFAULT_EVIDENCE_FILE + ')',
    )
    .option('--format <format>', 'text or json (the evidence record)', parseTextOrJson, 'text')
    .option('--quiet', 'print nothing unless something failed')
    .addHelpText(
      'after',
      '\nExamples:\n  mailcomply retention plan --format json --out plan.json && mailcomply retention apply --plan plan.json\n  mailcomply retention apply --yes',
    )
    .action(
      async (
        flags: { yes?: boolean; plan?: string; evidence?: string; format: TextOrJson; quiet?: boolean },
        cmd: Command,
      ) => {
        if (!flags.yes && !flags.plan) {
          throw new UsageError(
            'apply changes data: confirm with --plan FILE (from `retention plan --format json`) or --yes',
          );
        }
        const { policy } = loadPolicy(cmd);
        let confirmed: RetentionPlan | undefined;
        if (flags.plan) confirmed = readPlanFile(flags.plan);
        const evidencePath = resolve(flags.evidence ?? policy.evidence ?? DEFAULT_EVIDENCE_FILE);
        const key = readEvidenceKey(policy.evidenceKeyFile);
        const anonymize = policy.anonymizeKeyFile ? { keys: readKeyFile(policy.anonymizeKeyFile) } : {};
        // Refuse early when the chain is broken: appending to a tampered file would hide the break.
        const chain = await verifyEvidence(evidencePath, key ? { key } : {});
        if (!chain.ok && chain.lines > 0) {
          throw new UsageError(
            `evidence file ${evidencePath} fails verification at line ${chain.brokenAt}: ${chain.reason}`,
          );
        }
        let plan = await buildPlan(policy, {
          now: new Date(),
          run: spawnRunner,
          anonymized: await anonymizedHashes(evidencePath),
        });
        if (confirmed) {
          if (confirmed.policyHash !== plan.policyHash) {
            throw new UsageError(
              `${flags.plan}: made under a different retention policy; run retention plan again`,
            );
          }
          plan = restrictToConfirmed(plan, confirmed);
        }
        // An interrupted run stops taking new items but still records what it did.
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const record = await applyPlan(plan, policy.stores, {
          clock: () => new Date(),
          run: spawnRunner,
          anonymize,
          signal: stop.signal,
        }).finally(() => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        });
        if (confirmed && flags.plan) {
          const sha256 = createHash('sha256').update(readFileSync(flags.plan)).digest('hex');
          record.confirmedPlan = { sha256, createdAt: String(confirmed.createdAt) };
        }
        const written = await appendEvidence(evidencePath, record, key ? { key } : {});
        const failed = record.totals.failed > 0;
        if (flags.format === 'json')
          process.stdout.write(
            `${JSON.stringify({ evidence: { path: evidencePath, ...written }, record }, null, 2)}\n`,
          );
        else if (!flags.quiet || failed)
          process.stdout.write(renderApplyText(record, { path: evidencePath, ...written }));
        process.exitCode = failed ? EXIT.OPERATIONAL : EXIT.OK;
      },
    );

  retention
    .command('verify')
    .description('check the hash chain (and signatures) of an evidence file')
    .argument('[file]', 'evidence file (default: from the policy)')
    .option(
      '--key-file <file>',
      'evidence signing key (default: retention.evidenceKeyFile); every entry must be signed',
    )
    .option('--format <format>', 'text or json', parseTextOrJson, 'text')
    .action(
      async (file: string | undefined, flags: { keyFile?: string; format: TextOrJson }, cmd: Command) => {
        let policy: RetentionPolicy | undefined;
        if (!file || !flags.keyFile) {
          const { config, path } = commandConfig(cmd);
          if (config.retention && path) policy = resolvePolicyPaths(config.retention, dirname(path));
        }
        const path = resolve(file ?? policy?.evidence ?? DEFAULT_EVIDENCE_FILE);
        const key = readEvidenceKey(flags.keyFile ?? policy?.evidenceKeyFile);
        const v = await verifyEvidence(path, key ? { key } : {});
        if (flags.format === 'json')
          process.stdout.write(`${JSON.stringify({ schema: 1, file: path, ...v })}\n`);
        else if (v.ok)
          process.stdout.write(
            `${path}: ${v.lines} entries, chain intact${v.signed ? ', all signed' : ''}; head ${v.head ?? '(empty)'}\n`,
          );
        else if (v.brokenAt === undefined) process.stdout.write(`${path}: ${v.reason ?? 'cannot be read'}\n`);
        else
          process.stdout.write(
            `${path}: BROKEN at line ${v.brokenAt ?? '?'}: ${v.reason ?? ''} (${v.lines} line(s) read)\n`,
          );
        process.exitCode = v.ok
          ? EXIT.OK
          : v.lines === 0 && v.brokenAt === undefined
            ? EXIT.OPERATIONAL
            : EXIT.FINDINGS;
      },
    );

  retention
    .command('schedule')
    .description('print a systemd service+timer pair or a cron line that runs `retention apply --yes` daily')
    .option('--systemd', 'print the systemd units')
    .option('--cron', 'print an /etc/cron.d line')
    .option('--bin <path>', 'mailcomply executable', '/usr/local/bin/mailcomply')
    .option('--user <user>', 'user the job runs as', 'root')
    .option('--on-calendar <expr>', 'systemd OnCalendar', '*-*-* 03:30:00')
    .action(
      (
        flags: { systemd?: boolean; cron?: boolean; bin: string; user: string; onCalendar: string },
        cmd: Command,
      ) => {
        if (!flags.systemd && !flags.cron) throw new UsageError('choose --systemd or --cron');
        const cfg = cmd.optsWithGlobals().config;
        const o = {
          bin: flags.bin,
          user: flags.user,
          onCalendar: flags.onCalendar,
          config: resolve(typeof cfg === 'string' ? cfg : 'mailcomply.yaml'),
        };
        const parts: string[] = [];
        if (flags.systemd) {
          const u = systemdUnits(o);
          parts.push(
            u.service,
            u.timer,
            '# enable with: systemctl daemon-reload && systemctl enable --now mailcomply-retention.timer\n',
          );
        }
        if (flags.cron) parts.push(cronLine(o));
        process.stdout.write(parts.join('\n'));
      },
    );
}

function readPlanFile(path: string): RetentionPlan {
  let plan: RetentionPlan;
  try {
    plan = JSON.parse(readFileSync(path, 'utf8')) as RetentionPlan;
  } catch (err) {
    throw new UsageError(`--plan ${path}: ${(err as NodeJS.ErrnoException).code ?? 'not a JSON plan'}`);
  }
  if (plan?.kind !== 'mailcomply-retention-plan' || !Array.isArray(plan.stores)) {
    throw new UsageError(`--plan ${path}: not a retention plan (make one with retention plan --format json)`);
  }
  return plan;
}
