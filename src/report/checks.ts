/**
 * CI checks: thresholds per contract and per function, as the `pevm.thresholds`
 * config gives them, checked against an `AnalysisReport`. Pure functions; the
 * task decides the exit code.
 *
 * The figures are those of `metrics.ts`: a function's conflict rate is its
 * worst read-after-write pair as the later transaction, a contract's is its
 * worst pair; a contract's speedup is its speedup bound, a function's is the
 * estimate n / (1 + r (n - 1)) from its self-conflict rate.
 *
 * Which setting applies, most specific first (the first that sets the field):
 * `thresholds[C].functions[signature]`, `thresholds[C].functions[name]`,
 * `thresholds[C]`, then the same three under `thresholds["*"]`, where C is the
 * contract's name as the report shows it (or its fully qualified name).
 * - `maxConflictRate` set on a contract applies to each of its functions (so
 *   it bounds the contract's worst pair), and a function's own setting
 *   overrides it; one violation per function over its limit.
 * - `minSpeedup` on a contract checks the contract's speedup bound; on a
 *   function, that function's estimate. The contract setting is not applied
 *   to functions (a function called twice cannot reach 4×).
 * - `forbidStructuralHotSlots` on a contract forbids every structural hot slot;
 *   on a function it decides for the slots that function writes, so
 *   `{ forbidStructuralHotSlots: true, functions: { mint: { forbidStructuralHotSlots: false } } }`
 *   allows a counter written only by `mint`. One violation per slot.
 */
import type { AnalysisReport, ContractReport, FunctionStats } from "../analysis/types.js"
import { integer, percent, shortList, speedup } from "./format.js"
import { contractConflictRate, functionConflictRate, functionSpeedupEstimate, nameOfSignature, selfConflictRate, structuralHotSlots } from "./metrics.js"
import { paint, type Paint } from "./style.js"

/** Limits for one function (the shape of `pevm.thresholds.<Contract>.functions.<fn>`). */
export interface FunctionThresholds {
  /** Largest conflict rate allowed, 0..1. */
  readonly maxConflictRate?: number
  /** Smallest speedup allowed, at least 1. */
  readonly minSpeedup?: number
  /** Fail on structural hot slots. */
  readonly forbidStructuralHotSlots?: boolean
}

/** Limits for one contract (the shape of `pevm.thresholds.<Contract>`). */
export interface ContractThresholds extends FunctionThresholds {
  /** Per function, by name ("transfer") or signature ("transfer(address,uint256)"). */
  readonly functions?: Readonly<Record<string, FunctionThresholds>>
}

/** By contract name, or "*" for every contract (the shape of `pevm.thresholds`). */
export type Thresholds = Readonly<Record<string, ContractThresholds>>

export type ThresholdRule = "maxConflictRate" | "minSpeedup" | "forbidStructuralHotSlots"

interface ViolationBase {
  readonly rule: ThresholdRule
  /** The contract's name as the report shows it. */
  readonly contract: string
  /** The function's signature, when the violation is about one function. */
  readonly function?: string
  /** The config path of the setting that failed, e.g. `pevm.thresholds.Token.functions.transfer.maxConflictRate`. */
  readonly setting: string
  /** One sentence naming the contract, the function, the measured value and the limit. */
  readonly message: string
}

export interface ConflictRateViolation extends ViolationBase {
  readonly rule: "maxConflictRate"
  readonly function: string
  readonly measured: number
  readonly limit: number
  /** The earlier function of the worst pair. */
  readonly after: string
  /** Slots of that pair, most frequent first. */
  readonly slots: readonly string[]
}

export interface SpeedupViolation extends ViolationBase {
  readonly rule: "minSpeedup"
  readonly measured: number
  readonly limit: number
}

export interface StructuralSlotViolation extends ViolationBase {
  readonly rule: "forbidStructuralHotSlots"
  readonly limit: true
  /** HotSlot.name of the slot. */
  readonly slot: string
  readonly writeShare: number
  /** The functions writing the slot for which the setting is true. */
  readonly functions: readonly string[]
}

export type Violation = ConflictRateViolation | SpeedupViolation | StructuralSlotViolation

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

function pathKey(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`
}

interface Source {
  readonly entry: FunctionThresholds
  readonly path: string
  /** Whether the entry is a function's own or a whole contract's. */
  readonly level: "function" | "contract"
}

/** The settings that apply to a function, most specific first. */
function functionSources(contractKeys: readonly [string, ContractThresholds][], fn: { signature: string; name: string }): Source[] {
  const sources: Source[] = []
  for (const [key, entry] of contractKeys) {
    const base = `pevm.thresholds${pathKey(key)}`
    const bySignature = entry.functions?.[fn.signature]
    if (bySignature !== undefined) sources.push({ entry: bySignature, path: `${base}.functions${pathKey(fn.signature)}`, level: "function" })
    const byName = fn.name !== fn.signature ? entry.functions?.[fn.name] : undefined
    if (byName !== undefined) sources.push({ entry: byName, path: `${base}.functions${pathKey(fn.name)}`, level: "function" })
    sources.push({ entry, path: base, level: "contract" })
  }
  return sources
}

function contractSources(contractKeys: readonly [string, ContractThresholds][]): Source[] {
  return contractKeys.map(([key, entry]) => ({ entry, path: `pevm.thresholds${pathKey(key)}`, level: "contract" }))
}

function first<K extends keyof FunctionThresholds>(sources: readonly Source[], field: K): { value: NonNullable<FunctionThresholds[K]>; path: string } | undefined {
  for (const source of sources) {
    const value = source.entry[field]
    if (value !== undefined && value !== null) return { value: value as NonNullable<FunctionThresholds[K]>, path: `${source.path}.${field}` }
  }
  return undefined
}

/** The entries of `thresholds` that apply to a contract: its own (by name, else by fully qualified name), then "*". */
function entriesFor(contract: ContractReport, thresholds: Thresholds): [string, ContractThresholds][] {
  const entries: [string, ContractThresholds][] = []
  const own = Object.hasOwn(thresholds, contract.name) ? contract.name : Object.hasOwn(thresholds, contract.fullyQualifiedName) ? contract.fullyQualifiedName : undefined
  if (own !== undefined) entries.push([own, thresholds[own] as ContractThresholds])
  if (Object.hasOwn(thresholds, "*") && own !== "*") entries.push(["*", thresholds["*"] as ContractThresholds])
  return entries
}

/** The measured value as a percentage, with more digits when the usual ones would equal the limit. */
function ratePair(measured: number, limit: number): [string, string] {
  const a = percent(measured)
  const b = percent(limit)
  if (a !== b) return [a, b]
  return [`${(measured * 100).toFixed(3)}%`, `${(limit * 100).toFixed(3)}%`]
}

function speedupPair(measured: number, limit: number): [string, string] {
  const a = speedup(measured)
  const b = speedup(limit)
  if (a !== b) return [a, b]
  return [`${measured.toFixed(4)}×`, `${limit.toFixed(4)}×`]
}

/** Every function the contract's figures know of: its called functions, then any conflicting function missing from them. */
function functionsOf(contract: ContractReport): { signature: string; name: string; stats?: FunctionStats }[] {
  const list: { signature: string; name: string; stats?: FunctionStats }[] = contract.functions.map((stats) => ({ signature: stats.signature, name: stats.name, stats }))
  const known = new Set(list.map((f) => f.signature))
  for (const pair of contract.conflicts) {
    if (known.has(pair.to)) continue
    known.add(pair.to)
    list.push({ signature: pair.to, name: nameOfSignature(pair.to) })
  }
  return list
}

/** Checks the report against the thresholds; an empty list means every threshold is met. */
export function checkThresholds(report: AnalysisReport, thresholds: Thresholds): Violation[] {
  const violations: Violation[] = []
  for (const contract of report.contracts) {
    const entries = entriesFor(contract, thresholds)
    if (entries.length === 0) continue
    const name = contract.name

    const minSpeedup = first(contractSources(entries), "minSpeedup")
    if (minSpeedup !== undefined && contract.speedupBound.bound < minSpeedup.value) {
      const [m, l] = speedupPair(contract.speedupBound.bound, minSpeedup.value)
      const b = contract.speedupBound
      violations.push({
        rule: "minSpeedup",
        contract: name,
        setting: minSpeedup.path,
        measured: b.bound,
        limit: minSpeedup.value,
        message:
          `${name}: speedup bound ${m} is below minSpeedup ${l} (${minSpeedup.path}); ` +
          `its ${integer(b.transactions)} transactions have a critical path of ${integer(b.criticalPathGas)} of ${integer(b.totalGas)} gas (a chain of ${integer(b.longestChain)}).`,
      })
    }

    for (const fn of functionsOf(contract)) {
      const sources = functionSources(entries, fn)
      const maxRate = first(sources, "maxConflictRate")
      if (maxRate !== undefined) {
        const measure = functionConflictRate(contract, fn.signature)
        if (measure.rate > maxRate.value && measure.pair !== undefined) {
          const pair = measure.pair
          const [m, l] = ratePair(measure.rate, maxRate.value)
          const after = pair.rate > 0 ? Math.round(pair.count / pair.rate) : pair.count
          const on = pair.slots.length > 0 ? `, on ${shortList(pair.slots, 2)}` : ""
          violations.push({
            rule: "maxConflictRate",
            contract: name,
            function: fn.signature,
            setting: maxRate.path,
            measured: measure.rate,
            limit: maxRate.value,
            after: pair.from,
            slots: pair.slots,
            message:
              `${name}: ${fn.signature} conflicts (read-after-write) with an earlier ${pair.from} in ${m} of its transactions ` +
              `(${integer(pair.count)} of ${integer(after)}${on}), above maxConflictRate ${l} (${maxRate.path}).`,
          })
        }
      }
      const fnSpeedup = first(
        sources.filter((s) => s.level === "function"),
        "minSpeedup",
      )
      if (fnSpeedup !== undefined && fn.stats !== undefined) {
        const estimate = functionSpeedupEstimate(contract, fn.stats)
        if (estimate < fnSpeedup.value) {
          const [m, l] = speedupPair(estimate, fnSpeedup.value)
          const r = selfConflictRate(contract, fn.signature)
          violations.push({
            rule: "minSpeedup",
            contract: name,
            function: fn.signature,
            setting: fnSpeedup.path,
            measured: estimate,
            limit: fnSpeedup.value,
            message:
              `${name}: ${fn.signature} would reach about ${m} in a block of its ${integer(fn.stats.transactions)} transactions ` +
              `(each conflicts with an earlier one at a rate of ${percent(r)}), below minSpeedup ${l} (${fnSpeedup.path}).`,
          })
        }
      }
    }

    for (const slot of structuralHotSlots(contract)) {
      const writers = slot.functions
      const deciding: { fn: string; path: string }[] = []
      if (writers.length === 0) {
        const setting = first(contractSources(entries), "forbidStructuralHotSlots")
        if (setting?.value === true) deciding.push({ fn: "", path: setting.path })
      }
      for (const signature of writers) {
        const stats = contract.functions.find((f) => f.signature === signature)
        const setting = first(functionSources(entries, { signature, name: stats?.name ?? nameOfSignature(signature) }), "forbidStructuralHotSlots")
        if (setting?.value === true) deciding.push({ fn: signature, path: setting.path })
      }
      if (deciding.length === 0) continue
      const functions = deciding.map((d) => d.fn).filter((f) => f !== "")
      const setting = (deciding[0] as { path: string }).path
      const by = slot.functions.length > 0 ? `, written by ${shortList(slot.functions)}` : ""
      violations.push({
        rule: "forbidStructuralHotSlots",
        contract: name,
        ...(functions.length === 1 ? { function: functions[0] as string } : {}),
        setting,
        limit: true,
        slot: slot.name,
        writeShare: slot.writeShare,
        functions,
        message:
          `${name}: structural hot slot ${slot.name} (${slot.kindReason})${by} in ${percent(slot.writeShare)} of its transactions, ` +
          `with ${integer(slot.conflicts)} read-after-write conflicts; forbidden by ${setting}.`,
      })
    }
  }
  return violations
}

/**
 * Threshold keys that match nothing in the report, as warnings (a typo in a
 * contract or function name would otherwise pass silently).
 */
export function unmatchedThresholds(report: AnalysisReport, thresholds: Thresholds): string[] {
  const warnings: string[] = []
  const contractNames = report.contracts.map((c) => c.name)
  const hasFunction = (contract: ContractReport, key: string): boolean => functionsOf(contract).some((f) => f.signature === key || f.name === key)
  for (const [key, entry] of Object.entries(thresholds)) {
    const base = `pevm.thresholds${pathKey(key)}`
    if (key === "*") {
      for (const fnKey of Object.keys(entry.functions ?? {})) {
        if (!report.contracts.some((c) => hasFunction(c, fnKey))) warnings.push(`${base}.functions${pathKey(fnKey)} matches no function that ran in any contract.`)
      }
      continue
    }
    const contract = report.contracts.find((c) => c.name === key || c.fullyQualifiedName === key)
    if (contract === undefined) {
      warnings.push(`${base} matches no contract in the report (contracts: ${contractNames.length > 0 ? contractNames.join(", ") : "none"}).`)
      continue
    }
    for (const fnKey of Object.keys(entry.functions ?? {})) {
      if (!hasFunction(contract, fnKey)) {
        const names = contract.functions.map((f) => f.name)
        warnings.push(`${base}.functions${pathKey(fnKey)} matches no function of ${contract.name} that ran (functions: ${names.length > 0 ? [...new Set(names)].join(", ") : "none"}).`)
      }
    }
  }
  return warnings
}

/** The violations for the terminal, one numbered paragraph each; a line saying all passed when there are none. */
export function formatViolations(violations: readonly Violation[], options: { readonly color?: boolean } = {}): string {
  const p: Paint = paint(options.color ?? false)
  if (violations.length === 0) return p.green("✔ All pevm thresholds are met.")
  const lines = [p.red(p.bold(`✖ ${violations.length === 1 ? "1 pevm threshold is" : `${violations.length} pevm thresholds are`} not met:`))]
  violations.forEach((v, i) => lines.push(`  ${i + 1}. ${v.message}`))
  return lines.join("\n")
}

/** What the thresholds mean, in Markdown, for the README. */
export const CHECKS_MARKDOWN = `### Thresholds (\`pevm.thresholds\`, checked by \`pevm-report --check\`)

Keys are contract names as the report shows them (or fully qualified names, \`contracts/Token.sol:Token\`), or \`"*"\` for every contract. Each entry may set \`maxConflictRate\` (0..1), \`minSpeedup\` (at least 1) and \`forbidStructuralHotSlots\`, and per function (by name, \`transfer\`, or signature, \`transfer(address,uint256)\`) the same three under \`functions\`.

- **Conflict rate of a function**: its worst read-after-write pair with it as the later transaction. For the pair "A then B", the rate is the share of B's transactions, among those that came after at least one A transaction, that read a slot whose last writer was an A transaction (Block-STM would re-execute them). The contract's transactions are taken in recorded order as one block. Write-after-write pairs do not count.
- **Conflict rate of a contract**: the worst of its functions', i.e. the highest read-after-write cell of its conflict matrix. A contract's \`maxConflictRate\` applies to each of its functions; a function's own setting overrides it.
- **Speedup of a contract**: its speedup bound, total gas over the gas on the critical path of the read-after-write dependency graph (1 = serial).
- **Speedup of a function**: an estimate for a block of only its n transactions, n / (1 + r (n - 1)) with r its rate after itself (n with no self-conflict, 1 when each call conflicts with the one before). Only a function's own \`minSpeedup\` checks it; the contract's checks the contract's bound.
- **Structural hot slot**: a slot that conflicts whatever the inputs (a fixed variable, or a mapping entry under a key not taken from the sender or arguments), written by at least two transactions, with at least one conflict. Reentrancy guards and other set-and-restored slots never count. On a contract, \`forbidStructuralHotSlots\` forbids them all; on a function, it decides for the slots that function writes, so \`{ forbidStructuralHotSlots: true, functions: { mint: { forbidStructuralHotSlots: false } } }\` allows a counter written only by \`mint\`.

The most specific setting wins: the contract's \`functions[signature]\`, then \`functions[name]\`, then the contract entry, then the same under \`"*"\`. Keys that match no contract or function are reported as warnings.
`
