import type { Finding } from '../core/finding.js';
import { finding } from '../core/make-finding.js';
import { decodeValue, type HeaderField } from './header-fields.js';
import { extractIps, isInternalIp, parseIp, type InternalMatcher } from './internal.js';
import { clauseHosts, clauseText, receivedClauses } from './received.js';
import { redactExcerpt } from './redact.js';

const CONTROLS = ['minimisation.headers'];
/** Evidence items kept per finding and message: a flood of Received lines says nothing more. */
const MAX_ITEMS = 20;

/** One place a value was seen. */
export interface ExposureItem {
  header: string;
  /** The redacted excerpt of the decoded header value. */
  excerpt: string;
  /** What matched: internal addresses and names in clear, personal values redacted. */
  matched: string[];
}

/** What one message exposes, by kind; the keys are finding ids without the `headers.` prefix. */
export type ExposureKind =
  | 'internal-ip'
  | 'client-ip'
  | 'internal-host'
  | 'client-software'
  | 'authenticated-user'
  | 'message-id-host'
  | 'exchange-organisation';

export type Exposure = Partial<Record<ExposureKind, ExposureItem[]>>;

const IP_HEADER = /^x-(?:.*-ip|.*ip-?address|forwarded-for|.*-addr|originating-client)$/i;
const SOFTWARE_HEADERS = new Set([
  'user-agent',
  'x-mailer',
  'x-mimeole',
  'x-newsreader',
  'x-mail-agent',
  'x-php-originating-script',
  'x-ms-exchange-processed-by-bccfoldering',
]);
const AUTH_HEADERS = new Set([
  'x-authenticated-sender',
  'x-authenticated-user',
  'x-auth-user',
  'x-get-message-sender-via',
  'x-source-sender',
  'x-sender-id',
  'x-authuser',
  'x-originating-email',
]);
const AUTH_IN_TEXT =
  /\(?(?:authenticated sender|authenticated user|auth(?:enticated)?_id|authuser)[:=\s]+<?([^\s()<>;]+)>?/gi;

function add(
  e: Exposure,
  kind: ExposureKind,
  header: string,
  text: string,
  matched: string[],
  users: string[],
) {
  const list = (e[kind] ??= []);
  if (list.length >= MAX_ITEMS) return;
  list.push({ header, excerpt: redactExcerpt(text, users), matched });
}

/** Collects what a message's header fields expose. Only fields that can carry each kind are decoded. */
export function collectExposure(fields: readonly HeaderField[], internal: InternalMatcher): Exposure {
  const e: Exposure = {};
  for (const f of fields) {
    if (f.name === '') continue;
    const lower = f.name.toLowerCase();
    if (lower === 'received') {
      receivedExposure(e, f.name, decodeValue(f.value), internal);
    } else if (SOFTWARE_HEADERS.has(lower)) {
      const v = decodeValue(f.value);
      if (v) add(e, 'client-software', f.name, v, [v.slice(0, 100)], []);
    } else if (AUTH_HEADERS.has(lower)) {
      const v = decodeValue(f.value);
      if (v) add(e, 'authenticated-user', f.name, v, ['***'], [v]);
    } else if (lower === 'message-id') {
      const v = decodeValue(f.value);
      const host = /@([^>\s]+)>?\s*$/.exec(v)?.[1]?.replace(/^\[|\]$/g, '');
      if (host && (internal.host(host) || parseIp(host)))
        add(
          e,
          'message-id-host',
          f.name,
          v,
          [parseIp(host) && !isInternalIp(host) ? '(public IP)' : host],
          [],
        );
    } else if (IP_HEADER.test(lower)) {
      ipHeaderExposure(e, f.name, decodeValue(f.value), internal);
    } else if (lower.startsWith('x-ms-exchange-organization-')) {
      const v = decodeValue(f.value);
      add(e, 'exchange-organisation', f.name, v, [f.name], []);
      const hosts = [...v.matchAll(/[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*/g)]
        .map((m) => m[0])
        .filter((h) => internal.host(h) && h.includes('.'));
      if (hosts.length) add(e, 'internal-host', f.name, v, hosts, []);
    } else {
      continue;
    }
  }
  return e;
}

function ipHeaderExposure(e: Exposure, name: string, v: string, internal: InternalMatcher) {
  const ips = extractIps(v);
  const inside = ips.filter((ip) => internal.ip(ip));
  const outside = ips.filter((ip) => !internal.ip(ip));
  if (inside.length) add(e, 'internal-ip', name, v, inside, []);
  if (outside.length)
    add(
      e,
      'client-ip',
      name,
      v,
      outside.map(() => '(public IP)'),
      [],
    );
}

function receivedExposure(e: Exposure, name: string, v: string, internal: InternalMatcher) {
  const clauses = receivedClauses(v);
  const from = clauseText(v, clauses.from);
  const by = clauseText(v, clauses.by);
  const users = [...v.matchAll(AUTH_IN_TEXT)].map((m) => m[1]!);
  const ips = extractIps(`${from} ${by}`);
  const inside = ips.filter((ip) => internal.ip(ip));
  if (inside.length) add(e, 'internal-ip', name, v, inside, users);
  const hosts = [...new Set([...clauseHosts(from), ...clauseHosts(by)])].filter((h) => internal.host(h));
  if (hosts.length) add(e, 'internal-host', name, v, hosts, users);
  if (users.length)
    add(
      e,
      'authenticated-user',
      name,
      v,
      users.map(() => '***'),
      users,
    );
  // A hop received with authentication (RFC 3848 ESMTPA/ESMTPSA) names the submitting client.
  const proto = /^(\S+)/.exec(clauseText(v, clauses.with))?.[1] ?? '';
  if (/^(UTF8)?(E?SMTP|LMTP)S?A$/i.test(proto)) {
    const pub = extractIps(from).filter((ip) => !internal.ip(ip));
    if (pub.length)
      add(
        e,
        'client-ip',
        name,
        v,
        pub.map(() => '(public IP)'),
        users,
      );
  }
}

interface KindText {
  status: 'fail' | 'warn';
  severity: 'low' | 'medium' | 'high';
  title: string;
  detail: string;
  remediation: string;
}

/** Verdict wording per kind. Remediation names the Postfix setting or the sanitiser. */
export const KIND_TEXT: Record<ExposureKind, KindText> = {
  'internal-ip': {
    status: 'fail',
    severity: 'medium',
    title: 'Headers reveal internal IP addresses',
    detail:
      'Private, CGNAT, loopback or link-local addresses in Received or client-IP headers map the internal network for every recipient.',
    remediation:
      'Rewrite internal Received hops at the outbound edge: `mailcomply milter` or `mailcomply postfix header-checks` (header_checks in a cleanup service used only by submission: -o cleanup_service_name=subcleanup).',
  },
  'client-ip': {
    status: 'warn',
    severity: 'medium',
    title: "Headers reveal the sender's own IP address",
    detail:
      "The submitting client's public address (X-Originating-IP, an authenticated Received hop) is personal data: it locates the person and their connection.",
    remediation:
      'Remove X-Originating-IP-style headers and rewrite the authenticated hop: policy action remove, received.rewrite internal-and-client.',
  },
  'internal-host': {
    status: 'fail',
    severity: 'medium',
    title: 'Headers reveal internal host names',
    detail:
      'Single-label, .local/.lan/.internal/.corp/.home.arpa or internal-zone names show the internal naming and machines.',
    remediation:
      'Rewrite internal Received hops (received.rewrite internal) and set myhostname to a public name on outbound relays.',
  },
  'client-software': {
    status: 'warn',
    severity: 'low',
    title: 'Headers reveal mail client and operating system',
    detail:
      'User-Agent/X-Mailer values tell recipients which software, version and platform the sender uses: fingerprinting and targeted attacks.',
    remediation:
      'Remove User-Agent, X-Mailer and X-MimeOLE on submission (header_checks: /^(User-Agent|X-Mailer|X-MimeOLE):/ IGNORE).',
  },
  'authenticated-user': {
    status: 'fail',
    severity: 'high',
    title: 'Headers reveal authenticated user names',
    detail:
      'Login names in Received comments or X-Authenticated-* headers disclose account identifiers to recipients.',
    remediation:
      'Postfix: smtpd_sasl_authenticated_header = no; remove X-Authenticated-* headers with the sanitiser.',
  },
  'message-id-host': {
    status: 'warn',
    severity: 'low',
    title: 'Message-ID reveals an internal host name or address',
    detail:
      'Clients that build Message-IDs from the local host name leak it in every message and every reply.',
    remediation:
      'Configure the client or the submission server to generate Message-IDs under the public domain.',
  },
  'exchange-organisation': {
    status: 'warn',
    severity: 'low',
    title: 'Exchange organisation headers left the organisation',
    detail:
      'X-MS-Exchange-Organization-* headers are internal to an Exchange organisation and disclose authentication and routing details.',
    remediation:
      'Strip X-MS-Exchange-Organization-* at the outbound connector (Exchange header firewall) or with the sanitiser.',
  },
};

export const EXPOSURE_KINDS = Object.keys(KIND_TEXT) as ExposureKind[];

/** Turns what a message exposes into `headers.*` findings; a message exposing nothing gets one pass. */
export function exposureFindings(e: Exposure): Finding[] {
  const out: Finding[] = [];
  for (const kind of EXPOSURE_KINDS) {
    const items = e[kind];
    if (!items?.length) continue;
    const t = KIND_TEXT[kind];
    out.push(
      finding({
        id: `headers.${kind}`,
        status: t.status,
        severity: t.severity,
        title: t.title,
        detail: `${t.detail} Seen in: ${[...new Set(items.map((i) => i.header))].join(', ')}.`,
        evidence: items,
        controls: CONTROLS,
        remediation: t.remediation,
      }),
    );
  }
  if (out.length === 0)
    out.push(
      finding({
        id: 'headers.clean',
        status: 'pass',
        title: 'Headers expose no internal systems, clients or users',
        detail: 'No internal addresses or names, client IPs, client software or login names were found.',
        controls: CONTROLS,
      }),
    );
  return out;
}
