import { createLabCa } from '../src/lab/ca.js';
import { startPolicyHttps, serve } from '../test/unit/support/policy-https.js';
import { connect } from 'node:net';
import { connect as tlsConnect, rootCertificates, checkServerIdentity } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
const mode = process.argv[2];
const ca = await createLabCa();
const https = await startPolicyHttps({ 'mta-sts.good.test': { cert: 'wrong-name', handle: serve('version: STSv1\n') } }, ca);
const raw = connect(https.port, '127.0.0.1');
await once(raw, 'connect');
const tls = tlsConnect({ socket: raw, servername: 'mta-sts.good.test', ca: mode.includes('roots') ? [...rootCertificates, ca.certPem] : [ca.certPem], rejectUnauthorized: false, ALPNProtocols: mode.includes('alpn') ? ['http/1.1'] : undefined });
await once(tls, 'secureConnect');
const peer = tls.getPeerCertificate(true);
if (mode.includes('x509')) { const x = new X509Certificate(peer.raw); console.log(x.subject, x.publicKey.asymmetricKeyType); }
if (mode.includes('csi')) console.log(checkServerIdentity('mta-sts.good.test', peer)?.message);
if (mode.includes("rawfirst")) { raw.destroy(); tls.destroy(); } else { tls.destroy(); raw.destroy(); }
await https.close();
console.log('closed');
