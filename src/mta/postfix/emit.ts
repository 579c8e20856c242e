import type { Finding, Severity, Status } from '../../core/finding.js';
import { finding } from '../../core/make-finding.js';
import { serviceKey, type PostfixConfig, type Setting } from './config.js';
import type { MasterService } from './types.js';

/** The stock configuration directory: `postconf` needs no `-c` for it. */
export const DEFAULT_CONFIG_DIR = '/etc/postfix';

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function dirFlag(cfg: PostfixConfig): string {
  return cfg.configDir.replace(/\/+$/, '') === DEFAULT_CONFIG_DIR ? '' : ` -c ${quote(cfg.configDir)}`;
}

/** `postconf [-c DIR] ARGS`, each argument shell-quoted. */
export function postconfCommand(cfg: PostfixConfig, ...args: string[]): string {
  return `postconf${dirFlag(cfg)} ${args.map((a) => (a.startsWith('-') ? a : quote(a))).join(' ')}`;
}

/** `postconf -e 'name = value'`: sets a main.cf parameter. */
export function fixMain(cfg: PostfixConfig, name: string, value: string): string {
  return `postconf${dirFlag(cfg)} -e ${quote(`${name} = ${value}`)}`;
}

/** `postconf -P 'service/type/name=value'`: sets a `-o` override on one master.cf service. */
export function fixService(cfg: PostfixConfig, service: MasterService, name: string, value: string): string {
  return `postconf${dirFlag(cfg)} -P ${quote(`${serviceKey(service)}/${name}=${value}`)}`;
}

/** The fix for a setting: on the service when the service overrides it or `perService`, else in main.cf. */
export function fixFor(
  cfg: PostfixConfig,
  s: Setting,
  service: MasterService | undefined,
  value: string,
  perService = false,
): string {
  if (service && (s.origin === 'master.cf' || perService)) return fixService(cfg, service, s.name, value);
  return fixMain(cfg, s.name, value);
}

/** Where a setting was read, for a finding's detail. */
export function where(s: Setting): string {
  return s.origin === 'default' ? `default (not set in ${s.file})` : `${s.file}:${s.line}`;
}

export interface PostfixFindingInput {
  id: string;
  status: Status;
  severity?: Severity;
  title: string;
  detail: string;
  controls: string[];
  setting?: Setting;
  /** Extra settings that fed the verdict, shown in the evidence. */
  related?: Setting[];
  service?: MasterService;
  remediation?: string;
}

function settingEvidence(s: Setting) {
  return { parameter: s.name, value: s.value, raw: s.raw, origin: s.origin, file: s.file, line: s.line };
}

/** A `postfix.*` finding whose evidence names the file, line, service and parameter it rests on. */
export function postfixFinding(i: PostfixFindingInput): Finding {
  const svc = i.service ? serviceKey(i.service) : undefined;
  const prefix = svc ? `${svc}: ` : '';
  const loc = i.setting ? ` [${i.setting.name} = ${i.setting.value || '(empty)'} — ${where(i.setting)}]` : '';
  return finding({
    id: i.id,
    status: i.status,
    ...(i.severity ? { severity: i.severity } : {}),
    title: `${prefix}${i.title}`,
    detail: `${i.detail}${loc}`,
    controls: i.controls,
    evidence: {
      ...(svc ? { service: svc, serviceLine: i.service?.line } : {}),
      ...(i.setting ? settingEvidence(i.setting) : {}),
      ...(i.related?.length ? { related: i.related.map(settingEvidence) } : {}),
    },
    ...(i.remediation ? { remediation: i.remediation } : {}),
  });
}
