/**
 * The node's local accounts and everything they sign.
 *
 * Accounts come from a BIP-39 mnemonic (derived as Hardhat does: the phrase
 * trimmed, the seed from PBKDF2 with the passphrase, the key at
 * `${path}/${index}` by BIP-32) or from a list of private keys. Signing uses
 * the native secp256k1 package with RFC 6979 nonces, so signatures are
 * deterministic and byte-identical to ethers' and EDR's.
 *
 * - `signTransaction` builds a transaction of any type (0 to 4) with
 *   @ethereumjs/tx and returns its canonical raw encoding; for an impersonated
 *   sender it writes EDR's fake signature (r = s = the sender's address), which
 *   nothing can recover: the node must carry the sender along.
 * - `personalSign` / `ethSign`: EIP-191 (`"\x19Ethereum Signed Message:\n" +
 *   length`); in Hardhat both RPC methods sign the same way and only their
 *   parameter order differs.
 * - `signTypedDataV4`: EIP-712 (see typedData.ts).
 * - `signAuthorization`: an EIP-7702 authorization tuple.
 */
import { createHmac, pbkdf2Sync } from "node:crypto"

import type { Common } from "@ethereumjs/common"
import { createTx, type TypedTransaction, type TypedTxData } from "@ethereumjs/tx"
import { bigIntToUnpaddedBytes, eoaCode7702AuthorizationMessageToSign, hexToBytes } from "@ethereumjs/util"
import secp256k1 from "secp256k1"

import { keccak256 } from "../engine/crypto.js"
import type { Hex } from "../engine/types.js"
import { hashTypedData } from "./typedData.js"

// --- accounts ----------------------------------------------------------------------------

export type AccountsConfig =
  | {
      readonly mnemonic: string
      readonly path: string
      readonly initialIndex: number
      readonly count: number
      readonly passphrase: string
      readonly balance: bigint
    }
  | readonly { readonly privateKey: Hex; readonly balance: bigint }[]

export interface LocalAccount {
  /** Lowercase 0x-prefixed address. */
  readonly address: Hex
  /** The 32-byte secret key. */
  readonly privateKey: Uint8Array
  /** The balance the account starts with at genesis. */
  readonly balance: bigint
}

/** Hardhat's default: "test test ... junk", m/44'/60'/0'/0, 20 accounts of 10000 ETH. */
export const HARDHAT_DEFAULT_ACCOUNTS: AccountsConfig = Object.freeze({
  mnemonic: "test test test test test test test test test test test junk",
  path: "m/44'/60'/0'/0",
  initialIndex: 0,
  count: 20,
  passphrase: "",
  balance: 10_000n * 10n ** 18n,
})

/** Hardhat's check of an HD path: "m", then one or more /index or /index'. */
const HD_PATH = /^m(?:\/\d+'?)+\/?$/
const HARDENED = 0x80000000

/** The lowercase address of a secret key. */
export function addressOf(privateKey: Uint8Array): Hex {
  const publicKey = secp256k1.publicKeyCreate(privateKey, false)
  return `0x${Buffer.from(keccak256(publicKey.subarray(1)).subarray(12)).toString("hex")}`
}

/** BIP-39 seed: PBKDF2-HMAC-SHA512, 2048 rounds, NFKD-normalised phrase and "mnemonic" + passphrase as salt. */
export function mnemonicToSeed(mnemonic: string, passphrase = ""): Uint8Array {
  const phrase = mnemonic.trim().normalize("NFKD")
  const words = phrase.split(" ").length
  if (![12, 15, 18, 21, 24].includes(words)) {
    throw new Error(`Invalid mnemonic: expected 12, 15, 18, 21 or 24 words separated by single spaces, got ${words}`)
  }
  return new Uint8Array(pbkdf2Sync(phrase, `mnemonic${passphrase}`.normalize("NFKD"), 2048, 64, "sha512"))
}

interface ExtendedKey {
  readonly key: Uint8Array
  readonly chainCode: Uint8Array
}

function hmacSha512(key: Uint8Array | string, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha512", key).update(data).digest())
}

function masterKey(seed: Uint8Array): ExtendedKey {
  const digest = hmacSha512("Bitcoin seed", seed)
  const key = digest.slice(0, 32)
  if (!secp256k1.privateKeyVerify(key)) throw new Error("Invalid master key derived from the mnemonic")
  return { key, chainCode: digest.slice(32) }
}

/** BIP-32 CKDpriv. */
function childKey(parent: ExtendedKey, index: number): ExtendedKey {
  const data = new Uint8Array(37)
  if (index >= HARDENED) data.set(parent.key, 1)
  else data.set(secp256k1.publicKeyCreate(parent.key, true), 0)
  new DataView(data.buffer).setUint32(33, index)
  const digest = hmacSha512(parent.chainCode, data)
  const key = parent.key.slice()
  try {
    secp256k1.privateKeyTweakAdd(key, digest.subarray(0, 32))
  } catch {
    throw new Error(`Cannot derive the child key at index ${index}: the derivation gives an invalid key`)
  }
  return { key, chainCode: digest.slice(32) }
}

function parsePath(path: string): number[] {
  if (!HD_PATH.test(path)) throw new Error(`Invalid HD path ${JSON.stringify(path)}: expected something like "m/44'/60'/0'/0"`)
  return path
    .slice(2)
    .split("/")
    .filter((part) => part !== "")
    .map((part) => {
      const hardened = part.endsWith("'")
      const index = Number(hardened ? part.slice(0, -1) : part)
      if (!Number.isSafeInteger(index) || index >= HARDENED) throw new Error(`Invalid HD path ${JSON.stringify(path)}: index ${part} is too large`)
      return hardened ? index + HARDENED : index
    })
}

/** Derived secret keys, per mnemonic, passphrase and path: creating many nodes in tests derives once. */
const derived = new Map<string, Uint8Array[]>()

/** The secret keys at `${path}/${index}` for index in [initialIndex, initialIndex + count). */
export function deriveKeys(mnemonic: string, path: string, initialIndex: number, count: number, passphrase = ""): Uint8Array[] {
  if (!Number.isSafeInteger(initialIndex) || initialIndex < 0) throw new Error(`Invalid initialIndex ${initialIndex}: expected a non-negative integer`)
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`Invalid count ${count}: expected a non-negative integer`)
  if (initialIndex + count > HARDENED) throw new Error(`Invalid account indexes: ${initialIndex} + ${count} goes past 2^31`)
  const levels = parsePath(path)
  const cacheKey = JSON.stringify([mnemonic, passphrase, path.replace(/\/$/, "")])
  const cached = derived.get(cacheKey) ?? []
  const hit: Uint8Array[] = []
  for (let i = initialIndex; i < initialIndex + count; i++) {
    const key = cached[i]
    if (key === undefined) break
    hit.push(key.slice())
  }
  if (hit.length === count) return hit
  let parent = masterKey(mnemonicToSeed(mnemonic, passphrase))
  for (const index of levels) parent = childKey(parent, index)
  const keys: Uint8Array[] = []
  for (let i = initialIndex; i < initialIndex + count; i++) {
    const key = childKey(parent, i).key
    keys.push(key)
    cached[i] = key
  }
  derived.set(cacheKey, cached)
  return keys.map((k) => k.slice())
}

function privateKeyBytes(privateKey: string, at: string): Uint8Array {
  const hex = privateKey.startsWith("0x") || privateKey.startsWith("0X") ? privateKey.slice(2) : privateKey
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`Invalid private key for ${at}: expected 32 bytes of hex`)
  const key = Uint8Array.from(Buffer.from(hex, "hex"))
  if (!secp256k1.privateKeyVerify(key)) throw new Error(`Invalid private key for ${at}: not a valid secp256k1 secret key`)
  return key
}

/** The accounts of a configuration, in order (duplicates are kept). */
export function localAccounts(config: AccountsConfig): LocalAccount[] {
  if (Array.isArray(config)) {
    return (config as Extract<AccountsConfig, readonly unknown[]>).map(({ privateKey, balance }, i) => {
      const key = privateKeyBytes(privateKey, `account ${i}`)
      return Object.freeze({ address: addressOf(key), privateKey: key, balance })
    })
  }
  const hd = config as Exclude<AccountsConfig, readonly unknown[]>
  return deriveKeys(hd.mnemonic, hd.path, hd.initialIndex, hd.count, hd.passphrase).map((key) =>
    Object.freeze({ address: addressOf(key), privateKey: key, balance: hd.balance }),
  )
}

// --- raw signatures ----------------------------------------------------------------------

export interface Signature {
  /** The recovery id (y parity), 0 or 1. */
  readonly recovery: 0 | 1
  readonly r: Uint8Array
  readonly s: Uint8Array
}

/** Signs a 32-byte digest (RFC 6979 nonce, low s). */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): Signature {
  const { signature, recid } = secp256k1.ecdsaSign(digest, privateKey)
  return { recovery: recid as 0 | 1, r: signature.slice(0, 32), s: signature.slice(32, 64) }
}

/** r ‖ s ‖ v (v = 27 + recovery), 65 bytes as hex: the format of eth_sign and friends. */
function rsv(signature: Signature): Hex {
  return `0x${Buffer.from(signature.r).toString("hex")}${Buffer.from(signature.s).toString("hex")}${(27 + signature.recovery).toString(16)}`
}

const MESSAGE_PREFIX = "\x19Ethereum Signed Message:\n"

/** The EIP-191 (version 0x45) digest of a message. */
export function hashPersonalMessage(message: Uint8Array): Uint8Array {
  const prefix = new TextEncoder().encode(`${MESSAGE_PREFIX}${message.length}`)
  const data = new Uint8Array(prefix.length + message.length)
  data.set(prefix, 0)
  data.set(message, prefix.length)
  return keccak256(data)
}

/** personal_sign: the EIP-191 signature of `message`, as 0x r ‖ s ‖ v (v 27 or 28). */
export function personalSign(account: Pick<LocalAccount, "privateKey">, message: Uint8Array): Hex {
  return rsv(signDigest(hashPersonalMessage(message), account.privateKey))
}

/**
 * eth_sign: Hardhat (EDR, and Hardhat 2 before it) prefixes the message as
 * personal_sign does, so the two give the same signature; only the RPC
 * parameter order differs ([address, message] here, [message, address] there).
 */
export function ethSign(account: Pick<LocalAccount, "privateKey">, message: Uint8Array): Hex {
  return personalSign(account, message)
}

/** eth_signTypedData_v4: the EIP-712 signature, as 0x r ‖ s ‖ v. Throws TypedDataError on malformed data. */
export function signTypedDataV4(account: Pick<LocalAccount, "privateKey">, typedData: unknown): Hex {
  return rsv(signDigest(hashTypedData(typedData), account.privateKey))
}

// --- EIP-7702 authorizations -------------------------------------------------------------

export interface AuthorizationTuple {
  readonly chainId: bigint
  readonly address: Hex
  readonly nonce: bigint
  readonly yParity: bigint
  readonly r: bigint
  readonly s: bigint
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString("hex")}`)
}

function hexAddress(address: string, at: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new Error(`Invalid ${at}: expected a 20-byte 0x-hex address, got ${JSON.stringify(address)}`)
  return hexToBytes(address as Hex)
}

/** The digest an EIP-7702 authorization signs: keccak256(0x05 ‖ rlp([chainId, address, nonce])). */
export function authorizationDigest(authorization: { readonly chainId: bigint; readonly address: Hex; readonly nonce: bigint }): Uint8Array {
  return keccak256(
    eoaCode7702AuthorizationMessageToSign([
      bigIntToUnpaddedBytes(authorization.chainId),
      hexAddress(authorization.address, "authorization address"),
      bigIntToUnpaddedBytes(authorization.nonce),
    ]),
  )
}

/** Signs an EIP-7702 authorization (chainId 0 authorizes on every chain). */
export function signAuthorization(
  account: Pick<LocalAccount, "privateKey">,
  authorization: { readonly chainId: bigint; readonly address: Hex; readonly nonce: bigint },
): AuthorizationTuple {
  const signature = signDigest(authorizationDigest(authorization), account.privateKey)
  return {
    chainId: authorization.chainId,
    address: authorization.address.toLowerCase() as Hex,
    nonce: authorization.nonce,
    yParity: BigInt(signature.recovery),
    r: bytesToBigInt(signature.r),
    s: bytesToBigInt(signature.s),
  }
}

// --- transactions ------------------------------------------------------------------------

/** A complete transaction to sign: every field its type needs is set (missing fees count as 0). */
export interface TransactionFields {
  /** Not signed over; the node keeps it alongside. */
  readonly from?: Hex
  /** 0 legacy, 1 EIP-2930, 2 EIP-1559, 3 EIP-4844 blob, 4 EIP-7702. */
  readonly type: number
  readonly chainId: bigint
  readonly nonce: bigint
  readonly gasLimit: bigint
  readonly to?: Hex
  readonly value?: bigint
  readonly data?: Uint8Array
  readonly gasPrice?: bigint
  readonly maxFeePerGas?: bigint
  readonly maxPriorityFeePerGas?: bigint
  readonly accessList?: readonly { readonly address: Hex; readonly storageKeys: readonly Hex[] }[]
  readonly maxFeePerBlobGas?: bigint
  readonly blobVersionedHashes?: readonly Hex[]
  readonly authorizationList?: readonly AuthorizationTuple[]
}

/**
 * r and s of the fake signature EDR gives an impersonated sender's transactions: the address;
 * r = s = 0 would read as unsigned, so the zero address gets 2^160 (no address has it).
 */
export function fakeSignatureValue(sender: Hex): bigint {
  const address = bytesToBigInt(hexAddress(sender, "impersonated address"))
  return address === 0n ? 1n << 160n : address
}

/** Who signs: a local account, or an impersonated address that gets a fake signature. */
export type TransactionSigner = Pick<LocalAccount, "privateKey"> | { readonly impersonated: Hex }

function txData(fields: TransactionFields): TypedTxData {
  const base = {
    nonce: fields.nonce,
    gasLimit: fields.gasLimit,
    value: fields.value ?? 0n,
    data: fields.data ?? new Uint8Array(),
    ...(fields.to !== undefined ? { to: fields.to } : {}),
  }
  const accessList = (fields.accessList ?? []).map((item) => ({ address: item.address, storageKeys: [...item.storageKeys] }))
  const fees = { maxFeePerGas: fields.maxFeePerGas ?? 0n, maxPriorityFeePerGas: fields.maxPriorityFeePerGas ?? 0n }
  switch (fields.type) {
    case 0:
      return { ...base, type: 0, gasPrice: fields.gasPrice ?? 0n }
    case 1:
      return { ...base, type: 1, chainId: fields.chainId, gasPrice: fields.gasPrice ?? 0n, accessList }
    case 2:
      return { ...base, type: 2, chainId: fields.chainId, ...fees, accessList }
    case 3:
      return {
        ...base,
        type: 3,
        chainId: fields.chainId,
        ...fees,
        accessList,
        maxFeePerBlobGas: fields.maxFeePerBlobGas ?? 0n,
        blobVersionedHashes: [...(fields.blobVersionedHashes ?? [])],
      }
    case 4:
      return {
        ...base,
        type: 4,
        chainId: fields.chainId,
        ...fees,
        accessList,
        authorizationList: (fields.authorizationList ?? []).map((a, i) => [
          bigIntToUnpaddedBytes(a.chainId),
          hexAddress(a.address, `authorizationList[${i}].address`),
          bigIntToUnpaddedBytes(a.nonce),
          bigIntToUnpaddedBytes(a.yParity),
          bigIntToUnpaddedBytes(a.r),
          bigIntToUnpaddedBytes(a.s),
        ]),
      }
    default:
      throw new Error(`Unsupported transaction type ${fields.type}`)
  }
}

/**
 * Builds and signs a transaction; returns its canonical raw encoding (RLP for
 * legacy, type byte ‖ RLP otherwise; a blob transaction without its blobs).
 * Legacy transactions are EIP-155 signed with the common's chain id once
 * Spurious Dragon is active. The chain id of `fields` must match the common's.
 * For `{ impersonated }` the signature is EDR's fake one: r = s = the address
 * (2^160 for the zero address, whose r = s = 0 would read as unsigned), y
 * parity 1 (v = 2 * chainId + 36 for EIP-155 legacy, 28 before); the node must
 * pass the sender with the raw transaction since recovery cannot find it.
 */
export function signTransaction(common: Common, fields: TransactionFields, signer: TransactionSigner): Uint8Array {
  return signedTransaction(common, fields, signer).serialize()
}

/** `signTransaction`, as the signed (unfrozen) ethereumjs transaction instead of its bytes. */
export function signedTransaction(common: Common, fields: TransactionFields, signer: TransactionSigner): TypedTransaction {
  if (fields.chainId !== common.chainId()) {
    throw new Error(`Transaction chain id ${fields.chainId} does not match the chain's ${common.chainId()}`)
  }
  const tx = createTx(txData(fields), { common, freeze: false })
  if ("impersonated" in signer) {
    const fake = bigIntToUnpaddedBytes(fakeSignatureValue(signer.impersonated))
    return tx.addSignature(1n, fake, fake, true)
  }
  const signature = signDigest(tx.getHashedMessageToSign(), signer.privateKey)
  return tx.addSignature(BigInt(signature.recovery), signature.r, signature.s, true)
}
