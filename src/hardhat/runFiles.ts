/**
 * The run record on disk. Every process that ran tests (the main one, or each
 * mocha worker in parallel mode) writes the parts it recorded under
 * `<outputDir>/parts/`; at the end of the run they are merged into
 * `<outputDir>/run.json`, which `pevm-report` reads. Part names sort in the
 * order they were written, which `mergeRunRecords` relies on.
 */
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"

import { mergeRunRecords, parseRunRecord, type RunRecord } from "../network/index.js"

export const RUN_FILE = "run.json"
const PARTS = "parts"

let sequence = 0

export function runFilePath(outputDir: string): string {
  return join(outputDir, RUN_FILE)
}

function isEmpty(record: RunRecord): boolean {
  return record.sessions.every((session) => session.blocks.length === 0)
}

/** Writes one process's newly recorded part; nothing when it is empty. */
export async function writeRunPart(outputDir: string, record: RunRecord): Promise<void> {
  if (isEmpty(record)) return
  const dir = join(outputDir, PARTS)
  await mkdir(dir, { recursive: true })
  const name = `${String(Date.now()).padStart(15, "0")}-${process.pid}-${String(sequence++).padStart(6, "0")}.json`
  await writeFile(join(dir, name), JSON.stringify(record))
}

/** Forgets the parts of an earlier run. */
export async function clearRunParts(outputDir: string): Promise<void> {
  await rm(join(outputDir, PARTS), { recursive: true, force: true })
}

/** Merges every part into `run.json`, removes the parts, and returns the record. */
export async function mergeRunParts(outputDir: string): Promise<RunRecord> {
  const dir = join(outputDir, PARTS)
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith(".json")).sort()
  const parts = await Promise.all(names.map(async (name) => parseRunRecord(JSON.parse(await readFile(join(dir, name), "utf8")), join(dir, name))))
  const record = mergeRunRecords(parts)
  await mkdir(outputDir, { recursive: true })
  await writeFile(runFilePath(outputDir), JSON.stringify(record))
  await clearRunParts(outputDir)
  return record
}

/** The last run's record, or undefined when there is none. */
export async function readRunRecord(outputDir: string): Promise<RunRecord | undefined> {
  const path = runFilePath(outputDir)
  const text = await readFile(path, "utf8").catch(() => undefined)
  if (text === undefined) return undefined
  return parseRunRecord(JSON.parse(text), path)
}
