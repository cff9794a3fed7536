/**
 * `analyzeRun`: from a run record and the project's compiled contracts to an
 * `AnalysisReport`. Transactions are attributed to contracts and functions
 * (`attribution.ts`); per contract, its call transactions in recorded order are
 * treated as one block (see `conflicts.ts` for why and what counts), each
 * linked only to earlier ones of its own history (`lineage.ts`: tests revert
 * to snapshots), which gives the hot slots (named by `slotNames.ts`,
 * classified in `hotSlots.ts`) and the function-pair conflict matrix. The
 * speedup bound and the replay take the transactions of one chain of blocks,
 * the fullest: transactions of sibling branches never ran one after another,
 * and counting them as independent would grow the bound with every test. A
 * few transactions are run again to find set-and-restored slots such as
 * storage reentrancy guards (`guards.ts`); optionally the transactions are
 * replayed through the engine to measure re-executions and speedup
 * (`replay.ts`); and patterns become suggestions (`suggestions.ts`). Progress
 * is reported step by step.
 */
import type { Hex } from "../engine/types.js"
import type { RunRecord } from "../network/record.js"
import { DEPLOY } from "./abi.js"
import type { ContractArtifact } from "./artifacts.js"
import { attributeTransactions, type AttributedTx, type ContractUse } from "./attribution.js"
import { Lineage } from "./lineage.js"
import { analyzeConflicts, storageOwnerId, type ConflictAnalysis } from "./conflicts.js"
import { keccakHex, shortAddress } from "./format.js"
import { findRestoredSlots, type GuardProbe } from "./guards.js"
import { hotSlots, ignoredSlots, slotDisplayName } from "./hotSlots.js"
import { KnownSlots } from "./namespaces.js"
import { replayTransactions, selfContainedRun, type ProgressCallback, type ReplayOptions } from "./replay.js"
import { PreimageIndex, SlotNamer } from "./slotNames.js"
import { speedupBound } from "./speedupBound.js"
import { suggestionsFor } from "./suggestions.js"
import {
  ANALYSIS_REPORT_VERSION,
  type AnalysisReport,
  type ContractReport,
  type FunctionConflict,
  type FunctionStats,
  type ReplayResult,
  type UnknownContract,
} from "./types.js"

export interface AnalyzeOptions {
  /** Replay each contract's transactions through the engine (default true); an object sets its bounds. */
  readonly replay?: boolean | ReplayOptions
  /** Run a few transactions per function again to find set-and-restored slots such as reentrancy guards (default true). */
  readonly detectGuards?: boolean
  /** Hot slots kept per contract (default 20). */
  readonly maxHotSlots?: number
  /** Suggestions only for slots written by at least this share of a contract's transactions (default 0.2). */
  readonly minWriteShare?: number
  /** Called as the analysis goes: steps done, steps in all, what runs now. */
  readonly onProgress?: ProgressCallback
  /** The report's creation time (default now). */
  readonly now?: Date
}

interface ContractGroup {
  readonly artifact: ContractArtifact
  readonly entries: { readonly entry: AttributedTx; readonly use: ContractUse }[]
}

function fullyQualified(artifact: ContractArtifact): string {
  return artifact.sourceName !== undefined ? `${artifact.sourceName}:${artifact.name}` : artifact.name
}

/** Contract names shown in the report: the bare name, or the fully qualified one when two artifacts share it. */
function displayNames(artifacts: readonly ContractArtifact[]): Map<ContractArtifact, string> {
  const count = new Map<string, number>()
  for (const a of artifacts) count.set(a.name, (count.get(a.name) ?? 0) + 1)
  return new Map(artifacts.map((a) => [a, (count.get(a.name) ?? 0) > 1 ? fullyQualified(a) : a.name]))
}

function functionStats(group: ContractGroup): FunctionStats[] {
  const stats = new Map<string, { name: string; signature: string; selector?: Hex; transactions: number; reverted: number; gas: number }>()
  for (const { entry, use } of group.entries) {
    for (const fn of use.functions) {
      let s = stats.get(fn.signature)
      if (s === undefined) {
        s = { name: fn.name, signature: fn.signature, ...(fn.selector !== undefined ? { selector: fn.selector } : {}), transactions: 0, reverted: 0, gas: 0 }
        stats.set(fn.signature, s)
      }
      s.transactions++
      if (entry.tx.status === 0) s.reverted++
      s.gas += entry.gas
    }
  }
  return [...stats.values()]
    .map((s) => ({ ...s, meanGas: s.transactions === 0 ? 0 : Math.round(s.gas / s.transactions) }))
    .sort((a, b) => b.transactions - a.transactions || b.gas - a.gas || a.signature.localeCompare(b.signature))
}

function functionConflicts(analysis: ConflictAnalysis, nameOfKey: (id: string) => string): FunctionConflict[] {
  return analysis.pairs
    .map((pair) => {
      const opportunities = analysis.opportunities.get(`${pair.from}|${pair.to}`) ?? pair.count
      const slots = new Map<string, number>()
      for (const [id, n] of pair.keys) {
        const name = nameOfKey(id)
        slots.set(name, (slots.get(name) ?? 0) + n)
      }
      return {
        from: pair.from,
        to: pair.to,
        kind: pair.kind,
        count: pair.count,
        rate: opportunities === 0 ? 0 : Math.min(1, pair.count / opportunities),
        sameBlockCount: pair.sameBlock,
        slots: [...slots].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([name]) => name),
      }
    })
    .sort((a, b) => b.count - a.count || b.rate - a.rate || a.from.localeCompare(b.from) || a.to.localeCompare(b.to))
}

/** Analyses a run record against the project's contracts. */
export async function analyzeRun(record: RunRecord, contracts: readonly ContractArtifact[], options: AnalyzeOptions = {}): Promise<AnalysisReport> {
  const warnings: string[] = []
  const replayOptions: ReplayOptions | undefined = options.replay === false ? undefined : options.replay === true || options.replay === undefined ? {} : options.replay
  const attributed = attributeTransactions(record, contracts)
  const lineage = new Lineage(record)

  // Preimages of every transaction, for naming hashed slots.
  const preimages = new PreimageIndex()
  for (const entry of attributed) for (const p of entry.tx.preimages ?? []) preimages.add(p, keccakHex(p))

  // Accounts the run saw, tried as mapping keys whose hashes the optimizer folded into constants.
  const addresses = new Set<Hex>()
  for (const { tx } of attributed) {
    addresses.add(tx.from)
    if (tx.to !== undefined) addresses.add(tx.to)
    if (tx.created !== undefined) addresses.add(tx.created)
    for (const frame of tx.calls ?? []) if (frame.address !== undefined) addresses.add(frame.address)
  }
  addresses.add("0x0000000000000000000000000000000000000000")

  const groups = new Map<ContractArtifact, ContractGroup>()
  const unknown = new Map<Hex, { codeHash?: Hex; transactions: number }>()
  for (const entry of attributed) {
    for (const use of entry.uses.values()) {
      let group = groups.get(use.artifact)
      if (group === undefined) groups.set(use.artifact, (group = { artifact: use.artifact, entries: [] }))
      group.entries.push({ entry, use })
    }
    for (const [address, codeHash] of entry.unknown) {
      const u = unknown.get(address) ?? { ...(codeHash !== undefined ? { codeHash } : {}), transactions: 0 }
      u.transactions++
      unknown.set(address, u)
    }
  }
  const names = displayNames([...groups.keys()])
  const steps = groups.size * (replayOptions !== undefined ? 2 : 1) + 1
  let done = 1
  options.onProgress?.(done, steps, "attributed transactions")

  const reports: ContractReport[] = []
  for (const group of groups.values()) {
    const artifact = group.artifact
    const name = names.get(artifact) ?? artifact.name
    options.onProgress?.(done, steps, `analysing ${name}`)
    const calls = group.entries.filter((e) => !e.use.deployOnly)
    const sequence = calls.map((e) => e.entry)
    const functionOf = calls.map((e) => e.use.functions[0]?.signature ?? DEPLOY)
    const owners = new Set<string>()
    const instances = new Set<Hex>()
    for (const { entry, use } of group.entries) {
      for (const address of use.storage) owners.add(storageOwnerId(entry.session, address))
      for (const address of use.instances) instances.add(address)
    }
    const namer = new SlotNamer(artifact.storageLayout, preimages, new KnownSlots((artifact.namespaces ?? []).map((n) => n.id)), name, addresses)

    let probe: GuardProbe | undefined
    if (options.detectGuards !== false && sequence.length > 0) {
      probe = await findRestoredSlots(record, sequence, functionOf, owners)
      for (const failure of probe.failures) warnings.push(`${name}: guard detection: ${failure}`)
    }
    const ignoredIds = new Set(probe?.restored.keys() ?? [])
    const analysis = analyzeConflicts(sequence, functionOf, owners, ignoredIds, lineage)
    const ignored = ignoredSlots(name, analysis, probe?.restored.values() ?? [], namer)
    const { slots, details } = hotSlots(record, name, analysis, namer, { ...(options.maxHotSlots !== undefined ? { maxHotSlots: options.maxHotSlots } : {}) })
    const shownNames = new Map(details.map((d) => [`${d.slot.address}|${d.slot.slot}`, d.slot.name]))
    const nameOfKey = (id: string): string => {
      const stats = analysis.keys.get(id)
      if (stats === undefined) return id
      if (stats.slot !== undefined) return shownNames.get(`${stats.address}|${stats.slot}`) ?? slotDisplayName(name, stats.slot, namer.name(stats.slot))
      return `${name} (${stats.field === "balance" ? "ETH balance" : stats.field} of ${shortAddress(stats.address)})`
    }
    // A transaction's dependencies are all on its own chain, so those of the chain's transactions stay in it.
    const chain = lineage.fullestPath(sequence)
    const positions = new Map(sequence.map((e, i) => [e, i]))
    const onChain = chain.map((e) => positions.get(e) as number)
    const indexOnChain = new Map(onChain.map((p, i) => [p, i]))
    const bound = speedupBound(
      onChain.map((p) => (sequence[p] as AttributedTx).gas),
      onChain.map((p) => (analysis.dependencies[p] ?? []).flatMap((d) => indexOnChain.get(d) ?? [])),
    )
    if (chain.length < sequence.length) {
      const session = chain[0]?.session
      const elsewhere = sequence.filter((e) => e.session !== session).length
      const branches = sequence.length - chain.length - elsewhere
      const others = sequence.length - chain.length
      const where =
        elsewhere === 0
          ? `the other ${others} ran on branches that snapshot reverts (loadFixture) split off`
          : branches === 0
            ? `the other ${others} ran in other sessions`
            : `of the other ${others}, ${branches} ran on branches that snapshot reverts (loadFixture) split off and ${elsewhere} in other sessions`
      warnings.push(
        `${name}: the speedup bound${replayOptions !== undefined ? " and the replay take" : " takes"} the ${chain.length} of its ${sequence.length} transactions ` +
          `that ran one after another on one chain of blocks; ${where}`,
      )
    }
    done++
    options.onProgress?.(done, steps, `analysed ${name}`)

    let replay: ReplayResult | undefined
    if (replayOptions !== undefined) {
      replay = await replayChain(record, name, chain, replayOptions, warnings, (label) => options.onProgress?.(done, steps, label), lineage)
      done++
      options.onProgress?.(done, steps, `replayed ${name}`)
    }

    reports.push({
      name,
      ...(artifact.sourceName !== undefined ? { sourceName: artifact.sourceName } : {}),
      fullyQualifiedName: fullyQualified(artifact),
      addresses: [...instances].sort(),
      transactions: group.entries.length,
      directTransactions: group.entries.filter((e) => e.use.direct && !e.use.deployOnly).length,
      deployments: group.entries.length - calls.length,
      gasUsed: group.entries.reduce((n, e) => n + e.entry.gas, 0),
      functions: functionStats(group),
      hotSlots: slots,
      ignoredSlots: ignored,
      conflicts: functionConflicts(analysis, nameOfKey),
      speedupBound: bound,
      ...(replay !== undefined ? { replay } : {}),
      suggestions: suggestionsFor(details, ignored, { ...(options.minWriteShare !== undefined ? { minWriteShare: options.minWriteShare } : {}) }),
    })
  }
  reports.sort((a, b) => b.gasUsed - a.gasUsed || a.name.localeCompare(b.name))

  const blocks = record.sessions.flatMap((s) => s.blocks)
  const unknownContracts: UnknownContract[] = [...unknown]
    .map(([address, u]) => ({ address, ...(u.codeHash !== undefined ? { codeHash: u.codeHash } : {}), transactions: u.transactions }))
    .sort((a, b) => b.transactions - a.transactions || a.address.localeCompare(b.address))
  return {
    version: ANALYSIS_REPORT_VERSION,
    createdAt: (options.now ?? new Date()).toISOString(),
    recordCreatedAt: record.createdAt,
    totals: {
      sessions: record.sessions.length,
      blocks: blocks.length,
      parallelBlocks: blocks.filter((b) => b.mode === "parallel" && !b.fellBack).length,
      transactions: attributed.length,
      recordedReExecutions: blocks.reduce((n, b) => n + b.reExecutions, 0),
      gasUsed: attributed.reduce((n, e) => n + e.gas, 0),
      unattributedTransactions: attributed.filter((e) => e.uses.size === 0).length,
    },
    contracts: reports,
    unknownContracts,
    warnings,
  }
}

/**
 * Replays the contract's transactions of one chain of blocks (see
 * `selfContainedRun` for the part that can run alone); failures become warnings.
 */
async function replayChain(
  record: RunRecord,
  name: string,
  chain: readonly AttributedTx[],
  options: ReplayOptions,
  warnings: string[],
  progress: (label: string) => void,
  lineage: Lineage,
): Promise<ReplayResult | undefined> {
  const first = chain[0]
  const last = chain.at(-1)
  const session = first === undefined ? undefined : record.sessions[first.session]
  if (first === undefined || last === undefined || session === undefined) return undefined
  const run = selfContainedRun(
    session,
    chain.map((e) => e.tx),
    (block) => lineage.descends(first.session, block, last.tx.block),
  )
  if (run.length < (options.minTransactions ?? 2)) return undefined
  try {
    const result = await replayTransactions(record, session, run, options, (step) => progress(`replaying ${name}: ${step}`))
    if (run.length < chain.length) {
      warnings.push(
        `${name}: replayed ${run.length} of the ${chain.length} transactions of that chain, the longest run that other transactions in between left alone ` +
          `(the block holds only ${name}'s; one in between changed what a later one reads)`,
      )
    }
    if (result.divergent > 0) warnings.push(`${name}: the replay differs from the record for ${result.divergent} of ${result.transactions} transactions (see replay.divergences)`)
    return result
  } catch (error) {
    warnings.push(`${name}: replay failed: ${(error as Error).message}`)
    return undefined
  }
}
