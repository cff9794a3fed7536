/** Reading serialized transactions and renumbering their nonces, checked against @ethereumjs/tx. */
import { createTx, createTxFromRLP } from "@ethereumjs/tx"
import { expect } from "chai"

import { argumentWords, decodeRaw, withNonce, RawTransactionError } from "../../src/analysis/rawTx.js"
import { commonFor } from "../../src/engine/index.js"

const common = commonFor({ chainId: 31337n, hardfork: "prague" }, "prague")
const KEY = Uint8Array.from(Buffer.from("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", "hex"))
const TO = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
const DATA = Uint8Array.from(Buffer.from(`a9059cbb${"00".repeat(12)}${TO.slice(2)}${"00".repeat(31)}05`, "hex"))

describe("analysis: raw transactions", function () {
  const samples = {
    legacy: createTx({ type: 0, nonce: 7n, gasPrice: 10n, gasLimit: 50_000n, to: TO, value: 3n, data: DATA }, { common }).sign(KEY),
    "EIP-2930": createTx({ type: 1, nonce: 7n, gasPrice: 10n, gasLimit: 50_000n, to: TO, value: 3n, data: DATA, accessList: [{ address: TO, storageKeys: [`0x${"11".repeat(32)}`] }] }, { common }).sign(KEY),
    "EIP-1559": createTx({ type: 2, nonce: 7n, maxFeePerGas: 10n, maxPriorityFeePerGas: 1n, gasLimit: 50_000n, to: TO, value: 3n, data: DATA, accessList: [{ address: TO, storageKeys: [] }] }, { common }).sign(KEY),
  }

  for (const [kind, tx] of Object.entries(samples)) {
    it(`reads a ${kind} transaction and renumbers its nonce without touching the rest`, function () {
      const raw = tx.serialize()
      const fields = decodeRaw(raw)
      expect(fields).to.deep.include({ type: tx.type, nonce: 7n, gasLimit: 50_000n, to: TO, value: 3n })
      expect(Buffer.from(fields.data).toString("hex")).to.equal(Buffer.from(DATA).toString("hex"))
      const renumbered = createTxFromRLP(withNonce(raw, 0n), { common })
      expect(renumbered.nonce).to.equal(0n)
      expect(renumbered.gasLimit).to.equal(50_000n)
      expect(renumbered.to?.toString()).to.equal(TO)
      expect(Buffer.from(renumbered.data).toString("hex")).to.equal(Buffer.from(DATA).toString("hex"))
      expect(renumbered.r).to.equal(tx.r)
      expect(decodeRaw(withNonce(raw, 300n)).nonce).to.equal(300n)
    })
  }

  it("reads a creation as having no recipient, and the calldata's argument words", function () {
    const creation = createTx({ type: 2, nonce: 0n, maxFeePerGas: 1n, gasLimit: 100_000n, data: Uint8Array.from([0x60, 0x00]) }, { common }).sign(KEY)
    expect(decodeRaw(creation.serialize()).to).to.equal(undefined)
    expect([...argumentWords(DATA)]).to.deep.equal([BigInt(TO), 5n])
  })

  it("rejects what is not a transaction", function () {
    expect(() => decodeRaw("0x")).to.throw(RawTransactionError)
    expect(() => decodeRaw("0x09c0")).to.throw(RawTransactionError, /unknown transaction type 9/)
  })
})
