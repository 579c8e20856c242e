import { chmodSync, chownSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startDaemon, waitUntil, type Daemon } from './daemon.js';
import { freeLoopbackPort } from './ports.js';

/** A private Dovecot IMAP server on loopback, one Maildir per user under `dir/home/<user>`. */
export interface DovecotInstance {
  daemon: Daemon;
  host: string;
  port: number;
  /** imap://user@127.0.0.1:port/ */
  url(user: string): string;
  /** The Maildir root of a user. */
  maildir(user: string): string;
  /** Gives files written into a Maildir to the mail uid, as Dovecot's own deliveries would be. */
  chownMail(path: string): void;
  stop(): Promise<void>;
}

/** Mail files belong to this uid: Dovecot refuses root, and `nobody` exists everywhere. */
const MAIL_UID = 65534;
const MAIL_GID = 65534;

function chownTree(path: string): void {
  chownSync(path, MAIL_UID, MAIL_GID);
  if (statSync(path).isDirectory()) for (const n of readdirSync(path)) chownTree(join(path, n));
}

/**
 * Starts `dovecot -F -c FILE` with IMAP only, plaintext login (the client connects from the server's
 * own address, which Dovecot treats as secure anyway), a passwd-file of `users` and Maildir++ stores.
 */
export async function startDovecot(dir: string, users: Record<string, string>): Promise<DovecotInstance> {
  const host = '127.0.0.1';
  const port = await freeLoopbackPort(host);
  // The mail processes run as the mail uid and must reach the homes inside this (mkdtemp 0700) folder.
  chmodSync(dir, 0o755);
  for (const d of ['run', 'state', 'home']) mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
  writeFileSync(
    join(dir, 'passwd'),
    Object.entries(users)
      .map(([u, p]) => `${u}:{PLAIN}${p}::::::`)
      .join('\n') + '\n',
  );
  for (const u of Object.keys(users)) {
    const home = join(dir, 'home', u);
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(home, 'Maildir', sub), { recursive: true });
    chownTree(home);
  }
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    `protocols = imap
listen = ${host}
base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
log_path = ${join(dir, 'dovecot.log')}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${join(dir, 'passwd')}
}
userdb {
  driver = static
  args = uid=${MAIL_UID} gid=${MAIL_GID} home=${join(dir, 'home')}/%u
}
namespace inbox {
  inbox = yes
  separator = .
}
service imap-login {
  inet_listener imap {
    address = ${host}
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
}
`,
  );
  const daemon = startDaemon('dovecot', 'dovecot', ['-F', '-c', conf], dir, join(dir, 'dovecot.stdout'));
  await waitUntil(
    'the IMAP port',
    () =>
      new Promise<boolean>((resolve) => {
        const s = connect(port, host);
        s.once('data', (d) => {
          s.destroy();
          resolve(d.toString().startsWith('* OK'));
        });
        s.once('error', () => resolve(false));
      }),
    daemon,
  );
  return {
    daemon,
    host,
    port,
    url: (user) => `imap://${encodeURIComponent(user)}@${host}:${port}/`,
    maildir: (user) => join(dir, 'home', user, 'Maildir'),
    chownMail: chownTree,
    stop: () => daemon.stop(),
  };
}
