// Public API of the milter module: the protocol server that applies the header sanitiser in an MTA.
export { FrameDecoder, MilterProtocolError, type Packet } from './codec.js';
export { MilterClient, POSTFIX_OFFER, type ClientMessage, type ClientResult } from './client.js';
export { applyHeaderEdits, diffHeaders, type HeaderEdit } from './header-diff.js';
export { sanitizingRewriter, type SanitizingOptions } from './rewriter.js';
export {
  MilterServer,
  formatListen,
  parseListen,
  type ListenSpec,
  type MilterLogger,
  type MilterServerOptions,
} from './server.js';
export {
  MilterSession,
  type HeaderRewriter,
  type MessageOutcome,
  type MilterContext,
  type MilterStats,
  type OnError,
} from './session.js';
