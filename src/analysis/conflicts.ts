/**
 * Conflicts between one contract's transactions. The contract's call
 * transactions (not its deployment) are taken in recorded order as if they
 * were one block: tests mostly mine one transaction per block, so only this
 * view shows what a busy block of such calls would do. Pairs that really were
 * in the same mined block are counted apart (`sameBlock`).
 *
 * Transaction j read-after-write conflicts with an earlier i when j reads a
 * key of the contract's state (a storage slot or an account field of one of
 * its addresses) whose last writer before j is i, or that i credited (a
 * commutative `delta`, e.g. a plain ETH payment) after that last write: that
 * is what makes Block-STM re-execute j. Write-after-write (j changes a key
 * that i changed last) is reported apart: it does not by itself make Block-STM
 * re-execute (it keeps a version per writer), but it says both transactions
 * change the key. The engine records a read with every storage write (SSTORE's
 * gas depends on the value before), so a storage write-after-write comes with
 * a read-after-write on the same slot.
 *
 * Only a transaction's own history counts: a session's blocks form a tree
 * (tests revert to snapshots), and j is linked only to writers in its own
 * block or an ancestor (`Lineage`); what a reverted test wrote is gone for
 * the next test, however alike their keys (each mints token 0 again). Keys
 * are qualified by session: two test processes deploying at the same
 * address are different chains. Commutative credits do not conflict with each
 * other, only with a later read. Not counted: writes that leave the value as
 * it was (no-ops; the engine drops them), keys the caller marks ignored, and
 * the senders' own nonces and balances, which say which test accounts sent
 * the transactions, not how the contract is designed.
 */
import type { AccountField, Hex } from "../engine/types.js"
import type { RecordedKey } from "../network/record.js"
import type { Lineage } from "./lineage.js"
import type { AttributedTx } from "./attribution.js"
import type { ConflictKind } from "./types.js"

export interface KeyStats {
  readonly id: string
  readonly session: number
  readonly address: Hex
  readonly slot?: Hex
  readonly field?: AccountField
  /** Positions (in the contract's sequence) of transactions that changed it. */
  readonly writers: number[]
  /** Old and new values of each change, in order. */
  readonly changes: { readonly position: number; readonly old: bigint; readonly new: bigint }[]
  readers: number
  /** Later transactions that read it after another wrote it. */
  raw: number
  /** Later transactions that changed it after another changed it. */
  waw: number
  /** Positions of the later transactions of those conflicts (read-after-write or write-after-write), once each. */
  readonly conflicted: number[]
  /** Writes recorded with old == new. */
  noOpWrites: number
}

export interface PairStats {
  readonly from: string
  readonly to: string
  readonly kind: ConflictKind
  count: number
  sameBlock: number
  /** Key id -> how many of `count` involved it. */
  readonly keys: Map<string, number>
}

export interface ConflictAnalysis {
  /** The contract's call transactions, in recorded order. */
  readonly sequence: readonly AttributedTx[]
  /** The function (signature) each transaction of `sequence` called on the contract first. */
  readonly functionOf: readonly string[]
  /** For each transaction, the earlier ones it read-after-write depends on (positions). */
  readonly dependencies: readonly (readonly number[])[]
  readonly keys: ReadonlyMap<string, KeyStats>
  readonly pairs: readonly PairStats[]
  /** "from|to" -> transactions of `to` that came after at least one `from` transaction on their chain of blocks. */
  readonly opportunities: ReadonlyMap<string, number>
}

export function keyId(session: number, key: RecordedKey): string {
  return "slot" in key ? `${session}|${key.address}|${key.slot}` : `${session}|${key.address}|${key.field}`
}

export function storageOwnerId(session: number, address: Hex): string {
  return `${session}|${address}`
}

/**
 * Conflicts among a contract's transactions in recorded order. A transaction
 * depends only on writers it descends from (`lineage`; without one, each
 * session is taken as one line of blocks): one on a branch that a snapshot
 * revert threw away wrote nothing it could read.
 */
export function analyzeConflicts(
  sequence: readonly AttributedTx[],
  functionOf: readonly string[],
  owners: ReadonlySet<string>,
  ignored: ReadonlySet<string> = new Set(),
  lineage?: Lineage,
): ConflictAnalysis {
  const keys = new Map<string, KeyStats>()
  /**
   * Per key, the transactions that changed it, oldest first: in full, or by a
   * commutative credit (`delta`). Those on dead branches are dropped when met.
   */
  const changes = new Map<string, { readonly position: number; readonly credit: boolean }[]>()
  const pairs = new Map<string, PairStats>()
  const opportunities = new Map<string, number>()
  /** Per session and function, its transactions so far, latest last; those on dead branches are dropped when met. */
  const calls = new Map<number, Map<string, number[]>>()
  const dependencies: number[][] = []

  const statsOf = (session: number, key: RecordedKey): KeyStats => {
    const id = keyId(session, key)
    let stats = keys.get(id)
    if (stats === undefined) {
      stats = {
        id,
        session,
        address: key.address,
        ...("slot" in key ? { slot: key.slot } : { field: key.field }),
        writers: [],
        changes: [],
        readers: 0,
        raw: 0,
        waw: 0,
        conflicted: [],
        noOpWrites: 0,
      }
      keys.set(id, stats)
    }
    return stats
  }
  const pair = (from: number, to: number, kind: ConflictKind, id: string, counted: Set<string>): void => {
    const fromFn = functionOf[from] as string
    const toFn = functionOf[to] as string
    const pairKey = `${fromFn}|${toFn}|${kind}`
    let stats = pairs.get(pairKey)
    if (stats === undefined) pairs.set(pairKey, (stats = { from: fromFn, to: toFn, kind, count: 0, sameBlock: 0, keys: new Map() }))
    stats.keys.set(id, (stats.keys.get(id) ?? 0) + 1)
    if (counted.has(pairKey)) return
    counted.add(pairKey)
    stats.count++
    const a = sequence[from] as AttributedTx
    const b = sequence[to] as AttributedTx
    if (a.session === b.session && a.tx.block === b.tx.block) stats.sameBlock++
  }

  const isAncestor = (position: number, entry: AttributedTx): boolean => {
    const earlier = sequence[position] as AttributedTx
    return lineage === undefined ? earlier.session === entry.session : lineage.before(earlier, entry)
  }
  /**
   * `stack` (in recorded order, each on the next one's chain) without its
   * top entries that are not on `entry`'s chain. Those are dropped for good:
   * a block that is not an ancestor of this one is on a dead branch, and no
   * later block descends from it either. What is left is all on the chain.
   */
  const live = <T>(stack: T[] | undefined, positionOf: (item: T) => number, entry: AttributedTx): T[] => {
    if (stack === undefined) return []
    while (stack.length > 0 && !isAncestor(positionOf(stack.at(-1) as T), entry)) stack.pop()
    return stack
  }
  const liveChanges = (id: string, entry: AttributedTx) => live(changes.get(id), (c) => c.position, entry)
  /** The transactions whose changes `entry` reads in `id`: the last full write on its chain and the credits after it. */
  const readDependencies = (id: string, entry: AttributedTx): number[] => {
    const stack = liveChanges(id, entry)
    const found: number[] = []
    for (let i = stack.length - 1; i >= 0; i--) {
      const change = stack[i] as { position: number; credit: boolean }
      found.push(change.position)
      if (!change.credit) break
    }
    return found
  }
  /** The last transaction on `entry`'s chain that changed `id` in full. */
  const lastWriterFor = (id: string, entry: AttributedTx): number | undefined => {
    const stack = liveChanges(id, entry)
    for (let i = stack.length - 1; i >= 0; i--) if (!(stack[i] as { credit: boolean }).credit) return (stack[i] as { position: number }).position
    return undefined
  }

  sequence.forEach((entry, position) => {
    const fn = functionOf[position] as string
    let byFunction = calls.get(entry.session)
    if (byFunction === undefined) calls.set(entry.session, (byFunction = new Map()))
    for (const [earlier, stack] of byFunction) {
      if (live(stack, (p) => p, entry).length > 0) opportunities.set(`${earlier}|${fn}`, (opportunities.get(`${earlier}|${fn}`) ?? 0) + 1)
    }
    const own = byFunction.get(fn)
    if (own === undefined) byFunction.set(fn, [position])
    else own.push(position)
    const owned = (key: RecordedKey): boolean => owners.has(storageOwnerId(entry.session, key.address)) && !ignored.has(keyId(entry.session, key))
    const deps = new Set<number>()
    const counted = new Set<string>()
    const readIds = new Set<string>()
    for (const read of entry.tx.reads) {
      if (!owned(read)) continue
      const id = keyId(entry.session, read)
      if (readIds.has(id)) continue
      readIds.add(id)
      const stats = statsOf(entry.session, read)
      stats.readers++
      const writers = readDependencies(id, entry)
      if (writers.length === 0) continue
      stats.raw++
      stats.conflicted.push(position)
      for (const writer of writers) {
        deps.add(writer)
        pair(writer, position, "read-after-write", id, counted)
      }
    }
    for (const write of entry.tx.writes) {
      if (!owned(write) || write.delta !== undefined) continue
      const id = keyId(entry.session, write)
      const stats = statsOf(entry.session, write)
      const before = BigInt(write.old)
      const after = BigInt(write.new)
      if (before === after) {
        stats.noOpWrites++
        continue
      }
      const writer = lastWriterFor(id, entry)
      if (writer !== undefined) {
        stats.waw++
        if (stats.conflicted.at(-1) !== position) stats.conflicted.push(position)
        pair(writer, position, "write-after-write", id, counted)
      }
      stats.writers.push(position)
      stats.changes.push({ position, old: before, new: after })
    }
    for (const write of entry.tx.writes) {
      if (!owned(write) || BigInt(write.old) === BigInt(write.new)) continue
      const id = keyId(entry.session, write)
      const change = { position, credit: write.delta !== undefined }
      const stack = liveChanges(id, entry)
      if (stack.length === 0) changes.set(id, [change])
      else stack.push(change)
    }
    dependencies.push([...deps].sort((a, b) => a - b))
  })
  return { sequence, functionOf, dependencies, keys, pairs: [...pairs.values()], opportunities }
}
