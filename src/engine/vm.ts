/**
 * The VM glue: one ethereumjs VM per hardfork, wired to a `TxView`, and
 * `runTransaction`, which executes one transaction against a `VersionedSource`
 * and returns a `TxOutcome`: plain data that can cross a worker boundary.
 *
 * Invalid transactions (bad nonce, unaffordable) are outcomes too, not
 * exceptions: in Block-STM a transaction can be invalid in one incarnation and
 * valid in the next, so its reads must be kept and validated like any other.
 */
import type { Block } from "@ethereumjs/block"
import type { Common } from "@ethereumjs/common"
import type { EVM, EVMRunCallOpts, EVMResult, InterpreterStep, Message } from "@ethereumjs/evm"
import { createTxFromRLP, paramsTx, type TypedTransaction } from "@ethereumjs/tx"
import { Address, bytesToHex, hexToBytes } from "@ethereumjs/util"
import { createVM, runTx, type VM } from "@ethereumjs/vm"

import { initCrypto, keccak256 } from "./crypto.js"
import { installInterpreterPatches } from "./interpreter.js"
import { DependencyAbort, TxView, type VersionedSource } from "./txView.js"
import type { CallFrame, Hex, TxInput, TxTrace } from "./types.js"

/** One execution of one transaction, as plain data. */
export interface TxOutcome {
  readonly index: number
  readonly sender: Hex
  readonly gasLimit: bigint
  readonly valid: boolean
  readonly invalidReason?: string
  readonly status: 0 | 1
  /** Gas paid by the sender, after refunds. */
  readonly gasUsed: bigint
  /** Gas counted against the block. */
  readonly blockGasUsed: bigint
  readonly logs: readonly RawLog[]
  readonly bloom: Uint8Array
  readonly returnValue: Uint8Array
  readonly error?: string
  readonly createdAddress?: Hex
  readonly blobGasUsed?: bigint
  /** Key id -> value seen, in the order first read. */
  readonly reads: ReadonlyArray<readonly [string, bigint]>
  /** Calldata of each call to the console.log address, in order (Hardhat's console.sol). */
  readonly consoleLogs?: readonly Uint8Array[]
  /** Key id -> value written, whether it is a credit (delta), and the value before when it was read. */
  readonly writes: ReadonlyArray<readonly [string, bigint, boolean, bigint | undefined]>
  readonly codes: ReadonlyArray<readonly [bigint, Uint8Array]>
  readonly trace?: TxTrace
  /** An inner call frame ran out of gas, though the transaction may have succeeded (EDR's estimation rule). */
  readonly internalOutOfGas?: boolean
  /** With RunOptions.watchGas. */
  readonly gasWatch?: GasWatch
}

export type RawLog = readonly [address: Uint8Array, topics: readonly Uint8Array[], data: Uint8Array]

/** Maps block numbers to hashes for BLOCKHASH; unknown numbers read as zero. */
class BlockHashes {
  hashes: ReadonlyMap<bigint, Hex> = new Map()
  async getBlock(number: number): Promise<{ hash(): Uint8Array }> {
    const hash = this.hashes.get(BigInt(number))
    return { hash: () => (hash === undefined ? new Uint8Array(32) : hexToBytes(hash)) }
  }
  async putBlock(): Promise<void> {}
  shallowCopy(): BlockHashes {
    return this
  }
}

/** The address console.sol calls; calls to it are captured (Hardhat prints them). */
export const CONSOLE_ADDRESS: Hex = "0x000000000000000000636f6e736f6c652e6c6f67"

/** Options for one execution outside the usual block flow (calls, gas estimation, tracing). */
export interface RunOptions {
  /** Do not check the sender's nonce (eth_call, eth_estimateGas). */
  readonly skipNonce?: boolean
  /** Do not require the sender to afford the transaction (eth_call, eth_estimateGas). */
  readonly skipBalance?: boolean
  /** Called on every EVM step (debug_traceTransaction). Slows execution down. */
  readonly onStep?: (step: InterpreterStep) => void
  /** Record call frames and slot-hash preimages (`TxTrace`). */
  readonly trace?: boolean
  /** Note what would make the run depend on its gas limit (`TxOutcome.gasWatch`; eth_estimateGas). */
  readonly watchGas?: boolean
}

/**
 * What a run did that depends on how much gas it had, besides running out:
 * see `sufficesAt` in call.ts, which decides from it whether a smaller gas
 * limit must give the same run.
 */
export interface GasWatch {
  /** It ran an opcode whose effect may depend on the gas limit (GAS_SENSITIVE_OPCODES), or the watch was unavailable. */
  readonly sensitive: boolean
  /** The least gas left when an SSTORE was priced (EIP-2200 fails an SSTORE with 2300 or less). */
  readonly minGasLeftAtSstore?: bigint
  /** Gas refunded at the end (clearing storage): the run spent more than it was charged. */
  readonly refund: bigint
}

/**
 * Opcodes whose effect may depend on the gas limit: GAS reads the gas left; calls and creates
 * pass on 63/64 of it; and the sender pays for the whole limit before the run, so a balance
 * (BALANCE, SELFBALANCE, SELFDESTRUCT's transfer) can differ with it.
 */
const GAS_SENSITIVE_OPCODES = new Set([
  "GAS",
  "BALANCE",
  "SELFBALANCE",
  "SELFDESTRUCT",
  "CALL",
  "CALLCODE",
  "DELEGATECALL",
  "STATICCALL",
  "CREATE",
  "CREATE2",
  "EXTCALL",
  "EXTDELEGATECALL",
  "EXTSTATICCALL",
  "EOFCREATE",
])

interface OpcodeEntry {
  readonly opcodeInfo: { readonly name: string; readonly dynamicGas: boolean }
  opHandler: (runState: unknown, common: Common) => unknown
  gasHandler?: (runState: { interpreter: { getGasLeft(): bigint } }, gas: bigint, common: Common) => Promise<bigint> | bigint
}

/** Collects a transaction's TxTrace while it runs. */
class TraceRecorder {
  readonly calls: CallFrame[] = []
  readonly preimages = new Set<Hex>()
  /** Frames still running, to fill in a create's address when it returns. */
  private readonly open: CallFrame[] = []

  enter(message: Message): void {
    const to = message.to?.toString() as Hex | undefined
    const kind = to === undefined ? "create" : message.delegatecall ? "delegatecall" : message.isStatic ? "staticcall" : "call"
    const frame: { -readonly [K in keyof CallFrame]: CallFrame[K] } = { depth: message.depth, kind }
    if (to !== undefined) {
      frame.address = to
      frame.codeAddress = message.codeAddress.toString() as Hex
      if (message.data.length >= 4) frame.selector = bytesToHex(message.data.subarray(0, 4)) as Hex
    }
    this.calls.push(frame)
    this.open.push(frame)
  }

  exit(result: EVMResult): void {
    const frame = this.open.pop() as { address?: Hex; codeAddress?: Hex } | undefined
    if (frame === undefined || frame.address !== undefined) return
    const created = result.createdAddress
    if (created !== undefined && result.execResult.exceptionError === undefined) {
      frame.address = created.toString() as Hex
      frame.codeAddress = frame.address
    }
  }

  hashed(data: Uint8Array): void {
    if (data.length === 64 || data.length === 32) this.preimages.add(bytesToHex(data) as Hex)
  }

  finish(): TxTrace {
    return { calls: this.calls, preimages: [...this.preimages] }
  }
}

/** ethereumjs's out-of-gas errors (execution, and paying for the deployed code). */
const OUT_OF_GAS = new Set(["out of gas", "code store out of gas"])

export class BlockVm {
  private block!: Block
  private coinbase: Hex = "0x"
  private consoleLogs: Uint8Array[] = []
  private tracer: TraceRecorder | undefined
  /** Message frames of the running transaction, its own included, that ended out of gas. */
  private outOfGasExits = 0
  /**
   * The Common that decoded transactions share. A transaction copies its
   * Common and merges the tx parameters into it, about 90 microseconds each;
   * this one has them merged once and hands itself out instead of copies.
   * Safe because runTx is called with skipHardForkValidation, so nothing
   * changes a transaction's Common afterwards.
   */
  private readonly txCommon: Common

  /** Skip EIP-3607 for senders with code (ChainConfig.allowSendersWithCode). */
  private allowSendersWithCode = false

  /** What the running transaction did that depends on its gas, while RunOptions.watchGas asks. */
  private watch: { sensitive: boolean; minGasLeftAtSstore: bigint | undefined } | undefined
  /** Whether the EVM's opcode table could be instrumented for the watch (see watchOpcodes). */
  private watchable = false

  /**
   * Wraps the handlers of SSTORE and of the gas-sensitive opcodes in the EVM's opcode table
   * (an ethereumjs internal; the jump analysis cache holds the same entry objects, so they are
   * changed in place). They note into `watch` only while a run asks for it. When the table is
   * not as expected, runs that ask are reported sensitive, so nothing is ever skipped wrongly.
   */
  private watchOpcodes(evm: EVM): void {
    const table = (evm as unknown as { _opcodeMap?: (OpcodeEntry | undefined)[] })._opcodeMap
    if (!Array.isArray(table)) return
    let sstore = false
    let sensitive = 0
    for (const entry of new Set(table)) {
      if (entry === undefined) continue
      const name = entry.opcodeInfo.name
      if (name === "SSTORE" && entry.gasHandler !== undefined) {
        const price = entry.gasHandler
        entry.gasHandler = (runState, gas, common) => {
          const watch = this.watch
          if (watch !== undefined) {
            const left = runState.interpreter.getGasLeft()
            if (watch.minGasLeftAtSstore === undefined || left < watch.minGasLeftAtSstore) watch.minGasLeftAtSstore = left
          }
          return price(runState, gas, common)
        }
        sstore = true
      } else if (GAS_SENSITIVE_OPCODES.has(name)) {
        const run = entry.opHandler
        entry.opHandler = (runState, common) => {
          if (this.watch !== undefined) this.watch.sensitive = true
          return run(runState, common)
        }
        if (entry.gasHandler !== undefined) {
          // Calls price the gas they pass on before running: a failure there is gas-dependent too.
          const price = entry.gasHandler
          entry.gasHandler = (runState, gas, common) => {
            if (this.watch !== undefined) this.watch.sensitive = true
            return price(runState, gas, common)
          }
        }
        sensitive++
      }
    }
    this.watchable = sstore && sensitive >= 10
  }

  private constructor(
    readonly common: Common,
    readonly vm: VM,
    readonly view: TxView,
    private readonly blockHashes: BlockHashes,
  ) {
    const txCommon = common.copy()
    txCommon.updateParams(paramsTx)
    txCommon.copy = () => txCommon
    txCommon.updateParams = () => txCommon
    this.txCommon = txCommon
  }

  static async create(common: Common, options: { allowUnlimitedContractSize?: boolean; allowSendersWithCode?: boolean } = {}): Promise<BlockVm> {
    await Promise.all([initCrypto(), installInterpreterPatches()])
    const view = new TxView()
    const blockHashes = new BlockHashes()
    const vm = await createVM({
      common,
      stateManager: view,
      blockchain: blockHashes,
      evmOpts: { allowUnlimitedContractSize: options.allowUnlimitedContractSize ?? false },
    })
    const evm = vm.evm as EVM
    let instance: BlockVm | undefined
    // KECCAK256 hashes through common.customCrypto; the EVM gets its own copy so tracing sees only its hashes.
    const keccak = common.customCrypto.keccak256 ?? keccak256
    ;(common as { customCrypto: Common["customCrypto"] }).customCrypto = {
      ...common.customCrypto,
      keccak256: (data: Uint8Array) => {
        instance?.tracer?.hashed(data)
        return keccak(data)
      },
    }
    evm.events.on("afterMessage", (result: EVMResult) => {
      if (instance !== undefined && OUT_OF_GAS.has(result.execResult.exceptionError?.error ?? "")) instance.outOfGasExits++
      instance?.tracer?.exit(result)
    })
    evm.events.on("beforeMessage", (message: Message) => {
      if (message.to !== undefined && instance !== undefined && message.to.toString() === CONSOLE_ADDRESS) {
        instance.consoleLogs.push(message.data)
      }
      instance?.tracer?.enter(message)
      view.onMessage(
        message.to?.toString() as Hex | undefined,
        message.caller.toString() as Hex,
        message.value,
        message.delegatecall,
      )
    })
    // runTx makes exactly one top-level runCall; what follows it is fee and cleanup.
    const runCall = evm.runCall.bind(evm)
    evm.runCall = async (opts: EVMRunCallOpts): Promise<EVMResult> => {
      const result = await runCall(opts)
      if (opts.message === undefined) view.onTopCallDone()
      return result
    }
    instance = new BlockVm(common, vm, view, blockHashes)
    instance.allowSendersWithCode = options.allowSendersWithCode === true
    // EIP-8037's state-gas reservoir changes what the gas left means: no watch there.
    if (!common.isActivatedEIP(8037)) instance.watchOpcodes(evm)
    return instance
  }

  currentBlock(): Block {
    return this.block
  }

  setBlock(block: Block, hashes: ReadonlyMap<bigint, Hex>): void {
    this.block = block
    this.coinbase = block.header.coinbase.toString() as Hex
    this.blockHashes.hashes = hashes
  }

  /** The Common that transactions built for this VM must use (see txCommon). */
  transactionCommon(): Common {
    return this.txCommon
  }

  /**
   * Decodes a transaction and pins its sender: ethereumjs caches the recovered
   * sender only on frozen transactions, and runTx asks for it several times.
   * Throws on a malformed transaction or an unrecoverable signature. A
   * transaction the caller decoded already (`given`, of `input.raw`) is used
   * instead when it can be: unfrozen, so the sender can be pinned, and of this
   * VM's hardfork, so that its gas rules are the block's.
   */
  decode(input: TxInput, given?: TypedTransaction): TypedTransaction {
    const reusable = given !== undefined && !Object.isFrozen(given) && given.common.hardfork() === this.common.hardfork()
    const tx = reusable ? given : createTxFromRLP(input.raw, { common: this.txCommon, freeze: false })
    const sender = input.sender !== undefined ? new Address(hexToBytes(input.sender)) : tx.getSenderAddress()
    tx.getSenderAddress = () => sender
    return tx
  }

  /** Runs one transaction. Throws DependencyAbort when it must wait for a lower one. */
  async runTransaction(tx: TypedTransaction, index: number, source: VersionedSource, options: RunOptions = {}): Promise<TxOutcome> {
    const view = this.view
    view.begin(source, index, this.coinbase)
    this.consoleLogs = []
    this.outOfGasExits = 0
    this.tracer = options.trace === true ? new TraceRecorder() : undefined
    this.watch = options.watchGas === true ? { sensitive: !this.watchable, minGasLeftAtSstore: undefined } : undefined
    const evm = this.vm.evm as EVM
    // An execution aborted by Block-STM leaves the EVM's journal and transient storage mid-transaction.
    evm.journal.cleanJournal()
    evm.transientStorage.clear()
    let sender: Hex = "0x0000000000000000000000000000000000000000"
    try {
      sender = tx.getSenderAddress().toString() as Hex
      // runTx's EIP-3607 check is the first look at the sender's code hash: it sees none.
      if (this.allowSendersWithCode) view.hideCodeOnFirstRead(sender)
      if (options.onStep !== undefined) evm.events.on("step", options.onStep)
      let result
      try {
        result = await runTx(this.vm, {
          tx,
          block: this.block,
          skipHardForkValidation: true,
          ...(options.skipNonce === true ? { skipNonce: true } : {}),
          ...(options.skipBalance === true ? { skipBalance: true } : {}),
        })
      } finally {
        if (options.onStep !== undefined) evm.events.off("step", options.onStep)
      }
      const watch = this.watch
      this.watch = undefined
      if (view.abortedBy !== undefined) throw new DependencyAbort(view.abortedBy)
      const access = view.finish()
      const exec = result.execResult
      return {
        index,
        sender,
        gasLimit: tx.gasLimit,
        valid: true,
        status: exec.exceptionError === undefined ? 1 : 0,
        gasUsed: result.totalGasSpent,
        blockGasUsed: result.blockGasSpent,
        logs: (exec.logs ?? []) as RawLog[],
        bloom: result.bloom.bitvector,
        returnValue: exec.returnValue,
        ...(exec.exceptionError !== undefined ? { error: exec.exceptionError.error } : {}),
        ...(result.createdAddress !== undefined ? { createdAddress: result.createdAddress.toString() as Hex } : {}),
        ...(result.blobGasUsed !== undefined ? { blobGasUsed: result.blobGasUsed } : {}),
        reads: [...access.reads].map(([id, read]) => [id, read.value] as const),
        writes: [...access.writes].map(([id, write]) => [id, write.value, write.delta, write.old] as const),
        codes: [...access.codes],
        ...(this.consoleLogs.length > 0 ? { consoleLogs: this.consoleLogs } : {}),
        ...(this.tracer !== undefined ? { trace: this.tracer.finish() } : {}),
        ...(this.outOfGasExits > (OUT_OF_GAS.has(exec.exceptionError?.error ?? "") ? 1 : 0) ? { internalOutOfGas: true } : {}),
        ...(watch !== undefined
          ? {
              gasWatch: {
                sensitive: watch.sensitive,
                refund: result.gasRefund,
                ...(watch.minGasLeftAtSstore !== undefined ? { minGasLeftAtSstore: watch.minGasLeftAtSstore } : {}),
              },
            }
          : {}),
      }
    } catch (error) {
      this.watch = undefined
      if (view.abortedBy !== undefined) throw new DependencyAbort(view.abortedBy)
      if (error instanceof DependencyAbort || !isEthereumJsError(error)) throw error
      const access = view.finish()
      return invalidOutcome(index, sender, tx.gasLimit, (error as Error).message, access.reads)
    }
  }
}

export function invalidOutcome(
  index: number,
  sender: Hex,
  gasLimit: bigint,
  reason: string,
  reads: Map<string, { value: bigint }>,
): TxOutcome {
  return {
    index,
    sender,
    gasLimit,
    valid: false,
    invalidReason: reason,
    status: 0,
    gasUsed: 0n,
    blockGasUsed: 0n,
    logs: [],
    bloom: new Uint8Array(256),
    returnValue: new Uint8Array(),
    reads: [...reads].map(([id, read]) => [id, read.value] as const),
    writes: [],
    codes: [],
  }
}

/** ethereumjs reports invalid transactions with its own error class; anything else is a bug. */
function isEthereumJsError(error: unknown): boolean {
  return error instanceof Error && error.constructor.name === "EthereumJSError"
}
