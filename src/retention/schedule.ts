/** Unit files and a cron line that run `retention apply` daily, for the administrator to install. */

/** Options for the printed schedule. */
export interface ScheduleOptions {
  /** Absolute path of the mailcomply executable. */
  bin: string;
  /** Absolute path of mailcomply.yaml. */
  config: string;
  /** systemd OnCalendar expression (default: daily at 03:30). */
  onCalendar?: string;
  /** User the job runs as (needs to own or be allowed to delete the stores; root for postsuper). */
  user?: string;
}

/** Quotes an argument for systemd ExecStart and for sh alike (single quotes, no expansion). */
function quote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const command = (o: ScheduleOptions): string =>
  [o.bin, '--config', o.config, 'retention', 'apply', '--yes', '--quiet'].map(quote).join(' ');

/** A `mailcomply-retention.service` and `mailcomply-retention.timer` pair, hardened. */
export function systemdUnits(o: ScheduleOptions): { service: string; timer: string } {
  const service = `# /etc/systemd/system/mailcomply-retention.service
[Unit]
Description=mailcomply retention: purge or pseudonymise mail data past its retention period
After=local-fs.target

[Service]
Type=oneshot
User=${o.user ?? 'root'}
ExecStart=${command(o)}
# Exit 3 (operational) or a per-item error fails the unit, so it shows in systemctl --failed.
Nice=10
IOSchedulingClass=idle
PrivateTmp=yes
PrivateNetwork=yes
NoNewPrivileges=yes
# /usr, /boot and /etc read-only; mail stores under /var and /home stay writable.
ProtectSystem=full
`;
  const timer = `# /etc/systemd/system/mailcomply-retention.timer
[Unit]
Description=Daily mailcomply retention run

[Timer]
OnCalendar=${o.onCalendar ?? '*-*-* 03:30:00'}
RandomizedDelaySec=15m
Persistent=true

[Install]
WantedBy=timers.target
`;
  return { service, timer };
}

/** One /etc/cron.d line (with user field), daily at 03:30. */
export function cronLine(o: ScheduleOptions): string {
  return `# /etc/cron.d/mailcomply-retention\n30 3 * * * ${o.user ?? 'root'} ${command(o)}\n`;
}
