import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connectMapToJson } from '../../lab/connect-map.js';
import { startLab } from '../../lab/lab.js';
import { writeFileAtomic } from '../output.js';
import { positiveNumber } from '../options.js';

export function registerLab(program: Command): void {
  program
    .command('lab')
    .description('run the built-in lab resolver on loopback in the foreground (Ctrl-C stops it)')
    .option('--scenario <file>', 'lab scenario YAML (default: the shipped scenarios/lab.yaml)')
    .option('--port <port>', 'UDP and TCP port on 127.0.0.1 (default: any free port)', positiveNumber(65535))
    .option('--export <dir>', 'write the lab CA (ca.pem) and server map (connect-map.json) to DIR for `scan`')
    .action(async (flags: { scenario?: string; port?: number; export?: string }) => {
      const lab = await startLab({ scenario: flags.scenario, port: flags.port });
      const out = process.stdout;
      out.write(`mailcomply lab: resolver listening on ${lab.address} (UDP and TCP)\n`);
      let probeFlags = '--no-probe';
      if (flags.export && lab.transport) {
        mkdirSync(flags.export, { recursive: true });
        const ca = join(flags.export, 'ca.pem');
        const map = join(flags.export, 'connect-map.json');
        writeFileAtomic(ca, lab.transport.caPem);
        writeFileAtomic(map, JSON.stringify(connectMapToJson(lab.transport.routes), null, 2) + '\n');
        out.write(`lab CA and server map written to ${flags.export}\n`);
        probeFlags = `--ca ${ca} --connect-map ${map}`;
      }
      out.write(`lab domains:\n`);
      for (const z of lab.scenario.zones.filter((z) => z.scan !== false)) {
        out.write(`  ${z.name.padEnd(28)} ${z.description ?? ''}\n`);
      }
      out.write(
        `\ntry: mailcomply scan ${lab.scenario.scanDomains[0] ?? 'strict.example'} --resolver ${lab.address} ${probeFlags}\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await lab.close();
    });
}
