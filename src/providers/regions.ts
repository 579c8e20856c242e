/**
 * Where a country stands for GDPR Chapter V: inside the EEA, covered by an adequacy decision
 * (Art. 45), or a third country needing Art. 46 safeguards. The United States is a third country
 * except for organisations certified under the EU-U.S. Data Privacy Framework (Decision 2023/1795).
 */

/** EU member states plus Iceland, Liechtenstein and Norway. */
export const EEA_COUNTRIES: ReadonlySet<string> = new Set(
  'AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO'.split(' '),
);

/** Countries with a general Commission adequacy decision (Canada: commercial organisations under PIPEDA). */
export const ADEQUACY_COUNTRIES: ReadonlySet<string> = new Set(
  'AD AR CA FO GG IL IM JP JE NZ KR CH GB UY'.split(' '),
);

export type Region = 'eea' | 'adequacy' | 'third-country' | 'unknown';

/** The Chapter V region of an ISO 3166-1 alpha-2 code, or `unknown`. */
export function regionOf(country: string): Region {
  const c = country.toUpperCase();
  if (EEA_COUNTRIES.has(c)) return 'eea';
  if (ADEQUACY_COUNTRIES.has(c)) return 'adequacy';
  if (/^[A-Z]{2}$/.test(c)) return 'third-country';
  return 'unknown';
}
