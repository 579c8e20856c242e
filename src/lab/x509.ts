/**
 * @peculiar/x509, loaded after the metadata shim it needs and bound to node's WebCrypto. Import
 * X.509 helpers from here, never from the package directly: its load order matters.
 */
import './reflect-shim.js';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(globalThis.crypto);

export { x509 };
