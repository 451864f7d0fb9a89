/**
 * Findings are data: verification returns them, `--json` prints them as they are, and human text
 * is rendered from them in one place (src/cli/render.ts).
 */
import type { ErrorCategory } from './errors.js';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable SCREAMING_SNAKE code. */
  readonly code: string;
  readonly severity: Severity;
  /** The file or resource concerned, relative to the artifact. */
  readonly path?: string;
  readonly detail: string;
  /**
   * For errors: what kind of failure it is, as in the error hierarchy. `policy` means authentic
   * but not acceptable (exit 3); anything else means tampered, forged or unreadable (exit 1).
   */
  readonly category?: ErrorCategory;
}
