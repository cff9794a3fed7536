/**
 * Shared setup for the JSON-RPC method tests: the `Probe` contract (events,
 * every kind of revert, out of gas, Solidity console.log through Hardhat's
 * console.sol), compiled once with the npm solc package (offline, cached
 * under node_modules/.cache), and small helpers around a PevmProvider.
 */
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

import { expect } from "chai"
import { Interface } from "ethers"

import { JsonRpcError } from "../../src/network/errors.js"
import type { PevmProvider } from "../../src/network/provider.js"

export const A0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
export const A1 = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
export const A2 = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"
export const COINBASE = "0xc014ba5ec014ba5ec014ba5ec014ba5ec014ba5e"
export const INITIAL_BALANCE = 10_000n * 10n ** 18n
export const HASH_NOT_FOUND = `0x${"11".repeat(32)}`

export const PROBE_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import "hardhat/console.sol";

contract Probe {
    event Stored(address indexed who, uint256 indexed key, uint256 value);
    event Note(string text);

    error Custom(uint256 code, address who);

    uint256 public value;
    mapping(uint256 => uint256) public store;

    constructor() payable {}

    function set(uint256 key, uint256 v) external {
        store[key] = v;
        value = v;
        emit Stored(msg.sender, key, v);
    }

    function note(string calldata text) external {
        emit Note(text);
    }

    function failReason() external pure {
        revert("nope");
    }

    function failRequire(uint256 x) external pure returns (uint256) {
        require(x > 10, "x too small");
        return x;
    }

    function failCustom() external view {
        revert Custom(7, msg.sender);
    }

    function failEmpty() external pure {
        revert();
    }

    function failDivide(uint256 a) external pure returns (uint256) {
        return 10 / a;
    }

    function failOverflow(uint256 a) external pure returns (uint256) {
        return a + type(uint256).max;
    }

    function failUnderflow(uint256 a) external pure returns (uint256) {
        return a - 1;
    }

    function failAssert() external pure {
        assert(false);
    }

    function failIndex(uint256 i) external pure returns (uint256) {
        uint256[] memory xs = new uint256[](1);
        return xs[i];
    }

    function burn() external {
        while (true) value += 1;
    }

    function logTypes() external view {
        console.log("hello world");
        console.log(uint256(42));
        console.logInt(-5);
        console.log(address(this));
        console.log(true);
        console.log(false);
        console.logBytes(hex"c0ffee");
        console.logBytes4(bytes4(0xdeadbeef));
        console.logBytes32(bytes32(uint256(1)));
        console.log();
        console.log("big %d and %i", type(uint256).max, uint256(3));
        console.log("%s has %d", "alice", uint256(7));
        console.log("escaped %%d stays", uint256(5));
        console.log("total", uint256(1), true, address(1));
        console.log(uint256(10), "ten", false);
        console.log("owner %s is %s", msg.sender, true);
    }

    function logAndSet(uint256 v) external {
        console.log("setting value to %d", v);
        value = v;
    }

    function logThenRevert() external {
        value += 1;
        console.log("before revert");
        revert("after log");
    }

    function logInReverted() external {
        console.log("outer");
        try this.logThenRevert() {} catch {}
        console.log("outer done");
    }

    function logView(uint256 x) external view returns (uint256) {
        console.log("view %d", x);
        return x * 2;
    }
}
`

export interface Compiled {
  readonly abi: unknown[]
  readonly bytecode: string
}

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
let compiled: Compiled | undefined

/** Compiles Probe (importing hardhat/console.sol from node_modules) once; cached by source and solc version. */
export function probe(): Compiled {
  if (compiled !== undefined) return compiled
  const solc = require("solc") as { compile(input: string, callbacks: unknown): string; version(): string }
  const consoleSol = readFileSync(require.resolve("hardhat/console.sol"), "utf8")
  const input = {
    language: "Solidity",
    sources: { "Probe.sol": { content: PROBE_SOURCE }, "hardhat/console.sol": { content: consoleSol } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      outputSelection: { "Probe.sol": { Probe: ["abi", "evm.bytecode.object"] } },
    },
  }
  const key = createHash("sha256").update(solc.version()).update(JSON.stringify(input)).digest("hex").slice(0, 16)
  const cacheDir = join(here, "..", "..", "node_modules", ".cache", "hardhat-pevm")
  const cacheFile = join(cacheDir, `probe-${key}.json`)
  if (existsSync(cacheFile)) {
    compiled = JSON.parse(readFileSync(cacheFile, "utf8")) as Compiled
    return compiled
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input), {})) as {
    errors?: { severity: string; formattedMessage: string }[]
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>
  }
  const errors = (output.errors ?? []).filter((e) => e.severity === "error")
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"))
  const contract = output.contracts["Probe.sol"]?.Probe
  if (contract === undefined) throw new Error("Probe did not compile")
  compiled = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` }
  mkdirSync(cacheDir, { recursive: true })
  writeFileSync(cacheFile, JSON.stringify(compiled))
  return compiled
}

export function probeInterface(): Interface {
  return new Interface(probe().abi as never)
}

/** Calldata for a Probe function. */
export function encode(fn: string, args: readonly unknown[] = []): string {
  return probeInterface().encodeFunctionData(fn, args)
}

/** Awaits a request that must fail with a JsonRpcError, and returns it. */
export async function rejects(promise: Promise<unknown>): Promise<JsonRpcError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(JsonRpcError)
    return error as JsonRpcError
  }
  throw new Error("expected the request to fail")
}

export type Call = (method: string, params?: unknown[]) => Promise<unknown>

export function caller(provider: () => PevmProvider): Call {
  return (method, params = []) => provider().request({ method, params })
}

/** Deploys Probe from A0 and returns its address. */
export async function deployProbe(call: Call, value = "0x0"): Promise<string> {
  const hash = (await call("eth_sendTransaction", [{ from: A0, data: probe().bytecode, value }])) as string
  const receipt = (await call("eth_getTransactionReceipt", [hash])) as { contractAddress: string; status: string }
  expect(receipt.status).to.equal("0x1")
  return receipt.contractAddress
}

/** Expects `promise` to fail with -32602 and a message naming `param`, then checks the node still answers. */
export async function expectInvalidParam(call: Call, promise: Promise<unknown>, param: string): Promise<JsonRpcError> {
  const error = await rejects(promise)
  expect(error.code, error.message).to.equal(-32602)
  expect(error.message).to.include(param)
  expect(await call("eth_chainId")).to.equal("0x7a69")
  return error
}

export function hexOf(value: bigint): string {
  return `0x${value.toString(16)}`
}
