import type { LogEvent } from './types.js';

type Fields = Partial<LogEvent>;

const POSTFIX_QID = /^(?:([0-9A-F]{5,24}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,20}|NOQUEUE): )/;
/** Postfix `key=value` pairs; a value is <...>, or runs to ", " / end. */
const KV = /(?:^|[ ,])([a-z_-]+)=(<[^>]*>|[^, ]*(?: \([^)]*\))?)/g;

function angle(v: string): string {
  return v.startsWith('<') && v.endsWith('>') ? v.slice(1, -1) : v;
}

/** `name[addr]` or `name[addr]:port` into host and IP. */
function hostAddr(v: string): { host: string; ip?: string } {
  const m = /^([^[\s]*)\[([^\]]*)\](?::\d+)?$/.exec(v);
  if (!m) return { host: v };
  return { host: m[1]!, ip: m[2]! };
}

/** Fields of a Postfix message (after "postfix/daemon[pid]: "). */
export function postfixFields(msg: string): Fields {
  const f: Fields = { source: 'postfix' };
  let rest = msg;
  const q = POSTFIX_QID.exec(msg);
  if (q) {
    f.queueId = q[1]!;
    rest = msg.slice(q[0].length);
  }
  const conn =
    /^(?:connect|disconnect|lost connection after \w+|timeout after \w+) from ([^\s[]+\[[^\]]+\])/.exec(rest);
  if (conn) {
    const h = hostAddr(conn[1]!);
    f.clientHost = h.host;
    if (h.ip) f.clientIp = h.ip;
    f.event = rest.startsWith('connect') ? 'connect' : 'disconnect';
  }
  const reject =
    /^(reject|discard|hold|warning|filter|redirect|info): (RCPT|MAIL|DATA|END-OF-MESSAGE|CONNECT|EHLO|HELO|VRFY|ETRN|header|body)\b(?: from ([^\s[]+\[[^\]]+\]))?/.exec(
      rest,
    );
  if (reject) {
    f.event = reject[1];
    if (reject[3]) {
      const h = hostAddr(reject[3]);
      f.clientHost = h.host;
      if (h.ip) f.clientIp = h.ip;
    }
    if (reject[2] === 'header' || reject[2] === 'body') {
      const s = /^\w+: header Subject: (.*?) from [^\s[]*\[[^\]]*\];/.exec(rest);
      if (s) f.subject = s[1]!;
    } else {
      const code = /: (\d{3}) (\d\.\d{1,3}\.\d{1,3}) /.exec(rest);
      if (code) f.dsn = code[2]!;
    }
  }
  for (const m of rest.matchAll(KV)) {
    const key = m[1]!;
    const raw = m[2]!;
    switch (key) {
      case 'from':
        f.from = angle(raw);
        break;
      case 'to':
        (f.to ??= []).push(angle(raw));
        break;
      case 'orig_to':
        f.origTo = angle(raw);
        break;
      case 'client': {
        const h = hostAddr(raw);
        f.clientHost = h.host;
        if (h.ip) f.clientIp = h.ip;
        break;
      }
      case 'relay':
        f.relay = raw;
        break;
      case 'message-id':
        f.messageId = angle(raw);
        break;
      case 'sasl_username':
        f.saslUsername = raw;
        break;
      case 'sasl_method':
        f.saslMethod = raw;
        break;
      case 'status': {
        f.status = raw.split(' ')[0]!;
        break;
      }
      case 'dsn':
        f.dsn = raw;
        break;
      case 'delay':
        f.delay = Number(raw);
        break;
      case 'delays':
        f.delays = raw.split('/').map(Number);
        break;
      case 'size':
        f.size = Number(raw);
        break;
    }
  }
  return f;
}

/** Fields of a Dovecot message ("imap-login: Login: user=<..>, rip=..", "imap(user): ...", "auth: pam(user,ip)"). */
export function dovecotFields(msg: string, program: string): Fields {
  const f: Fields = { source: 'dovecot' };
  let rest = msg;
  // Dovecot's own log file and "dovecot: " syslog lines carry the service inside the message.
  const svc = /^([a-z0-9-]+(?:\([^)]*\))?(?:<[^>]*>)*): (?:(?:Info|Warning|Error|Fatal|Panic|Debug): )?/.exec(
    rest,
  );
  let service: string | undefined = program.startsWith('dovecot/') ? program.slice(8) : undefined;
  if (svc && !['Info', 'Warning', 'Error', 'Fatal', 'Panic', 'Debug'].includes(svc[1]!)) {
    service = svc[1]!;
    rest = rest.slice(svc[0].length);
  }
  if (service) {
    const s = /^([a-z0-9-]+)(?:\(([^)]*)\))?/.exec(service);
    if (s) {
      f.service = s[1]!.replace(/-login$/, '');
      if (s[2] && !/^\d+$/.test(s[2])) f.loginUser = s[2];
    }
  }
  const auth = /\b[a-z0-9_-]+\(([^,()]+),([0-9a-fA-F:.]+)(?:,<[^>]*>)?\)/.exec(rest);
  if (auth) {
    f.loginUser = auth[1]!;
    f.loginIp = auth[2]!;
  }
  const user = /\buser=<([^>]*)>/.exec(rest);
  if (user) f.loginUser = user[1]!;
  const rip = /\brip=([0-9a-fA-F:.]+)/.exec(rest);
  if (rip) f.loginIp = rip[1]!;
  const ev = /^(Login|Disconnected|Logged out|Connection closed|Aborted login)/.exec(rest);
  if (ev) f.event = ev[1]!.toLowerCase();
  if (/auth failed|password mismatch|unknown user|authentication failure/i.test(rest))
    f.status = 'auth-failed';
  else if (ev?.[1] === 'Login') f.status = 'ok';
  return f;
}

/** Fields of a Sendmail message ("QID: from=<..>, size=.., relay=host [ip]" / "QID: to=.., stat=Sent"). */
export function sendmailFields(msg: string): Fields {
  const f: Fields = { source: 'sendmail' };
  const q = /^([0-9A-Za-z]{14}): /.exec(msg);
  const rest = q ? msg.slice(q[0].length) : msg;
  if (q) f.queueId = q[1]!;
  for (const m of rest.matchAll(/(?:^|, )([a-z_]+)=(<[^>]*>|[^,]*)/g)) {
    const key = m[1]!;
    const v = m[2]!.trim();
    if (key === 'from') f.from = angle(v);
    else if (key === 'to') f.to = v.split(',').map((s) => angle(s.trim()));
    else if (key === 'arg1' && !f.to) f.to = [angle(v)];
    else if (key === 'msgid') f.messageId = angle(v);
    else if (key === 'size') f.size = Number(v);
    else if (key === 'dsn') f.dsn = v;
    else if (key === 'stat') f.status = v.split(' ')[0]!.toLowerCase();
    else if (key === 'reject') f.status = 'reject';
    else if (key === 'authid') f.saslUsername = v;
    else if (key === 'relay') {
      f.relay = v;
      const h = /^(\S*?)\s*\[([0-9a-fA-F:.]+)\]/.exec(v);
      if (h) {
        if (h[1]) f.clientHost = h[1];
        f.clientIp = h[2]!;
      }
    }
  }
  return f;
}

const EXIM_ID = /^((?:[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}))\s+/;

/** Fields of an Exim mainlog body (after the timestamp and optional [pid]). */
export function eximFields(msg: string): Fields {
  const f: Fields = { source: 'exim' };
  let rest = msg;
  const id = EXIM_ID.exec(rest);
  if (id) {
    f.queueId = id[1]!;
    rest = rest.slice(id[0].length);
  }
  const ev = /^(<=|=>|->|>>|\*>|\*\*|==|Completed)\s*(\S*)/.exec(rest);
  if (ev) {
    f.event = ev[1]!;
    const addr = ev[2] ?? '';
    if (ev[1] === '<=') f.from = addr === '<>' ? '' : addr;
    else if (ev[1] !== 'Completed' && addr) f.to = [addr.replace(/:$/, '')];
    if (ev[1] === '=>' || ev[1] === '->') f.status = 'sent';
    else if (ev[1] === '**') f.status = 'bounced';
    else if (ev[1] === '==') f.status = 'deferred';
  }
  const h = /\bH=(\S+)?(?: \([^)]*\))? \[([0-9a-fA-F:.]+)\](?::\d+)?/.exec(rest);
  if (h) {
    if (h[1] && !h[1].startsWith('(') && !h[1].startsWith('[')) f.clientHost = h[1];
    f.clientIp = h[2]!;
  } else {
    const a = /(?<!\()\[([0-9a-fA-F:.]+)\](?::\d+)?/.exec(rest);
    if (a && / for | from |authenticator failed|rejected/.test(rest)) f.clientIp = a[1]!;
  }
  const idm = /\bid=(\S+)/.exec(rest);
  if (idm) f.messageId = idm[1]!;
  const auth = /\bA=[a-z0-9_]+:(\S+)/i.exec(rest);
  if (auth) f.saslUsername = auth[1]!;
  const size = /\bS=(\d+)/.exec(rest);
  if (size) f.size = Number(size[1]);
  const relay = /\bT=\S+ H=(\S+ \[[^\]]+\])/.exec(rest);
  if (relay && f.event !== '<=') f.relay = relay[1]!;
  const setId = /\(set_id=([^)]+)\)/.exec(rest);
  if (setId) f.saslUsername = setId[1]!;
  return f;
}
