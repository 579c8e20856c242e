import type { LogEvent } from '../../logs/parse/types.js';
import type { MatchLocation } from '../types.js';

/** One stored item a connector read: a message, a log line, or why an item could not be read. */
export type SourceItem =
  | { type: 'message'; location: MatchLocation; raw: Buffer }
  | { type: 'log'; location: Extract<MatchLocation, { type: 'log' }>; text: string; event?: LogEvent }
  | { type: 'problem'; item: string; reason: string };
