/** RFC 7208 §4.6.4: at most 10 mechanisms/modifiers that cause DNS lookups. */
export const SPF_MAX_DNS_LOOKUPS = 10;
/** RFC 7208 §4.6.4: at most 2 lookups returning no answer (void lookups). */
export const SPF_MAX_VOID_LOOKUPS = 2;
/** RFC 7208 §4.6.4: at most 10 MX/PTR names are looked at per mechanism. */
export const SPF_MAX_MX_PTR_NAMES = 10;
/** A hard stop on the include tree, well past the legal 10, so hostile trees cannot run away. */
export const SPF_MAX_TREE_NODES = 500;
/** SPF authorising more IPv4 space than a /16 is treated as overly broad. */
export const SPF_BROAD_IPV4_ADDRESSES = 65_536;
/** RFC 1035: a domain name is at most 253 octets in presentation form (255 on the wire). */
export const DNS_MAX_NAME_LENGTH = 253;
/** RFC 1035: a label is at most 63 octets. */
export const DNS_MAX_LABEL_LENGTH = 63;
/** EDNS0 UDP payload we advertise: the DNS flag day 2020 recommendation. */
export const DNS_EDNS_UDP_SIZE = 1232;
/** Default per-query timeout and retries for the resolver client. */
export const DNS_DEFAULT_TIMEOUT_MS = 2_000;
export const DNS_DEFAULT_RETRIES = 2;
/** TXT answers bigger than this are reported, not parsed further (hostile or broken zones). */
export const DNS_MAX_TXT_BYTES = 65_535;
/** Default number of domains scanned at once. */
export const SCAN_DEFAULT_CONCURRENCY = 32;
/** Default whole-domain scan timeout. */
export const SCAN_DEFAULT_TIMEOUT_S = 30;
/** RSA DKIM keys below this many bits fail (RFC 8301); at exactly 1024 they warn. */
export const DKIM_MIN_RSA_BITS = 1024;
export const DKIM_RECOMMENDED_RSA_BITS = 2048;
/** MX targets looked up per domain: each costs two queries, and dozens mean a broken or hostile zone. */
export const MX_MAX_HOSTS_RESOLVED = 16;
/** DKIM selectors probed per domain (common list plus user-supplied): each costs a query. */
export const DKIM_MAX_SELECTORS = 64;
/** External DMARC report destinations verified per record (RFC 7489 §7.1): each costs a query. */
export const DMARC_MAX_EXTERNAL_DESTINATIONS = 8;
/** CNAME hops followed in one answer; real chains are 1–3 long, longer ones are loops or abuse. */
export const DNS_MAX_CNAME_CHAIN = 16;
/** Port-0 lab DNS: the OS picks the UDP port; TCP on the same number may be taken, so retry a few times. */
export const LAB_DNS_BIND_ATTEMPTS = 8;
/** Idle TCP connections to the lab resolver are closed after this long, so none outlive a test. */
export const LAB_DNS_TCP_IDLE_MS = 10_000;
/** SMTP reply lines longer than this end the probe: RFC 5321 §4.5.3.1.5 allows 512 octets; 4 KiB tolerates sloppy servers. */
export const SMTP_MAX_REPLY_LINE = 4096;
/** Lines in one multi-line SMTP reply; real EHLO replies have ~15, so more is a hostile or broken peer. */
export const SMTP_MAX_REPLY_LINES = 100;
/** Bytes a peer may send ahead of what we asked for before the probe gives up (pipelined junk, floods). */
export const SMTP_MAX_BUFFERED_BYTES = 65_536;
/** Default SMTP probe phase timeouts (ms). The banner one allows for postscreen's ~6 s greet delay. */
export const SMTP_CONNECT_TIMEOUT_MS = 5_000;
export const SMTP_BANNER_TIMEOUT_MS = 12_000;
export const SMTP_COMMAND_TIMEOUT_MS = 10_000;
export const SMTP_TLS_TIMEOUT_MS = 10_000;
export const SMTP_QUIT_TIMEOUT_MS = 2_000;
/** Certificates expiring within this many days warn: time for one failed automatic renewal to be noticed. */
export const SMTP_CERT_EXPIRY_WARN_DAYS = 14;
/** RSA certificate keys below this warn (NIST SP 800-57: 112-bit security), below the minimum they fail. */
export const SMTP_CERT_RECOMMENDED_RSA_BITS = 2048;
export const SMTP_CERT_MIN_RSA_BITS = 1024;
/** Certificates followed up a presented chain; real chains are 2–4 long. */
export const SMTP_MAX_CHAIN_LENGTH = 10;
/** RFC 8461 §3.3: senders read at most 64 KiB of an MTA-STS policy; we stop reading there too. */
export const MTA_STS_MAX_POLICY_BYTES = 65_536;
/** RFC 8461 §3.2: max_age is at most 31557600 seconds (about one year). */
export const MTA_STS_MAX_AGE_MAX_S = 31_557_600;
/** Below a day, a policy expires between a sender's visits and protects little; such max_age fails. */
export const MTA_STS_MAX_AGE_MIN_S = 86_400;
/** Below a week, max_age warns: RFC 8461 §3.2 suggests weeks or more so policies survive DNS attacks. */
export const MTA_STS_MAX_AGE_RECOMMENDED_S = 604_800;
/** Problems listed per policy, so 64 KiB of garbage yields a short finding rather than thousands of lines. */
export const MTA_STS_MAX_REPORTED_PROBLEMS = 20;
/** Whole-fetch deadline for an MTA-STS policy (DNS, connect, TLS, HTTP); real servers answer in well under a second. */
export const MTA_STS_FETCH_TIMEOUT_MS = 10_000;
/** SPF authorising this much IPv4 space (a /8) or more is as good as no restriction: fail, not warn. */
export const SPF_VERY_BROAD_IPV4_ADDRESSES = 16_777_216;
/** Records fetched at once while walking an SPF include tree: quick on wide trees, gentle on resolvers. */
export const SPF_TREE_CONCURRENCY = 8;
/** Queries in flight per client UDP socket before another is opened (spreads bursts over receive buffers). */
export const DNS_UDP_QUERIES_PER_SOCKET = 128;
/** Upper bound on UDP sockets one resolver client opens per address family. */
export const DNS_UDP_MAX_SOCKETS = 16;
/** Receive buffer asked for on resolver and lab DNS sockets; the kernel caps it at net.core.rmem_max. */
export const DNS_UDP_RECV_BUFFER_BYTES = 4 * 1024 * 1024;
/** Capability keywords kept per listing: Dovecot lists ~30; more is a hostile peer padding the evidence. */
export const ACCESS_MAX_CAPABILITIES = 128;
/** Access ports of one address probed at once: gentle on the server and on intrusion detection watching it. */
export const ACCESS_PER_IP_CONNECTIONS = 2;
/** Postfix config logical lines longer than this are cut: real ones are a few kB, hostile ones unbounded. */
export const POSTFIX_MAX_LOGICAL_LINE = 65_536;
/** `$name` expansion depth and output size caps, so self-referencing or exploding values terminate. */
export const POSTFIX_MAX_EXPANSION_DEPTH = 100;
export const POSTFIX_MAX_EXPANSION_LENGTH = 1_000_000;
/** Bounces quoting more than this many bytes of the original message echo its body, not only headers. */
export const POSTFIX_BOUNCE_SIZE_RECOMMENDED = 10_000;
/** `postconf -d` / `doveconf -n` must answer within this time or the audit uses its built-in table. */
export const MTA_TOOL_TIMEOUT_MS = 10_000;
/** Config files above this size are not read whole (a main.cf is kilobytes; this is a wrong path). */
export const MTA_MAX_CONFIG_BYTES = 16 * 1024 * 1024;
/** `!include` depth for Dovecot configs: real configs nest two levels; loops stop here. */
export const DOVECOT_MAX_INCLUDE_DEPTH = 16;
/** Bounce analysis reads a message at most this big; larger ones are reported, not parsed (memory bound). */
export const BOUNCE_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
/** MIME nesting followed in bounce analysis: real DSNs nest 2–4 deep, a hostile message 100+. */
export const BOUNCE_MAX_MIME_DEPTH = 16;
/** MIME parts visited per message; real bounces have under 10, thousands mean a bomb. */
export const BOUNCE_MAX_MIME_PARTS = 500;
/** One header field longer than this is cut (and reported): RFC 5322 allows 998 octets per line. */
export const BOUNCE_MAX_HEADER_BYTES = 64 * 1024;
/** Matches kept per finding, so a message full of addresses yields a short finding. */
export const BOUNCE_MAX_MATCHES = 20;
/** Decoded header values are cut here before matching: real fields are < 1 KiB, 1 MB lines are hostile. */
export const MESSAGE_MAX_DECODED_FIELD_CHARS = 65_536;
/** A header block larger than this is not buffered whole (analysis reports it; the sanitiser passes it through). */
export const MESSAGE_MAX_HEADER_BYTES = 4 * 1024 * 1024;
/** Header fields per message kept for analysis; real messages have < 100, more is a flood. */
export const MESSAGE_MAX_HEADER_FIELDS = 10_000;
/** Largest milter packet accepted: Postfix sends a header (≤ header_size_limit, 100 KiB) whole; 1 MiB is Sendmail's largest body chunk (SMFIP_MDS_1M). */
export const MILTER_MAX_FRAME_BYTES = 1024 * 1024 + 64;
/** Header bytes buffered per message in the milter; past this the message gets the on-error action. */
export const MILTER_MAX_HEADER_BYTES = 4 * 1024 * 1024;
/** Header fields buffered per message in the milter; real messages have < 100. */
export const MILTER_MAX_HEADER_FIELDS = 10_000;
/** Macros held per milter connection; Postfix sends about 20, so thousands mean a hostile peer. */
export const MILTER_MAX_MACROS = 1_000;
/** A milter connection silent this long is closed; Postfix's own milter_content_timeout is 300 s. */
export const MILTER_IDLE_TIMEOUT_MS = 600_000;
/** MX hosts whose TLSA records the MTA-STS resolver checks per domain: each costs a query. */
export const STS_RESOLVER_MAX_MX = 8;
/** Postfix's socketmap client gives up after 100 s (dict_sockmap.c); an uncached answer waits at most this, far below. */
export const STS_RESOLVER_ANSWER_TIMEOUT_MS = 5_000;
/** Cached domains are rediscovered in the background after this long (RFC 8461 §5.1: refresh before expiry). */
export const STS_RESOLVER_REFRESH_AFTER_MS = 3_600_000;
/** Socketmap requests are `name domain`; a domain is at most 253 bytes, so 1 KiB is generous. */
export const STS_SOCKETMAP_MAX_REQUEST_BYTES = 1_024;
/** Postfix closes idle socketmap connections after 10 s; ours wait a little longer before giving up on them. */
export const STS_SOCKETMAP_IDLE_MS = 30_000;
/** Discoveries running at once in the background refresh, gentle on resolvers and policy hosts. */
export const STS_RESOLVER_REFRESH_CONCURRENCY = 8;
/** Entries per anonymiser cache (pseudonyms, IPs, host names): hot values repeat far more often; keeps peak RSS low. */
export const LOG_ANON_CACHE_ENTRIES = 50_000;
/** A log "line" longer than this is cut and processed in pieces, so a file without newlines cannot exhaust memory. */
export const LOG_MAX_LINE_BYTES = 8 * 1024 * 1024;
/** Bytes read per chunk (and per worker block) by the log anonymiser: large enough to amortise per-call costs, small enough for bounded memory. */
export const LOG_CHUNK_BYTES = 1024 * 1024;
/** Lines sampled at the start of a log file to detect its format. */
export const LOG_DETECT_SAMPLE_LINES = 50;
/** TLS-RPT inputs (report files, emails) larger than this are skipped: real daily reports are kilobytes. */
export const TLSRPT_MAX_INPUT_BYTES = 10 * 1024 * 1024;
/** A gzip report may inflate to at most this: a gzip bomb stops here instead of filling memory. */
export const TLSRPT_MAX_REPORT_BYTES = 50 * 1024 * 1024;
/** Files read from one directory tree (a Maildir of reports); more is reported, not read. */
export const TLSRPT_MAX_FILES = 100_000;
/** Socketmap connections at once: Postfix opens one per smtp process (default_process_limit 100). */
export const STS_SOCKETMAP_MAX_CONNECTIONS = 2_048;
/** How long an evidence append waits for another writer's lock before giving up (a retention run appends once). */
export const EVIDENCE_LOCK_WAIT_MS = 10_000;
/** An evidence lock older than this is a crashed writer's: appends take a few milliseconds. */
export const EVIDENCE_LOCK_STALE_MS = 120_000;
/** A stored message larger than this is reported, not searched: one item must not exhaust memory. */
export const DSAR_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** MIME nesting searched in a message; deeper is hostile or broken. */
export const DSAR_MAX_MIME_DEPTH = 20;
/** MIME parts searched in one message; beyond this the rest is reported as not searched. */
export const DSAR_MAX_MIME_PARTS = 2_000;
/** Bytes of a message read to find its Date: header for retention: headers rarely pass 64 KiB, bodies are never read. */
export const RETENTION_HEADER_BYTES = 64 * 1024;
/** Files examined per retention store: more is reported as an error rather than planned blindly. */
export const RETENTION_MAX_FILES_PER_STORE = 1_000_000;
/** How long erase waits for another process's mbox dotlock before reporting the mailbox as locked. */
export const MBOX_DOTLOCK_WAIT_MS = 10_000;
/** An mbox dotlock untouched this long is stale: Dovecot's mbox_dotlock_change_timeout default (2 min). */
export const MBOX_DOTLOCK_STALE_MS = 120_000;
/** Files a retention plan or apply reads at once: hides per-file latency without exhausting descriptors. */
export const RETENTION_IO_CONCURRENCY = 16;
