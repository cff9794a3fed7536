/**
 * Solidity console.log (Hardhat's console.sol) printed as Hardhat prints it,
 * through the node's `printLine` callback. The expected lines and when they
 * are printed (eth_call, reverted calls and transactions, inner calls that
 * revert, not eth_estimateGas nor debug_traceTransaction) were checked
 * against EDR for the same contract.
 */
import { expect } from "chai"
import { Interface } from "ethers"

import { formatConsoleLog } from "../../src/network/consoleLog.js"
import { PevmProvider } from "../../src/network/provider.js"
import { A0, A1, caller, deployProbe, encode, rejects, type Call } from "./probe.js"

const MAX_UINT = ((1n << 256n) - 1n).toString()

function consoleCall(signature: string, args: readonly unknown[]): Uint8Array {
  const data = new Interface([`function ${signature}`]).encodeFunctionData(signature.slice(0, signature.indexOf("(")), args)
  return new Uint8Array(Buffer.from(data.slice(2), "hex"))
}

describe("network: Solidity console.log", function () {
  let provider: PevmProvider
  let probe: string
  const lines: string[] = []
  const call: Call = caller(() => provider)
  beforeEach(async () => {
    provider = new PevmProvider({ workers: 2, printLine: (line) => lines.push(line) })
    probe = await deployProbe(call)
    lines.length = 0
  })
  afterEach(() => provider.close())

  const ethCall = (fn: string, args: unknown[] = []) => call("eth_call", [{ from: A0, to: probe, data: encode(fn, args) }, "latest"])
  const send = (fn: string, args: unknown[] = [], extra: Record<string, unknown> = {}) =>
    call("eth_sendTransaction", [{ from: A0, to: probe, data: encode(fn, args), ...extra }]) as Promise<string>

  describe("formats, in eth_call", function () {
    it("strings, uint, int, address, bool, bytes, fixed bytes, no args, format strings and several args", async function () {
      expect(await ethCall("logTypes")).to.equal("0x")
      expect(lines).to.deep.equal([
        "hello world",
        "42",
        "-5",
        probe, // lowercase hex, as on Hardhat
        "true",
        "false",
        "0xc0ffee",
        "0xdeadbeef",
        `0x${"1".padStart(64, "0")}`,
        "",
        // %d and %i print numbers of any size; extra arguments are appended.
        `big ${MAX_UINT} and 3`,
        "alice has 7",
        "escaped %d stays 5",
        "total 1 true 0x0000000000000000000000000000000000000001",
        "10 ten false",
        `owner ${A0} is true`,
      ])
    })

    it("a view function's log prints with each eth_call, and the call still returns", async function () {
      expect(BigInt((await ethCall("logView", [21])) as string)).to.equal(42n)
      expect(BigInt((await ethCall("logView", [5])) as string)).to.equal(10n)
      expect(lines).to.deep.equal(["view 21", "view 5"])
    })
  })

  describe("reverts", function () {
    it("an eth_call that reverts prints what it logged before the revert, as Hardhat does", async function () {
      const error = await rejects(ethCall("logThenRevert"))
      expect(error.message).to.equal("VM Exception while processing transaction: reverted with reason string 'after log'")
      expect(lines).to.deep.equal(["before revert"])
    })

    it("an inner call that reverts still prints its logs, between the outer ones", async function () {
      await ethCall("logInReverted")
      expect(lines).to.deep.equal(["outer", "before revert", "outer done"])
      lines.length = 0
      await send("logInReverted", [], { gas: "0x40000" })
      expect(lines).to.deep.equal(["outer", "before revert", "outer done"])
    })

    it("a mined transaction that reverts prints its logs once, then the error is thrown", async function () {
      const error = await rejects(send("logThenRevert", [], { gas: "0x30000" }))
      expect(error.code).to.equal(3)
      expect(lines).to.deep.equal(["before revert"])
      // Its state change was reverted.
      expect(BigInt((await call("eth_call", [{ to: probe, data: encode("value") }])) as string)).to.equal(0n)
    })
  })

  describe("when lines are printed", function () {
    it("a transaction prints once when mined, not while its gas is estimated", async function () {
      await send("logAndSet", [3])
      expect(lines).to.deep.equal(["setting value to 3"])
      lines.length = 0
      expect(BigInt((await call("eth_estimateGas", [{ from: A0, to: probe, data: encode("logAndSet", [4]) }])) as string)).to.be.greaterThan(21000n)
      expect(lines).to.deep.equal([])
    })

    it("with automine off, lines come when the block is mined, in block order, from a parallel block", async function () {
      await call("evm_setAutomine", [false])
      await send("logAndSet", [1], { gas: "0x30000" })
      await call("eth_sendTransaction", [{ from: A1, to: probe, data: encode("logAndSet", [2]), gas: "0x30000" }])
      await send("logAndSet", [3], { gas: "0x30000" })
      expect(lines).to.deep.equal([])
      await call("evm_mine")
      const block = (await call("eth_getBlockByNumber", ["latest", true])) as { transactions: { input: string }[] }
      expect(block.transactions).to.have.length(3)
      const order = block.transactions.map((tx) => Number(BigInt(`0x${tx.input.slice(-64)}`)))
      expect(lines).to.deep.equal(order.map((v) => `setting value to ${v}`))
      expect(provider.chain.lastStats).to.deep.include({ transactions: 3, mode: "parallel" })
    })

    it("debug_traceTransaction, eth_getTransactionReceipt and evm_revert do not print again", async function () {
      const snapshot = await call("evm_snapshot")
      const hash = await send("logAndSet", [9])
      expect(lines).to.deep.equal(["setting value to 9"])
      await call("debug_traceTransaction", [hash])
      await call("eth_getTransactionReceipt", [hash])
      await call("evm_revert", [snapshot])
      expect(lines).to.deep.equal(["setting value to 9"])
    })

    it("without a printLine callback, lines go to console.log", async function () {
      const plain = new PevmProvider({ workers: 1 })
      const printed: unknown[][] = []
      const original = console.log
      try {
        const plainCall = caller(() => plain)
        const address = await deployProbe(plainCall)
        console.log = (...args: unknown[]) => printed.push(args)
        await plainCall("eth_call", [{ to: address, data: encode("logView", [1]) }])
      } finally {
        console.log = original
        await plain.close()
      }
      expect(printed).to.deep.equal([["view 1"]])
    })
  })

  describe("decoding console.sol calldata (formatConsoleLog)", function () {
    const cases: [string, unknown[], string][] = [
      ["log()", [], ""],
      ["log(string)", ["plain %s text"], "plain %s text"],
      ["log(uint256)", [0], "0"],
      ["log(int256)", [-(1n << 255n)], (-(1n << 255n)).toString()],
      ["log(bool)", [true], "true"],
      ["log(address)", ["0x00000000000000000000000000000000000000FF"], "0x00000000000000000000000000000000000000ff"],
      ["log(bytes)", ["0x"], "0x"],
      ["log(bytes1)", ["0xab"], "0xab"],
      ["log(bytes32)", [`0x${"ff".repeat(32)}`], `0x${"ff".repeat(32)}`],
      ["log(string,string)", ["ünïcødé", "✓"], "ünïcødé ✓"],
      ["log(string,uint256)", ["balance: %d wei", 10n ** 30n], `balance: ${10n ** 30n} wei`],
      ["log(string,uint256)", ["%i%%", 50], "50%"],
      ["log(uint256,uint256,uint256,uint256)", [1, 2, 3, 4], "1 2 3 4"],
      ["log(string,address,bool,uint256)", ["%s: %s (%d)", A1, false, 7], `${A1}: false (7)`],
      ["log(bool,string,address,string)", [true, "to", A0, "!"], `true to ${A0} !`],
      ["log(address,address,address,address)", [A0, A1, A0, A1], `${A0} ${A1} ${A0} ${A1}`],
    ]
    for (const [signature, args, expected] of cases) {
      it(`${signature} ${JSON.stringify(args, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`, function () {
        expect(formatConsoleLog(consoleCall(signature, args))).to.equal(expected)
      })
    }

    it("calldata that is not a console.log call prints nothing", function () {
      expect(formatConsoleLog(new Uint8Array([1, 2]))).to.equal(undefined)
      expect(formatConsoleLog(consoleCall("logNot(uint256)", [1]))).to.equal(undefined)
      // The legacy selector of `log(uint)` (0xf5b1bba9) is not in console.sol, and Hardhat's table lacks it too.
      const legacy = new Uint8Array([0xf5, 0xb1, 0xbb, 0xa9, ...new Uint8Array(31), 1])
      expect(formatConsoleLog(legacy)).to.equal(undefined)
    })
  })
})
