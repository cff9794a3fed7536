/**
 * Turning a failed execution into the error Hardhat's network reports, so that
 * `expect(...).to.be.revertedWith(...)` and friends behave the same: the same
 * message texts and codes, and the revert data in `data`.
 */
import type { Hex } from "../engine/types.js"
import { ExecutionError, JsonRpcError } from "./errors.js"

const ERROR_SELECTOR = "0x08c379a0"
const PANIC_SELECTOR = "0x4e487b71"

const PANIC_REASONS: Record<number, string> = {
  0x01: "Assertion error",
  0x11: "Arithmetic operation overflowed outside of an unchecked block",
  0x12: "Division or modulo division by zero",
  0x21: "Tried to convert a value into an enum, but the value was too big or negative",
  0x22: "Incorrectly encoded storage byte array",
  0x31: ".pop() was called on an empty array",
  0x32: "Array accessed at an out-of-bounds or negative index",
  0x41: "Too much memory was allocated, or an array was created that is too large",
  0x51: "Called a zero-initialized variable of internal function type",
}

/** Decodes `Error(string)` revert data; undefined when it is not a well-formed one. */
export function decodeReasonString(data: Hex): string | undefined {
  if (!data.startsWith(ERROR_SELECTOR) || data.length < 10 + 128) return undefined
  const body = Buffer.from(data.slice(10), "hex")
  const offset = Number(BigInt(`0x${body.subarray(0, 32).toString("hex")}`))
  if (offset + 32 > body.length) return undefined
  const length = Number(BigInt(`0x${body.subarray(offset, offset + 32).toString("hex")}`))
  if (offset + 32 + length > body.length) return undefined
  return body.subarray(offset + 32, offset + 32 + length).toString("utf8")
}

export function decodePanicCode(data: Hex): bigint | undefined {
  if (!data.startsWith(PANIC_SELECTOR) || data.length !== 10 + 64) return undefined
  return BigInt(`0x${data.slice(10)}`)
}

/** The message for a revert with this return data. */
export function revertMessage(data: Hex, describeCustomError?: (data: Hex) => string | undefined): string {
  if (data === "0x") return "Transaction reverted without a reason string"
  const reason = decodeReasonString(data)
  if (reason !== undefined) return `VM Exception while processing transaction: reverted with reason string '${reason}'`
  const panic = decodePanicCode(data)
  if (panic !== undefined) {
    const description = panic <= 0xffn ? PANIC_REASONS[Number(panic)] : undefined
    if (description === undefined) return `VM Exception while processing transaction: reverted with unknown panic code 0x${panic.toString(16)}`
    return `VM Exception while processing transaction: reverted with panic code 0x${panic.toString(16)} (${description})`
  }
  const custom = describeCustomError?.(data)
  if (custom !== undefined) return `VM Exception while processing transaction: reverted with custom error '${custom}'`
  return `VM Exception while processing transaction: reverted with an unrecognized custom error (return data: ${data})`
}

/**
 * The JSON-RPC error for a failed execution. `exception` is the EVM's error
 * ("revert", "out of gas", "invalid opcode", ...).
 */
export function executionError(
  exception: string,
  returnData: Hex,
  transactionHash: Hex | undefined,
  describeCustomError?: (data: Hex) => string | undefined,
): JsonRpcError {
  if (exception === "revert") {
    return new ExecutionError(revertMessage(returnData, describeCustomError), returnData, transactionHash)
  }
  if (exception === "out of gas" || exception.startsWith("out of gas")) {
    return new JsonRpcError(-32000, "Transaction ran out of gas", {
      // EDR's halt reason; chai-matchers and users read only `data`.
      reason: { OutOfGas: "Basic" },
      data: returnData,
      transactionHash: transactionHash ?? null,
    })
  }
  if (exception === "code size to deposit exceeds maximum code size") {
    return new ExecutionError("Transaction reverted: trying to deploy a contract whose code is too large", returnData, transactionHash)
  }
  if (exception === "invalid opcode") {
    return new ExecutionError("VM Exception while processing transaction: invalid opcode", returnData, transactionHash)
  }
  // Other exceptional halts (bad jump destination, stack underflow or overflow, static-call violations...)
  // are reported by Hardhat as a revert without a reason.
  return new ExecutionError(revertMessage(returnData, describeCustomError), returnData, transactionHash)
}

/**
 * The message for a call the EVM refused to run (eth_call, eth_estimateGas):
 * EDR's wording for too little gas, and ethereumjs' text without its
 * "(vm hf=... block number=...)" internals otherwise.
 */
export function invalidCallMessage(reason: string | undefined): string {
  if (reason === undefined) return "invalid call"
  const intrinsic = /INTRINSIC_GAS_TOO_LOW: tx gas limit (\d+) is lower than the minimum gas limit of (\d+)/.exec(reason)
  if (intrinsic !== null) return `Transaction requires at least ${intrinsic[2]} gas but got ${intrinsic[1]}`
  return reason.replace(/ \(vm hf=[\s\S]*$/, "")
}
