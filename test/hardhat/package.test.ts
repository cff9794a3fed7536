/**
 * End to end, as a user meets it: `npm pack` this repository, make a fresh
 * project from Hardhat's official mocha-ethers template (the one
 * `hardhat --init` copies), install the packed plugin into it, add it to the
 * plugins, and run the real CLI with `--parallel-evm`.
 *
 * Deviations from the template, each forced by this offline machine: solc
 * comes from the npm `solc` package at the template's version (Hardhat cannot
 * download compilers here); `Counter.t.sol` is left out because it imports
 * forge-std from GitHub; and the template's dependency ranges name releases
 * this registry lacks (toolbox 4, mocha 12), so each dependency is pinned to
 * the version installed in this repository.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

import { expect } from "chai"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
const require = createRequire(import.meta.url)
const env = { ...process.env, CI: "true", PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` }

function installedVersion(name: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version
  } catch {
    return undefined
  }
}

describe("hardhat: npm pack into a fresh project from the mocha-ethers template", function () {
  let work: string
  let project: string

  before(function () {
    work = mkdtempSync(join(tmpdir(), "pevm-pack-"))
    project = join(work, "project")
    const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: root, env, encoding: "utf8" }).trim().split("\n").at(-1) as string

    const template = join(dirname(require.resolve("hardhat/package.json")), "templates", "02-mocha-ethers")
    cpSync(template, project, { recursive: true })
    renameSync(join(project, "gitignore"), join(project, ".gitignore"))
    rmSync(join(project, "contracts", "Counter.t.sol"))

    const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as {
      devDependencies: Record<string, string>
      peerDependencies?: Record<string, string>
    }
    const wanted = { ...pkg.devDependencies, ...pkg.peerDependencies }
    delete wanted["forge-std"]
    const solcVersion = /version: "([\d.]+)"/.exec(readFileSync(join(project, "hardhat.config.ts"), "utf8"))?.[1] as string
    const devDependencies: Record<string, string> = {}
    for (const [name, range] of Object.entries(wanted)) {
      const version = installedVersion(name)
      devDependencies[name] = version !== undefined ? `^${version}` : range.replace(/^workspace:/, "")
    }
    devDependencies["hardhat-pevm"] = `file:${join(work, tarball)}`
    devDependencies.solc = solcVersion
    delete pkg.peerDependencies
    writeFileSync(join(project, "package.json"), JSON.stringify({ ...pkg, devDependencies }, null, 2))

    const config = readFileSync(join(project, "hardhat.config.ts"), "utf8")
      .replace("import hardhatToolboxMochaEthersPlugin", 'import { createRequire } from "node:module";\nimport hardhatPevm from "hardhat-pevm";\nimport hardhatToolboxMochaEthersPlugin')
      .replace("export default defineConfig({", "const require = createRequire(import.meta.url);\n\nexport default defineConfig({")
      .replace("plugins: [hardhatToolboxMochaEthersPlugin]", "plugins: [hardhatPevm, hardhatToolboxMochaEthersPlugin]")
      .replaceAll(`version: "${solcVersion}",`, `version: "${solcVersion}",\n        path: require.resolve("solc/soljson.js"),`)
    expect(config).to.include("plugins: [hardhatPevm, hardhatToolboxMochaEthersPlugin]")
    writeFileSync(join(project, "hardhat.config.ts"), config)

    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: project, env, stdio: "inherit" })
  })

  after(function () {
    if (work !== undefined) rmSync(work, { recursive: true, force: true })
  })

  it("installs only the built plugin (dist, templates, README)", function () {
    const installed = join(project, "node_modules", "hardhat-pevm")
    expect(existsSync(join(installed, "dist", "hardhat", "index.js"))).to.equal(true)
    expect(existsSync(join(installed, "dist", "engine", "workerEntry.mjs"))).to.equal(true)
    expect(existsSync(join(installed, "src"))).to.equal(false)
    expect(readdirSync(join(installed, "templates")).length).to.be.greaterThan(0)
  })

  it("runs the template's tests with --parallel-evm and writes the run record", function () {
    const run = spawnSync("npx", ["hardhat", "test", "--parallel-evm"], { cwd: project, env, encoding: "utf8" })
    const output = `${run.stdout}\n${run.stderr}`
    expect(run.status, output).to.equal(0)
    expect(output).to.match(/2 passing/)
    expect(output).to.include("Parallel EVM (hardhat-pevm)")
    const record = JSON.parse(readFileSync(join(project, "cache", "pevm", "run.json"), "utf8")) as {
      tool: string
      sessions: { transactions: { selector?: string; writes: unknown[] }[] }[]
    }
    expect(record.tool).to.equal("hardhat-pevm")
    const transactions = record.sessions.flatMap((s) => s.transactions)
    // The template deploys Counter and calls inc()/incBy(): every call writes Counter.x.
    expect(transactions.length).to.be.greaterThan(10)
    expect(transactions.filter((t) => t.selector !== undefined && t.writes.length > 0).length).to.be.greaterThan(9)
  })
})
