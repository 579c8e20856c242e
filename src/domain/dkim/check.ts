/**
 * The DKIM check: probe known selectors, then judge every key found (RFC 6376, RFC 8301, RFC 8463).
 */
import { severityRank, statusRank, type Finding, type Severity, type Status } from '../../core/finding.js';
import { DKIM_MIN_RSA_BITS, DKIM_RECOMMENDED_RSA_BITS } from '../../core/limits.js';
import { finding } from '../../core/make-finding.js';
import {
  absolute,
  dnsLookup,
  lookupEvidence,
  suggestedTtl,
  txtTexts,
  zoneTxt,
  type LookupOutcome,
} from '../tag-list.js';
import type { DomainCheck, DomainContext } from '../types.js';
import { isUsable, looksLikeDkimKey, parseDkimKey, type DkimKey } from './key.js';
import { selectorsToProbe } from './selectors.js';

const CONTROLS = ['auth.dkim'];
// RFC 8301 §3.2: verifiers must handle keys up to 4096 bits; larger ones may not verify everywhere.
const RSA_MAX_VERIFIABLE_BITS = 4096;

/** One selector that holds at least one DKIM key record. */
interface FoundSelector {
  selector: string;
  name: string;
  lookup: LookupOutcome<'TXT'>;
  /** CNAME chain from the selector name (providers host keys this way). */
  cnames: string[];
  keys: DkimKey[];
}

function selectorEvidence(s: FoundSelector): Record<string, unknown> {
  return {
    selector: s.selector,
    name: s.name,
    ...(s.cnames.length > 0 ? { cnames: s.cnames } : {}),
    records: s.keys.map((k) => ({
      record: k.text,
      keyType: k.keyType,
      ...(k.bits !== undefined ? { bits: k.bits } : {}),
      ...(k.format ? { format: k.format } : {}),
      ...(k.flags.length > 0 ? { flags: k.flags } : {}),
      revoked: k.revoked,
      ...(k.problems.length > 0 ? { problems: k.problems } : {}),
      ...(k.warnings.length > 0 ? { warnings: k.warnings } : {}),
    })),
    lookup: lookupEvidence(s.lookup),
  };
}

/** DKIM checks (`dkim.*`): which selectors publish keys, and whether those keys are sound. */
export const dkimCheck: DomainCheck = async (ctx) => {
  const plan = selectorsToProbe(ctx.options.dkimSelectors);
  const probes = await Promise.all(
    plan.selectors.map(async (selector) => {
      const name = `${selector}._domainkey.${ctx.domain}`;
      return { selector, name, lookup: await dnsLookup(ctx, name, 'TXT') };
    }),
  );
  const found: FoundSelector[] = [];
  const errors: { selector: string; reason: string }[] = [];
  const nonDkim: string[] = [];
  for (const p of probes) {
    if (!p.lookup.ok) {
      errors.push({ selector: p.selector, reason: p.lookup.reason });
      continue;
    }
    const texts = txtTexts(p.lookup.result);
    const keys = texts.filter(looksLikeDkimKey).map(parseDkimKey);
    if (keys.length === 0) {
      if (texts.length > 0) nonDkim.push(p.selector);
      continue;
    }
    found.push({
      ...p,
      cnames: p.lookup.result.cnames.map((c) => `${c.name} CNAME ${absolute(c.data)}`),
      keys,
    });
  }
  const out: Finding[] = [selectorsFinding(ctx, plan, found, errors, nonDkim)];
  if (found.length === 0) return out;
  out.push(syntaxFinding(ctx, found));
  const keySize = keySizeFinding(ctx, found);
  if (keySize) out.push(keySize);
  const testing = testingFinding(found);
  if (testing) out.push(testing);
  const revoked = found.filter((s) => s.keys.some((k) => k.revoked && k.problems.length === 0));
  if (revoked.length > 0) {
    out.push(
      finding({
        id: 'dkim.revoked',
        status: 'info',
        title: 'Some DKIM selectors publish a revoked key',
        detail: `${revoked.map((s) => s.selector).join(', ')}: p= is empty, which revokes the key (RFC 6376 §3.6.1). Signatures made with it fail; this is correct after a key rotation.`,
        evidence: { selectors: revoked.map(selectorEvidence) },
        controls: CONTROLS,
      }),
    );
  }
  return out;
};

function selectorsFinding(
  ctx: DomainContext,
  plan: ReturnType<typeof selectorsToProbe>,
  found: FoundSelector[],
  errors: { selector: string; reason: string }[],
  nonDkim: string[],
): Finding {
  const missingUser = plan.user.filter(
    (s) => !found.some((f) => f.selector === s) && !errors.some((e) => e.selector === s),
  );
  const evidence = {
    probed: plan.selectors,
    found: found.map((s) => s.selector),
    ...(errors.length > 0 ? { errors } : {}),
    ...(nonDkim.length > 0 ? { nonDkimTxt: nonDkim } : {}),
    ...(plan.invalid.length > 0 ? { invalidSelectors: plan.invalid } : {}),
    ...(plan.dropped > 0 ? { notProbed: plan.dropped } : {}),
  };
  const notes: string[] = [];
  if (errors.length > 0) notes.push(`lookups failed for ${errors.map((e) => e.selector).join(', ')}`);
  if (plan.invalid.length > 0)
    notes.push(`${plan.invalid.length} given selector(s) are not valid DNS labels and were skipped`);
  if (missingUser.length > 0) notes.push(`no key at the given selector(s) ${missingUser.join(', ')}`);
  const tail = notes.length > 0 ? ` Note: ${notes.join('; ')}.` : '';
  if (found.length > 0) {
    return finding({
      id: 'dkim.selectors',
      status: missingUser.length > 0 ? 'warn' : 'pass',
      severity: missingUser.length > 0 ? 'low' : 'info',
      title: 'DKIM keys are published',
      detail: `DKIM keys were found at: ${found.map((s) => s.selector).join(', ')} (of ${plan.selectors.length} selectors probed).${tail}`,
      evidence,
      controls: CONTROLS,
    });
  }
  if (errors.length > 0) {
    return finding({
      id: 'dkim.selectors',
      status: 'error',
      severity: 'medium',
      title: 'DKIM selectors could not all be looked up',
      detail: `No DKIM key was found, but some lookups could not be completed, so the absence is not established.${tail}`,
      evidence,
      controls: CONTROLS,
    });
  }
  const userGiven = plan.user.length > 0;
  return finding({
    id: 'dkim.selectors',
    status: userGiven ? 'warn' : 'info',
    severity: userGiven ? 'medium' : 'info',
    title: 'No DKIM key found at the probed selectors',
    detail: `None of the ${plan.selectors.length} selectors probed under ${absolute(`_domainkey.${ctx.domain}`)} holds a DKIM key. DNS cannot list selectors, so only common names were tried: this does not prove that the domain's mail is unsigned. Pass the selectors your mail platforms use with --dkim-selector (they appear as s= in the DKIM-Signature header of a sent message).${tail}`,
    evidence,
    controls: CONTROLS,
    remediation: `; publish the public key of every platform that sends for ${ctx.domain}, e.g.\n${zoneTxt(`<selector>._domainkey.${ctx.domain}`, 'v=DKIM1; k=rsa; p=<base64 public key of a 2048-bit key>')}`,
  });
}

function syntaxFinding(ctx: DomainContext, found: FoundSelector[]): Finding {
  const broken: string[] = [];
  const tolerated: string[] = [];
  for (const s of found) {
    if (s.keys.length > 1)
      tolerated.push(`${s.selector}: ${s.keys.length} key records at one selector; verifiers may pick any`);
    for (const k of s.keys) {
      for (const p of k.problems) broken.push(`${s.selector}: ${p}`);
      for (const w of k.warnings) tolerated.push(`${s.selector}: ${w}`);
    }
  }
  const evidence = { selectors: found.map(selectorEvidence) };
  if (broken.length === 0 && tolerated.length === 0) {
    return finding({
      id: 'dkim.syntax',
      status: 'pass',
      title: 'DKIM key records are well formed',
      detail: 'Every DKIM key record found parses and holds a usable public key.',
      evidence,
      controls: CONTROLS,
    });
  }
  const brokenSelectors = found.filter((s) => s.keys.some((k) => k.problems.length > 0));
  return finding({
    id: 'dkim.syntax',
    status: broken.length > 0 ? 'fail' : 'warn',
    severity: broken.length > 0 ? 'medium' : 'low',
    title:
      broken.length > 0
        ? 'Some DKIM key records are unusable'
        : 'Some DKIM key records deviate from the standard',
    detail: `${[...broken, ...tolerated].join('; ')}.${broken.length > 0 ? ' Verifiers treat mail signed with an unusable key as unsigned.' : ''}`,
    evidence,
    controls: CONTROLS,
    remediation: (brokenSelectors.length > 0 ? brokenSelectors : found)
      .map((s) =>
        zoneTxt(
          `${s.selector}._domainkey.${ctx.domain}`,
          `v=DKIM1; k=${s.keys[0]?.keyType === 'ed25519' ? 'ed25519' : 'rsa'}; p=<base64 public key>`,
          suggestedTtl(s.lookup),
        ),
      )
      .join('\n'),
  });
}

interface KeyVerdict {
  selector: string;
  status: Status;
  severity: Severity;
  text: string;
}

function judgeKey(selector: string, k: DkimKey): KeyVerdict {
  const v = (status: Status, severity: Severity, text: string): KeyVerdict => ({
    selector,
    status,
    severity,
    text,
  });
  if (k.keyType === 'ed25519') return v('pass', 'info', `${selector}: Ed25519`);
  const bits = k.bits ?? 0;
  const label = `${selector}: RSA ${bits} bits`;
  if (bits < DKIM_MIN_RSA_BITS)
    return v(
      'fail',
      'high',
      `${label}, below the ${DKIM_MIN_RSA_BITS}-bit minimum of RFC 8301 (verifiers reject it, and it can be factored)`,
    );
  if (bits === DKIM_MIN_RSA_BITS)
    return v(
      'warn',
      'medium',
      `${label}, the bare minimum; ${DKIM_RECOMMENDED_RSA_BITS} bits is recommended`,
    );
  if (bits < DKIM_RECOMMENDED_RSA_BITS)
    return v('warn', 'low', `${label}, below the recommended ${DKIM_RECOMMENDED_RSA_BITS}`);
  if (bits > RSA_MAX_VERIFIABLE_BITS)
    return v(
      'warn',
      'low',
      `${label}, above the ${RSA_MAX_VERIFIABLE_BITS} bits every verifier must support (RFC 8301)`,
    );
  return v('pass', 'info', label);
}

function newSelectorName(ctx: DomainContext): string {
  const d = ctx.clock();
  return `s${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

function keySizeFinding(ctx: DomainContext, found: FoundSelector[]): Finding | undefined {
  const verdicts: KeyVerdict[] = [];
  for (const s of found) for (const k of s.keys) if (isUsable(k)) verdicts.push(judgeKey(s.selector, k));
  if (verdicts.length === 0) return undefined;
  const worst = verdicts.reduce((a, b) => (statusRank(b.status) > statusRank(a.status) ? b : a));
  const severity = verdicts.reduce<Severity>(
    (a, b) => (severityRank(b.severity) > severityRank(a) ? b.severity : a),
    'info',
  );
  const evidence = { keys: verdicts, selectors: found.map(selectorEvidence) };
  if (worst.status === 'pass') {
    return finding({
      id: 'dkim.key-size',
      status: 'pass',
      title: 'DKIM keys are strong enough',
      detail: `${verdicts.map((x) => x.text).join('; ')}.`,
      evidence,
      controls: CONTROLS,
    });
  }
  const weak = [...new Set(verdicts.filter((x) => x.status !== 'pass').map((x) => x.selector))];
  const fresh = newSelectorName(ctx);
  const remediation = weak
    .map((sel) => {
      const s = found.find((f) => f.selector === sel);
      const name = `${sel}._domainkey.${ctx.domain}`;
      if (s && s.cnames.length > 0) {
        return `; ${absolute(name)} is delegated by CNAME to a provider: rotate to a ${DKIM_RECOMMENDED_RSA_BITS}-bit key in that provider's settings`;
      }
      return [
        `; generate a ${DKIM_RECOMMENDED_RSA_BITS}-bit key (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:${DKIM_RECOMMENDED_RSA_BITS}), publish it, sign with it, then revoke ${sel}:`,
        zoneTxt(
          `${fresh}._domainkey.${ctx.domain}`,
          'v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo of the new key>',
        ),
        zoneTxt(name, 'v=DKIM1; p=', s ? suggestedTtl(s.lookup) : 3600),
      ].join('\n');
    })
    .join('\n');
  return finding({
    id: 'dkim.key-size',
    status: worst.status,
    severity,
    title:
      worst.status === 'fail'
        ? 'A DKIM key is too weak to protect the domain'
        : 'Some DKIM keys are weaker than recommended',
    detail: `${verdicts.map((x) => x.text).join('; ')}. A key that can be factored lets anyone sign mail as the domain.`,
    evidence,
    controls: CONTROLS,
    remediation,
  });
}

function testingFinding(found: FoundSelector[]): Finding | undefined {
  const usable = found.filter((s) => s.keys.some(isUsable));
  if (usable.length === 0) return undefined;
  const testing = usable.filter((s) => s.keys.some((k) => isUsable(k) && k.testing));
  const evidence = {
    selectors: usable.map((s) => ({ selector: s.selector, flags: s.keys.flatMap((k) => k.flags) })),
  };
  if (testing.length === 0) {
    return finding({
      id: 'dkim.testing',
      status: 'pass',
      title: 'No DKIM key is in testing mode',
      detail: 'No key carries t=y, so verifiers treat DKIM failures as failures.',
      evidence,
      controls: CONTROLS,
    });
  }
  return finding({
    id: 'dkim.testing',
    status: 'warn',
    severity: 'low',
    title: 'DKIM keys are in testing mode',
    detail: `t=y is set at ${testing.map((s) => s.selector).join(', ')}: verifiers may treat failing signatures as if the mail were unsigned, so forged signatures do not count against the sender (RFC 6376 §3.6.1).`,
    evidence,
    controls: CONTROLS,
    remediation: testing
      .map((s) => {
        const k = s.keys.find((x) => x.testing);
        const flags = (k?.flags ?? []).filter((f) => f !== 'y');
        const fixed = (k?.text ?? '')
          .split(';')
          .map((part) => part.trim())
          .filter((part) => part !== '')
          .map((part) => (/^t\s*=/.test(part) ? (flags.length > 0 ? `t=${flags.join(':')}` : '') : part))
          .filter((part) => part !== '')
          .join('; ');
        return zoneTxt(s.name, fixed, suggestedTtl(s.lookup));
      })
      .join('\n'),
  });
}
