/**
 * Who ran in each transaction. The record's call frames name the code that
 * ran (`codeAddress`) and the storage it used (`address`); the code hash of
 * each address comes from the transaction's own reads and writes of the
 * `code` field (a session-wide map fills gaps), and the code itself from
 * `record.codes`, matched to an artifact by `BytecodeMatcher`. A transaction
 * counts for every contract whose code ran in it, at any depth (Token called
 * by Router counts for Token's `transferFrom` too), and a frame's selector
 * names the function through the ABI. A contract whose code only ran as a
 * creation counts as deployed there, not called.
 */
import type { CallFrame, Hex } from "../engine/types.js"
import type { RecordedTransaction, RunRecord } from "../network/record.js"
import { DEPLOY, FunctionTable, type AbiFunction } from "./abi.js"
import type { ContractArtifact } from "./artifacts.js"
import { BytecodeMatcher } from "./bytecode.js"

/** One contract's part in one transaction. */
export interface ContractUse {
  readonly artifact: ContractArtifact
  /** The functions called on it in this transaction, outermost first (deduplicated). */
  readonly functions: AbiFunction[]
  /** Addresses whose storage its code used (a delegatecall runs it on the caller's storage). */
  readonly storage: Set<Hex>
  /** Addresses its code lives at (the deployed instances that ran). */
  readonly instances: Set<Hex>
  /** Its code ran only as a creation (constructor) in this transaction. */
  deployOnly: boolean
  /** It was the transaction's own target. */
  direct: boolean
}

/** A recorded transaction with its place in the whole run and what ran in it. */
export interface AttributedTx {
  /** Position in the run: sessions in record order, then the session's transactions in mined order. */
  readonly order: number
  readonly session: number
  readonly sessionId: string
  readonly tx: RecordedTransaction
  readonly gas: number
  readonly uses: ReadonlyMap<ContractArtifact, ContractUse>
  /** Addresses with code that matched no artifact, and their code hashes. */
  readonly unknown: ReadonlyMap<Hex, Hex | undefined>
}

function framesOf(tx: RecordedTransaction): readonly CallFrame[] {
  if (tx.calls !== undefined && tx.calls.length > 0) return tx.calls
  if (tx.to !== undefined) return [{ depth: 0, kind: "call", address: tx.to, codeAddress: tx.to, ...(tx.selector !== undefined ? { selector: tx.selector } : {}) }]
  if (tx.created !== undefined) return [{ depth: 0, kind: "create", address: tx.created }]
  return []
}

/** Attributes every transaction of a record to the artifacts whose code ran in it. */
export function attributeTransactions(record: RunRecord, artifacts: readonly ContractArtifact[]): AttributedTx[] {
  const matcher = new BytecodeMatcher(artifacts)
  const tables = new Map<ContractArtifact, FunctionTable>()
  const tableOf = (artifact: ContractArtifact): FunctionTable => {
    let table = tables.get(artifact)
    if (table === undefined) tables.set(artifact, (table = new FunctionTable(artifact.abi)))
    return table
  }
  const artifactOfHash = (hash: Hex | undefined): ContractArtifact | undefined => {
    if (hash === undefined || BigInt(hash) === 0n) return undefined
    const code = record.codes[hash]
    return code === undefined ? undefined : matcher.match(code, hash)
  }
  const result: AttributedTx[] = []
  record.sessions.forEach((session, sessionIndex) => {
    const known = new Map<Hex, Hex>()
    for (const tx of session.transactions) {
      // The code each address had during this transaction: what it read, else what it deployed, else what was last seen.
      const codeAt = new Map<Hex, Hex>()
      for (const read of tx.reads) if ("field" in read && read.field === "code") codeAt.set(read.address, read.value)
      const deployed = new Map<Hex, Hex>()
      for (const write of tx.writes) if ("field" in write && write.field === "code") deployed.set(write.address, write.new)
      const hashOf = (address: Hex | undefined, create: boolean): Hex | undefined => {
        if (address === undefined) return undefined
        if (create) return deployed.get(address)
        return codeAt.get(address) ?? known.get(address)
      }
      const uses = new Map<ContractArtifact, ContractUse>()
      const unknown = new Map<Hex, Hex | undefined>()
      for (const frame of framesOf(tx)) {
        const create = frame.kind === "create"
        const codeAddress = create ? frame.address : (frame.codeAddress ?? frame.address)
        const hash = hashOf(codeAddress, create)
        if (hash === undefined || BigInt(hash) === 0n || codeAddress === undefined) continue
        const artifact = artifactOfHash(hash)
        if (artifact === undefined) {
          unknown.set(codeAddress, hash)
          continue
        }
        let use = uses.get(artifact)
        if (use === undefined) {
          use = { artifact, functions: [], storage: new Set(), instances: new Set(), deployOnly: true, direct: false }
          uses.set(artifact, use)
        }
        if (frame.address !== undefined) use.storage.add(frame.address)
        use.instances.add(codeAddress)
        if (frame.depth === 0) use.direct = true
        const fn: AbiFunction = create ? { name: DEPLOY, signature: DEPLOY } : tableOf(artifact).lookup(frame.selector)
        if (!create) use.deployOnly = false
        if (!use.functions.some((f) => f.signature === fn.signature)) use.functions.push(fn)
      }
      // Deployed code first ran as a creation: keep the called functions ahead of "(deploy)" when both happened.
      for (const use of uses.values()) {
        if (!use.deployOnly) use.functions.sort((a, b) => Number(a.name === DEPLOY) - Number(b.name === DEPLOY))
      }
      for (const [address, hash] of codeAt) known.set(address, hash)
      for (const [address, hash] of deployed) known.set(address, hash)
      result.push({ order: result.length, session: sessionIndex, sessionId: session.id, tx, gas: Number(tx.gasUsed), uses, unknown })
    }
  })
  return result
}
