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
