/**
 * Test messages for the IMAP data subject tests: every fourth is about ann@x.org (in turn in a
 * header, only in a base64 body, only in an encoded word), every ninth other one names joann@x.org,
 * which must not match.
 */
export function subjectMessage(
  i: number,
  opts: { messageId: string; to: string; filler?: string },
): { text: string; about: boolean } {
  const head = [`Message-ID: <${opts.messageId}>`, `Subject: m${i}`, `To: ${opts.to}`];
  const filler = opts.filler ?? '';
  const v = i % 12;
  if (v === 0)
    return {
      about: true,
      text: [...head, 'From: Ann <ANN@x.org>', '', `hi ${i}${filler}`, ''].join('\r\n'),
    };
  if (v === 4)
    return {
      about: true,
      text: [
        ...head,
        'From: bob@y.org',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from(`mail ann+x@x.org (${i})${filler}`).toString('base64'),
        '',
      ].join('\r\n'),
    };
  if (v === 8)
    return {
      about: true,
      text: [
        ...head,
        'From: bob@y.org',
        `Cc: =?UTF-8?B?${Buffer.from('Ann <ann@x.org>').toString('base64')}?=`,
        '',
        'x',
        '',
      ].join('\r\n'),
    };
  if (i % 9 === 0)
    return { about: false, text: [...head, 'From: joann@x.org', '', `joann${filler}`, ''].join('\r\n') };
  return { about: false, text: [...head, 'From: carol@z.org', '', `other ${i}${filler}`, ''].join('\r\n') };
}
