/**
 * The run record: what a node saw while tests ran, as plain JSON. Every mined
 * transaction with its access set (field-level reads and writes, old and new
 * values), its call frames and the KECCAK256 preimages that name its storage
 * slots, plus the stats of every block and the bytecode of every contract that
 * ran. The analysis reads it; the plugin writes one file per test worker and
 * merges them (`mergeRunRecords`).
 *
 * Quantities are decimal strings and state values 0x-hex, so the file stays
 * exact and readable. Slots that look alike across sessions are not merged:
 * each node (one per network connection) is its own session, because snapshot
 * reverts reuse block numbers and addresses.
 */
import type { AccessSet, AccountField, CallFrame, ExecutionStats, Hex } from "../engine/types.js"

export const RUN_RECORD_VERSION = 1

export type RecordedKey = { readonly address: Hex; readonly field: AccountField } | { readonly address: Hex; readonly slot: Hex }

export type RecordedRead = RecordedKey & { readonly value: Hex }

export type RecordedWrite = RecordedKey & {
  readonly old: Hex
  readonly new: Hex
  /** Set for a commutative credit (the coinbase fee, a plain ETH credit): the amount added. */
  readonly delta?: Hex
}

export interface RecordedTransaction {
  /** The mined block, as an index into the session's `blocks`. */
  readonly block: number
  readonly index: number
  readonly hash: Hex
  readonly from: Hex
  readonly to?: Hex
  readonly created?: Hex
  readonly selector?: Hex
  readonly status: 0 | 1
  readonly gasUsed: string
  /** The serialized transaction as mined (impersonated ones carry a fake signature; `from` is the sender). */
  readonly raw: Hex
  readonly reads: readonly RecordedRead[]
  readonly writes: readonly RecordedWrite[]
  /** The call frames, the first being the transaction's own call; absent when tracing was off. */
  readonly calls?: readonly CallFrame[]
  /** KECCAK256 inputs of 32 or 64 bytes (see `TxTrace`). */
  readonly preimages?: readonly Hex[]
}

/** The environment a block ran in, so that its transactions can be replayed. */
export interface RecordedBlockEnv {
  readonly timestamp: string
  readonly gasLimit: string
  readonly baseFeePerGas?: string
  readonly coinbase: Hex
  readonly prevRandao: Hex
}

export interface RecordedBlock {
  readonly number: string
  readonly env: RecordedBlockEnv
  readonly transactions: number
  readonly gasUsed: string
  readonly mode: ExecutionStats["mode"]
  readonly fellBack: boolean
  readonly fallbackReason?: string
  readonly incarnations: number
  readonly reExecutions: number
  readonly wallMs: number
  /**
   * Set when the chain was reverted (evm_revert, hardhat_reset) since the block
   * recorded before this one: the head block number it went back to (the lowest,
   * after several). Blocks recorded earlier in the session with a higher number
   * are not this block's ancestors: what they wrote is gone for it.
   */
  readonly revertedTo?: string
}

/** One node: one network connection in one process. */
export interface RecordedSession {
  readonly id: string
  readonly chainId: string
  readonly hardfork: string
  readonly blocks: readonly RecordedBlock[]
  readonly transactions: readonly RecordedTransaction[]
}

export interface RunRecord {
  readonly version: typeof RUN_RECORD_VERSION
  readonly tool: "hardhat-pevm"
  readonly createdAt: string
  readonly sessions: readonly RecordedSession[]
  /** Code hash -> runtime bytecode, for every contract that the transactions touched. */
  readonly codes: Readonly<Record<Hex, Hex>>
}

export class RunRecordError extends Error {
  override readonly name = "RunRecordError"
}

export function toHexWord(value: bigint): Hex {
  return `0x${value.toString(16)}`
}

/** Converts an engine access set into the record's form. */
export function recordAccess(access: AccessSet): { reads: RecordedRead[]; writes: RecordedWrite[] } {
  return {
    reads: access.reads.map((read) => ({ ...read.key, value: toHexWord(read.value) })),
    writes: access.writes.map((write) => ({
      ...write.key,
      old: toHexWord(write.old),
      new: toHexWord(write.new),
      ...(write.delta !== undefined ? { delta: toHexWord(write.delta) } : {}),
    })),
  }
}

/** Code hashes that a transaction's access set shows running or deployed. */
export function codeHashesOf(tx: Pick<RecordedTransaction, "reads" | "writes">): Hex[] {
  const hashes = new Set<Hex>()
  for (const entry of tx.reads) if ("field" in entry && entry.field === "code" && entry.value !== "0x0") hashes.add(entry.value)
  for (const entry of tx.writes) if ("field" in entry && entry.field === "code" && entry.new !== "0x0") hashes.add(entry.new)
  return [...hashes]
}

/**
 * Merges records, e.g. the files of several test workers. Parts of one session
 * (saved at different times by one worker) are joined in the order given,
 * with their block indexes shifted to match.
 */
export function mergeRunRecords(records: readonly RunRecord[]): RunRecord {
  const codes: Record<Hex, Hex> = {}
  const sessions = new Map<string, { blocks: RecordedBlock[]; transactions: RecordedTransaction[]; first: RecordedSession }>()
  for (const record of records) {
    Object.assign(codes, record.codes)
    for (const session of record.sessions) {
      let merged = sessions.get(session.id)
      if (merged === undefined) sessions.set(session.id, (merged = { blocks: [], transactions: [], first: session }))
      const offset = merged.blocks.length
      merged.blocks.push(...session.blocks)
      for (const tx of session.transactions) merged.transactions.push(offset === 0 ? tx : { ...tx, block: tx.block + offset })
    }
  }
  return {
    version: RUN_RECORD_VERSION,
    tool: "hardhat-pevm",
    createdAt: records.map((r) => r.createdAt).sort().at(-1) ?? new Date().toISOString(),
    sessions: [...sessions.values()]
      .filter((s) => s.blocks.length > 0)
      .map((s) => ({ id: s.first.id, chainId: s.first.chainId, hardfork: s.first.hardfork, blocks: s.blocks, transactions: s.transactions })),
    codes,
  }
}

/** Checks a parsed JSON file's shape (deeply enough to fail early and clearly) and returns it typed. */
export function parseRunRecord(json: unknown, source = "run record"): RunRecord {
  const fail = (what: string): never => {
    throw new RunRecordError(`${source}: ${what}`)
  }
  if (typeof json !== "object" || json === null) return fail("not a JSON object")
  const record = json as Partial<RunRecord>
  if (record.tool !== "hardhat-pevm") fail('not a hardhat-pevm run record (no "tool": "hardhat-pevm")')
  if (record.version !== RUN_RECORD_VERSION) fail(`version ${String(record.version)} is not supported (expected ${RUN_RECORD_VERSION}); run the tests again`)
  if (!Array.isArray(record.sessions)) fail('"sessions" must be an array')
  if (typeof record.codes !== "object" || record.codes === null) fail('"codes" must be an object')
  for (const [i, session] of (record.sessions as unknown[]).entries()) {
    const s = session as Partial<RecordedSession>
    if (!Array.isArray(s.blocks) || !Array.isArray(s.transactions)) fail(`session ${i} needs "blocks" and "transactions" arrays`)
    for (const block of s.blocks as unknown[]) {
      const b = block as Partial<RecordedBlock> | null
      // The analysis orders blocks into branches by these numbers.
      if (typeof b !== "object" || b === null || typeof b.number !== "string" || !/^\d+$/.test(b.number)) fail(`session ${i} has a block without a decimal "number"`)
      const revertedTo = (b as Partial<RecordedBlock>).revertedTo
      if (revertedTo !== undefined && (typeof revertedTo !== "string" || !/^\d+$/.test(revertedTo))) fail(`session ${i} has a block whose "revertedTo" is not a decimal string`)
    }
    for (const tx of s.transactions as unknown[]) {
      const t = tx as Partial<RecordedTransaction>
      if (typeof t.hash !== "string" || !Array.isArray(t.reads) || !Array.isArray(t.writes) || typeof t.block !== "number") {
        fail(`session ${i} has a malformed transaction`)
      }
    }
  }
  return json as RunRecord
}

/** What the node gives the recorder for each mined transaction. */
export interface MinedForRecord {
  readonly index: number
  readonly hash: Hex
  readonly from: Hex
  readonly to?: Hex
  readonly created?: Hex
  readonly selector?: Hex
  readonly status: 0 | 1
  readonly gasUsed: bigint
  readonly raw: Hex
  readonly access: AccessSet
  readonly calls?: readonly CallFrame[]
  readonly preimages?: readonly Hex[]
}

/**
 * Collects one node's session as blocks are mined. `take()` hands out what
 * was recorded since the last call (block indexes start at 0 in each part;
 * `mergeRunRecords` joins the parts), so a test worker can save after every
 * file without writing anything twice.
 */
export class SessionRecorder {
  private blocks: RecordedBlock[] = []
  private transactions: RecordedTransaction[] = []
  private codes: Record<Hex, Hex> = {}
  private readonly knownCodes = new Set<Hex>()
  private readonly totals = { blocks: 0, parallelBlocks: 0, transactions: 0, reExecutions: 0 }
  /** The lowest head the chain was reverted to since the last recorded block. */
  private revertedTo: bigint | undefined

  constructor(
    readonly id: string,
    private readonly chainId: bigint,
    private readonly hardfork: string,
  ) {}

  /** Counts of everything recorded so far, including what was taken. */
  get summary(): Readonly<{ blocks: number; parallelBlocks: number; transactions: number; reExecutions: number }> {
    return this.totals
  }

  /** The chain went back to `head` (evm_revert, hardhat_reset): the next block records it. */
  noteRevert(head: bigint): void {
    if (this.revertedTo === undefined || head < this.revertedTo) this.revertedTo = head
  }

  addBlock(
    number: bigint,
    env: RecordedBlockEnv,
    gasUsed: bigint,
    stats: ExecutionStats,
    transactions: readonly MinedForRecord[],
    codeOf: (hash: Hex) => Hex | undefined,
  ): void {
    const block = this.blocks.length
    this.blocks.push({
      number: number.toString(),
      env,
      transactions: transactions.length,
      gasUsed: gasUsed.toString(),
      mode: stats.mode,
      fellBack: stats.fellBack,
      ...(stats.fallbackReason !== undefined ? { fallbackReason: stats.fallbackReason } : {}),
      incarnations: stats.incarnations,
      reExecutions: stats.reExecutions,
      wallMs: Math.round(stats.wallMs * 1000) / 1000,
      ...(this.revertedTo !== undefined ? { revertedTo: this.revertedTo.toString() } : {}),
    })
    this.revertedTo = undefined
    this.totals.blocks++
    if (stats.mode === "parallel") this.totals.parallelBlocks++
    this.totals.transactions += transactions.length
    this.totals.reExecutions += stats.reExecutions
    for (const tx of transactions) {
      const recorded: RecordedTransaction = {
        block,
        index: tx.index,
        hash: tx.hash,
        from: tx.from,
        ...(tx.to !== undefined ? { to: tx.to } : {}),
        ...(tx.created !== undefined ? { created: tx.created } : {}),
        ...(tx.selector !== undefined ? { selector: tx.selector } : {}),
        status: tx.status,
        gasUsed: tx.gasUsed.toString(),
        raw: tx.raw,
        ...recordAccess(tx.access),
        ...(tx.calls !== undefined ? { calls: tx.calls } : {}),
        ...(tx.preimages !== undefined ? { preimages: tx.preimages } : {}),
      }
      this.transactions.push(recorded)
      for (const hash of codeHashesOf(recorded)) {
        if (this.knownCodes.has(hash)) continue
        const code = codeOf(hash)
        if (code === undefined) continue
        this.knownCodes.add(hash)
        this.codes[hash] = code
      }
    }
  }

  /** The part of the session recorded since the last take(), as a run record. */
  take(): RunRecord {
    const session: RecordedSession = {
      id: this.id,
      chainId: this.chainId.toString(),
      hardfork: this.hardfork,
      blocks: this.blocks,
      transactions: this.transactions,
    }
    const record: RunRecord = { version: RUN_RECORD_VERSION, tool: "hardhat-pevm", createdAt: new Date().toISOString(), sessions: [session], codes: this.codes }
    this.blocks = []
    this.transactions = []
    this.codes = {}
    return record
  }
}
