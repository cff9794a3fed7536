/**
 * The interpreter patches (src/engine/interpreter.ts) must be exact: each
 * twin is run against the ethereumjs handler it replaces, on the same inputs,
 * with ethereumjs' own Stack and Memory. Whole blocks are covered elsewhere:
 * test/engine/mainnet.test.ts replays real mainnet blocks against their
 * headers, and test/hardhat/parity.test.ts compares with Hardhat's EDR.
 */
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

import { expect } from "chai"

import { commonFor } from "../../src/engine/index.js"
import { memoryGasHandlers, wordHandlers, type UtilModule } from "../../src/engine/interpreter.js"

const EVM_DIR = dirname(fileURLToPath(import.meta.resolve("@ethereumjs/evm")))
const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(join(EVM_DIR, file)).href)) as T

interface StackLike {
  push(value: bigint): void
  pop(): bigint
}
interface MemoryLike {
  _store: Uint8Array
}
type Handler = (runState: never, common: unknown) => unknown

/** Deterministic 256-bit words: edges, then mixed. */
function words(): bigint[] {
  const edges = [0n, 1n, 0xffn, 0x100n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 128n + 5n, 2n ** 192n, 2n ** 255n, 2n ** 256n - 1n]
  let seed = 0x9e3779b97f4a7c15n
  const mixed: bigint[] = []
  for (let i = 0; i < 40; i++) {
    seed = (seed * 6364136223846793005n + 1442695040888963407n) & (2n ** 256n - 1n)
    mixed.push(seed >> BigInt((i % 8) * 32)) // short and full-length words
  }
  return [...edges, ...mixed]
}

describe("engine: interpreter patches give what ethereumjs gives", function () {
  const common = commonFor({ chainId: 1n, hardfork: "osaka" }, "osaka")
  let Stack: new () => StackLike
  let Memory: new () => MemoryLike
  let stockHandlers: ReadonlyMap<number, Handler>
  let stockGas: ReadonlyMap<number, (runState: never, gas: bigint, common: unknown) => Promise<bigint>>
  let util: UtilModule

  before(async function () {
    ;({ Stack } = await load<{ Stack: typeof Stack }>("stack.js"))
    ;({ Memory } = await load<{ Memory: typeof Memory }>("memory.js"))
    ;({ handlers: stockHandlers } = await load<{ handlers: typeof stockHandlers }>("opcodes/functions.js"))
    ;({ dynamicGasHandlers: stockGas } = await load<{ dynamicGasHandlers: typeof stockGas }>("opcodes/gas.js"))
    util = await load<UtilModule>("opcodes/util.js")
  })

  const runState = () => ({ stack: new Stack(), memory: new Memory(), memoryWordCount: 0n, highestMemCost: 0n })

  it("MSTORE and MLOAD: the same memory and the same words, at aligned and unaligned offsets", function () {
    const twins = wordHandlers()
    const offsets = [0, 1, 31, 32, 33, 100, 8191, 8200]
    for (const word of words()) {
      for (const offset of offsets) {
        const stock = runState()
        const twin = runState()
        for (const [state, store] of [
          [stock, stockHandlers.get(0x52) as Handler],
          [twin, twins.get(0x52) as Handler],
        ] as const) {
          state.stack.push(word)
          state.stack.push(BigInt(offset))
          store(state as never, common)
        }
        expect(twin.memory._store, `MSTORE ${word} at ${offset}`).to.deep.equal(stock.memory._store)
        for (const at of [offset, Math.max(0, offset - 7), offset + 5]) {
          for (const [state, loadWord] of [
            [stock, stockHandlers.get(0x51) as Handler],
            [twin, twins.get(0x51) as Handler],
          ] as const) {
            state.stack.push(BigInt(at))
            loadWord(state as never, common)
          }
          expect(twin.stack.pop(), `MLOAD at ${at} after MSTORE ${word} at ${offset}`).to.equal(stock.stack.pop())
        }
      }
    }
  })

  it("memory gas (MLOAD, MSTORE, MSTORE8, KECCAK256, CALLDATACOPY): the same gas and the same memory accounting", async function () {
    const twins = memoryGasHandlers(util)
    expect([...twins.keys()].sort()).to.deep.equal([0x20, 0x37, 0x51, 0x52, 0x53])
    const offsets = [0n, 1n, 31n, 32n, 64n, 1000n, 40_000n]
    const lengths = [0n, 1n, 32n, 33n, 200n, 5000n]
    for (const [opcode, twin] of twins) {
      const stock = stockGas.get(opcode)
      expect(stock, `ethereumjs has a gas handler for 0x${opcode.toString(16)}`).to.be.a("function")
      for (const grown of [0n, 3n, 100n]) {
        for (const offset of offsets) {
          for (const length of lengths) {
            // Operands as each opcode reads them from the top of the stack.
            const operands = opcode === 0x20 ? [offset, length] : opcode === 0x37 ? [offset, 7n, length] : [offset]
            const states = [runState(), runState()]
            for (const state of states) {
              state.memoryWordCount = grown
              state.highestMemCost = grown * 3n + (grown * grown) / 512n
              for (const value of [...operands].reverse()) state.stack.push(value)
            }
            const [a, b] = states as [ReturnType<typeof runState>, ReturnType<typeof runState>]
            const expected = await (stock as NonNullable<typeof stock>)(a as never, 3n, common)
            const got = twin(b as never, 3n, common as never)
            const what = `0x${opcode.toString(16)} offset ${offset} length ${length} after ${grown} words`
            expect(got, what).to.equal(expected)
            expect([b.memoryWordCount, b.highestMemCost], what).to.deep.equal([a.memoryWordCount, a.highestMemCost])
          }
        }
      }
    }
  })
})
