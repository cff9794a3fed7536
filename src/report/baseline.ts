/**
 * Baselines: a small versioned JSON file, committed with the project, that
 * keeps per contract the figures CI guards (speedup bound, conflict rate,
 * structural hot slots, and each function's conflict rate), and the
 * comparison that fails when a contract got worse than it by more than a
 * tolerance.
 *
 * "Worse by more than the tolerance t" (relative, default 0.05), per figure:
 * - speedup bound: below baseline x (1 - t);
 * - conflict rate (contract and function): the conflict-free share 1 - rate
 *   fell below (1 - baseline) x (1 - t), i.e. rate > 1 - (1 - baseline)(1 - t);
 *   from a baseline of 0 that allows up to t, from 0.5 up to 0.525;
 * - structural hot slots: more than baseline x (1 + t) (from 0, any new one).
 * Contracts and functions missing from the baseline (new ones) are not
 * regressions, and neither are those missing from the report.
 */
import type { AnalysisReport } from "../analysis/types.js"
import { integer, percent, shortList, speedup } from "./format.js"
import { contractConflictRate, functionConflictRate, structuralHotSlots } from "./metrics.js"
import { paint } from "./style.js"

export const BASELINE_KIND = "hardhat-pevm-baseline"
export const BASELINE_VERSION = 1
export const DEFAULT_BASELINE_TOLERANCE = 0.05

export interface BaselineFunction {
  readonly transactions: number
  /** The function's conflict rate (`metrics.ts`), 0..1. */
  readonly conflictRate: number
}

export interface BaselineContract {
  readonly fullyQualifiedName: string
  /** Call transactions in the speedup bound's block. */
  readonly transactions: number
  /** `speedupBound.bound`, at least 1. */
  readonly speedupBound: number
  /** The contract's conflict rate (its worst read-after-write pair), 0..1. */
  readonly conflictRate: number
  /** How many structural hot slots it had. */
  readonly structuralHotSlots: number
  /** Their names, to say which ones are new. */
  readonly structuralHotSlotNames: readonly string[]
  /** By signature. */
  readonly functions: Readonly<Record<string, BaselineFunction>>
}

export interface Baseline {
  readonly kind: typeof BASELINE_KIND
  readonly version: typeof BASELINE_VERSION
  /** When the report it was made from was created. */
  readonly createdAt: string
  /** By the contract's name as the report shows it. */
  readonly contracts: Readonly<Record<string, BaselineContract>>
}

export type RegressionMetric = "speedupBound" | "conflictRate" | "structuralHotSlots"

export interface Regression {
  readonly contract: string
  /** The function's signature, for a function's conflict rate. */
  readonly function?: string
  readonly metric: RegressionMetric
  readonly baseline: number
  readonly current: number
  /** The worst value the tolerance allowed. */
  readonly allowed: number
  /** One sentence naming the contract (and function), both values and the allowed one. */
  readonly message: string
}

/** A baseline that cannot be read: not JSON, not a baseline, a newer version, or a field of the wrong type. */
export class BaselineError extends Error {
  override readonly name = "BaselineError"
  /** Where the baseline came from (a file path, or "baseline"). */
  readonly source: string
  /** Each problem found, one line each. */
  readonly problems: readonly string[]

  constructor(source: string, problems: readonly string[]) {
    super(
      problems.length === 1
        ? `Invalid pevm baseline ${source}: ${problems[0] as string}`
        : `Invalid pevm baseline ${source}:\n${problems.map((p) => `  * ${p}`).join("\n")}`,
    )
    this.source = source
    this.problems = problems
  }
}

const round = (value: number): number => Math.round(value * 1e6) / 1e6
/** Figures are compared as the baseline stores them (rounded), with a margin for float error. */
const EPSILON = 1e-9

function sortedRecord<T>(entries: readonly (readonly [string, T])[]): Record<string, T> {
  return Object.fromEntries([...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)))
}

/** The baseline figures of a report (keys sorted, numbers rounded to 6 decimals, for small diffs). */
export function baselineOf(report: AnalysisReport): Baseline {
  return {
    kind: BASELINE_KIND,
    version: BASELINE_VERSION,
    createdAt: report.createdAt,
    contracts: sortedRecord(
      report.contracts.map((c) => {
        const structural = structuralHotSlots(c)
        const contract: BaselineContract = {
          fullyQualifiedName: c.fullyQualifiedName,
          transactions: c.speedupBound.transactions,
          speedupBound: round(c.speedupBound.bound),
          conflictRate: round(contractConflictRate(c).rate),
          structuralHotSlots: structural.length,
          structuralHotSlotNames: structural.map((s) => s.name),
          functions: sortedRecord(
            c.functions.map((f) => [f.signature, { transactions: f.transactions, conflictRate: round(functionConflictRate(c, f.signature).rate) }] as const),
          ),
        }
        return [c.name, contract] as const
      }),
    ),
  }
}

/** The baseline file's text for a report: `baselineOf` as indented JSON with a final newline. */
export function writeBaseline(report: AnalysisReport): string {
  return `${JSON.stringify(baselineOf(report), null, 2)}\n`
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

function describe(value: Json | undefined): string {
  if (value === undefined) return "nothing"
  if (value === null) return "null"
  if (Array.isArray(value)) return "an array"
  if (typeof value === "object") return "an object"
  const text = JSON.stringify(value)
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}

/** Reads a baseline file's text; throws a `BaselineError` listing every problem. */
export function parseBaseline(text: string, source = "baseline"): Baseline {
  let data: Json
  try {
    data = JSON.parse(text) as Json
  } catch (error) {
    throw new BaselineError(source, [`not valid JSON (${(error as Error).message})`])
  }
  if (!isObject(data)) throw new BaselineError(source, [`expected a JSON object, got ${describe(data)}`])
  if (data["kind"] !== BASELINE_KIND) {
    throw new BaselineError(source, [`not a hardhat-pevm baseline: "kind" is ${describe(data["kind"])}, expected "${BASELINE_KIND}" (write one with pevm-report --update-baseline)`])
  }
  const version = data["version"]
  if (typeof version === "number" && Number.isInteger(version) && version > BASELINE_VERSION) {
    throw new BaselineError(source, [`baseline version ${version} was written by a newer hardhat-pevm; this one reads version ${BASELINE_VERSION}`])
  }
  const problems: string[] = []
  if (version !== BASELINE_VERSION) problems.push(`version: expected ${BASELINE_VERSION}, got ${describe(version)}`)
  if (typeof data["createdAt"] !== "string") problems.push(`createdAt: expected a string, got ${describe(data["createdAt"])}`)
  const number = (value: Json | undefined, path: string, check: (n: number) => boolean, expected: string): void => {
    if (typeof value !== "number" || !Number.isFinite(value) || !check(value)) problems.push(`${path}: expected ${expected}, got ${describe(value)}`)
  }
  const count = (value: Json | undefined, path: string): void => number(value, path, (n) => Number.isInteger(n) && n >= 0, "a whole number of at least 0")
  const rate = (value: Json | undefined, path: string): void => number(value, path, (n) => n >= 0 && n <= 1, "a number between 0 and 1")
  const contracts = data["contracts"]
  if (!isObject(contracts)) {
    problems.push(`contracts: expected an object by contract name, got ${describe(contracts)}`)
  } else {
    for (const [name, contract] of Object.entries(contracts)) {
      const at = `contracts[${JSON.stringify(name)}]`
      if (!isObject(contract)) {
        problems.push(`${at}: expected an object, got ${describe(contract)}`)
        continue
      }
      if (typeof contract["fullyQualifiedName"] !== "string") problems.push(`${at}.fullyQualifiedName: expected a string, got ${describe(contract["fullyQualifiedName"])}`)
      count(contract["transactions"], `${at}.transactions`)
      number(contract["speedupBound"], `${at}.speedupBound`, (n) => n >= 1, "a number of at least 1")
      rate(contract["conflictRate"], `${at}.conflictRate`)
      count(contract["structuralHotSlots"], `${at}.structuralHotSlots`)
      const names = contract["structuralHotSlotNames"]
      if (!Array.isArray(names) || !names.every((n) => typeof n === "string")) problems.push(`${at}.structuralHotSlotNames: expected an array of strings, got ${describe(names)}`)
      const functions = contract["functions"]
      if (!isObject(functions)) {
        problems.push(`${at}.functions: expected an object by signature, got ${describe(functions)}`)
        continue
      }
      for (const [signature, fn] of Object.entries(functions)) {
        const fnAt = `${at}.functions[${JSON.stringify(signature)}]`
        if (!isObject(fn)) {
          problems.push(`${fnAt}: expected an object, got ${describe(fn)}`)
          continue
        }
        count(fn["transactions"], `${fnAt}.transactions`)
        rate(fn["conflictRate"], `${fnAt}.conflictRate`)
      }
    }
  }
  if (problems.length > 0) throw new BaselineError(source, problems)
  return data as unknown as Baseline
}

/** The largest conflict rate the tolerance allows from a baseline rate. */
export function allowedConflictRate(baseline: number, tolerance: number): number {
  return 1 - (1 - baseline) * (1 - tolerance)
}

/** Where the report is worse than the baseline by more than `tolerance` (relative, 0..1). */
export function compareToBaseline(report: AnalysisReport, baseline: Baseline, tolerance: number = DEFAULT_BASELINE_TOLERANCE): Regression[] {
  if (!(tolerance >= 0 && tolerance <= 1)) throw new RangeError(`baseline tolerance must be between 0 and 1, got ${tolerance}`)
  const t = percent(tolerance)
  const regressions: Regression[] = []
  for (const contract of report.contracts) {
    const base = Object.hasOwn(baseline.contracts, contract.name) ? baseline.contracts[contract.name] : undefined
    if (base === undefined) continue
    const name = contract.name

    const bound = contract.speedupBound.bound
    const minBound = base.speedupBound * (1 - tolerance)
    if (round(bound) < minBound - EPSILON) {
      regressions.push({
        contract: name,
        metric: "speedupBound",
        baseline: base.speedupBound,
        current: bound,
        allowed: minBound,
        message: `${name}: speedup bound fell from ${speedup(base.speedupBound)} to ${speedup(bound)}, below the ${speedup(minBound)} that a tolerance of ${t} allows.`,
      })
    }

    const rate = contractConflictRate(contract)
    const maxRate = allowedConflictRate(base.conflictRate, tolerance)
    if (round(rate.rate) > maxRate + EPSILON) {
      const pair = rate.pair !== undefined ? ` (worst pair: ${rate.pair.from} then ${rate.pair.to}${rate.pair.slots.length > 0 ? `, on ${shortList(rate.pair.slots, 2)}` : ""})` : ""
      regressions.push({
        contract: name,
        metric: "conflictRate",
        baseline: base.conflictRate,
        current: rate.rate,
        allowed: maxRate,
        message: `${name}: conflict rate rose from ${percent(base.conflictRate)} to ${percent(rate.rate)}${pair}, above the ${percent(maxRate)} that a tolerance of ${t} allows.`,
      })
    }

    const structural = structuralHotSlots(contract)
    const maxStructural = base.structuralHotSlots * (1 + tolerance)
    if (structural.length > maxStructural) {
      const known = new Set(base.structuralHotSlotNames)
      const added = structural.map((s) => s.name).filter((n) => !known.has(n))
      regressions.push({
        contract: name,
        metric: "structuralHotSlots",
        baseline: base.structuralHotSlots,
        current: structural.length,
        allowed: Math.floor(maxStructural),
        message:
          `${name}: ${integer(structural.length)} structural hot slots, up from ${integer(base.structuralHotSlots)}` +
          `${added.length > 0 ? ` (new: ${shortList(added)})` : ""}; a tolerance of ${t} allows ${integer(Math.floor(maxStructural))}.`,
      })
    }

    for (const fn of contract.functions) {
      const fnBase = Object.hasOwn(base.functions, fn.signature) ? base.functions[fn.signature] : undefined
      if (fnBase === undefined) continue
      const measure = functionConflictRate(contract, fn.signature)
      const allowed = allowedConflictRate(fnBase.conflictRate, tolerance)
      if (round(measure.rate) <= allowed + EPSILON) continue
      const after = measure.pair !== undefined ? ` (after ${measure.pair.from}${measure.pair.slots.length > 0 ? `, on ${shortList(measure.pair.slots, 2)}` : ""})` : ""
      regressions.push({
        contract: name,
        function: fn.signature,
        metric: "conflictRate",
        baseline: fnBase.conflictRate,
        current: measure.rate,
        allowed,
        message: `${name}: conflict rate of ${fn.signature} rose from ${percent(fnBase.conflictRate)} to ${percent(measure.rate)}${after}, above the ${percent(allowed)} that a tolerance of ${t} allows.`,
      })
    }
  }
  return regressions
}

/** What a baseline holds and when the comparison fails, in Markdown, for the README. */
export const BASELINE_MARKDOWN = `### Baselines (\`pevm-report --baseline FILE\`)

The baseline is a small JSON file (\`"kind": "hardhat-pevm-baseline"\`, \`"version": 1\`) to commit with the project. Per contract it keeps the speedup bound, the conflict rate, the number and names of structural hot slots, and each function's conflict rate and transaction count. A contract fails when it got worse than the baseline by more than the tolerance \`t\` (\`pevm.baselineTolerance\`, relative, default 0.05):

- speedup bound below baseline × (1 − t);
- conflict rate (of the contract, or of a function in both) above 1 − (1 − baseline) × (1 − t): its conflict-free share fell by more than t (from 0, up to t is allowed; from 0.5, up to 0.525);
- more structural hot slots than baseline × (1 + t) (from 0, any new one fails).

New contracts and functions are not regressions, and neither are contracts missing from the run. A file that is not a readable baseline fails with a message naming each problem.
`

/** The regressions for the terminal; a line saying none when there are none. */
export function formatRegressions(regressions: readonly Regression[], options: { readonly color?: boolean } = {}): string {
  const p = paint(options.color ?? false)
  if (regressions.length === 0) return p.green("✔ No contract got worse than the pevm baseline.")
  const lines = [p.red(p.bold(`✖ ${regressions.length === 1 ? "1 regression" : `${regressions.length} regressions`} against the pevm baseline:`))]
  regressions.forEach((r, i) => lines.push(`  ${i + 1}. ${r.message}`))
  return lines.join("\n")
}
