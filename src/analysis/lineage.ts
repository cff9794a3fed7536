/**
 * Which recorded blocks are ancestors of which. Tests revert the chain all the
 * time (`loadFixture` reverts to its snapshot before every test), so a
 * session's blocks form a tree, not a line: a transaction in one test never
 * read what a transaction of an earlier, reverted test wrote. The record marks
 * each block mined after a revert with the head it went back to
 * (`revertedTo`). Walking a session's blocks in order with a stack of the live
 * ones gives every block its parent (the nearest recorded ancestor) and the
 * first later block that no longer descends from it. The numbers are compared
 * only inside that stack, which holds one chain: a revert to head h leaves
 * exactly the live blocks numbered h or lower (snapshots later than the one
 * reverted to are used up, so a revert never lands on another branch; empty
 * blocks of hardhat_mine are recorded like any other). A block without the
 * marker extends the chain, so a record without any (older files) is one line.
 */
import type { RunRecord } from "../network/record.js"

/** A transaction of one session's block, as the analysis holds it. */
export interface OnBlock {
  readonly session: number
  readonly tx: { readonly block: number }
}

export class Lineage {
  /** Per session, per block: the nearest recorded ancestor's index, -1 for none. */
  private readonly parents: readonly Int32Array[]
  /** Per session, per block: the index of the first later block it is not an ancestor of (Infinity: none). */
  private readonly diesAt: readonly Float64Array[]

  constructor(record: RunRecord) {
    const parents: Int32Array[] = []
    const diesAt: Float64Array[] = []
    for (const session of record.sessions) {
      const parent = new Int32Array(session.blocks.length).fill(-1)
      const dies = new Float64Array(session.blocks.length).fill(Number.POSITIVE_INFINITY)
      const live: { index: number; number: bigint }[] = []
      session.blocks.forEach((block, index) => {
        if (block.revertedTo !== undefined) {
          const head = BigInt(block.revertedTo)
          while (live.length > 0 && (live.at(-1) as { number: bigint }).number > head) dies[(live.pop() as { index: number }).index] = index
        }
        parent[index] = live.at(-1)?.index ?? -1
        live.push({ index, number: BigInt(block.number) })
      })
      parents.push(parent)
      diesAt.push(dies)
    }
    this.parents = parents
    this.diesAt = diesAt
  }

  /** The nearest recorded ancestor of block `block` of the session (an index into its `blocks`), or -1. */
  parent(session: number, block: number): number {
    return this.parents[session]?.[block] ?? -1
  }

  /** Whether block `earlier` of the session is `later` itself or one of its ancestors (earlier ≤ later). */
  descends(session: number, earlier: number, later: number): boolean {
    return earlier <= later && later < ((this.diesAt[session]?.[earlier] as number | undefined) ?? Number.POSITIVE_INFINITY)
  }

  /** Whether transaction `earlier` (recorded before `later`) is on `later`'s chain: same session, an ancestor block or the same one. */
  before(earlier: OnBlock, later: OnBlock): boolean {
    return earlier.session === later.session && this.descends(later.session, earlier.tx.block, later.tx.block)
  }

  /**
   * The entries (in order) that lie on one chain of blocks of one session:
   * those in the blocks from some block back to the first, for the block that
   * gathers the most (the earliest such block on a tie). These are
   * transactions that really ran one after another.
   */
  fullestPath<T extends OnBlock>(entries: readonly T[]): T[] {
    // Entries per block, then per block the entries on its chain back to the root (parents come first).
    const counts = new Map<number, Map<number, number>>()
    for (const e of entries) {
      let perBlock = counts.get(e.session)
      if (perBlock === undefined) counts.set(e.session, (perBlock = new Map()))
      perBlock.set(e.tx.block, (perBlock.get(e.tx.block) ?? 0) + 1)
    }
    let best: { session: number; block: number; count: number } | undefined
    for (const [session, perBlock] of counts) {
      const parents = this.parents[session]
      if (parents === undefined) continue
      const onChain = new Float64Array(parents.length)
      for (let block = 0; block < parents.length; block++) {
        const parent = parents[block] as number
        onChain[block] = (perBlock.get(block) ?? 0) + (parent >= 0 ? (onChain[parent] as number) : 0)
        if (perBlock.has(block) && (best === undefined || (onChain[block] as number) > best.count)) best = { session, block, count: onChain[block] as number }
      }
    }
    if (best === undefined) return []
    const { session, block } = best
    return entries.filter((e) => e.session === session && this.descends(session, e.tx.block, block))
  }
}
