/**
 * Log queries and installed filters. A log filter names a block range (or one
 * block hash), addresses, and topics: per position null (any), one topic, or
 * a list (any of them). Installed filters remember what they already returned
 * so that eth_getFilterChanges only reports what is new.
 */
import type { Hex } from "../engine/types.js"
import { firstLogIndex, formatLog, type MinedBlock } from "./blocks.js"
import { InvalidInputError } from "./errors.js"

export interface LogFilter {
  readonly fromBlock: bigint
  /** undefined: up to the latest block at query time. */
  readonly toBlock: bigint | undefined
  readonly blockHash?: Hex
  readonly addresses: readonly Hex[]
  readonly topics: readonly (readonly Hex[] | null)[]
}

/**
 * As in EDR (and geth): a filter with more topic positions than the log has
 * topics does not match it, even when the extra positions are null; an empty
 * list at a position matches nothing (EDR).
 */
export function matches(filter: LogFilter, address: Hex, topics: readonly Hex[]): boolean {
  if (filter.addresses.length > 0 && !filter.addresses.includes(address)) return false
  if (filter.topics.length > topics.length) return false
  for (let i = 0; i < filter.topics.length; i++) {
    const wanted = filter.topics[i]
    if (wanted === null || wanted === undefined) continue
    if (!wanted.includes(topics[i] as Hex)) return false
  }
  return true
}

export function logsOf(block: MinedBlock, filter: LogFilter): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  block.transactions.forEach((tx, index) => {
    const first = firstLogIndex(block, index)
    tx.result.receipt.logs.forEach((log, i) => {
      if (matches(filter, log.address, log.topics)) out.push(formatLog(log, tx, block, index, first + i))
    })
  })
  return out
}

export interface InstalledFilter {
  readonly kind: "logs" | "blocks" | "pending"
  readonly filter?: LogFilter
  /** The next block to report from. */
  nextBlock: bigint
  pendingHashes: Hex[]
}

export class FilterRegistry {
  private readonly filters = new Map<bigint, InstalledFilter>()
  private nextId = 1n

  install(kind: InstalledFilter["kind"], nextBlock: bigint, filter?: LogFilter): bigint {
    const id = this.nextId++
    this.filters.set(id, { kind, ...(filter !== undefined ? { filter } : {}), nextBlock, pendingHashes: [] })
    return id
  }

  uninstall(id: bigint): boolean {
    return this.filters.delete(id)
  }

  find(id: bigint): InstalledFilter | undefined {
    return this.filters.get(id)
  }

  get(id: bigint): InstalledFilter {
    const filter = this.filters.get(id)
    if (filter === undefined) throw new InvalidInputError(`Filter with id 0x${id.toString(16)} does not exist`)
    return filter
  }

  /** After evm_revert: blocks past the new head will be mined again, and must be reported again. */
  rewind(nextBlock: bigint): void {
    for (const filter of this.filters.values()) if (filter.nextBlock > nextBlock) filter.nextBlock = nextBlock
  }

  /** Pending-transaction filters hear about every new transaction. */
  onPendingTransaction(hash: Hex): void {
    for (const filter of this.filters.values()) if (filter.kind === "pending") filter.pendingHashes.push(hash)
  }
}
