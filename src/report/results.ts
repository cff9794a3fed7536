/**
 * The outcome of the CI checks that a task ran, as the renderers take it:
 * threshold violations (`--check`) and baseline regressions (`--baseline`).
 * Either part is absent when that check did not run.
 */
import type { Regression } from "./baseline.js"
import type { Violation } from "./checks.js"

export interface CheckResults {
  /** Present when thresholds were checked. */
  readonly thresholds?: {
    readonly violations: readonly Violation[]
    /** Threshold keys that matched no contract or function (`unmatchedThresholds`). */
    readonly unmatched?: readonly string[]
  }
  /** Present when the report was compared with a baseline. */
  readonly baseline?: {
    /** The baseline file as the user named it. */
    readonly file?: string
    readonly tolerance: number
    readonly regressions: readonly Regression[]
  }
}

/** True when no check that ran failed (and when none ran). */
export function checksPassed(checks: CheckResults | undefined): boolean {
  return (checks?.thresholds?.violations.length ?? 0) === 0 && (checks?.baseline?.regressions.length ?? 0) === 0
}
