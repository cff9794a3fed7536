/**
 * eth_estimateGas's shortcut: EDR's rule runs a request once with the cap and
 * again with the gas it used; `sufficesAt` skips that second run when the
 * first shows it must succeed (no refund, no gas-dependent opcode, every
 * SSTORE with more than 2300 gas left at the smaller limit). These tests run
 * hand-written code and random programs, and whenever the shortcut claims a
 * limit suffices, run the request at that limit to check it does.
 */
import { expect } from "chai"

import { sufficesAt, type CallRequest, type Hex, type TxOutcome } from "../../src/engine/index.js"
import { PevmProvider } from "../../src/network/provider.js"
import { Rng } from "../fixtures/randomBlocks.js"
import { A0, A1, caller, hexOf, type Call } from "./probe.js"

/** The node's cap for a request's gas (EIP-7825 under Osaka). */
const CAP = 16_777_216n
const TARGET: Hex = "0x00000000000000000000000000000000000c0de0"
const OTHER: Hex = "0x00000000000000000000000000000000000c0de1"

/** Assembles bytes given as numbers and hex strings (PUSH data). */
function code(...parts: (number | string)[]): string {
  return `0x${parts.map((p) => (typeof p === "number" ? p.toString(16).padStart(2, "0") : p.replace(/^0x/, ""))).join("")}`
}

const OP = { STOP: 0x00, POP: 0x50, MSTORE: 0x52, SLOAD: 0x54, SSTORE: 0x55, GAS: 0x5a, LOG0: 0xa0, KECCAK: 0x20, CALLER: 0x33, BALANCE: 0x31, CALL: 0xf1, PUSH1: 0x60, PUSH2: 0x61 }

describe("network: eth_estimateGas skips its second run only when the first proves it", function () {
  let provider: PevmProvider
  const call: Call = caller(() => provider)
  beforeEach(() => {
    provider = new PevmProvider({ workers: 2, printLine: () => undefined })
  })
  afterEach(() => provider.close())

  const request = (to: Hex, data = new Uint8Array(), value = 0n): CallRequest => ({ from: A0 as Hex, to, data, value, gasLimit: CAP })
  /** Runs at the cap with the watch, as the estimate's first run does. */
  const first = (req: CallRequest): Promise<TxOutcome> => provider.chain.call(req, provider.chain.latest.number, { watchGas: true }, { next: true })
  const at = (req: CallRequest, gasLimit: bigint): Promise<TxOutcome> => provider.chain.call({ ...req, gasLimit }, provider.chain.latest.number, {}, { next: true })

  /** Whether the shortcut claims the gas used suffices; when it does, checks that it really does. */
  async function claims(req: CallRequest): Promise<boolean> {
    const outcome = await first(req)
    expect(outcome.status, "the request succeeds at the cap").to.equal(1)
    const claimed = sufficesAt(outcome, CAP, outcome.gasUsed)
    if (claimed) {
      const again = await at(req, outcome.gasUsed)
      expect([again.status, again.gasUsed], "claimed: the gas used suffices, and the run is the same").to.deep.equal([1, outcome.gasUsed])
      expect(again.writes).to.deep.equal(outcome.writes)
    }
    return claimed
  }

  const setCode = async (address: Hex, bytecode: string, slot0?: bigint) => {
    await call("hardhat_setCode", [address, bytecode])
    if (slot0 !== undefined) await call("hardhat_setStorageAt", [address, "0x0", `0x${slot0.toString(16).padStart(64, "0")}`])
  }

  it("claims for plain storage writes and transfers, and the estimate is the gas used", async function () {
    await setCode(TARGET, code(OP.PUSH1, "2a", OP.PUSH1, "01", OP.SSTORE, OP.PUSH1, "07", OP.PUSH1, "00", OP.SSTORE, OP.STOP), 1n)
    expect(await claims(request(TARGET))).to.equal(true)
    expect(await claims(request(A1 as Hex, new Uint8Array(), 5n))).to.equal(true)
    const used = (await first(request(TARGET))).gasUsed
    expect(await call("eth_estimateGas", [{ from: A0, to: TARGET }])).to.equal(hexOf(used))
  })

  it("does not claim when the last SSTORE would have 2300 gas or less left (EIP-2200), and the estimate searches higher", async function () {
    // SLOAD slot 0, then store the same value back: a warm no-op SSTORE costs 100, so at the gas used it would have ~100 left.
    await setCode(TARGET, code(OP.PUSH1, "00", OP.SLOAD, OP.PUSH1, "00", OP.SSTORE, OP.STOP), 1n)
    expect(await claims(request(TARGET))).to.equal(false)
    const used = (await first(request(TARGET))).gasUsed
    expect((await at(request(TARGET), used)).status, "the gas used is not enough").to.equal(0)
    const estimate = BigInt((await call("eth_estimateGas", [{ from: A0, to: TARGET }])) as string)
    expect(estimate).to.be.greaterThan(used)
    expect((await at(request(TARGET), estimate)).status).to.equal(1)
  })

  it("does not claim after a refund, GAS, BALANCE or a call", async function () {
    await setCode(TARGET, code(OP.PUSH1, "00", OP.PUSH1, "00", OP.SSTORE, OP.STOP), 1n) // clears slot 0: a refund
    expect(await claims(request(TARGET))).to.equal(false)
    await setCode(TARGET, code(OP.GAS, OP.PUSH1, "00", OP.SSTORE, OP.STOP))
    expect(await claims(request(TARGET))).to.equal(false)
    await setCode(TARGET, code(OP.CALLER, OP.BALANCE, OP.PUSH1, "00", OP.SSTORE, OP.STOP))
    expect(await claims(request(TARGET))).to.equal(false)
    await setCode(OTHER, code(OP.STOP))
    const callOther = code(OP.PUSH1, "00", OP.PUSH1, "00", OP.PUSH1, "00", OP.PUSH1, "00", OP.PUSH1, "00", 0x73, OTHER, OP.PUSH2, "ffff", OP.CALL, OP.STOP)
    await setCode(TARGET, callOther)
    expect(await claims(request(TARGET))).to.equal(false)
  })

  it("holds over random straight-line programs of SSTORE, SLOAD, LOG0, MSTORE and KECCAK256 (200 programs)", async function () {
    const rng = new Rng(7)
    const byte = (n: number) => n.toString(16).padStart(2, "0")
    let claimed = 0
    for (let program = 0; program < 200; program++) {
      const parts: (number | string)[] = []
      for (let step = 0, steps = 1 + rng.int(6); step < steps; step++) {
        const slot = byte(rng.int(3))
        switch (rng.pick(["store", "store", "load", "log", "mstore", "keccak"])) {
          case "store":
            parts.push(OP.PUSH1, byte(rng.pick([0, 0, 1, 2, 200])), OP.PUSH1, slot, OP.SSTORE)
            break
          case "load":
            parts.push(OP.PUSH1, slot, OP.SLOAD, OP.POP)
            break
          case "log":
            parts.push(OP.PUSH1, byte(rng.int(64)), OP.PUSH1, "00", OP.LOG0)
            break
          case "mstore":
            parts.push(OP.PUSH1, "01", OP.PUSH1, byte(rng.int(128)), OP.MSTORE)
            break
          default:
            parts.push(OP.PUSH1, byte(rng.int(96)), OP.PUSH1, "00", OP.KECCAK, OP.POP)
        }
      }
      parts.push(OP.STOP)
      await setCode(TARGET, code(...parts))
      for (const slot of ["0x0", "0x1", "0x2"]) await call("hardhat_setStorageAt", [TARGET, slot, `0x${(rng.next() < 0.5 ? 0 : 1 + rng.int(3)).toString(16).padStart(64, "0")}`])
      if (await claims(request(TARGET))) claimed++
    }
    // The shortcut must fire for most of them, or it saves nothing; and not for all (refunds, no-op stores at the end).
    expect(claimed).to.be.within(40, 199)
  })
})
