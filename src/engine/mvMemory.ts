/**
 * Block-STM's multi-version memory, in shared memory so that every worker
 * reads and writes versions without a message to anyone.
 *
 * Keys live in an open-addressing table; each key heads a list of versions
 * sorted by transaction index, highest first. A version is a full value, a
 * credit (delta, summed down to the next full value), or an ESTIMATE left by
 * an aborted incarnation: reading one means "wait for that transaction".
 *
 * Read sets record the version seen (transaction and incarnation, or the
 * pre-state) and the value. Validation reads again: an unchanged version is
 * valid at once (integers only); a changed one is still valid when the value
 * is the same, so a lower transaction that re-executes and writes the same
 * thing does not abort its readers.
 *
 * One refinement over the paper: validation reads through ESTIMATEs, taking
 * the aborted incarnation's value. That is safe because a re-execution that
 * changes any value it writes, or drops a write, re-validates every higher
 * transaction (`record` reports it), not only one that writes a new location.
 * It stops one aborted transaction (say, one fee credit to a coinbase that
 * also sends transactions) from aborting everything that read past it.
 *
 * Reads take no lock: nodes are published fully built and never reused within
 * a block, links change with Atomics, and a node's flags and value are read
 * under its seqlock. Writers to one key serialize on that key's lock.
 */
import {
  ArenaSlice,
  Ctrl,
  CODE_ENTRY_WORDS,
  KEY_ENTRY_WORDS,
  NODE_WORDS,
  READ_WORDS,
  BlockHalted,
  lock,
  overflow,
  unlock,
  type BlockViews,
} from "./blockMemory.js"
import { KEY_WORDS, keyFromWords, readValueWords, writeKeyWords, writeValueWords, type KeyRef } from "./keys.js"
import { DependencyAbort } from "./txView.js"

const MAX_PROBES = 64
const FULL = 1
const DELTA = 2
const ESTIMATE = 4

const KEY_STATE = 0
const KEY_LOCK = 1
const KEY_HEAD = 2
const KEY_DATA = 4

const N_TX = 0
const N_INC = 1
const N_FLAGS = 2
const N_NEXT = 3
/** Odd while a writer changes flags or value; readers retry if it moved. */
const N_SEQ = 4
const N_VALUE = 5

/** One write as recorded: key index, value, and whether it is a credit. */
export interface RecordedWrite {
  readonly keyIndex: number
  readonly value: bigint
  readonly delta: boolean
}

/** Version kinds that `resolve` reports besides a transaction index. */
export const FROM_PRE_STATE = -1
export const FROM_CREDITS = -2
export const FROM_WIPE = -3

/** One read as recorded: key index, the storage-epoch key index for slots (-1 otherwise), version and value seen. */
export interface RecordedRead {
  readonly keyIndex: number
  readonly epochIndex: number
  /** A transaction index, or FROM_PRE_STATE, FROM_CREDITS, FROM_WIPE. */
  readonly versionTx: number
  readonly versionIncarnation: number
  readonly value: bigint
}

export class MvMemory {
  private readonly scratch = new Uint32Array(KEY_WORDS)
  private readonly mask: number
  /** Set by `resolve`: whether a full value (or a storage wipe) was found below the reader. */
  found = false
  /** Set by `resolve`: the version the value came from (see RecordedRead). */
  versionTx = FROM_PRE_STATE
  versionIncarnation = 0

  private readonly nodeArena: ArenaSlice
  private readonly readArena: ArenaSlice
  private readonly listArena: ArenaSlice

  constructor(private readonly v: BlockViews) {
    this.mask = v.layout.keyCapacity - 1
    this.nodeArena = new ArenaSlice(v.ctrl, Ctrl.nodeTop, v.layout.nodeCapacity, 64)
    this.readArena = new ArenaSlice(v.ctrl, Ctrl.readTop, v.layout.readWords, 4096)
    this.listArena = new ArenaSlice(v.ctrl, Ctrl.listTop, v.layout.listWords, 1024)
  }

  // --- keys ------------------------------------------------------------------

  /** The index of a key in the table, inserting it if needed. */
  keyIndex(key: KeyRef): number {
    const { keys, keyWords, ctrl } = this.v
    const w = this.scratch
    writeKeyWords(key, w, 0)
    let h = 0x811c9dc5
    for (let i = 0; i < KEY_WORDS; i++) h = Math.imul(h ^ (w[i] as number), 0x01000193) ^ (h >>> 15)
    let slot = h & this.mask
    // A long probe means the table is too full: grow it (the block is retried).
    for (let probes = 0; probes < MAX_PROBES; probes++) {
      const base = slot * KEY_ENTRY_WORDS
      let state = Atomics.load(keys, base + KEY_STATE)
      if (state === 0) {
        if (Atomics.compareExchange(keys, base + KEY_STATE, 0, 1) === 0) {
          for (let i = 0; i < KEY_WORDS; i++) keyWords[base + KEY_DATA + i] = w[i] as number
          Atomics.store(keys, base + KEY_STATE, 2)
          return slot
        }
        state = Atomics.load(keys, base + KEY_STATE)
      }
      while (state === 1) state = Atomics.load(keys, base + KEY_STATE)
      let same = true
      for (let i = 0; i < KEY_WORDS; i++) {
        if (keyWords[base + KEY_DATA + i] !== w[i]) {
          same = false
          break
        }
      }
      if (same) return slot
      slot = (slot + 1) & this.mask
    }
    return overflow(ctrl)
  }

  keyAt(index: number): KeyRef {
    return keyFromWords(this.v.keyWords, index * KEY_ENTRY_WORDS + KEY_DATA)
  }

  // --- versions ----------------------------------------------------------------

  /**
   * The value below transaction `tx`: a full value plus the credits above it.
   * Sets `found` to false when no full value was found (the caller adds the
   * pre-state value). `wipedBy` >= 0 is the transaction that last wiped the
   * account's storage: versions older than it do not count.
   * Throws DependencyAbort on an ESTIMATE.
   */
  resolve(index: number, tx: number, wipedBy = -1, throughEstimates = false): bigint {
    const { keys, nodes } = this.v
    let sum = 0n
    let found = false
    let versionTx = FROM_PRE_STATE
    let versionIncarnation = 0
    let n = Atomics.load(keys, index * KEY_ENTRY_WORDS + KEY_HEAD)
    while (n !== 0) {
      const at = n * NODE_WORDS
      const owner = nodes[at + N_TX] as number
      if (owner >= tx) {
        n = Atomics.load(nodes, at + N_NEXT)
        continue
      }
      if (wipedBy >= 0 && owner < wipedBy) break
      let flags: number
      let incarnation: number
      let value: bigint
      for (let spins = 0; ; spins++) {
        const seq = Atomics.load(nodes, at + N_SEQ)
        if ((seq & 1) === 0) {
          flags = nodes[at + N_FLAGS] as number
          incarnation = nodes[at + N_INC] as number
          value = readValueWords(nodes, at + N_VALUE)
          if (Atomics.load(nodes, at + N_SEQ) === seq) break
        }
        // A writer that died mid-update would leave the seqlock odd forever.
        if (spins > 10_000 && Atomics.load(this.v.ctrl, Ctrl.halt) !== 0) throw new BlockHalted("block halted")
      }
      if ((flags & ESTIMATE) !== 0 && !throughEstimates) throw new DependencyAbort(owner)
      sum += value
      if ((flags & FULL) !== 0) {
        found = true
        if (versionTx === FROM_PRE_STATE) {
          versionTx = owner
          versionIncarnation = incarnation
        }
        break
      }
      versionTx = FROM_CREDITS
      n = Atomics.load(nodes, at + N_NEXT)
    }
    if (!found && wipedBy >= 0) {
      found = true
      if (versionTx === FROM_PRE_STATE) {
        versionTx = FROM_WIPE
        versionIncarnation = wipedBy
      }
    }
    this.found = found
    this.versionTx = versionTx
    this.versionIncarnation = versionIncarnation
    return sum
  }

  /**
   * Records an incarnation's writes and reads. Returns whether what higher
   * transactions can read changed: a new key, a different value, or a write
   * its previous incarnation made and this one did not. Then they must be
   * validated again.
   */
  record(tx: number, incarnation: number, writes: readonly RecordedWrite[], reads: readonly RecordedRead[]): boolean {
    const { lists, listIndex, readIndex, reads: readArena } = this.v
    let changed = false
    const written = new Set<number>()
    for (const write of writes) {
      written.add(write.keyIndex)
      if (this.upsert(write.keyIndex, tx, incarnation, write.value, write.delta)) changed = true
    }
    const previous = Atomics.load(listIndex, tx)
    if (previous !== 0) {
      const count = lists[previous] as number
      for (let i = 1; i <= count; i++) {
        const key = lists[previous + i] as number
        if (!written.has(key)) {
          this.remove(key, tx)
          changed = true
        }
      }
    }
    const list = this.listArena.take(written.size + 1)
    lists[list] = written.size
    let i = 1
    for (const key of written) lists[list + i++] = key
    Atomics.store(listIndex, tx, list)

    const start = this.readArena.take(reads.length * READ_WORDS + 1)
    readArena[start] = reads.length
    let at = start + 1
    for (const read of reads) {
      readArena[at] = read.keyIndex
      readArena[at + 1] = read.epochIndex
      readArena[at + 2] = read.versionTx
      readArena[at + 3] = read.versionIncarnation
      // A pre-state or wiped value need not be kept: validation can recompute it.
      if (read.versionTx >= 0 || read.versionTx === FROM_CREDITS) writeValueWords(read.value, readArena, at + 4)
      at += READ_WORDS
    }
    Atomics.store(readIndex, tx, start)
    return changed
  }

  /** Marks the transaction's writes as ESTIMATE: its next incarnation will probably write them again. */
  convertWritesToEstimates(tx: number): void {
    const { keys, nodes, lists, listIndex, ctrl } = this.v
    const list = Atomics.load(listIndex, tx)
    if (list === 0) return
    const count = lists[list] as number
    for (let i = 1; i <= count; i++) {
      const base = (lists[list + i] as number) * KEY_ENTRY_WORDS
      lock(keys, base + KEY_LOCK, ctrl)
      for (let n = keys[base + KEY_HEAD] as number; n !== 0; n = nodes[n * NODE_WORDS + N_NEXT] as number) {
        const at = n * NODE_WORDS
        if (nodes[at + N_TX] === tx) {
          Atomics.add(nodes, at + N_SEQ, 1)
          nodes[at + N_FLAGS] = (nodes[at + N_FLAGS] as number) | ESTIMATE
          Atomics.add(nodes, at + N_SEQ, 1)
          break
        }
      }
      unlock(keys, base + KEY_LOCK)
    }
  }

  /**
   * Whether every read of the transaction's latest incarnation would still
   * see the same version. `baseValue` gives the pre-state value of a key; it
   * is needed only for values summed from credits.
   */
  validate(tx: number, baseValue: (index: number) => bigint): boolean {
    const { readIndex, reads } = this.v
    const start = Atomics.load(readIndex, tx)
    if (start === 0) return true
    const count = reads[start] as number
    try {
      for (let i = 0, at = start + 1; i < count; i++, at += READ_WORDS) {
        const index = reads[at] as number
        const epochIndex = reads[at + 1] as number
        let wipedBy = -1
        if (epochIndex >= 0) {
          const epoch = this.resolve(epochIndex, tx, -1, true) // the pre-state epoch is always 0
          if (epoch !== 0n) wipedBy = Number(epoch) - 1
        }
        const value = this.resolve(index, tx, wipedBy, true)
        const versionTx = reads[at + 2] as number
        if (versionTx !== FROM_CREDITS && this.versionTx === versionTx && this.versionIncarnation === reads[at + 3]) continue
        const now = this.found ? value : value + baseValue(index)
        const seen =
          versionTx === FROM_PRE_STATE ? baseValue(index) : versionTx === FROM_WIPE ? 0n : readValueWords(reads, at + 4)
        if (now !== seen) return false
      }
    } catch (error) {
      if (error instanceof DependencyAbort) return false
      throw error
    }
    return true
  }

  // --- code ----------------------------------------------------------------------

  /** Publishes code deployed in the block, by hash. */
  putCode(hash: bigint, code: Uint8Array): void {
    const { codeTable, codeBytes, ctrl, layout } = this.v
    const mask = layout.codeCapacity - 1
    let slot = Number(hash & BigInt(mask))
    for (let probes = 0; probes <= mask; probes++) {
      const base = slot * CODE_ENTRY_WORDS
      let state = Atomics.load(codeTable, base)
      if (state === 0 && Atomics.compareExchange(codeTable, base, 0, 1) === 0) {
        const offset = Atomics.add(ctrl, Ctrl.codeTop, code.length)
        if (offset + code.length > layout.codeBytes) overflow(ctrl)
        codeBytes.set(code, offset)
        codeTable[base + 1] = offset
        codeTable[base + 2] = code.length
        writeValueWords(hash, codeTable, base + 4)
        Atomics.store(codeTable, base, 2)
        return
      }
      state = Atomics.load(codeTable, base)
      while (state === 1) state = Atomics.load(codeTable, base)
      if (readValueWords(codeTable, base + 4) === hash) return
      slot = (slot + 1) & mask
    }
    overflow(ctrl)
  }

  code(hash: bigint): Uint8Array | undefined {
    const { codeTable, codeBytes, layout } = this.v
    const mask = layout.codeCapacity - 1
    let slot = Number(hash & BigInt(mask))
    for (let probes = 0; probes <= mask; probes++) {
      const base = slot * CODE_ENTRY_WORDS
      let state = Atomics.load(codeTable, base)
      if (state === 0) return undefined
      while (state === 1) state = Atomics.load(codeTable, base)
      if (readValueWords(codeTable, base + 4) === hash) {
        const offset = codeTable[base + 1] as number
        return codeBytes.slice(offset, offset + (codeTable[base + 2] as number))
      }
      slot = (slot + 1) & mask
    }
    return undefined
  }

  // --- internals ---------------------------------------------------------------

  /** Writes one version; true when it is new or differs from the previous incarnation's. */
  private upsert(index: number, tx: number, incarnation: number, value: bigint, delta: boolean): boolean {
    const { keys, nodes, ctrl, layout } = this.v
    const base = index * KEY_ENTRY_WORDS
    lock(keys, base + KEY_LOCK, ctrl)
    try {
      let previous = 0
      let n = keys[base + KEY_HEAD] as number
      while (n !== 0 && (nodes[n * NODE_WORDS + N_TX] as number) > tx) {
        previous = n
        n = nodes[n * NODE_WORDS + N_NEXT] as number
      }
      if (n !== 0 && nodes[n * NODE_WORDS + N_TX] === tx) {
        const at = n * NODE_WORDS
        const kind = delta ? DELTA : FULL
        const same = ((nodes[at + N_FLAGS] as number) & ~ESTIMATE) === kind && readValueWords(nodes, at + N_VALUE) === value
        Atomics.add(nodes, at + N_SEQ, 1)
        nodes[at + N_INC] = incarnation
        nodes[at + N_FLAGS] = kind
        writeValueWords(value, nodes, at + N_VALUE)
        Atomics.add(nodes, at + N_SEQ, 1)
        return !same
      }
      const node = this.nodeArena.take(1)
      const at = node * NODE_WORDS
      nodes[at + N_TX] = tx
      nodes[at + N_INC] = incarnation
      nodes[at + N_FLAGS] = delta ? DELTA : FULL
      nodes[at + N_NEXT] = n
      writeValueWords(value, nodes, at + N_VALUE)
      // Publishing the link is what makes the node visible to lock-free readers.
      if (previous === 0) Atomics.store(keys, base + KEY_HEAD, node)
      else Atomics.store(nodes, previous * NODE_WORDS + N_NEXT, node)
      return true
    } finally {
      unlock(keys, base + KEY_LOCK)
    }
  }

  private remove(index: number, tx: number): void {
    const { keys, nodes, ctrl } = this.v
    const base = index * KEY_ENTRY_WORDS
    lock(keys, base + KEY_LOCK, ctrl)
    let previous = 0
    for (let n = keys[base + KEY_HEAD] as number; n !== 0; n = nodes[n * NODE_WORDS + N_NEXT] as number) {
      if (nodes[n * NODE_WORDS + N_TX] === tx) {
        const next = nodes[n * NODE_WORDS + N_NEXT] as number
        if (previous === 0) Atomics.store(keys, base + KEY_HEAD, next)
        else Atomics.store(nodes, previous * NODE_WORDS + N_NEXT, next)
        break
      }
      previous = n
    }
    unlock(keys, base + KEY_LOCK)
  }
}
