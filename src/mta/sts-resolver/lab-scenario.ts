/**
 * A small lab for the resolver's tests and benchmark: one domain per verdict, each MX on its own
 * loopback address so a real MTA can be routed to it by address.
 */
import { parseScenario, type Scenario } from '../../lab/scenario.js';

/** Domains of the resolver lab and the verdict each must give. */
export const STS_LAB_DOMAINS = {
  enforce: 'sts-good.example',
  wrongName: 'sts-badname.example',
  testing: 'sts-testing.example',
  dane: 'sts-dane.example',
  absent: 'sts-absent.example',
} as const;

function zone(name: string, address: string, extra: string): string {
  return `  - name: ${name}
    records: |
      @                    MX   10 mx
      mx                   A    ${address}
      mta-sts              A    ${address}
${extra}`;
}

const YAML = `description: MTA-STS resolver lab
zones:
${zone(
  STS_LAB_DOMAINS.enforce,
  '127.0.0.31',
  `      _mta-sts             TXT  "v=STSv1; id=good1"
    smtp: { mx: valid }
    mtaSts: policy
`,
)}
${zone(
  STS_LAB_DOMAINS.wrongName,
  '127.0.0.32',
  `      _mta-sts             TXT  "v=STSv1; id=bad1"
    smtp: { mx: wrong-name }
    mtaSts: policy
`,
)}
${zone(
  STS_LAB_DOMAINS.testing,
  '127.0.0.33',
  `      _mta-sts             TXT  "v=STSv1; id=test1"
    smtp: { mx: valid }
    mtaSts:
      behaviour: policy
      policy: "version: STSv1\\r\\nmode: testing\\r\\nmx: mx.${STS_LAB_DOMAINS.testing}\\r\\nmax_age: 86400\\r\\n"
`,
)}
${zone(
  STS_LAB_DOMAINS.dane,
  '127.0.0.34',
  `      _mta-sts             TXT  "v=STSv1; id=dane1"
    signed: true
    smtp:
      mx: { profile: valid, tlsa: match }
    mtaSts: policy
`,
)}
${zone(
  STS_LAB_DOMAINS.absent,
  '127.0.0.35',
  `    smtp: { mx: valid }
`,
)}`;

/** The resolver lab scenario, for `startLab({ scenario })`. */
export function stsLabScenario(): Scenario {
  return parseScenario(YAML, 'sts-resolver lab');
}
