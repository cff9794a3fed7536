/**
 * Loaded into each of mocha's parallel workers (`test.mocha.parallel`): after
 * every test file, the worker saves what its nodes recorded, because workers
 * exit without closing their network connections. The main process merges
 * the parts when the run is done.
 */
import hre from "hardhat"

import { pevmEnabled, saveRecordParts } from "./nodes.js"

export const mochaHooks = {
  async afterAll(): Promise<void> {
    if (pevmEnabled(hre)) await saveRecordParts(hre.config.pevm.outputDir)
  },
}
