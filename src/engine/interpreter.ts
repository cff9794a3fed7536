/**
 * Two changes to ethereumjs' EVM interpreter, which is not exported: it is
 * reached by file URL (both builds' module instances) and its prototype
 * patched once per thread, before any VM runs. Both are exact: the EVM gives
 * the same results, gas and errors, which the mainnet-block conformance run
 * and the parity suite against Hardhat's EDR check.
 *
 * - Jump analysis cache. ethereumjs analyses jump destinations on every call
 *   into a contract: about 40 microseconds and 50 KB of garbage per ERC-20
 *   transfer. The analysis depends only on the code and the EVM's opcode
 *   table, and the interpreter never mutates it, so it is cached per EVM and
 *   per code buffer (the engine hands out one buffer per code hash).
 * - Synchronous steps. `run` awaits `runStep`, an async function, for every
 *   opcode: two promises and a microtask each, about 280 a transfer, although
 *   only opcodes that touch state (SLOAD, CALL...) and their gas handlers ever
 *   wait. Here `run` executes the other opcodes synchronously and awaits only
 *   what returns a promise (ethereumjs' `runStep` itself is left as it is). In
 *   one process, alternating with ethereumjs' own loop for 10 rounds,
 *   sequential blocks of 1000 ERC-20 transfers ran 6 to 8% faster. Anything
 *   unusual keeps ethereumjs' own code: EOF code, step listeners
 *   (debug_traceTransaction), DEBUG, the profiler, and code-chunk witnesses
 *   (EIP-6800/7864). ethereumjs writes every dynamic gas handler as
 *   an async function, even those that only price memory; for the frequent
 *   ones (MLOAD, MSTORE, MSTORE8, KECCAK256, CALLDATACOPY) a synchronous twin
 *   built on ethereumjs' own `subMemUsage` and `divCeil` is used instead, as
 *   long as the opcode table still holds ethereumjs' handler (the gas watch in
 *   vm.ts wraps others). MSTORE and MLOAD likewise get twins that move the
 *   word through a DataView: ethereumjs converts it via a hex string and pads
 *   it by spreading arrays, the largest source of garbage left in a transfer.
 */
import { createRequire } from "node:module"
import { dirname, join, sep } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

/** An entry of the EVM's opcode table, as the interpreter uses it. */
interface OpcodeEntry {
  readonly opcodeInfo: { readonly code: number; readonly isAsync: boolean; readonly dynamicGas: boolean; readonly feeBigInt: bigint; readonly isInvalid: boolean }
  readonly gasHandler: (runState: RunState, gas: bigint, common: CommonLike) => bigint | Promise<bigint>
  readonly opHandler: (runState: RunState, common: CommonLike) => unknown
}

interface CommonLike {
  isActivatedEIP(eip: number): boolean
}

interface RunState {
  code: Uint8Array
  opCode: number
  programCounter: number
  gasLeft: bigint
  validJumps: unknown
  cachedPushes: unknown
  shouldDoJumpAnalysis: boolean
  eip8037BurnLeftoverAfterCreateHaltOntoAlive?: boolean
  readonly env: { readonly chargeCodeAccesses?: boolean; readonly accessWitness?: { commit(): void; revert(): void } }
}

interface InterpreterLike {
  readonly _evm: { readonly DEBUG: boolean; readonly events: { listenerCount(event: string): number } }
  readonly _runState: RunState
  readonly common: CommonLike
  readonly profilerOpts?: { readonly enabled?: boolean }
  _getValidJumpDestinations(code: Uint8Array): { jumps: unknown; pushes: unknown; opcodesCached: OpcodeEntry[] }
  lookupOpInfo(opcode: number): OpcodeEntry
  useGas(amount: bigint, context: unknown): void
  runStep(entry?: OpcodeEntry): Promise<void> | void
  run(code: Uint8Array, opts?: { pc?: number }): Promise<{ runState: RunState; exceptionError: unknown }>
}

interface InterpreterModule {
  readonly Interpreter: { readonly prototype: InterpreterLike }
}

interface ErrorsModule {
  readonly EVMError: { new (message: string): Error; readonly errorMessages: Readonly<Record<string, string>> }
  readonly EVMErrorTypeString: string
}

interface Eip7928Module {
  consumeEip7928PostTargetCallOog(runState: RunState): void
}

interface FunctionsModule {
  readonly handlers: ReadonlyMap<number, OpcodeEntry["opHandler"]>
}

interface StackLike {
  pop(): bigint
  popN(n: number): bigint[]
  push(value: bigint): void
}

interface MemoryLike {
  read(offset: number, size: number, avoidCopy?: boolean): Uint8Array
  write(offset: number, size: number, value: Uint8Array): void
}

/** Synchronous, allocation-light twins of ethereumjs' MSTORE and MLOAD handlers (opcodes/functions.js). */
export function wordHandlers(): ReadonlyMap<number, OpcodeEntry["opHandler"]> {
  // memory.write copies the bytes, so one scratch word serves every MSTORE.
  const scratch = new Uint8Array(32)
  const view = new DataView(scratch.buffer)
  const parts = (runState: RunState) => runState as unknown as { stack: StackLike; memory: MemoryLike }
  return new Map<number, OpcodeEntry["opHandler"]>([
    [
      0x52, // MSTORE: setBigUint64 keeps the low 64 bits of each shifted part
      (runState) => {
        const { stack, memory } = parts(runState)
        const [offset, word] = stack.popN(2) as [bigint, bigint]
        view.setBigUint64(0, word >> 192n)
        view.setBigUint64(8, word >> 128n)
        view.setBigUint64(16, word >> 64n)
        view.setBigUint64(24, word)
        memory.write(Number(offset), 32, scratch)
      },
    ],
    [
      0x51, // MLOAD
      (runState) => {
        const { stack, memory } = parts(runState)
        const word = memory.read(Number(stack.pop()), 32, true)
        const data = new DataView(word.buffer, word.byteOffset, 32)
        stack.push((data.getBigUint64(0) << 192n) | (data.getBigUint64(8) << 128n) | (data.getBigUint64(16) << 64n) | data.getBigUint64(24))
      },
    ],
  ])
}

interface GasModule {
  readonly dynamicGasHandlers: ReadonlyMap<number, OpcodeEntry["gasHandler"]>
}

export interface UtilModule {
  subMemUsage(runState: RunState, offset: bigint, length: bigint, common: CommonLike): bigint
  divCeil(a: bigint, b: bigint): bigint
}

type SyncGas = (runState: RunState, gas: bigint, common: CommonLike & { param(name: string): bigint }) => bigint

/** Synchronous twins of ethereumjs' memory-pricing gas handlers (opcodes/gas.js), by opcode. */
export function memoryGasHandlers({ subMemUsage, divCeil }: UtilModule): ReadonlyMap<number, SyncGas> {
  const peek = (runState: RunState, n: number): bigint[] => (runState as unknown as { stack: { peek(n: number): bigint[] } }).stack.peek(n)
  const memory = (size: bigint): SyncGas => (runState, gas, common) => gas + subMemUsage(runState, peek(runState, 1)[0] as bigint, size, common)
  return new Map<number, SyncGas>([
    [0x51, memory(32n)], // MLOAD
    [0x52, memory(32n)], // MSTORE
    [0x53, memory(1n)], // MSTORE8
    [
      0x20, // KECCAK256
      (runState, gas, common) => {
        const [offset, length] = peek(runState, 2) as [bigint, bigint]
        return gas + subMemUsage(runState, offset, length, common) + common.param("keccak256WordGas") * divCeil(length, 32n)
      },
    ],
    [
      0x37, // CALLDATACOPY
      (runState, gas, common) => {
        const [memOffset, , length] = peek(runState, 3) as [bigint, bigint, bigint]
        const total = gas + subMemUsage(runState, memOffset, length, common)
        return length === 0n ? total : total + common.param("copyGas") * divCeil(length, 32n)
      },
    ],
  ])
}

let installed: Promise<void> | undefined

/** Patches the interpreter of every build of @ethereumjs/evm this process loads (once). */
export function installInterpreterPatches(): Promise<void> {
  installed ??= (async () => {
    const require = createRequire(import.meta.url)
    const entries = [require.resolve("@ethereumjs/evm")]
    try {
      entries.push(fileURLToPath(import.meta.resolve("@ethereumjs/evm")))
    } catch {
      // resolve() without the ESM condition is enough
    }
    for (const entry of new Set(entries)) {
      const dir = dirname(entry)
      const load = async <T>(file: string): Promise<T> =>
        (entry.includes(`${sep}cjs${sep}`) ? require(join(dir, file)) : await import(pathToFileURL(join(dir, file)).href)) as T
      const { Interpreter } = await load<InterpreterModule>("interpreter.js")
      cacheJumpAnalysis(Interpreter.prototype)
      const { dynamicGasHandlers } = await load<GasModule>("opcodes/gas.js")
      const { handlers } = await load<FunctionsModule>("opcodes/functions.js")
      const syncGas = byStockHandler(memoryGasHandlers(await load<UtilModule>("opcodes/util.js")), dynamicGasHandlers)
      const opTwins = byStockHandler(wordHandlers(), handlers)
      synchronousSteps(Interpreter.prototype, await load<ErrorsModule>("errors.js"), await load<Eip7928Module>("opcodes/EIP7928.js"), syncGas, opTwins)
    }
  })()
  return installed
}

/** Twins keyed by the ethereumjs function each was written from, so that a twin replaces exactly that one. */
function byStockHandler<S, T>(twins: ReadonlyMap<number, T>, stock: ReadonlyMap<number, S>): Map<S, T> {
  const byStock = new Map<S, T>()
  for (const [opcode, twin] of twins) {
    const original = stock.get(opcode)
    if (original !== undefined) byStock.set(original, twin)
  }
  return byStock
}

function cacheJumpAnalysis(proto: InterpreterLike): void {
  const analyse = proto._getValidJumpDestinations
  const caches = new WeakMap<object, WeakMap<Uint8Array, ReturnType<InterpreterLike["_getValidJumpDestinations"]>>>()
  proto._getValidJumpDestinations = function (this: InterpreterLike, code: Uint8Array) {
    let cache = caches.get(this._evm)
    if (cache === undefined) caches.set(this._evm, (cache = new WeakMap()))
    let analysis = cache.get(code)
    if (analysis === undefined) {
      analysis = analyse.call(this, code)
      cache.set(code, analysis)
    }
    return analysis
  }
}

function synchronousSteps(
  proto: InterpreterLike,
  errors: ErrorsModule,
  eip7928: Eip7928Module,
  syncGas: ReadonlyMap<OpcodeEntry["gasHandler"], SyncGas>,
  opTwins: ReadonlyMap<OpcodeEntry["opHandler"], OpcodeEntry["opHandler"]>,
): void {
  const { EVMError, EVMErrorTypeString } = errors
  const originalStep = proto.runStep
  const originalRun = proto.run

  /** Whether ethereumjs' own run must run: it emits step events, profiles or charges code chunks. */
  const instrumented = (self: InterpreterLike): boolean =>
    self._evm.DEBUG ||
    self.profilerOpts?.enabled === true ||
    self._evm.events.listenerCount("step") > 0 ||
    (self._runState.env.chargeCodeAccesses === true && (self.common.isActivatedEIP(6800) || self.common.isActivatedEIP(7864)))

  /** The rest of a step once its gas is known (ethereumjs' runStep after the step hook). */
  const finishStep = (self: InterpreterLike, entry: OpcodeEntry, gas: bigint): void => {
    const runState = self._runState
    if (entry.opcodeInfo.isInvalid) throw new EVMError(EVMError.errorMessages.INVALID_OPCODE as string)
    self.useGas(gas, entry.opcodeInfo)
    runState.programCounter++
    eip7928.consumeEip7928PostTargetCallOog(runState)
    const handler = opTwins.get(entry.opHandler) ?? entry.opHandler
    handler.call(undefined, runState, self.common)
    runState.env.accessWitness?.commit()
  }

  /** One step of an uninstrumented run: synchronous unless the opcode or its gas handler waits. */
  const step = (self: InterpreterLike, opcodeEntry: OpcodeEntry | undefined): Promise<void> | void => {
    const entry = opcodeEntry ?? self.lookupOpInfo(self._runState.opCode)
    if (entry.opcodeInfo.isAsync) return originalStep.call(self, opcodeEntry)
    if (!entry.opcodeInfo.dynamicGas) return finishStep(self, entry, entry.opcodeInfo.feeBigInt)
    const twin = syncGas.get(entry.gasHandler)
    if (twin !== undefined) return finishStep(self, entry, twin(self._runState, entry.opcodeInfo.feeBigInt, self.common as Parameters<SyncGas>[2]))
    const gas = entry.gasHandler(self._runState, entry.opcodeInfo.feeBigInt, self.common)
    if (typeof gas === "bigint") return finishStep(self, entry, gas)
    return gas.then((dynamic) => finishStep(self, entry, dynamic))
  }

  const isEvmError = (error: unknown): error is { error: string } =>
    typeof error === "object" && error !== null && "errorType" in error && error.errorType === EVMErrorTypeString

  // ethereumjs' run loop for legacy code, awaiting a step only when it returned a promise. Whether
  // the run is instrumented is settled once here: step listeners are attached before a run starts.
  proto.run = async function (this: InterpreterLike, code: Uint8Array, opts: { pc?: number } = {}) {
    const runState = this._runState
    if ((code[0] === 0xef && this.common.isActivatedEIP(3540)) || instrumented(this)) return originalRun.call(this, code, opts)
    runState.code = code
    runState.programCounter = opts.pc ?? runState.programCounter
    const start = runState.programCounter
    if (start !== 0 && (start < 0 || start >= code.length)) throw new Error("Internal error: program counter not in range")
    let exceptionError: unknown
    let cached: OpcodeEntry[] | undefined
    while (runState.programCounter < code.length) {
      const pc = runState.programCounter
      let entry: OpcodeEntry | undefined
      let opcode: number
      if (cached === undefined) {
        opcode = code[pc] as number
        // The analysis runs once the code is seen to jump (JUMP, JUMPI, JUMPSUB), as in ethereumjs.
        if (opcode === 0x56 || opcode === 0x57 || opcode === 0x5e) {
          const { jumps, pushes, opcodesCached } = this._getValidJumpDestinations(code)
          runState.validJumps = jumps
          runState.cachedPushes = pushes
          runState.shouldDoJumpAnalysis = false
          cached = opcodesCached
        }
      } else {
        entry = cached[pc] as OpcodeEntry
        opcode = entry.opcodeInfo.code
      }
      runState.opCode = opcode
      try {
        const pending = step(this, entry)
        if (pending !== undefined) await pending
      } catch (error) {
        runState.env.accessWitness?.revert()
        if (!isEvmError(error)) throw error
        if (error.error !== EVMError.errorMessages.STOP) exceptionError = error
        break
      }
    }
    if (exceptionError === undefined && runState.eip8037BurnLeftoverAfterCreateHaltOntoAlive === true && runState.gasLeft > 0n) {
      runState.gasLeft = 0n
      exceptionError = new EVMError(EVMError.errorMessages.OUT_OF_GAS as string)
    }
    return { runState, exceptionError }
  }
}
