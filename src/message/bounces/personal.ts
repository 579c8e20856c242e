/** Why an out-of-office phrase matters: health is special-category data (Art. 9), the rest is private life. */
export type CircumstanceKind = 'health' | 'family' | 'private-life' | 'private-phone';

/** One personal circumstance found in an automatic reply. */
export interface CircumstanceMatch {
  kind: CircumstanceKind;
  phrase: string;
  start: number;
  end: number;
}

const W = (words: string[]): RegExp =>
  new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.join('|')})(?![\\p{L}\\p{N}])`, 'giu');

// English, German, French, Spanish, Italian, Dutch, Portuguese, Scandinavian and Polish wording.
const HEALTH = W([
  'sick(?:ness)?(?: leave)?',
  'on sick leave',
  'ill(?:ness)?',
  'unwell',
  'medical (?:leave|treatment|reasons|appointment)',
  'hospital(?:i[sz]ed)?',
  'in (?:the )?hospital',
  'surgery',
  'an operation',
  'recovering',
  'injur(?:y|ed)',
  'pregnan(?:t|cy)',
  'krank(?:geschrieben|heit|enhaus|heitsbedingt)?',
  'arbeitsunfähig',
  'kur',
  'reha',
  'operation (?:am|an)',
  'schwanger(?:schaft)?',
  'arr[êe]t maladie',
  'malade',
  'maladie',
  'h[ôo]pital',
  'hospitalis[ée]e?',
  'enceinte',
  'enferm[oa]',
  'enfermedad',
  'baja (?:médica|por enfermedad)',
  'incapacidad temporal',
  'embarazada',
  'malat(?:o|a|tia)',
  'ospedale',
  'ricoverat[oa]',
  'ziek(?:te|enhuis|gemeld)?',
  'zwanger',
  'doente',
  'baixa médica',
  'sjuk(?:skriven|ledig|hus)?',
  'syg(?:emeldt|dom)?',
  'sykmeldt',
  'chor(?:y|a|oba)',
  'zwolnienie lekarskie',
  'szpital(?:u)?',
]);

const FAMILY = W([
  'maternity leave',
  'paternity leave',
  'parental leave',
  'bereavement(?: leave)?',
  'funeral',
  'death in (?:the|my) family',
  'passed away',
  'family emergency',
  'mutterschutz',
  'elternzeit',
  'beerdigung',
  'trauerfall',
  'todesfall',
  'congé (?:de )?(?:maternité|paternité|parental)',
  'décès',
  'obsèques',
  'baja (?:de|por) (?:maternidad|paternidad)',
  'permiso (?:de|por) (?:maternidad|paternidad)',
  'fallecimiento',
  'congedo (?:di )?(?:maternità|paternità|parentale)',
  'lutto',
  'zwangerschapsverlof',
  'ouderschapsverlof',
  'bevallingsverlof',
  'begrafenis',
  'licença (?:de )?(?:maternidade|paternidade)',
  'föräldraledig',
  'barselsorlov',
  'mammaledig',
  'urlop (?:macierzyński|rodzicielski|ojcowski)',
  'pogrzeb',
]);

const PRIVATE_LIFE = W([
  'wedding',
  'honeymoon',
  'jury duty',
  'rehab(?:ilitation)?',
  'court hearing',
  'hochzeit',
  'flitterwochen',
  'mariage',
  'lune de miel',
  'boda',
  'luna de miel',
  'matrimonio',
  'bruiloft',
  'huwelijksreis',
  'casamento',
  'bröllop',
  'ślub',
  'podróż poślubna',
]);

const PHONE_LABEL =
  /(?<![\p{L}])(private?|personal|home|mobile|cell(?:phone)?|handy|privat|mobil(?:e|nummer)?|portable|perso|móvil|celular|cellulare|privé|privato|prywatny|komórka|gsm|whatsapp)(?![\p{L}])[^\d+\n]{0,24}(\+?\(?\d[\d \t/().-]{5,}\d)/giu;

/** Every personal circumstance disclosed in a reply text: reasons for absence and private numbers. */
export function findCircumstances(text: string): CircumstanceMatch[] {
  const out: CircumstanceMatch[] = [];
  const scan = (kind: CircumstanceKind, re: RegExp): void => {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) {
      out.push({ kind, phrase: m[0], start: m.index, end: m.index + m[0].length });
    }
  };
  scan('health', HEALTH);
  scan('family', FAMILY);
  scan('private-life', PRIVATE_LIFE);
  scan('private-phone', PHONE_LABEL);
  return out.sort((a, b) => a.start - b.start);
}
