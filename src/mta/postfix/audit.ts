import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Finding } from '../../core/finding.js';
import { finding } from '../../core/make-finding.js';
import { MTA_MAX_CONFIG_BYTES } from '../../core/limits.js';
import { setting, type PostfixConfig } from './config.js';
import { BUILTIN_DEFAULTS, execTool, loadPostconfDefaults, type ExecTool } from './defaults.js';
import { disclosureChecks } from './disclosure.js';
import { globalChecks } from './global-checks.js';
import { inboundChecks } from './inbound.js';
import { POSTFIX_KNOWN_NAMES } from './known-names.js';
import { parseMainCf } from './main-cf.js';
import { parseMasterCf } from './master-cf.js';
import { outboundChecks } from './outbound.js';
import { mynetworksCheck, relayCheck } from './relay.js';
import { smtpClientServices, smtpdServices } from './services.js';
import type { ConfigProblem } from './types.js';

/** What `auditPostfix` needs; every field but configDir has a production default. */
export interface PostfixAuditOptions {
  configDir: string;
  /** Ask `postconf -d -c DIR` for defaults (default true); false uses the built-in table only. */
  usePostconf?: boolean;
  exec?: ExecTool;
  /** Path or name of postconf; default: `postconf`, then /usr/sbin/postconf. */
  postconf?: string;
}

/** Result of an audit: findings plus the facts a report header shows. */
export interface PostfixAudit {
  configDir: string;
  findings: Finding[];
  defaultsFrom: string;
  services: string[];
}

/** Reads a config file as text, or says why not (missing, unreadable, too big). Never throws. */
export function readConfigFile(path: string): { text: string } | { error: string } {
  try {
    const st = statSync(path);
    if (!st.isFile()) return { error: 'not a regular file' };
    if (st.size > MTA_MAX_CONFIG_BYTES) return { error: `larger than ${MTA_MAX_CONFIG_BYTES} bytes` };
    return { text: readFileSync(path, 'utf8') };
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? 'cannot read' };
  }
}

/** Audits the main.cf and master.cf in `configDir`, judging each smtpd and smtp service. Never throws. */
export async function auditPostfix(options: PostfixAuditOptions): Promise<PostfixAudit> {
  // Absolute, as `postfix -c` requires and so $config_directory expands the way Postfix sees it.
  const o = { ...options, configDir: resolve(options.configDir) };
  const findings: Finding[] = [];
  const mainFile = join(o.configDir, 'main.cf');
  const masterFile = join(o.configDir, 'master.cf');
  const mainText = readConfigFile(mainFile);
  const masterText = readConfigFile(masterFile);
  for (const [file, r] of [
    [mainFile, mainText],
    [masterFile, masterText],
  ] as const) {
    if ('error' in r) {
      findings.push(
        finding({
          id: 'postfix.config.unreadable',
          status: 'error',
          title: `cannot read ${file}`,
          detail: `${file}: ${r.error}. ${file.endsWith('main.cf') ? 'Without main.cf every setting is judged at its default.' : 'Without master.cf no service can be judged.'}`,
          evidence: { file, line: 0, error: r.error },
          controls: ['access.admin'],
        }),
      );
    }
  }
  const main = parseMainCf('text' in mainText ? mainText.text : '', mainFile);
  const master = parseMasterCf('text' in masterText ? masterText.text : '', masterFile);
  const { defaults, from, complete } = await loadDefaults(o);
  if (!complete) {
    findings.push(
      finding({
        id: 'postfix.config.defaults',
        status: 'info',
        title: 'defaults come from the built-in table',
        detail: `${from}; built-in Postfix 3.7 defaults are used for unset parameters, which may differ from this installation.`,
        evidence: { source: from },
        controls: ['access.admin'],
      }),
    );
  }
  const cfg: PostfixConfig = {
    configDir: o.configDir,
    main,
    master,
    defaults,
    readMap: (p) => {
      const r = readConfigFile(isAbsolute(p) ? p : join(o.configDir, p));
      return 'text' in r ? r.text : undefined;
    },
  };
  findings.push(...problemFindings([...main.problems, ...master.problems]));
  findings.push(...unknownParameters(cfg, complete ? defaults : undefined));
  findings.push(...expansionProblems(cfg));
  const smtpd = smtpdServices(master.services);
  for (const s of smtpd) {
    findings.push(...inboundChecks(cfg, s), ...disclosureChecks(cfg, s), ...relayCheck(cfg, s));
    if (s.overrides.some((x) => x.name === 'mynetworks')) findings.push(mynetworksCheck(cfg, s));
  }
  for (const s of smtpClientServices(master.services)) findings.push(...outboundChecks(cfg, s));
  findings.push(mynetworksCheck(cfg), ...globalChecks(cfg));
  if ('text' in masterText && smtpd.length === 0) {
    findings.push(
      finding({
        id: 'postfix.config.no-smtpd',
        status: 'info',
        title: 'no smtpd service in master.cf',
        detail: 'This instance receives no mail from the network; inbound checks were skipped.',
        evidence: { file: masterFile },
        controls: ['transport.starttls'],
      }),
    );
  }
  return {
    configDir: o.configDir,
    findings,
    defaultsFrom: from,
    services: master.services.map((s) => `${s.name}/${s.type}`),
  };
}

async function loadDefaults(
  o: PostfixAuditOptions,
): Promise<{ defaults: Map<string, string>; from: string; complete: boolean }> {
  const builtin = new Map(Object.entries(BUILTIN_DEFAULTS));
  if (o.usePostconf === false)
    return { defaults: builtin, from: 'postconf not used (--no-postconf)', complete: false };
  const exec = o.exec ?? execTool;
  const candidates = o.postconf ? [o.postconf] : ['postconf', '/usr/sbin/postconf'];
  let reason = 'postconf is not installed';
  for (const bin of candidates) {
    const r = await loadPostconfDefaults(o.configDir, exec, bin);
    if (r.ok) return { defaults: new Map([...builtin, ...r.values]), from: r.command, complete: true };
    reason = r.reason;
    if (r.reason !== 'postconf is not installed') break;
  }
  return { defaults: builtin, from: reason, complete: false };
}

function problemFindings(problems: ConfigProblem[]): Finding[] {
  return problems.map((p) =>
    finding({
      id: 'postfix.config.syntax',
      status: 'fail',
      severity: 'medium',
      title: `${p.file}, line ${p.line}: ${p.message}`,
      detail:
        'Postfix refuses to start or ignores this line; the audit skipped it, so what runs may differ from what is judged here.',
      evidence: { file: p.file, line: p.line, problem: p.message },
      controls: ['access.admin'],
      remediation: `Fix or remove line ${p.line} of ${p.file}, then run \`postfix check\`.`,
    }),
  );
}

/**
 * Parameters Postfix does not know. A name referenced as `$name` elsewhere is a user-defined
 * variable (legal); `<service>_...` names are per-service settings.
 */
function unknownParameters(cfg: PostfixConfig, defaults: ReadonlyMap<string, string> | undefined): Finding[] {
  const known = (n: string) => (defaults ? defaults.has(n) : POSTFIX_KNOWN_NAMES.has(n));
  const raws = [
    ...[...cfg.main.params.values()].map((p) => p.raw),
    ...cfg.master.services.flatMap((s) => s.overrides.map((x) => x.raw)),
  ].join('\n');
  const services = cfg.master.services.map((s) => s.name);
  const out: Finding[] = [];
  for (const p of cfg.main.params.values()) {
    if (known(p.name)) continue;
    if (new RegExp(`\\$(\\{|\\()?${p.name.replace(/[.]/g, '\\.')}\\b`).test(raws)) continue;
    if (services.some((s) => p.name.startsWith(`${s}_`) && known(`default${p.name.slice(s.length)}`)))
      continue;
    out.push(
      finding({
        id: 'postfix.config.unknown-parameter',
        status: 'warn',
        severity: 'low',
        title: `${p.file}, line ${p.line}: unknown parameter "${p.name}"`,
        detail:
          'Postfix does not know this name (a typo or a setting of another version) and ignores it; the setting meant here is probably not in effect.',
        evidence: { file: p.file, line: p.line, parameter: p.name },
        controls: ['access.admin'],
        remediation: `Check the spelling against \`postconf -d\`; remove it with \`postconf -X ${p.name}\` if it is not needed.`,
      }),
    );
  }
  for (const svc of cfg.master.services) {
    for (const o of svc.overrides) {
      // -o may set user-defined parameters that other -o values refer to, as main.cf may.
      if (known(o.name) || cfg.main.params.has(o.name) || raws.includes(`$${o.name}`)) continue;
      out.push(
        finding({
          id: 'postfix.config.unknown-parameter',
          status: 'warn',
          severity: 'low',
          title: `${cfg.master.file}, line ${o.line}: unknown parameter "${o.name}" on ${svc.name}/${svc.type}`,
          detail:
            'Postfix does not know this name and ignores the override; the setting meant for this service is probably not in effect.',
          evidence: {
            file: cfg.master.file,
            line: o.line,
            parameter: o.name,
            service: `${svc.name}/${svc.type}`,
          },
          controls: ['access.admin'],
          remediation: `Check the spelling against \`postconf -d\`; remove it with \`postconf -PX ${svc.name}/${svc.type}/${o.name}\` if it is not needed.`,
        }),
      );
    }
  }
  return out;
}

function expansionProblems(cfg: PostfixConfig): Finding[] {
  const out: Finding[] = [];
  for (const p of cfg.main.params.values()) {
    const s = setting(cfg, p.name);
    if (!s.problem) continue;
    out.push(
      finding({
        id: 'postfix.config.expansion',
        status: 'fail',
        severity: 'medium',
        title: `${p.file}, line ${p.line}: "${p.name}" cannot be expanded`,
        detail: `${s.problem}; Postfix logs a fatal error for such a value.`,
        evidence: { file: p.file, line: p.line, parameter: p.name },
        controls: ['access.admin'],
      }),
    );
  }
  return out;
}
