/**
 * A measured replay of one contract's transactions through the engine. The
 * recorded raw transactions go into one synthetic block over a pre-state
 * rebuilt from what they read (`preStateOf`), in the environment of the last
 * one's block (with the lowest base fee among their blocks, so that every one
 * can pay, and a gas limit that fits them all), and the block runs once
 * sequentially and once with Block-STM; the timings, re-executions and
 * validation aborts are reported. Only transactions that ran one after
 * another are replayed: one chain of blocks of one session (the caller picks
 * it, see `Lineage`), and of those the longest run that the other
 * transactions of that chain left alone (`selfContainedRun`), at most
 * `maxTransactions`.
 *
 * Left out of the block, other transactions of the same senders leave gaps in
 * their nonces, so each sender's transactions are renumbered from the nonce
 * of its first one (the engine is given the sender, so the signature is not
 * checked), and each sender gets the largest balance it was seen with. The
 * replay can still differ from the record — state set by hand in between
 * (hardhat_setBalance, hardhat_setStorageAt) is not there, and all run at one
 * block's time — so each replayed transaction's status and gas are compared
 * with the record and every difference is reported, never hidden.
 */
import { availableParallelism } from "node:os"

import { executeBlock } from "../engine/index.js"
import type { BlockHeaderInput, BlockInput, BlockResult, ChainConfig, Hex, TxInput } from "../engine/types.js"
import type { RecordedBlock, RecordedKey, RecordedSession, RecordedTransaction, RunRecord } from "../network/record.js"
import { decodeRaw, withNonce } from "./rawTx.js"
import { preStateOf } from "./preState.js"
import type { ReplayResult } from "./types.js"

export interface ReplayOptions {
  /** Worker threads for the parallel run (default: the machine's cores, at least 2). */
  readonly workers?: number
  /** Replay at most this many transactions (default 2000). */
  readonly maxTransactions?: number
  /** Skip contracts with fewer transactions than this (default 2). */
  readonly minTransactions?: number
  /** Runs of each mode; the fastest counts (default 2: the first warms up). */
  readonly repeat?: number
}

export class ReplayError extends Error {
  override readonly name = "ReplayError"
}

export function headerOf(block: RecordedBlock): BlockHeaderInput {
  return {
    number: BigInt(block.number),
    timestamp: BigInt(block.env.timestamp),
    coinbase: block.env.coinbase,
    gasLimit: BigInt(block.env.gasLimit),
    ...(block.env.baseFeePerGas !== undefined ? { baseFeePerGas: BigInt(block.env.baseFeePerGas) } : {}),
    mixHash: block.env.prevRandao,
  }
}

const keyOf = (key: RecordedKey): string => ("slot" in key ? `${key.address}|${key.slot}` : `${key.address}|${key.field}`)

/**
 * The longest run of `transactions` (one session's, on one chain of blocks, in
 * recorded order) that a block of them alone runs as recorded. The block
 * leaves out the session's other transactions; when one of those, on the
 * same chain (`onChain(block)`), changed a key that an earlier transaction of
 * the run had seen and a later one reads or writes (a test's approve between
 * two swaps, a mint between two transfers), the later one would see another
 * value: the run ends before it. The senders' nonces and balances do not
 * count: the replay sets them itself. Only what the record shows is checked;
 * the block's environment (one timestamp for all) can still make a
 * transaction differ, and the replay reports it.
 */
export function selfContainedRun(
  session: RecordedSession,
  transactions: readonly RecordedTransaction[],
  onChain: (block: number) => boolean,
): RecordedTransaction[] {
  const first = transactions[0]
  const last = transactions.at(-1)
  if (first === undefined || last === undefined) return []
  const members = new Set(transactions)
  const senders = new Set(transactions.map((tx) => tx.from))
  const replaySets = (key: RecordedKey): boolean => "field" in key && (key.field === "nonce" || key.field === "balance") && senders.has(key.address)
  let best = { start: 0, end: 0 }
  let start = 0
  let position = 0
  let touched = new Set<string>()
  let changed = new Set<string>()
  const from = session.transactions.indexOf(first)
  const to = session.transactions.indexOf(last)
  if (from < 0 || to < from) return [...transactions]
  for (let i = from; i <= to; i++) {
    const tx = session.transactions[i] as RecordedTransaction
    if (members.has(tx)) {
      const used = [...tx.reads, ...tx.writes.filter((w) => w.delta === undefined)]
      if (used.some((key) => changed.has(keyOf(key)))) {
        start = position
        touched = new Set()
        changed = new Set()
      }
      for (const key of [...tx.reads, ...tx.writes]) touched.add(keyOf(key))
      position++
      if (position - start > best.end - best.start) best = { start, end: position }
    } else if (onChain(tx.block)) {
      for (const write of tx.writes) {
        const key = keyOf(write)
        if (touched.has(key) && !replaySets(write)) changed.add(key)
      }
    }
  }
  return transactions.slice(best.start, best.end)
}

export function chainOf(session: RecordedSession): ChainConfig {
  return { chainId: BigInt(session.chainId), hardfork: session.hardfork }
}

/** Builds the synthetic block and its pre-state for transactions of one session, in order. */
export function replayBlock(
  record: RunRecord,
  session: RecordedSession,
  transactions: readonly RecordedTransaction[],
): { block: BlockInput; pre: ReturnType<typeof preStateOf> } {
  const first = transactions[0]
  if (first === undefined) throw new ReplayError("nothing to replay")
  const firstBlock = session.blocks[first.block]
  if (firstBlock === undefined) throw new ReplayError(`transaction ${first.hash} names block ${first.block}, which the session lacks`)
  const pre = preStateOf(transactions, record.codes)
  const nextNonce = new Map<Hex, bigint>()
  const richest = new Map<Hex, bigint>()
  let gas = 0n
  let baseFee: bigint | undefined
  const inputs: TxInput[] = []
  for (const tx of transactions) {
    const fields = decodeRaw(tx.raw)
    gas += fields.gasLimit
    const env = session.blocks[tx.block]?.env
    if (env?.baseFeePerGas !== undefined) {
      const fee = BigInt(env.baseFeePerGas)
      baseFee = baseFee === undefined || fee < baseFee ? fee : baseFee
    }
    for (const read of tx.reads) {
      if ("field" in read && read.field === "balance" && read.address === tx.from) {
        richest.set(tx.from, (richest.get(tx.from) ?? 0n) > BigInt(read.value) ? (richest.get(tx.from) as bigint) : BigInt(read.value))
      }
    }
    let nonce = nextNonce.get(tx.from)
    if (nonce === undefined) {
      nonce = fields.nonce
      const account = pre.state.accounts.get(tx.from) ?? { nonce: 0n, balance: 0n, codeHash: 0n, storage: new Map() }
      account.nonce = nonce
      pre.state.accounts.set(tx.from, account)
    }
    nextNonce.set(tx.from, nonce + 1n)
    const raw = nonce === fields.nonce ? Buffer.from(tx.raw.slice(2), "hex") : withNonce(tx.raw, nonce)
    inputs.push({ raw: new Uint8Array(raw), sender: tx.from, ...(fields.value > 0n && fields.to !== undefined ? { payee: fields.to } : {}) })
  }
  for (const [sender, balance] of richest) {
    const account = pre.state.accounts.get(sender)
    if (account !== undefined && account.balance < balance) account.balance = balance
  }
  // The latest block's environment: tests move time forward (a sale opens, a lock expires) and
  // transactions recorded after the jump would revert at the first block's time.
  const lastBlock = session.blocks[(transactions.at(-1) as RecordedTransaction).block] ?? firstBlock
  const header = headerOf(lastBlock)
  return {
    block: {
      header: {
        ...header,
        gasLimit: gas > header.gasLimit ? gas : header.gasLimit,
        ...(baseFee !== undefined ? { baseFeePerGas: baseFee } : {}),
      },
      transactions: inputs,
    },
    pre,
  }
}

/** Where the replay's outcome differs from the record, in words. */
function divergences(recorded: readonly RecordedTransaction[], result: BlockResult): string[] {
  const found: string[] = []
  recorded.forEach((tx, i) => {
    const replayed = result.transactions[i]
    const short = `${tx.hash.slice(0, 10)}…`
    if (replayed === undefined || !replayed.included) {
      found.push(`${short}: left out of the replayed block (${replayed?.invalidReason ?? "missing"})`)
      return
    }
    const status = replayed.receipt.status ?? 1
    if (status !== tx.status) {
      found.push(`${short}: ${status === 0 ? `reverted in the replay (${replayed.error ?? "revert"})` : "succeeded in the replay"}, ${tx.status === 1 ? "succeeded" : "reverted"} in the record`)
    } else if (replayed.gasUsed.toString() !== tx.gasUsed) {
      found.push(`${short}: used ${replayed.gasUsed} gas in the replay, ${tx.gasUsed} in the record`)
    }
  })
  return found
}

export type ProgressCallback = (done: number, total: number, label: string) => void

/**
 * Replays `transactions` (one session's, in recorded order) sequentially and
 * in parallel; `progress` hears about each run.
 */
export async function replayTransactions(
  record: RunRecord,
  session: RecordedSession,
  transactions: readonly RecordedTransaction[],
  options: ReplayOptions = {},
  progress?: (step: string) => void,
): Promise<ReplayResult> {
  const limit = options.maxTransactions ?? 2000
  const chosen = transactions.slice(0, limit)
  const workers = options.workers ?? Math.max(2, availableParallelism())
  const repeat = Math.max(1, options.repeat ?? 2)
  const { block, pre } = replayBlock(record, session, chosen)
  const chain = chainOf(session)
  let sequentialMs = Infinity
  let sequential: BlockResult | undefined
  for (let run = 0; run < repeat; run++) {
    progress?.(`sequential run ${run + 1}/${repeat}`)
    sequential = await executeBlock(pre.state, block, { mode: "sequential", chain, invalidTransactions: "exclude" })
    sequentialMs = Math.min(sequentialMs, sequential.stats.wallMs)
  }
  let parallelMs = Infinity
  let parallel: BlockResult | undefined
  for (let run = 0; run < repeat; run++) {
    progress?.(`parallel run ${run + 1}/${repeat} (${workers} workers)`)
    parallel = await executeBlock(pre.state, block, { mode: "parallel", workers, chain, invalidTransactions: "exclude", minParallelTransactions: 1 })
    parallelMs = Math.min(parallelMs, parallel.stats.wallMs)
  }
  if (sequential === undefined || parallel === undefined) throw new ReplayError("no run")
  const found = divergences(chosen, sequential)
  if (pre.missingCode.length > 0) found.unshift(`code missing from the record for ${pre.missingCode.length} code hash(es); those accounts ran without code`)
  const stats = parallel.stats
  return {
    transactions: chosen.length,
    capped: chosen.length < transactions.length,
    workers,
    sequentialMs: round(sequentialMs),
    parallelMs: round(parallelMs),
    speedup: parallelMs > 0 ? round(sequentialMs / parallelMs) : 1,
    reExecutions: stats.reExecutions,
    incarnations: stats.incarnations,
    validationAborts: stats.validationAborts,
    dependencyWaits: stats.dependencyWaits,
    fellBack: stats.fellBack,
    ...(stats.fallbackReason !== undefined ? { fallbackReason: stats.fallbackReason } : {}),
    divergent: found.length - (pre.missingCode.length > 0 ? 1 : 0),
    divergences: found.slice(0, 10),
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
