/**
 * Threads are never terminated inside a native call. Terminating a worker
 * while it is in node-addon-api code (the native secp256k1) aborts the whole
 * process, so the pool closes a NativeGate first. The end-to-end check runs in
 * a child process (nativeGateRun.ts), since an abort would end mocha too.
 *
 * The hazard itself is not a test here: one termination lands in a native call
 * only now and then, so showing the abort takes 3 s to 2 minutes. To see it:
 *   node --import tsx test/fixtures/nativeGateRun.ts ungated 100 4
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

import { expect } from "chai"

import { NativeGate, terminateGated } from "../../src/engine/nativeGate.js"
import { startRecoveryLoop } from "../fixtures/nativeGateRun.js"

const RUNNER = fileURLToPath(new URL("../fixtures/nativeGateRun.ts", import.meta.url))
const TRIES = 10
const WORKERS = 2
/** Separate processes that exit while their workers loop on native calls (ungated, about 1 in 10 aborted here). */
const EXITS = 8

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("engine: native calls and thread termination", function () {
  it(`${TRIES} times ${WORKERS} workers looping on native ecrecover, terminated through the gate: the process lives`, function () {
    const run = spawnSync(process.execPath, ["--import", "tsx", RUNNER, "gated", String(TRIES), String(WORKERS)], { encoding: "utf8", timeout: 240_000 })
    expect(run.signal, run.stderr).to.equal(null)
    expect(run.status, run.stderr).to.equal(0)
    expect(run.stdout).to.include(`survived ${TRIES}`)
  })

  it(`process.exit while 4 workers loop on native ecrecover, the gate closed at exit (closeOnExit): ${EXITS} processes exit cleanly`, function () {
    for (let i = 0; i < EXITS; i++) {
      const run = spawnSync(process.execPath, ["--import", "tsx", RUNNER, "exit-gated", "4"], { encoding: "utf8", timeout: 60_000 })
      expect(run.signal, `exit ${i}: ${run.stderr}`).to.equal(null)
      expect(run.status, `exit ${i}: ${run.stderr}`).to.equal(0)
    }
  })

  it("closing wins against threads that re-enter the gate at once, and then no native call is made", async function () {
    const gate = new NativeGate()
    const loops = Array.from({ length: 4 }, () => startRecoveryLoop(gate))
    try {
      await Promise.all(loops.map(({ worker }) => new Promise((resolve) => worker.once("message", resolve))))
      await gate.close()
      expect(gate.closed).to.equal(true)
      await sleep(20)
      const counts = loops.map(({ calls }) => Atomics.load(calls, 0))
      await sleep(100)
      expect(loops.map(({ calls }) => Atomics.load(calls, 0)), "calls after closing").to.deep.equal(counts)
    } finally {
      await Promise.all(loops.map(({ worker }) => terminateGated(gate, worker)))
    }
  })

  it("a thread at a closed gate makes no native call until the gate opens again", async function () {
    const gate = new NativeGate()
    const { worker, calls } = startRecoveryLoop(gate)
    try {
      await new Promise((resolve) => worker.once("message", resolve))
      await gate.close()
      expect(gate.closed).to.equal(true)
      await sleep(20) // the count is bumped just after the gate is left: let a last bump land
      const whileClosed = Atomics.load(calls, 0)
      await sleep(100)
      expect(Atomics.load(calls, 0), "calls while the gate was closed").to.equal(whileClosed)
      gate.open()
      await sleep(100)
      expect(Atomics.load(calls, 0), "calls after the gate opened").to.be.above(whileClosed)
    } finally {
      await terminateGated(gate, worker)
    }
  })

  it("closing waits for the calls in flight, and the main thread passes an open gate freely", async function () {
    const gate = new NativeGate()
    expect(gate.pass(() => 42)).to.equal(42)
    expect(gate.closed).to.equal(false)
    // A call in flight (as a worker inside `pass` would be) holds the gate open until it returns.
    const inside = new Int32Array(gate.buffer)
    Atomics.add(inside, 0, 1)
    let closed = false
    const closing = gate.close().then(() => {
      closed = true
    })
    await sleep(20)
    expect(closed, "closed while a call was in flight").to.equal(false)
    Atomics.sub(inside, 0, 1)
    await closing
    expect(gate.closed).to.equal(true)
  })
})
