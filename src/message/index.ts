// Public API of the message module: header parsing, the sanitiser and header exposure analysis.
export {
  decodeValue,
  findHeaderEnd,
  parseHeaderBlock,
  serializeHeaders,
  unfold,
  type HeaderField,
  type ParsedHeaders,
} from './header-fields.js';
export {
  extractIps,
  internalMatcher,
  isInternalHost,
  isInternalIp,
  parseIp,
  type InternalMatcher,
} from './internal.js';
export {
  actionFor,
  defaultHeaderPolicy,
  DEFAULT_POLICY_YAML,
  HEADER_ACTIONS,
  loadHeaderPolicy,
  parseHeaderPolicy,
  policyNeedsKey,
  type HeaderAction,
  type HeaderPolicy,
  type ReceivedRewrite,
} from './policy.js';
export { pseudonym, readKeyFile } from './pseudonym.js';
export { sanitizeHeaders, type HeaderChange, type SanitizeContext, type SanitizeResult } from './sanitize.js';
export { sanitizeMessage, type SanitizeMessageResult } from './sanitize-stream.js';
export {
  analyzeHeaderText,
  analyzePaths,
  analyzeSources,
  type AnalyzeOptions,
  type HeadersRun,
  type MessageReport,
} from './analyze-run.js';
export { collectExposure, exposureFindings, type Exposure, type ExposureKind } from './analyze.js';
export { walkMessages, type MessageHeaderSource } from './sources.js';
export { renderHeadersHtml, renderHeadersJson, renderHeadersText } from './report-render.js';
export { postfixHeaderChecks, type PostfixHeaderChecks } from './postfix-header-checks.js';
