import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { scanDomains } from '../../domain/scan.js';
import { processorStep } from '../../providers/index.js';
import { ACCESS_PORTS } from '../../smtp/access/services.js';
import { labTransportOptions, startLab } from '../../lab/lab.js';
import { renderHtml } from '../../report/html.js';
import { renderJson } from '../../report/json.js';
import { buildRun } from '../../report/model.js';
import { writeFileAtomic, useColor } from '../output.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('start the built-in lab, scan every lab domain, write HTML and JSON reports')
    .option('--out <dir>', 'folder for the reports (default: a new ./mailcomply-demo-<time> folder)')
    .action(async (flags: { out?: string }) => {
      const dir = resolve(flags.out ?? `mailcomply-demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      mkdirSync(dir, { recursive: true });
      const running = await startLab();
      try {
        const startedAt = new Date();
        const lab = labTransportOptions(running);
        // The demo shows everything, submission and mailbox ports included.
        const transport = lab && { ...lab, accessPorts: ACCESS_PORTS };
        const reports = await scanDomains(running.scenario.scanDomains, {
          resolver: running.resolver,
          timeoutS: 20,
          ...(transport ? { transport } : {}),
          // The demo has no register of its own: it shows what DNS reveals about processors.
          processors: processorStep({}),
        });
        const run = buildRun(reports, { startedAt, finishedAt: new Date(), resolvers: [running.address] });
        writeFileAtomic(join(dir, 'report.html'), renderHtml(run));
        writeFileAtomic(join(dir, 'report.json'), renderJson(run));
        const c = pc.createColors(useColor(process.stdout));
        const descriptions = new Map(running.scenario.zones.map((z) => [z.name, z.description ?? '']));
        const out = process.stdout;
        out.write(
          `mailcomply demo: scanned ${run.domains.length} lab domains (DNS records, SMTP/STARTTLS, MTA-STS policies, DANE, submission/IMAP/POP3 ports) through the lab at ${running.address}\n\n`,
        );
        out.write(
          `  ${'domain'.padEnd(24)} ${'fail'.padStart(4)} ${'warn'.padStart(4)} ${'err'.padStart(4)} ${'pass'.padStart(4)}  DSK    scenario\n`,
        );
        for (const d of run.domains) {
          const s = d.summary;
          out.write(
            `  ${d.domain.padEnd(24)} ${c.red(String(s.fail).padStart(4))} ${c.yellow(String(s.warn).padStart(4))} ` +
              `${c.magenta(String(s.error).padStart(4))} ${c.green(String(s.pass).padStart(4))}  ${dsk(d.grade)}  ${descriptions.get(d.domain) ?? ''}\n`,
          );
        }
        const t = run.summary;
        out.write(
          `\n  total: ${t.fail} fail, ${t.warn} warn, ${t.error} error, ${t.pass} pass, ${t.info} info\n`,
        );
        out.write(`\nreports:\n  ${join(dir, 'report.html')}\n  ${join(dir, 'report.json')}\n`);
        out.write(
          `\n  DSK: grade against the German DPAs' guidance on email (N = normal risk met, H = high risk met)\n`,
        );
        out.write(
          `\nnext: mailcomply scan --lab strict.example   (or: mailcomply lab, then scan with --resolver --no-probe)\n`,
        );
      } finally {
        await running.close();
      }
    });
}

/** Compact DSK grade: N when normal risk is met, H when high risk is met too. */
function dsk(g: { normalRisk: string; highRisk: string } | undefined): string {
  if (!g) return ' -   ';
  return `${g.normalRisk === 'pass' ? 'N' : '-'}${g.highRisk === 'pass' ? 'H' : '-'}   `;
}
