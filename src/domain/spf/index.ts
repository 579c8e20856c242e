/** SPF (RFC 7208): parser, macro expansion, check_host() evaluation, static include-tree audit and the domain check. */
export { spfCheck } from './check.js';
export {
  checkHost,
  spfIdentity,
  type CheckHostOptions,
  type SpfEvaluation,
  type SpfResult,
} from './evaluate.js';
export {
  expandMacros,
  parseMacroString,
  type MacroContext,
  type MacroParse,
  type MacroToken,
} from './macro.js';
export {
  isSpfRecordText,
  parseSpf,
  type SpfMechanism,
  type SpfModifier,
  type SpfParse,
  type SpfSyntaxError,
  type SpfTerm,
} from './parse.js';
export { lookupSpfRecord, type SpfRecordLookup } from './record.js';
export { walkSpf, type SpfTree, type SpfTreeContext, type SpfTreeNode } from './tree.js';
