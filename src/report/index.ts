/**
 * The report layer: renderers for an `AnalysisReport` (terminal tables,
 * JSON, Markdown, a self-contained HTML page) and the CI checks (thresholds,
 * baselines). Pure functions that return strings or lists, except
 * `appendStepSummary`, which appends to GitHub's job summary file; the task
 * that calls them decides what to print, write and exit with. Imports only
 * the analysis types, nothing from Hardhat.
 */
export {
  BASELINE_KIND,
  BASELINE_MARKDOWN,
  BASELINE_VERSION,
  BaselineError,
  DEFAULT_BASELINE_TOLERANCE,
  allowedConflictRate,
  baselineOf,
  compareToBaseline,
  formatRegressions,
  parseBaseline,
  writeBaseline,
  type Baseline,
  type BaselineContract,
  type BaselineFunction,
  type Regression,
  type RegressionMetric,
} from "./baseline.js"
export {
  CHECKS_MARKDOWN,
  checkThresholds,
  formatViolations,
  unmatchedThresholds,
  type ConflictRateViolation,
  type ContractThresholds,
  type FunctionThresholds,
  type SpeedupViolation,
  type StructuralSlotViolation,
  type ThresholdRule,
  type Thresholds,
  type Violation,
} from "./checks.js"
export { renderHtml, type HtmlOptions } from "./html.js"
export {
  REPORT_JSON_SCHEMA_MARKDOWN,
  REPORT_JSON_SCHEMA_VERSION,
  renderJson,
  toReportJson,
  type ReportJson,
  type ReportJsonChecks,
  type ReportJsonContract,
  type ReportJsonFunction,
  type ReportJsonHotSlot,
  type ReportJsonRegression,
  type ReportJsonReplay,
  type ReportJsonTotals,
  type ReportJsonViolation,
} from "./json.js"
export { appendStepSummary, renderMarkdown, type MarkdownOptions } from "./markdown.js"
export {
  contractConflictRate,
  functionConflictRate,
  functionSpeedupEstimate,
  isStructuralHotSlot,
  structuralHotSlots,
  type ConflictRateMeasure,
} from "./metrics.js"
export { checksPassed, type CheckResults } from "./results.js"
export { shouldUseColor, stripAnsi } from "./style.js"
export { renderTerminal, type TerminalOptions } from "./terminal.js"
