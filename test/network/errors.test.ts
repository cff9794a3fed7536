/**
 * Errors as Hardhat's network gives them: the message chai-matchers and users
 * read, the code, and the revert data in `error.data`. Every message here was
 * checked against EDR (Hardhat 3.18) for the same contract and request.
 */
import { expect } from "chai"
import { AbiCoder } from "ethers"

import { PevmProvider } from "../../src/network/provider.js"
import { A0, A1, HASH_NOT_FOUND, caller, deployProbe, encode, hexOf, probeInterface, rejects, type Call } from "./probe.js"

const coder = AbiCoder.defaultAbiCoder()
const reasonData = (reason: string) => `0x08c379a0${coder.encode(["string"], [reason]).slice(2)}`
const panicData = (code: number) => `0x4e487b71${code.toString(16).padStart(64, "0")}`
const VM = "VM Exception while processing transaction:"

/** Runtime code that reverts with Panic(0x99): an unknown panic code. */
const PANIC_99 = "0x634e487b7160e01b600052609960045260246000fd"
const INVALID_OPCODE = "0xfe"
/** JUMP to 0, which is no JUMPDEST. */
const BAD_JUMP = "0x600056"
const RAW = "0x00000000000000000000000000000000000000a0"

describe("network: errors as Hardhat gives them", function () {
  let provider: PevmProvider
  let probe: string
  const call: Call = caller(() => provider)
  beforeEach(async () => {
    provider = new PevmProvider({ workers: 2, printLine: () => undefined })
    probe = await deployProbe(call)
  })
  afterEach(() => provider.close())

  const send = (tx: Record<string, unknown>) => call("eth_sendTransaction", [{ from: A0, ...tx }])
  const ethCall = (data: string, to = probe) => call("eth_call", [{ from: A0, to, data }, "latest"])
  const blockNumber = async () => Number(await call("eth_blockNumber"))

  describe("reverts: code 3, the message, the revert data in error.data", function () {
    const cases: [string, unknown[], string, string][] = [
      ["failReason", [], `${VM} reverted with reason string 'nope'`, reasonData("nope")],
      ["failRequire", [1], `${VM} reverted with reason string 'x too small'`, reasonData("x too small")],
      ["failEmpty", [], "Transaction reverted without a reason string", "0x"],
      ["failAssert", [], `${VM} reverted with panic code 0x1 (Assertion error)`, panicData(1)],
      ["failOverflow", [1], `${VM} reverted with panic code 0x11 (Arithmetic operation overflowed outside of an unchecked block)`, panicData(0x11)],
      ["failUnderflow", [0], `${VM} reverted with panic code 0x11 (Arithmetic operation overflowed outside of an unchecked block)`, panicData(0x11)],
      ["failDivide", [0], `${VM} reverted with panic code 0x12 (Division or modulo division by zero)`, panicData(0x12)],
      ["failIndex", [5], `${VM} reverted with panic code 0x32 (Array accessed at an out-of-bounds or negative index)`, panicData(0x32)],
    ]
    for (const [fn, args, message, data] of cases) {
      it(`${fn}: eth_call, eth_estimateGas and a mined eth_sendTransaction all report it`, async function () {
        const calldata = encode(fn, args)
        const viaCall = await rejects(ethCall(calldata))
        expect(viaCall.code).to.equal(3)
        expect(viaCall.message).to.equal(message)
        expect(viaCall.data).to.equal(data)
        expect((viaCall as unknown as { transactionHash: unknown }).transactionHash).to.equal(null)
        const viaEstimate = await rejects(call("eth_estimateGas", [{ from: A0, to: probe, data: calldata }]))
        expect([viaEstimate.code, viaEstimate.message, viaEstimate.data]).to.deep.equal([3, message, data])
        // A transaction with a gas limit is mined, then reported with its hash.
        const viaSend = await rejects(send({ to: probe, data: calldata, gas: "0x30000" }))
        expect([viaSend.code, viaSend.message, viaSend.data]).to.deep.equal([3, message, data])
        const hash = (viaSend as unknown as { transactionHash: string }).transactionHash
        expect(await blockNumber()).to.equal(2)
        const receipt = (await call("eth_getTransactionReceipt", [hash])) as { status: string; blockNumber: string }
        expect(receipt).to.include({ status: "0x0", blockNumber: "0x2" })
      })
    }

    it("a failed deployment: the constructor's revert, and a receipt without a contract address (EDR)", async function () {
      // Initcode that reverts with Error("no"): PUSH32 each word of the revert data, MSTORE it, then REVERT(0, len).
      const revertNo = reasonData("no")
      const words = revertNo.slice(2).match(/.{1,64}/g) ?? []
      let code = ""
      words.forEach((w, i) => {
        code += `7f${w.padEnd(64, "0")}` + `61${(i * 32).toString(16).padStart(4, "0")}52`
      })
      code += `61${((revertNo.length - 2) / 2).toString(16).padStart(4, "0")}6000fd`
      const error = await rejects(send({ data: `0x${code}`, gas: "0x30000" }))
      expect([error.code, error.message, error.data]).to.deep.equal([3, `${VM} reverted with reason string 'no'`, revertNo])
      const receipt = (await call("eth_getTransactionReceipt", [(error as unknown as { transactionHash: string }).transactionHash])) as Record<string, unknown>
      expect(receipt).to.include({ status: "0x0", to: null, contractAddress: null })
      // A successful one has it.
      const ok = (await call("eth_getTransactionReceipt", [await send({ data: "0x600a600c600039600a6000f3602a60005260206000f3" })])) as Record<string, unknown>
      expect(ok.contractAddress).to.match(/^0x[0-9a-f]{40}$/)
    })

    it("a custom error is unrecognized without ABIs, and named by describeCustomError", async function () {
      const data = probeInterface().encodeErrorResult("Custom", [7, A0])
      const unnamed = await rejects(ethCall(encode("failCustom")))
      expect(unnamed.code).to.equal(3)
      expect(unnamed.message).to.equal(`${VM} reverted with an unrecognized custom error (return data: ${data})`)
      expect(unnamed.data).to.equal(data)
      const named = new PevmProvider({
        workers: 1,
        describeCustomError: (revert) => {
          const error = probeInterface().parseError(revert)
          return error === null ? undefined : `${error.name}(${error.args.map((a) => (typeof a === "string" ? `"${a}"` : String(a))).join(", ")})`
        },
      })
      try {
        const named_ = caller(() => named)
        const address = await deployProbe(named_)
        const error = await rejects(named_("eth_call", [{ from: A0, to: address, data: encode("failCustom") }]))
        expect(error.message).to.equal(`${VM} reverted with custom error 'Custom(7, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")'`)
        expect(error.data).to.equal(data)
      } finally {
        await named.close()
      }
    })

    it("an unknown panic code, an invalid opcode, a bad jump (EDR's messages)", async function () {
      await call("hardhat_setCode", [RAW, PANIC_99])
      const panic = await rejects(ethCall("0x", RAW))
      expect([panic.code, panic.message, panic.data]).to.deep.equal([3, `${VM} reverted with unknown panic code 0x99`, panicData(0x99)])
      await call("hardhat_setCode", [RAW, INVALID_OPCODE])
      const invalid = await rejects(send({ to: RAW, gas: "0x10000" }))
      expect([invalid.code, invalid.message, invalid.data]).to.deep.equal([3, `${VM} invalid opcode`, "0x"])
      await call("hardhat_setCode", [RAW, BAD_JUMP])
      const jump = await rejects(ethCall("0x", RAW))
      expect([jump.code, jump.message, jump.data]).to.deep.equal([3, "Transaction reverted without a reason string", "0x"])
    })

    it("out of gas is -32000 with EDR's halt reason, the data and the transaction hash in error.data", async function () {
      const mined = await rejects(send({ to: probe, data: encode("burn"), gas: "0x30000" }))
      expect(mined.code).to.equal(-32000)
      expect(mined.message).to.equal("Transaction ran out of gas")
      const minedData = mined.data as { data: string; transactionHash: string }
      expect(minedData.data).to.equal("0x")
      const receipt = (await call("eth_getTransactionReceipt", [minedData.transactionHash])) as { status: string; gasUsed: string }
      expect(receipt).to.deep.include({ status: "0x0", gasUsed: "0x30000" })
      const viaCall = await rejects(call("eth_call", [{ from: A0, to: probe, data: encode("burn"), gas: "0x30000" }]))
      expect([viaCall.code, viaCall.message, viaCall.data]).to.deep.equal([
        -32000,
        "Transaction ran out of gas",
        { reason: { OutOfGas: "Basic" }, data: "0x", transactionHash: null },
      ])
      const viaEstimate = await rejects(call("eth_estimateGas", [{ from: A0, to: probe, data: encode("burn"), gas: "0x30000" }]))
      expect([viaEstimate.code, viaEstimate.message]).to.deep.equal([-32000, "Transaction ran out of gas"])
    })

    it("with throwOnTransactionFailures and throwOnCallFailures off, failures are results", async function () {
      const lenient = new PevmProvider({ workers: 1, throwOnTransactionFailures: false, throwOnCallFailures: false })
      try {
        const lenientCall = caller(() => lenient)
        const address = await deployProbe(lenientCall)
        const hash = (await lenientCall("eth_sendTransaction", [{ from: A0, to: address, data: encode("failReason"), gas: "0x30000" }])) as string
        expect(((await lenientCall("eth_getTransactionReceipt", [hash])) as { status: string }).status).to.equal("0x0")
        expect(await lenientCall("eth_call", [{ to: address, data: encode("failReason") }])).to.equal(reasonData("nope"))
      } finally {
        await lenient.close()
      }
    })

    it("with automine back on, a failing transaction mined together with pending ones still throws (EDR)", async function () {
      await call("evm_setAutomine", [false])
      const pending = (await call("eth_sendTransaction", [{ from: A1, to: A0, value: "0x1", gas: "0x5208" }])) as string
      await call("evm_setAutomine", [true])
      const error = await rejects(send({ to: probe, data: encode("failReason"), gas: "0x30000" }))
      expect([error.code, error.message, error.data]).to.deep.equal([3, `${VM} reverted with reason string 'nope'`, reasonData("nope")])
      const block = (await call("eth_getBlockByNumber", ["latest", false])) as { number: string; transactions: string[] }
      expect(block.number).to.equal("0x2")
      expect(block.transactions).to.deep.equal([pending, (error as unknown as { transactionHash: string }).transactionHash])
    })

    it("a failing transaction in a mined block of several fails alone, and evm_mine does not throw", async function () {
      await call("evm_setAutomine", [false])
      const good = (await send({ to: probe, data: encode("set", [1, 2]), gas: "0x30000" })) as string
      const bad = (await call("eth_sendTransaction", [{ from: A1, to: probe, data: encode("failReason"), gas: "0x30000" }])) as string
      expect(await call("evm_mine")).to.equal("0")
      expect(((await call("eth_getTransactionReceipt", [good])) as { status: string }).status).to.equal("0x1")
      expect(((await call("eth_getTransactionReceipt", [bad])) as { status: string }).status).to.equal("0x0")
    })
  })

  describe("transactions refused before mining: -32000 and Hardhat's wording", function () {
    it("nonce too low and too high with automine; too low without", async function () {
      await send({ to: A1, value: "0x1" })
      expect((await rejects(send({ to: A1, nonce: "0x0" }))).message).to.equal(
        "Nonce too low. Expected nonce to be 2 but got 0. Note that transactions can't be queued when automining.",
      )
      const high = await rejects(send({ to: A1, nonce: "0x9" }))
      expect([high.code, high.message]).to.deep.equal([-32000, "Nonce too high. Expected nonce to be 2 but got 9. Note that transactions can't be queued when automining."])
      await call("evm_setAutomine", [false])
      expect((await rejects(send({ to: A1, nonce: "0x1" }))).message).to.equal("Transaction nonce too low. Expected nonce to be at least 2 but got 1.")
      // Without automine a nonce gap is queued, not refused.
      expect(await send({ to: A1, nonce: "0x9", gas: "0x5208" })).to.match(/^0x[0-9a-f]{64}$/)
    })

    it("insufficient funds", async function () {
      await call("hardhat_setBalance", [A1, "0x100"])
      const error = await rejects(call("eth_sendTransaction", [{ from: A1, to: A0, value: "0x1", gas: "0x5208", maxFeePerGas: "0x1", maxPriorityFeePerGas: "0x1", type: "0x2" }]))
      expect(error.code).to.equal(-32000)
      // maxFeePerGas (1) is below the base fee: that check comes first, as on Hardhat.
      expect(error.message).to.match(/^Transaction gasPrice \(1\) is too low for the next block, which has a baseFeePerGas of \d+$/)
      const poor = await rejects(call("eth_sendTransaction", [{ from: A1, to: A0, value: "0x1", gas: "0x5208" }]))
      expect(poor.message).to.match(/^Sender doesn't have enough funds to send tx\. The max upfront cost is: \d+ and the sender's balance is: 256\.$/)
    })

    it("gas above the transaction gas cap and above the block gas limit", async function () {
      expect((await rejects(send({ to: A1, gas: hexOf(16_777_217n) }))).message).to.equal("Transaction gas limit is 16777217 and exceeds transaction gas cap of 16777216")
      await call("evm_setBlockGasLimit", ["0x100000"])
      const error = await rejects(send({ to: A1, gas: "0x100001" }))
      expect([error.code, error.message]).to.deep.equal([-32000, "Transaction gas limit is 1048577 and exceeds block gas limit of 1048576"])
    })

    it("gas below the intrinsic gas (EDR's message), for requests, raw transactions, calls and estimates", async function () {
      const low = await rejects(send({ to: A1, gas: "0x5207" }))
      expect([low.code, low.message]).to.deep.equal([-32000, "Transaction requires at least 21000 gas but got 20999"])
      // A creation pays 32000 more and 2 per initcode word; one zero byte 4.
      expect((await rejects(send({ data: "0x00", gas: "0x5208" }))).message).to.equal("Transaction requires at least 53006 gas but got 21000")
      expect((await rejects(call("eth_call", [{ from: A0, to: A1, gas: "0x1" }]))).message).to.equal("Transaction requires at least 21000 gas but got 1")
      expect((await rejects(call("eth_estimateGas", [{ from: A0, to: A1, gas: "0x1" }]))).message).to.equal("Transaction requires at least 21000 gas but got 1")
      await call("evm_setAutomine", [false])
      expect((await rejects(send({ to: A1, gas: "0x1" }))).message).to.equal("Transaction requires at least 21000 gas but got 1")
      // Nothing was mined or pooled.
      expect(await blockNumber()).to.equal(1)
      expect(await call("eth_getBlockTransactionCountByNumber", ["pending"])).to.equal("0x0")
    })

    it("fee fields that contradict each other", async function () {
      expect((await rejects(send({ to: A1, gasPrice: "0x1", maxFeePerGas: "0x1" }))).message).to.equal("Cannot send both gasPrice and maxFeePerGas params")
      expect((await rejects(send({ to: A1, maxFeePerGas: "0x77359400", maxPriorityFeePerGas: "0x87359400" }))).message).to.equal(
        "maxPriorityFeePerGas (2268435456) is bigger than maxFeePerGas (2000000000)",
      )
    })

    it("unknown sender", async function () {
      const stranger = "0x0000000000000000000000000000000000000bad"
      const error = await rejects(call("eth_sendTransaction", [{ from: stranger, to: A1 }]))
      expect([error.code, error.message]).to.deep.equal([-32000, "Unknown account 0x0000000000000000000000000000000000000Bad"]) // checksummed, as EDR
    })

    it("none of them mines anything", async function () {
      for (const tx of [{ nonce: "0x5" }, { gas: "0x1000001" }, { gasPrice: "0x1", maxFeePerGas: "0x1" }]) await rejects(send({ to: A1, ...tx }))
      expect(await blockNumber()).to.equal(1)
    })
  })

  describe("bad requests", function () {
    it("an unknown method is -32601 naming it, and the node answers the next request", async function () {
      const error = await rejects(call("eth_subscribeToEverything"))
      expect(error.code).to.equal(-32601)
      expect(error.message).to.equal("Method eth_subscribeToEverything is not supported")
      expect(await call("eth_blockNumber")).to.equal("0x1")
    })

    it("params that are not an array, the wrong number of them, and a request without a method are -32602", async function () {
      const notArray = await rejects(provider.request({ method: "eth_getBalance", params: { address: A0 } }))
      expect([notArray.code, notArray.message]).to.deep.equal([-32602, "Invalid params for eth_getBalance: expected an array"])
      const tooFew = await rejects(call("eth_getBalance", []))
      expect([tooFew.code, tooFew.message]).to.deep.equal([-32602, "Invalid params for eth_getBalance: expected 1 to 2 parameters, got 0"])
      const tooMany = await rejects(call("eth_getTransactionByHash", [HASH_NOT_FOUND, 1]))
      expect([tooMany.code, tooMany.message]).to.deep.equal([-32602, "Invalid params for eth_getTransactionByHash: expected 1 parameters, got 2"])
      const noMethod = await rejects(provider.request({ params: [] } as never))
      expect(noMethod.code).to.equal(-32602)
      expect(await call("eth_blockNumber")).to.equal("0x1")
    })

    it("a storm of bad requests in parallel with good ones leaves the node consistent", async function () {
      const bad = [
        call("eth_getBalance", ["0x12"]),
        call("eth_sendTransaction", [{ from: A0, to: "nowhere" }]),
        call("eth_call", [{ to: probe, data: encode("failReason") }]),
        call("evm_revert", ["zz"]),
        call("no_such_method"),
        send({ to: A1, nonce: "0x0" }),
      ]
      const good = [send({ to: A1, value: "0x1" }), send({ to: A1, value: "0x2" })]
      const results = await Promise.allSettled([...bad, ...good])
      expect(results.slice(0, bad.length).every((r) => r.status === "rejected")).to.equal(true)
      expect(results.slice(bad.length).every((r) => r.status === "fulfilled")).to.equal(true)
      expect(await blockNumber()).to.equal(3)
      expect(await call("eth_getTransactionCount", [A0, "latest"])).to.equal("0x3")
    })

    it("sendAsync answers failures as JSON-RPC error objects", async function () {
      const response = await new Promise<unknown>((resolve, reject) =>
        provider.sendAsync({ jsonrpc: "2.0", id: 7, method: "eth_call", params: [{ to: probe, data: encode("failReason") }] }, (error, result) =>
          error === null || error === undefined ? resolve(result) : reject(error as Error),
        ),
      )
      expect(response).to.deep.equal({
        jsonrpc: "2.0",
        id: 7,
        error: { code: 3, message: `${VM} reverted with reason string 'nope'`, data: reasonData("nope") },
      })
    })

    it("a closed provider refuses requests", async function () {
      await provider.close()
      const error = await rejects(call("eth_blockNumber"))
      expect([error.code, error.message]).to.deep.equal([-32603, "The provider is closed"])
    })
  })
})
