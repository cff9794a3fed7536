/**
 * Local accounts and signing, against ethers (test-only oracle) and known values.
 */
import { createTxFromRLP } from "@ethereumjs/tx"
import { expect } from "chai"
import {
  HDNodeWallet,
  Mnemonic,
  Signature as EthersSignature,
  Transaction,
  TypedDataEncoder,
  Wallet,
  getAddress,
  keccak256 as ethersKeccak,
  toUtf8Bytes,
  verifyMessage,
  verifyTypedData,
  type TypedDataField as EthersField,
} from "ethers"

import { commonFor } from "../../src/engine/chain.js"
import type { Hex } from "../../src/engine/types.js"
import {
  HARDHAT_DEFAULT_ACCOUNTS,
  addressOf,
  authorizationDigest,
  ethSign,
  localAccounts,
  personalSign,
  signAuthorization,
  signTransaction,
  signTypedDataV4,
  type AccountsConfig,
  type LocalAccount,
  type TransactionFields,
} from "../../src/network/accounts.js"
import { TypedDataError, encodeType, hashStruct, hashTypedData } from "../../src/network/typedData.js"
import { Rng } from "../fixtures/randomBlocks.js"

const hex = (bytes: Uint8Array): Hex => `0x${Buffer.from(bytes).toString("hex")}`
const bytes = (value: string): Uint8Array => Uint8Array.from(Buffer.from(value.replace(/^0x/, ""), "hex"))

/** Hardhat's default keys (hardhat/src/internal/builtin-plugins/network-manager/edr/edr-constants.ts). */
const HARDHAT_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
  "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
  "0xf214f2b2cd398c806f84e317254e0f0b801d0643303237d97a22a48e01628897",
  "0x701b615bbdfb9de65240bc28bd21bbc0d996645a3dd57e7b12bc2bdf6f192c82",
  "0xa267530f49f8280200edf313ee7af6b827f2a8bce2897751d06a843f644967b1",
  "0x47c99abed3324a2707c28affff1267e45918ec8c3f20b8aa892e8b065d2942dd",
  "0xc526ee95bf44d8fc405a158bb884d9d1238d99f0612e9f33d006bb0789009aaa",
  "0x8166f546bab6da521a8369cab06c5d2b9e46670292d85c875ee9ec20e84ffb61",
  "0xea6c44ac03bff858b476bba40716402b03e41b8e97e276d1baec7c37d42484a0",
  "0x689af8efa8c651a91ad287602527f3af2fe9f6501a7ac4b061667b5a93e037fd",
  "0xde9be858da4a475276426320d5e9262ecfc3ba460bfac56360bfa6c4c28b4ee0",
  "0xdf57089febbacf7ba0bc227dafbffa9fc08a93fdc68e1e42411a14efcf23656e",
]

const KNOWN_ADDRESSES = [
  "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
  "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
  "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
  "0x90f79bf6eb2c4f870365e785982e1f101e93b906",
]


describe("network/accounts", function () {
  describe("accounts", function () {
    it("derives Hardhat's default accounts exactly (known keys, ethers HD derivation)", function () {
      const accounts = localAccounts(HARDHAT_DEFAULT_ACCOUNTS)
      expect(accounts).to.have.length(20)
      expect(accounts[0]?.address).to.equal("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")
      expect(accounts.slice(0, 4).map((a) => a.address)).to.deep.equal(KNOWN_ADDRESSES)
      expect(accounts.map((a) => hex(a.privateKey))).to.deep.equal(HARDHAT_KEYS)
      const root = HDNodeWallet.fromPhrase("test test test test test test test test test test test junk", "", "m/44'/60'/0'/0")
      accounts.forEach((account, i) => {
        const wallet = root.deriveChild(i)
        expect(account.address).to.equal(wallet.address.toLowerCase())
        expect(hex(account.privateKey)).to.equal(wallet.privateKey)
        expect(account.balance).to.equal(10_000n * 10n ** 18n)
      })
    })

    it("derives custom mnemonics, paths, initial indexes and passphrases like ethers", function () {
      const random = new Rng(7)
      const cases: { words: number; path: string; initialIndex: number; count: number; passphrase: string }[] = [
        { words: 12, path: "m/44'/60'/0'/0", initialIndex: 5, count: 3, passphrase: "" },
        { words: 24, path: "m/44'/60'/1'/0", initialIndex: 0, count: 2, passphrase: "hunter2" },
        { words: 15, path: "m/44'/60'/0'/0/", initialIndex: 100, count: 2, passphrase: "pa\u00dfw\u00f6rd \u00e9t\u00e9" },
        { words: 18, path: "m/44'/61'/7'/3/9", initialIndex: 2147483646, count: 1, passphrase: "" },
        { words: 21, path: "m/0", initialIndex: 1, count: 2, passphrase: "\u30d1\u30b9\u30ef\u30fc\u30c9" },
      ]
      for (const c of cases) {
        const phrase = Mnemonic.fromEntropy(random.bytes((c.words / 3) * 4)).phrase
        const accounts = localAccounts({ mnemonic: phrase, path: c.path, initialIndex: c.initialIndex, count: c.count, passphrase: c.passphrase, balance: 7n })
        expect(accounts).to.have.length(c.count)
        const root = HDNodeWallet.fromPhrase(phrase, c.passphrase, c.path.replace(/\/$/, ""))
        accounts.forEach((account, i) => {
          const wallet = root.deriveChild(c.initialIndex + i)
          expect(account.address, `${c.path} ${c.initialIndex + i}`).to.equal(wallet.address.toLowerCase())
          expect(hex(account.privateKey)).to.equal(wallet.privateKey)
          expect(account.balance).to.equal(7n)
        })
      }
    })

    it("trims the mnemonic as Hardhat does, and reuses derivations without sharing key bytes", function () {
      const base = HARDHAT_DEFAULT_ACCOUNTS as Exclude<AccountsConfig, readonly unknown[]>
      const padded = localAccounts({ ...base, mnemonic: `  ${base.mnemonic}\n`, count: 2 })
      expect(padded.map((a) => a.address)).to.deep.equal(KNOWN_ADDRESSES.slice(0, 2))
      const first = localAccounts({ ...base, initialIndex: 1, count: 2 })
      expect(first.map((a) => a.address)).to.deep.equal(KNOWN_ADDRESSES.slice(1, 3))
      ;(first[0] as LocalAccount).privateKey.fill(0)
      expect(hex((localAccounts({ ...base, initialIndex: 1, count: 1 })[0] as LocalAccount).privateKey)).to.equal(HARDHAT_KEYS[1])
      expect(localAccounts({ ...base, count: 0 })).to.deep.equal([])
    })

    it("rejects invalid HD configurations with clear errors", function () {
      const base = HARDHAT_DEFAULT_ACCOUNTS as Exclude<AccountsConfig, readonly unknown[]>
      expect(() => localAccounts({ ...base, path: "m/44h/60h" })).to.throw(/Invalid HD path/)
      expect(() => localAccounts({ ...base, path: "44'/60'" })).to.throw(/Invalid HD path/)
      expect(() => localAccounts({ ...base, path: "m" })).to.throw(/Invalid HD path/)
      expect(() => localAccounts({ ...base, path: "m/2147483648" })).to.throw(/too large/)
      expect(() => localAccounts({ ...base, mnemonic: "test test test" })).to.throw(/Invalid mnemonic/)
      expect(() => localAccounts({ ...base, mnemonic: base.mnemonic.replace(" ", "  ") })).to.throw(/Invalid mnemonic/)
      expect(() => localAccounts({ ...base, initialIndex: -1 })).to.throw(/initialIndex/)
      expect(() => localAccounts({ ...base, initialIndex: 1.5 })).to.throw(/initialIndex/)
      expect(() => localAccounts({ ...base, initialIndex: 2147483647, count: 2 })).to.throw(/2\^31/)
    })

    it("builds private-key accounts (with or without 0x) and rejects invalid keys", function () {
      const random = new Rng(11)
      const keys = Array.from({ length: 5 }, () => hex(random.bytes(32)))
      const accounts = localAccounts(keys.map((privateKey, i) => ({ privateKey, balance: BigInt(i) })))
      accounts.forEach((account, i) => {
        expect(account.address).to.equal(new Wallet(keys[i] as string).address.toLowerCase())
        expect(account.balance).to.equal(BigInt(i))
        expect(hex(account.privateKey)).to.equal(keys[i])
      })
      const bare = localAccounts([{ privateKey: (keys[0] as string).slice(2).toUpperCase() as Hex, balance: 0n }])
      expect(bare[0]?.address).to.equal(accounts[0]?.address)
      expect(addressOf(bytes(HARDHAT_KEYS[0] as string))).to.equal(KNOWN_ADDRESSES[0])
      expect(() => localAccounts([{ privateKey: `0x${"00".repeat(32)}`, balance: 0n }])).to.throw(/not a valid secp256k1/)
      expect(() => localAccounts([{ privateKey: "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", balance: 0n }])).to.throw(/not a valid/)
      expect(() => localAccounts([{ privateKey: "0x1234", balance: 0n }])).to.throw(/32 bytes/)
    })
  })

  describe("transactions", function () {
    const common = commonFor({ chainId: 31337n, hardfork: "osaka" }, "osaka")
    const [alice, bob] = localAccounts(HARDHAT_DEFAULT_ACCOUNTS) as [LocalAccount, LocalAccount]
    const wallet = new Wallet(hex(alice.privateKey))
    const accessList = [
      { address: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as Hex, storageKeys: [`0x${"00".repeat(31)}01`, `0x${"ab".repeat(32)}`] as Hex[] },
      { address: "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512" as Hex, storageKeys: [] },
    ]
    const base = { chainId: 31337n, nonce: 7n, gasLimit: 100_000n, to: bob.address, value: 10n ** 18n + 3n, data: bytes("a9059cbb00ff") }
    const authorization = signAuthorization(bob, { chainId: 31337n, address: "0x5FbDB2315678afecb367f032d93F642f64180aa3", nonce: 0n })
    const cases: { name: string; fields: TransactionFields }[] = [
      { name: "legacy (EIP-155)", fields: { ...base, type: 0, gasPrice: 875_000_000n } },
      { name: "legacy creation", fields: { ...base, to: undefined, type: 0, gasPrice: 1n, nonce: 0n, value: 0n } },
      { name: "EIP-2930", fields: { ...base, type: 1, gasPrice: 2_000_000_000n, accessList } },
      { name: "EIP-1559", fields: { ...base, type: 2, maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, accessList } },
      { name: "EIP-1559 creation, empty data", fields: { ...base, to: undefined, data: undefined, value: undefined, type: 2, maxFeePerGas: 1n, maxPriorityFeePerGas: 0n } },
      {
        name: "EIP-4844 (canonical, no blobs)",
        fields: {
          ...base,
          type: 3,
          maxFeePerGas: 3_000_000_000n,
          maxPriorityFeePerGas: 1_000_000_000n,
          maxFeePerBlobGas: 5n,
          accessList,
          blobVersionedHashes: [`0x01${"11".repeat(31)}`, `0x01${"22".repeat(31)}`],
        },
      },
      {
        name: "EIP-7702",
        fields: {
          ...base,
          type: 4,
          maxFeePerGas: 3_000_000_000n,
          maxPriorityFeePerGas: 1_000_000_000n,
          accessList,
          authorizationList: [authorization, signAuthorization(alice, { chainId: 0n, address: bob.address, nonce: 8n })],
        },
      },
    ]

    for (const { name, fields } of cases) {
      it(`signs ${name}: sender recovers, ethers parses the same fields and signs the same bytes`, async function () {
        const raw = signTransaction(common, fields, alice)
        const decoded = createTxFromRLP(raw, { common })
        expect(decoded.type).to.equal(fields.type)
        expect(decoded.getSenderAddress().toString()).to.equal(alice.address)
        expect(decoded.verifySignature()).to.equal(true)

        const parsed = Transaction.from(hex(raw))
        expect(parsed.type).to.equal(fields.type)
        expect(parsed.from?.toLowerCase()).to.equal(alice.address)
        expect(parsed.chainId).to.equal(31337n)
        expect(parsed.nonce).to.equal(Number(fields.nonce))
        expect(parsed.gasLimit).to.equal(fields.gasLimit)
        expect(parsed.to?.toLowerCase() ?? undefined).to.equal(fields.to)
        expect(parsed.value).to.equal(fields.value ?? 0n)
        expect(parsed.data).to.equal(hex(fields.data ?? new Uint8Array()))
        if (fields.type < 2) expect(parsed.gasPrice).to.equal(fields.gasPrice)
        else {
          expect(parsed.maxFeePerGas).to.equal(fields.maxFeePerGas)
          expect(parsed.maxPriorityFeePerGas).to.equal(fields.maxPriorityFeePerGas)
        }
        if (fields.type >= 1) {
          expect((parsed.accessList ?? []).map((e) => ({ address: e.address.toLowerCase(), storageKeys: e.storageKeys }))).to.deep.equal(
            fields.accessList ?? [],
          )
        }
        if (fields.type === 3) {
          expect(parsed.maxFeePerBlobGas).to.equal(fields.maxFeePerBlobGas)
          expect(parsed.blobVersionedHashes).to.deep.equal(fields.blobVersionedHashes)
          expect(parsed.blobs).to.equal(null)
        }
        if (fields.type === 4) {
          const list = parsed.authorizationList ?? []
          expect(list.map((a) => ({ chainId: a.chainId, address: a.address.toLowerCase(), nonce: a.nonce }))).to.deep.equal(
            (fields.authorizationList ?? []).map((a) => ({ chainId: a.chainId, address: a.address, nonce: a.nonce })),
          )
          expect(list.map((a) => [a.signature.yParity, BigInt(a.signature.r), BigInt(a.signature.s)])).to.deep.equal(
            (fields.authorizationList ?? []).map((a) => [Number(a.yParity), a.r, a.s]),
          )
        }
        expect(parsed.serialized).to.equal(hex(raw))

        // ethers signs the same request to the same bytes (both use RFC 6979 nonces).
        const unsigned = parsed.clone()
        unsigned.signature = null
        expect(await wallet.signTransaction(unsigned)).to.equal(hex(raw))
      })
    }

    it("signs EIP-7702 authorizations like ethers and recoverably by ethereumjs", function () {
      const request = { chainId: 31337n, address: "0x5FbDB2315678afecb367f032d93F642f64180aa3", nonce: 3n }
      for (const account of [alice, bob]) {
        const signed = signAuthorization(account, { ...request, address: request.address as Hex })
        expect(signed.address).to.equal(request.address.toLowerCase())
        const theirs = new Wallet(hex(account.privateKey)).authorizeSync(request)
        expect(signed.yParity).to.equal(BigInt(theirs.signature.yParity))
        expect(signed.r).to.equal(BigInt(theirs.signature.r))
        expect(signed.s).to.equal(BigInt(theirs.signature.s))
        expect(EthersSignature.from(theirs.signature).serialized).to.be.a("string")
      }
      const raw = signTransaction(common, cases.find((c) => c.fields.type === 4)?.fields as TransactionFields, alice)
      const tx = createTxFromRLP(raw, { common }) as ReturnType<typeof createTxFromRLP> & { authorizationList: Uint8Array[][] }
      expect(tx.authorizationList).to.have.length(2)
      expect(hex(authorizationDigest({ chainId: 0n, address: bob.address, nonce: 8n }))).to.have.length(66)
    })

    it("signs legacy transactions without EIP-155 before Spurious Dragon, and with other chain ids", function () {
      const homestead = commonFor({ chainId: 1n, hardfork: "homestead" }, "homestead")
      const raw = signTransaction(homestead, { chainId: 1n, type: 0, nonce: 0n, gasLimit: 21_000n, gasPrice: 1n, to: bob.address }, alice)
      const parsed = Transaction.from(hex(raw))
      expect(parsed.chainId).to.equal(0n)
      expect(parsed.signature?.v).to.be.oneOf([27, 28])
      expect(parsed.from?.toLowerCase()).to.equal(alice.address)
      expect(createTxFromRLP(raw, { common: homestead }).getSenderAddress().toString()).to.equal(alice.address)

      const mainnet = commonFor({ chainId: 1n, hardfork: "cancun" }, "cancun")
      const raw1 = signTransaction(mainnet, { chainId: 1n, type: 0, nonce: 0n, gasLimit: 21_000n, gasPrice: 1n, to: bob.address }, alice)
      const parsed1 = Transaction.from(hex(raw1))
      expect(parsed1.chainId).to.equal(1n)
      expect(parsed1.signature?.networkV).to.be.oneOf([37n, 38n])
      expect(parsed1.from?.toLowerCase()).to.equal(alice.address)
    })

    it("rejects a chain id that differs from the chain's, and unknown types", function () {
      expect(() => signTransaction(common, { ...base, chainId: 1n, type: 2 }, alice)).to.throw(/chain id/)
      expect(() => signTransaction(common, { ...base, type: 5 }, alice)).to.throw(/Unsupported transaction type 5/)
    })

    it("fake-signs for impersonated senders as EDR does (r = s = address)", function () {
      const sender = "0x1234567890abcdef1234567890abcdef12345678" as Hex
      const other = "0x00000000000000000000000000000000000000ff" as Hex
      for (const { fields } of cases) {
        const raw = signTransaction(common, fields, { impersonated: sender })
        const tx = createTxFromRLP(raw, { common })
        expect(tx.isSigned()).to.equal(true)
        expect(tx.r).to.equal(BigInt(sender))
        expect(tx.s).to.equal(BigInt(sender))
        expect(tx.v).to.equal(fields.type === 0 ? 31337n * 2n + 36n : 1n)
        const raw2 = signTransaction(common, fields, { impersonated: other })
        expect(hex(createTxFromRLP(raw2, { common }).hash())).to.not.equal(hex(tx.hash()))
        expect(hex(signTransaction(common, fields, { impersonated: sender }))).to.equal(hex(raw))
        const zero = createTxFromRLP(signTransaction(common, fields, { impersonated: `0x${"00".repeat(20)}` }), { common })
        expect(zero.isSigned()).to.equal(true)
        expect([zero.r, zero.s]).to.deep.equal([1n << 160n, 1n << 160n])
      }
    })

    it("signs fast (native secp256k1)", function () {
      const fields = cases[3]?.fields as TransactionFields
      const start = performance.now()
      const n = 500
      for (let i = 0; i < n; i++) signTransaction(common, { ...fields, nonce: BigInt(i) }, alice)
      const perTx = (performance.now() - start) / n
      console.log(`      signTransaction: ${(perTx * 1000).toFixed(0)} us per EIP-1559 transaction`)
      expect(perTx).to.be.below(5)
    })
  })

  describe("messages", function () {
    const [alice, bob] = localAccounts(HARDHAT_DEFAULT_ACCOUNTS) as [LocalAccount, LocalAccount]
    const random = new Rng(3)
    const messages: Uint8Array[] = [
      new Uint8Array(),
      toUtf8Bytes("hello world"),
      toUtf8Bytes("h\u00e9llo \u{1f600} \u0000"),
      random.bytes(32),
      bytes("ff00fe80c0"),
      random.bytes(1000),
    ]
    it("personal_sign is byte-identical to ethers' signMessage", async function () {
      for (const account of [alice, bob]) {
        const wallet = new Wallet(hex(account.privateKey))
        for (const message of messages) {
          const signature = personalSign(account, message)
          expect(signature).to.match(/^0x[0-9a-f]{128}(1b|1c)$/)
          expect(signature).to.equal(await wallet.signMessage(message))
          expect(verifyMessage(message, signature).toLowerCase()).to.equal(account.address)
        }
      }
    })

    it("eth_sign signs as personal_sign (Hardhat's behaviour)", function () {
      for (const message of messages) expect(ethSign(alice, message)).to.equal(personalSign(alice, message))
    })
  })

  describe("EIP-712", function () {
    const [alice] = localAccounts(HARDHAT_DEFAULT_ACCOUNTS) as [LocalAccount]
    const wallet = new Wallet(hex(alice.privateKey))

    type Payload = { types: Record<string, EthersField[]>; primaryType: string; domain: Record<string, unknown>; message: Record<string, unknown> }

    async function compare(payload: Payload, label: string): Promise<void> {
      const { EIP712Domain: _, ...types } = payload.types
      const expected = TypedDataEncoder.hash(payload.domain, types, payload.message)
      expect(hex(hashTypedData(payload)), label).to.equal(expected)
      const signature = signTypedDataV4(alice, payload)
      expect(signature, label).to.equal(await wallet.signTypedData(payload.domain, types, payload.message))
      expect(verifyTypedData(payload.domain, types, payload.message, signature).toLowerCase()).to.equal(alice.address)
    }

    const permit: Payload = {
      types: {
        EIP712Domain: [
          { name: "name", type: "string" },
          { name: "version", type: "string" },
          { name: "chainId", type: "uint256" },
          { name: "verifyingContract", type: "address" },
        ],
        Permit: [
          { name: "owner", type: "address" },
          { name: "spender", type: "address" },
          { name: "value", type: "uint256" },
          { name: "nonce", type: "uint256" },
          { name: "deadline", type: "uint256" },
        ],
      },
      primaryType: "Permit",
      domain: { name: "USD Coin", version: "2", chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" },
      message: {
        owner: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        spender: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        value: "115792089237316195423570985008687907853269984665640564039457584007913129639935",
        nonce: 0,
        deadline: "0x6553f100",
      },
    }

    const mail: Payload = {
      types: {
        Person: [
          { name: "name", type: "string" },
          { name: "wallets", type: "address[]" },
        ],
        Mail: [
          { name: "from", type: "Person" },
          { name: "to", type: "Person[]" },
          { name: "contents", type: "string" },
          { name: "attachment", type: "bytes" },
          { name: "tags", type: "bytes32[2]" },
        ],
        Group: [
          { name: "name", type: "string" },
          { name: "members", type: "Person[]" },
        ],
        Envelope: [
          { name: "mail", type: "Mail" },
          { name: "groups", type: "Group[][]" },
          { name: "matrix", type: "int16[3][]" },
          { name: "flags", type: "bool[2]" },
          { name: "code", type: "bytes4" },
          { name: "id", type: "uint8" },
        ],
      },
      primaryType: "Envelope",
      domain: { name: "Ether Mail", chainId: "0x7a69", salt: `0x${"5a".repeat(32)}` },
      message: {
        mail: {
          from: { name: "Cow", wallets: ["0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826", "0xDeaDbeefdEAdbeefdEadbEEFdeadbeEFdEaDbeeF"] },
          to: [
            { name: "Bob", wallets: ["0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"] },
            { name: "\u00c7a va \u{1f42e}", wallets: [] },
          ],
          contents: "Hello, Bob!",
          attachment: "0x00ff10",
          tags: [`0x${"01".repeat(32)}`, `0x${"fe".repeat(32)}`],
        },
        groups: [[{ name: "g", members: [{ name: "Alice", wallets: ["0x70997970c51812dc3a010c7d01b50e0d17dc79c8"] }] }], []],
        matrix: [
          [-1, 32767, "-32768"],
          [0, "0x10", 5],
        ],
        flags: [true, false],
        code: "0xa9059cbb",
        id: 255,
      },
    }

    it("matches ethers on Permit (EIP-2612), with EIP712Domain in types and JSON-string input", async function () {
      await compare(permit, "permit")
      const fromJson = JSON.parse(JSON.stringify(permit)) as Payload
      expect(hex(hashTypedData(fromJson))).to.equal(TypedDataEncoder.hash(permit.domain, { Permit: permit.types.Permit as EthersField[] }, permit.message))
    })

    it("matches ethers on nested structs, arrays of structs, nested and fixed arrays, bytes/string/int fields", async function () {
      await compare(mail, "mail")
      expect(encodeType(mail.types, "Envelope")).to.equal(
        "Envelope(Mail mail,Group[][] groups,int16[3][] matrix,bool[2] flags,bytes4 code,uint8 id)" +
          "Group(string name,Person[] members)Mail(Person from,Person[] to,string contents,bytes attachment,bytes32[2] tags)Person(string name,address[] wallets)",
      )
      expect(hex(hashStruct(mail.types, "Person", { name: "Cow", wallets: [] }))).to.equal(
        TypedDataEncoder.from({ Person: mail.types.Person as EthersField[] }).hash({ name: "Cow", wallets: [] }),
      )
    })

    it("matches ethers on every domain shape", async function () {
      const domains: Record<string, unknown>[] = [
        {},
        { name: "only name" },
        { version: "1", verifyingContract: "0x0000000000000000000000000000000000000001" },
        { chainId: 1 },
        { salt: `0x${"00".repeat(31)}01` },
        { name: "all", version: "3", chainId: "31337", verifyingContract: "0xcccccccccccccccccccccccccccccccccccccccc", salt: `0x${"ee".repeat(32)}` },
      ]
      for (const domain of domains) await compare({ ...permit, types: { Permit: permit.types.Permit as EthersField[] }, domain }, JSON.stringify(domain))
    })

    it("matches the EIP-712 specification example and alloy's (EDR's) test vectors", function () {
      const cow = ethersKeccak(toUtf8Bytes("cow"))
      const example = {
        types: {
          EIP712Domain: [
            { name: "name", type: "string" },
            { name: "version", type: "string" },
            { name: "chainId", type: "uint256" },
            { name: "verifyingContract", type: "address" },
          ],
          Person: [
            { name: "name", type: "string" },
            { name: "wallet", type: "address" },
          ],
          Mail: [
            { name: "from", type: "Person" },
            { name: "to", type: "Person" },
            { name: "contents", type: "string" },
          ],
        },
        primaryType: "Mail",
        domain: { name: "Ether Mail", version: "1", chainId: 1, verifyingContract: "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC" },
        message: {
          from: { name: "Cow", wallet: "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826" },
          to: { name: "Bob", wallet: "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB" },
          contents: "Hello, Bob!",
        },
      }
      expect(hex(hashTypedData(example))).to.equal("0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2")
      const signature = signTypedDataV4({ privateKey: bytes(cow) }, example)
      expect(signature).to.equal(
        "0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b915621c",
      )
      // alloy-dyn-abi typed_data.rs tests (EDR hashes with alloy).
      expect(hex(hashTypedData({ types: { EIP712Domain: [] }, primaryType: "EIP712Domain", domain: {}, message: {} }))).to.equal(
        "0x8d4a3f4082945b7879e2b55f181c31a77c8c0a464b70669458abbaaf99de4c38",
      )
      expect(
        hex(
          hashTypedData({
            types: { EIP712Domain: example.types.EIP712Domain },
            primaryType: "EIP712Domain",
            domain: { name: "example.metamask.io", version: "1", chainId: 1, verifyingContract: "0x0000000000000000000000000000000000000000" },
            message: {},
          }),
        ),
      ).to.equal("0x122d1c8ef94b76dad44dcb03fa772361e20855c63311a15d5afe02d1b38f6077")
      expect(
        hex(
          hashTypedData({
            types: { EIP712Domain: example.types.EIP712Domain, Message: [{ name: "data", type: "string" }] },
            primaryType: "Message",
            domain: { name: "example.metamask.io", version: "1", chainId: "1", verifyingContract: "0x0000000000000000000000000000000000000000" },
            message: { data: "Hello!" },
          }),
        ),
      ).to.equal("0x232cd3ec058eb935a709f093e3536ce26cc9e8e193584b0881992525f6236eef")
      expect(
        hex(
          hashTypedData({
            domain: {},
            types: {
              EIP712Domain: [],
              Person: [
                { name: "name", type: "string" },
                { name: "wallet", type: "address[]" },
              ],
              Mail: [
                { name: "from", type: "Person" },
                { name: "to", type: "Person[]" },
                { name: "contents", type: "string" },
              ],
            },
            primaryType: "Mail",
            message: {
              from: { name: "Cow", wallet: ["0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826", "0xDD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"] },
              to: [{ name: "Bob", wallet: ["0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"] }],
              contents: "Hello, Bob!",
            },
          }),
        ),
      ).to.equal("0x80a3aeb51161cfc47884ddf8eac0d2343d6ae640efe78b6a69be65e3045c1321")
    })

    it("matches ethers on seeded random payloads", async function () {
      const random = new Rng(712)
      const atomics = () => {
        switch (random.int(8)) {
          case 0:
            return `uint${8 * (1 + random.int(32))}`
          case 1:
            return `int${8 * (1 + random.int(32))}`
          case 2:
            return `bytes${1 + random.int(32)}`
          case 3:
            return "bytes"
          case 4:
            return "string"
          case 5:
            return "bool"
          default:
            return "address"
        }
      }
      const value = (type: string, types: Record<string, EthersField[]>): unknown => {
        const array = /^(.*)\[(\d*)\]$/.exec(type)
        if (array !== null) {
          const n = array[2] === "" ? random.int(4) : Number(array[2])
          return Array.from({ length: n }, () => value(array[1] as string, types))
        }
        const fields = types[type]
        if (fields !== undefined) return Object.fromEntries(fields.map((f) => [f.name, value(f.type, types)]))
        let m = /^(u?)int(\d+)$/.exec(type)
        if (m !== null) {
          const bits = Number(m[2])
          const n = BigInt(hex(random.bytes(bits / 8))) >> BigInt(random.int(bits))
          return m[1] === "u" ? n : random.int(2) === 0 ? n >> 1n : -(n >> 1n) - 1n
        }
        m = /^bytes(\d+)$/.exec(type)
        if (m !== null) return hex(random.bytes(Number(m[1])))
        if (type === "bytes") return hex(random.bytes(random.int(70)))
        if (type === "string") return Array.from({ length: random.int(12) }, () => random.pick(["a", "Z", " ", "\u00e9", "\u{1f600}", "\u4e2d", "0"])).join("")
        if (type === "bool") return random.int(2) === 0
        const address = hex(random.bytes(20))
        return random.int(2) === 0 ? address : getAddress(address)
      }
      /** JSON as a wallet would send it: bigints as decimal or hex strings, sometimes numbers. */
      const toJson = (v: unknown): unknown =>
        typeof v === "bigint"
          ? v >= -(2n ** 53n) + 1n && v < 2n ** 53n && random.int(3) === 0
            ? Number(v)
            : v < 0n || random.int(2) === 0
              ? v.toString()
              : `0x${v.toString(16)}`
          : Array.isArray(v)
            ? v.map(toJson)
            : typeof v === "object" && v !== null
              ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]))
              : v
      const n = 120
      for (let c = 0; c < n; c++) {
        const structs = 1 + random.int(4)
        const types: Record<string, EthersField[]> = {}
        const names = Array.from({ length: structs }, (_, i) => `S${i}_${random.int(1000)}`)
        names.forEach((name, i) => {
          const fields: EthersField[] = Array.from({ length: 1 + random.int(5) }, (_, j) => {
            let type = atomics()
            if (i + 1 < structs && random.int(4) === 0) type = names[i + 1 + random.int(structs - i - 1)] as string
            const dims = random.int(6) === 0 ? 2 : random.int(3) === 0 ? 1 : 0
            for (let d = 0; d < dims; d++) type += random.int(2) === 0 ? "[]" : `[${1 + random.int(3)}]`
            return { name: `f${j}`, type }
          })
          if (i > 0) fields.push({ name: `link${i}`, type: `${name}${random.int(2) === 0 ? "[]" : ""}` })
          types[name] = fields
        })
        // Each struct after the first is referenced by an earlier one (one primary type, none unused).
        for (let i = 1; i < structs; i++) {
          const link = (types[names[i] as string] as EthersField[]).pop() as EthersField
          ;(types[names[random.int(i)] as string] as EthersField[]).push(link)
        }
        const primaryType = names[0] as string
        const message = value(primaryType, types) as Record<string, unknown>
        const domain: Record<string, unknown> = {}
        if (random.int(2) === 0) domain.name = value("string", types)
        if (random.int(2) === 0) domain.version = String(random.int(10))
        if (random.int(2) === 0) domain.chainId = BigInt(1 + random.int(100000))
        if (random.int(2) === 0) domain.verifyingContract = hex(random.bytes(20))
        if (random.int(4) === 0) domain.salt = hex(random.bytes(32))
        const expected = TypedDataEncoder.hash(domain, types, message)
        const payload = toJson({ types, primaryType, domain, message })
        const label = `case ${c}: ${JSON.stringify(payload).slice(0, 400)}`
        expect(hex(hashTypedData(JSON.parse(JSON.stringify(payload)))), label).to.equal(expected)
        expect(hex(hashTypedData({ types, primaryType, domain, message })), label).to.equal(expected)
        if (c % 6 === 0) expect(signTypedDataV4(alice, payload), label).to.equal(await wallet.signTypedData(domain, types, message))
      }
    })

    it("rejects malformed typed data with TypedDataError and a precise message", function () {
      const ok = JSON.parse(JSON.stringify(permit)) as Payload
      const bad = (mutate: (p: Payload) => void): Payload => {
        const p = JSON.parse(JSON.stringify(ok)) as Payload
        mutate(p)
        return p
      }
      const cases: [unknown, RegExp][] = [
        [null, /must be an object/],
        ["0x1234", /must be an object/],
        [bad((p) => delete (p as Partial<Payload>).types), /"types" must be an object/],
        [bad((p) => ((p as { types: unknown }).types = [])), /"types" must be an object/],
        [bad((p) => delete (p as Partial<Payload>).primaryType), /"primaryType" must be a string/],
        [bad((p) => (p.primaryType = "Nope")), /primaryType "Nope" is not declared/],
        [bad((p) => delete (p as Partial<Payload>).message), /"message" must be an object/],
        [bad((p) => ((p.types as Record<string, unknown>).Permit = "x")), /types\.Permit must be an array/],
        [bad((p) => ((p.types.Permit as EthersField[])[0] = { name: "owner" } as EthersField)), /types\.Permit\[0\]\.type must be a string/],
        [bad((p) => (p.types.Permit as EthersField[]).push({ name: "x", type: "Missing" })), /unknown type "Missing"/],
        [bad((p) => (p.types.Permit as EthersField[]).push({ name: "x", type: "uint7" })), /unknown type "uint7"/],
        [bad((p) => (p.types.Permit as EthersField[]).push({ name: "x", type: "bytes33" })), /unknown type "bytes33"/],
        [bad((p) => (p.types.Permit as EthersField[]).push({ name: "x", type: "uint256[x]" })), /invalid type "uint256\[x\]"/],
        [bad((p) => (p.types.Permit as EthersField[]).push({ name: "owner", type: "address" })), /duplicate field "owner"/],
        [bad((p) => (p.types.Permit as EthersField[]).push({ name: "bad name", type: "address" })), /must be an identifier/],
        [bad((p) => (p.types.Permit as EthersField[]).push({ name: "self", type: "Permit[]" })), /recursive struct type: Permit -> Permit/],
        [bad((p) => ((p.types as Record<string, unknown>).uint256 = [])), /struct name "uint256" is an atomic type/],
        [bad((p) => delete p.message.deadline), /message\.deadline: missing value/],
        [bad((p) => (p.message.value = "abc")), /message\.value: expected an integer/],
        [bad((p) => (p.message.value = 1.5)), /message\.value: 1\.5 is not a safe integer/],
        [bad((p) => (p.message.value = `0x1${"0".repeat(64)}`)), /out of range for uint256/],
        [bad((p) => (p.message.nonce = -1)), /out of range for uint256/],
        [bad((p) => (p.message.owner = "0x1234")), /message\.owner: expected a 20-byte 0x-hex address/],
        [bad((p) => (p.domain.chainId = "thirty")), /domain\.chainId: expected an integer/],
        [bad((p) => (p.domain.verifyingContract = 42)), /domain\.verifyingContract/],
        [bad((p) => (p.domain.name = 42)), /domain\.name: expected a string/],
        [bad((p) => ((p as { domain: unknown }).domain = "x")), /"domain" must be an object/],
      ]
      for (const [input, pattern] of cases) {
        expect(() => hashTypedData(input), String(pattern)).to.throw(TypedDataError, pattern)
      }
      // Field-type specific checks.
      const single = (type: string, v: unknown) => ({ types: { T: [{ name: "v", type }] }, primaryType: "T", domain: {}, message: { v } })
      const rejects: [string, unknown, RegExp][] = [
        ["uint8", 256, /out of range for uint8/],
        ["int8", -129, /out of range for int8/],
        ["int8", 128, /out of range for int8/],
        ["bytes", "0x123", /even number of digits/],
        ["bytes", "hello", /0x-prefixed hex/],
        ["bytes32", "0x1234", /expected 32 bytes for bytes32, got 2/],
        ["bool", "yes", /expected a boolean/],
        ["bool", 1, /expected a boolean/],
        ["string", 5, /expected a string/],
        ["uint256[2]", [1], /expected 2 elements for uint256\[2\], got 1/],
        ["uint256[]", 1, /expected an array/],
        ["uint256[][2]", [[1], 2], /message\.v\[1\]: expected an array/],
      ]
      for (const [type, v, pattern] of rejects) expect(() => hashTypedData(single(type, v)), `${type} ${String(v)}`).to.throw(TypedDataError, pattern)
      expect(hex(hashTypedData(single("int8", -128)))).to.equal(TypedDataEncoder.hash({}, { T: [{ name: "v", type: "int8" }] }, { v: -128 }))
      expect(hex(hashTypedData(single("bool", "false")))).to.equal(TypedDataEncoder.hash({}, { T: [{ name: "v", type: "bool" }] }, { v: false }))
      // The node surfaces these through signTypedDataV4.
      expect(() => signTypedDataV4(alice, single("uint8", 256))).to.throw(TypedDataError)
    })
  })
})
