/**
 * The JSON report (`pevm-report --json FILE`): a stable, documented shape
 * with `schemaVersion` 1, made from an `AnalysisReport` and, when checks ran,
 * their results. It is its own type, not the analysis types passed through,
 * so that it changes only on purpose: fields may be added within a version;
 * a field is renamed, removed or changes meaning only with a new
 * `schemaVersion`. Absent values are `null`, never left out. Figures derived
 * for the checks (conflict rates, function speedup estimates, structural
 * hot slots) are included, computed as `metrics.ts` defines them.
 * `REPORT_JSON_SCHEMA_MARKDOWN` describes the shape for the README.
 */
import type { AnalysisReport, ConflictKind, ContractReport, SlotKind, SuggestionPattern } from "../analysis/types.js"
import type { Regression, RegressionMetric } from "./baseline.js"
import type { ThresholdRule, Violation } from "./checks.js"
import { contractConflictRate, functionConflictRate, functionSpeedupEstimate, isStructuralHotSlot } from "./metrics.js"
import { checksPassed, type CheckResults } from "./results.js"

export const REPORT_JSON_SCHEMA_VERSION = 1

export interface ReportJson {
  readonly schemaVersion: typeof REPORT_JSON_SCHEMA_VERSION
  readonly tool: "hardhat-pevm"
  /** ISO time the analysis was made. */
  readonly createdAt: string
  /** ISO time of the test run it analysed. */
  readonly recordCreatedAt: string
  readonly totals: ReportJsonTotals
  readonly contracts: readonly ReportJsonContract[]
  readonly unknownContracts: readonly { readonly address: string; readonly codeHash: string | null; readonly transactions: number }[]
  readonly warnings: readonly string[]
  /** Null when no check ran. */
  readonly checks: ReportJsonChecks | null
}

export interface ReportJsonTotals {
  readonly sessions: number
  readonly blocks: number
  readonly parallelBlocks: number
  readonly transactions: number
  readonly recordedReExecutions: number
  readonly gasUsed: number
  readonly unattributedTransactions: number
}

export interface ReportJsonContract {
  readonly name: string
  readonly fullyQualifiedName: string
  readonly sourceName: string | null
  readonly addresses: readonly string[]
  readonly transactions: number
  readonly directTransactions: number
  readonly deployments: number
  readonly gasUsed: number
  /** Worst read-after-write function pair's rate, 0..1. */
  readonly conflictRate: number
  /** The pair that rate comes from, null when none conflicts. */
  readonly worstConflict: { readonly from: string; readonly to: string } | null
  readonly structuralHotSlots: number
  readonly speedupBound: {
    readonly bound: number
    readonly transactions: number
    readonly totalGas: number
    readonly criticalPathGas: number
    readonly longestChain: number
  }
  readonly replay: ReportJsonReplay | null
  readonly functions: readonly ReportJsonFunction[]
  readonly hotSlots: readonly ReportJsonHotSlot[]
  readonly ignoredSlots: readonly {
    readonly address: string
    readonly slot: string
    readonly name: string
    readonly reason: "storage-reentrancy-guard" | "no-op-write"
    readonly explanation: string
    readonly transactions: number
    readonly functions: readonly string[]
  }[]
  readonly conflicts: readonly {
    readonly from: string
    readonly to: string
    readonly kind: ConflictKind
    readonly count: number
    readonly rate: number
    readonly sameBlockCount: number
    readonly slots: readonly string[]
  }[]
  readonly suggestions: readonly {
    readonly pattern: SuggestionPattern
    readonly slot: string
    readonly functions: readonly string[]
    readonly message: string
    readonly fix: string
  }[]
}

export interface ReportJsonReplay {
  readonly transactions: number
  readonly capped: boolean
  readonly workers: number
  readonly sequentialMs: number
  readonly parallelMs: number
  readonly speedup: number
  readonly reExecutions: number
  readonly incarnations: number
  readonly validationAborts: number
  readonly dependencyWaits: number
  readonly fellBack: boolean
  readonly fallbackReason: string | null
  readonly divergent: number
  readonly divergences: readonly string[]
}

export interface ReportJsonFunction {
  readonly name: string
  readonly signature: string
  readonly selector: string | null
  readonly transactions: number
  readonly reverted: number
  readonly gas: number
  readonly meanGas: number
  /** Worst read-after-write pair with this function as the later transaction, 0..1. */
  readonly conflictRate: number
  /** n / (1 + r (n - 1)) with r the function's self-conflict rate. */
  readonly speedupEstimate: number
}

export interface ReportJsonHotSlot {
  readonly address: string
  readonly slot: string
  readonly name: string
  readonly named: boolean
  readonly packed: readonly string[] | null
  readonly type: string | null
  readonly note: string | null
  readonly kind: SlotKind
  readonly kindReason: string
  /** Counts for `forbidStructuralHotSlots` (structural, two writers or more, at least one conflict). */
  readonly structural: boolean
  readonly writers: number
  readonly writeShare: number
  readonly readers: number
  readonly conflicts: number
  readonly writeConflicts: number
  readonly noOpWrites: number
  readonly functions: readonly string[]
}

export interface ReportJsonViolation {
  readonly rule: ThresholdRule
  readonly contract: string
  readonly function: string | null
  readonly setting: string
  /** The measured rate or speedup; the slot's write share for `forbidStructuralHotSlots`. */
  readonly measured: number
  /** The limit; `true` for `forbidStructuralHotSlots`. */
  readonly limit: number | boolean
  readonly slot: string | null
  readonly message: string
}

export interface ReportJsonRegression {
  readonly contract: string
  readonly function: string | null
  readonly metric: RegressionMetric
  readonly baseline: number
  readonly current: number
  readonly allowed: number
  readonly message: string
}

export interface ReportJsonChecks {
  /** False when a check that ran failed. */
  readonly passed: boolean
  readonly thresholds: { readonly violations: readonly ReportJsonViolation[]; readonly unmatched: readonly string[] } | null
  readonly baseline: { readonly file: string | null; readonly tolerance: number; readonly regressions: readonly ReportJsonRegression[] } | null
}

function violationJson(v: Violation): ReportJsonViolation {
  const base = { rule: v.rule, contract: v.contract, function: v.function ?? null, setting: v.setting, message: v.message }
  if (v.rule === "forbidStructuralHotSlots") return { ...base, measured: v.writeShare, limit: true, slot: v.slot }
  return { ...base, measured: v.measured, limit: v.limit, slot: null }
}

function regressionJson(r: Regression): ReportJsonRegression {
  return { contract: r.contract, function: r.function ?? null, metric: r.metric, baseline: r.baseline, current: r.current, allowed: r.allowed, message: r.message }
}

function contractJson(c: ContractReport): ReportJsonContract {
  const rate = contractConflictRate(c)
  return {
    name: c.name,
    fullyQualifiedName: c.fullyQualifiedName,
    sourceName: c.sourceName ?? null,
    addresses: [...c.addresses],
    transactions: c.transactions,
    directTransactions: c.directTransactions,
    deployments: c.deployments,
    gasUsed: c.gasUsed,
    conflictRate: rate.rate,
    worstConflict: rate.pair !== undefined ? { from: rate.pair.from, to: rate.pair.to } : null,
    structuralHotSlots: c.hotSlots.filter(isStructuralHotSlot).length,
    speedupBound: {
      bound: c.speedupBound.bound,
      transactions: c.speedupBound.transactions,
      totalGas: c.speedupBound.totalGas,
      criticalPathGas: c.speedupBound.criticalPathGas,
      longestChain: c.speedupBound.longestChain,
    },
    replay:
      c.replay === undefined
        ? null
        : {
            transactions: c.replay.transactions,
            capped: c.replay.capped,
            workers: c.replay.workers,
            sequentialMs: c.replay.sequentialMs,
            parallelMs: c.replay.parallelMs,
            speedup: c.replay.speedup,
            reExecutions: c.replay.reExecutions,
            incarnations: c.replay.incarnations,
            validationAborts: c.replay.validationAborts,
            dependencyWaits: c.replay.dependencyWaits,
            fellBack: c.replay.fellBack,
            fallbackReason: c.replay.fallbackReason ?? null,
            divergent: c.replay.divergent,
            divergences: [...c.replay.divergences],
          },
    functions: c.functions.map((f) => ({
      name: f.name,
      signature: f.signature,
      selector: f.selector ?? null,
      transactions: f.transactions,
      reverted: f.reverted,
      gas: f.gas,
      meanGas: f.meanGas,
      conflictRate: functionConflictRate(c, f.signature).rate,
      speedupEstimate: functionSpeedupEstimate(c, f),
    })),
    hotSlots: c.hotSlots.map((s) => ({
      address: s.address,
      slot: s.slot,
      name: s.name,
      named: s.named,
      packed: s.packed !== undefined ? [...s.packed] : null,
      type: s.type ?? null,
      note: s.note ?? null,
      kind: s.kind,
      kindReason: s.kindReason,
      structural: isStructuralHotSlot(s),
      writers: s.writers,
      writeShare: s.writeShare,
      readers: s.readers,
      conflicts: s.conflicts,
      writeConflicts: s.writeConflicts,
      noOpWrites: s.noOpWrites ?? 0,
      functions: [...s.functions],
    })),
    ignoredSlots: c.ignoredSlots.map((s) => ({
      address: s.address,
      slot: s.slot,
      name: s.name,
      reason: s.reason,
      explanation: s.explanation,
      transactions: s.transactions,
      functions: [...s.functions],
    })),
    conflicts: c.conflicts.map((p) => ({ from: p.from, to: p.to, kind: p.kind, count: p.count, rate: p.rate, sameBlockCount: p.sameBlockCount, slots: [...p.slots] })),
    suggestions: c.suggestions.map((s) => ({ pattern: s.pattern, slot: s.slot, functions: [...s.functions], message: s.message, fix: s.fix })),
  }
}

/** The JSON report as an object. */
export function toReportJson(report: AnalysisReport, checks?: CheckResults): ReportJson {
  const t = report.totals
  return {
    schemaVersion: REPORT_JSON_SCHEMA_VERSION,
    tool: "hardhat-pevm",
    createdAt: report.createdAt,
    recordCreatedAt: report.recordCreatedAt,
    totals: {
      sessions: t.sessions,
      blocks: t.blocks,
      parallelBlocks: t.parallelBlocks,
      transactions: t.transactions,
      recordedReExecutions: t.recordedReExecutions,
      gasUsed: t.gasUsed,
      unattributedTransactions: t.unattributedTransactions,
    },
    contracts: report.contracts.map(contractJson),
    unknownContracts: report.unknownContracts.map((u) => ({ address: u.address, codeHash: u.codeHash ?? null, transactions: u.transactions })),
    warnings: [...report.warnings],
    checks:
      checks === undefined || (checks.thresholds === undefined && checks.baseline === undefined)
        ? null
        : {
            passed: checksPassed(checks),
            thresholds:
              checks.thresholds === undefined ? null : { violations: checks.thresholds.violations.map(violationJson), unmatched: [...(checks.thresholds.unmatched ?? [])] },
            baseline:
              checks.baseline === undefined
                ? null
                : { file: checks.baseline.file ?? null, tolerance: checks.baseline.tolerance, regressions: checks.baseline.regressions.map(regressionJson) },
          },
  }
}

/** The JSON report's file text: indented, with a final newline. */
export function renderJson(report: AnalysisReport, checks?: CheckResults): string {
  return `${JSON.stringify(toReportJson(report, checks), null, 2)}\n`
}

/** The JSON report's shape, in Markdown, for the README. */
export const REPORT_JSON_SCHEMA_MARKDOWN = `### JSON report (\`pevm-report --json FILE\`)

One object. \`schemaVersion\` is \`1\`; within a version fields may be added, never renamed, removed or given another meaning. Absent values are \`null\`. Rates and shares are numbers in 0..1; gas, counts and times are numbers; addresses, slots and selectors are lowercase 0x-hex strings; functions are named by signature (\`transfer(address,uint256)\`). Every list is sorted most important first.

- \`schemaVersion\`: \`1\`; \`tool\`: \`"hardhat-pevm"\`
- \`createdAt\`, \`recordCreatedAt\`: ISO times of the analysis and of the test run
- \`totals\`: \`sessions\`, \`blocks\`, \`parallelBlocks\` (run with Block-STM), \`transactions\`, \`recordedReExecutions\`, \`gasUsed\`, \`unattributedTransactions\`
- \`contracts[]\`, most gas first:
  - \`name\`, \`fullyQualifiedName\`, \`sourceName\`, \`addresses[]\`
  - \`transactions\` (its code ran, at any depth), \`directTransactions\`, \`deployments\`, \`gasUsed\`
  - \`conflictRate\`: the worst read-after-write function pair's rate; \`worstConflict\`: \`{ from, to }\` of that pair or \`null\`
  - \`structuralHotSlots\`: how many hot slots count for \`forbidStructuralHotSlots\`
  - \`speedupBound\`: \`bound\` (total gas / critical-path gas; 1 = serial), \`transactions\` (the contract's calls on one chain of blocks, the fullest: snapshot reverts put the others on other branches), \`totalGas\`, \`criticalPathGas\`, \`longestChain\`
  - \`replay\`: measured replay through the executor, or \`null\` when not run: \`transactions\` (of the bound's, the longest run that other contracts' transactions left alone), \`capped\`, \`workers\`, \`sequentialMs\`, \`parallelMs\`, \`speedup\`, \`reExecutions\`, \`incarnations\`, \`validationAborts\`, \`dependencyWaits\`, \`fellBack\`, \`fallbackReason\`, \`divergent\`, \`divergences[]\`
  - \`functions[]\`: \`name\`, \`signature\`, \`selector\`, \`transactions\`, \`reverted\`, \`gas\`, \`meanGas\`, \`conflictRate\` (worst read-after-write pair with it as the later transaction), \`speedupEstimate\` (n / (1 + r (n - 1)), r its self-conflict rate)
  - \`hotSlots[]\`: \`address\`, \`slot\`, \`name\` (as Solidity writes it, e.g. \`Token._balances[0x7099…79C8]\`), \`named\`, \`packed[]\`, \`type\`, \`note\`, \`kind\` (\`"structural"\` | \`"data-dependent"\`), \`kindReason\`, \`structural\` (counts for \`forbidStructuralHotSlots\`), \`writers\`, \`writeShare\`, \`readers\`, \`conflicts\` (read-after-write), \`writeConflicts\` (write-after-write), \`noOpWrites\`, \`functions[]\` (writers)
  - \`ignoredSlots[]\`: \`address\`, \`slot\`, \`name\`, \`reason\` (\`"storage-reentrancy-guard"\` | \`"no-op-write"\`), \`explanation\`, \`transactions\`, \`functions[]\`
  - \`conflicts[]\`: \`from\` (earlier function), \`to\` (later), \`kind\` (\`"read-after-write"\` | \`"write-after-write"\`), \`count\`, \`rate\` (of the later function's transactions that came after one of the earlier's on the same chain of blocks), \`sameBlockCount\`, \`slots[]\`
  - \`suggestions[]\`: \`pattern\` (\`"global-counter"\` | \`"storage-reentrancy-guard"\` | \`"array-length"\` | \`"global-accumulator"\` | \`"total-supply"\`), \`slot\`, \`functions[]\`, \`message\`, \`fix\`
- \`unknownContracts[]\`: \`address\`, \`codeHash\`, \`transactions\`
- \`warnings[]\`: strings
- \`checks\`: \`null\` unless \`--check\` or \`--baseline\` ran; else \`passed\`, and
  - \`thresholds\`: \`null\`, or an object with \`violations[]\` and \`unmatched[]\` (threshold keys that matched nothing); a violation has \`rule\` (\`"maxConflictRate"\` | \`"minSpeedup"\` | \`"forbidStructuralHotSlots"\`), \`contract\`, \`function\`, \`setting\` (config path), \`measured\`, \`limit\`, \`slot\` (for \`forbidStructuralHotSlots\`; \`measured\` is then its write share and \`limit\` is \`true\`), \`message\`
  - \`baseline\`: \`null\`, or an object with \`file\`, \`tolerance\` and \`regressions[]\`; a regression has \`contract\`, \`function\`, \`metric\` (\`"speedupBound"\` | \`"conflictRate"\` | \`"structuralHotSlots"\`), \`baseline\`, \`current\`, \`allowed\`, \`message\`
`
