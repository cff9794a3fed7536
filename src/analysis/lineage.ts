/**
 * Which recorded blocks are ancestors of which. Tests revert the chain all the
 * time (`loadFixture` reverts to its snapshot before every test), so a
 * session's blocks form a tree, not a line: a transaction in one test never
 * read what a transaction of an earlier, reverted test wrote. The record marks
 * each block mined after a revert with the head it went back to
 * (`revertedTo`); walking a session's blocks in order with a stack of the
 * live ones gives, for every block, the first later block that no longer
 * descends from it.
 */
import type { RunRecord } from "../network/record.js"

export class Lineage {
  /** Per session: for each block, the index of the first later block it is not an ancestor of (Infinity: none). */
  private readonly diesAt: readonly Float64Array[]

  constructor(record: RunRecord) {
    this.diesAt = record.sessions.map((session) => {
      const dies = new Float64Array(session.blocks.length).fill(Number.POSITIVE_INFINITY)
      const live: { index: number; number: bigint }[] = []
      session.blocks.forEach((block, index) => {
        if (block.revertedTo !== undefined) {
          const head = BigInt(block.revertedTo)
          while (live.length > 0 && (live.at(-1) as { number: bigint }).number > head) dies[(live.pop() as { index: number }).index] = index
        }
        live.push({ index, number: BigInt(block.number) })
      })
      return dies
    })
  }

  /** Whether block `earlier` of the session is `later` itself or one of its ancestors (earlier ≤ later). */
  descends(session: number, earlier: number, later: number): boolean {
    return later < ((this.diesAt[session]?.[earlier] as number | undefined) ?? Number.POSITIVE_INFINITY)
  }

  /**
   * The entries (in order) that lie on one chain of blocks: those whose blocks
   * are all ancestors of the last one's, for the last block that gathers the
   * most.
   */
  fullestPath<T extends { readonly tx: { readonly block: number } }>(session: number, entries: readonly T[]): T[] {
    let best: T[] = []
    const leaves = [...new Set(entries.map((e) => e.tx.block))]
    for (const leaf of leaves) {
      const path = entries.filter((e) => e.tx.block <= leaf && this.descends(session, e.tx.block, leaf))
      if (path.length > best.length) best = path
    }
    return best
  }
}
