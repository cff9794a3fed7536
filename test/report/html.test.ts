/**
 * The HTML report: a self-contained page (nothing to load, a CSP that forbids
 * loading), escaped text, and, in headless Chromium, that it shows every
 * contract with its heatmap and conflict graph, that the colour switch works,
 * and that nothing logs an error or runs injected script. The browser part
 * needs Debian's `chromium` at /usr/bin/chromium (`apt-get install -y
 * chromium`) and is skipped, saying so, without it.
 */
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

import { expect } from "chai"
import { chromium, type Browser, type Page } from "playwright-core"

import type { AnalysisReport, ContractReport } from "../../src/analysis/types.js"
import { checkThresholds } from "../../src/report/checks.js"
import { renderHtml } from "../../src/report/html.js"
import { figureFunctions, graphEdges, slotConflicts } from "../../src/report/svg.js"
import { empty, hostile, pool, report, token } from "./fixtures.js"

const CHROMIUM = "/usr/bin/chromium"
const recorded = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "recorded-report.json"), "utf8")) as AnalysisReport

describe("report: HTML", () => {
  const html = renderHtml(report, { checks: { thresholds: { violations: checkThresholds(report, { Nft: { minSpeedup: 2 } }) } } })

  describe("the page", () => {
    it("is one self-contained document that loads nothing", () => {
      expect(html.startsWith("<!doctype html>\n<html lang=\"en\">")).to.equal(true)
      expect(html).to.contain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`)
      expect(html).to.not.match(/<link\b|<img\b|<iframe\b|\bsrc=|@import|url\((?!#)/i)
      // The only URL is the SVG namespace, which is a name, not a request.
      expect([...html.matchAll(/https?:\/\/[^\s"')]+/g)].map((m) => m[0])).to.satisfy((urls: string[]) => urls.every((u) => u === "http://www.w3.org/2000/svg"))
      expect(html.match(/<script>/g)).to.have.length(1)
    })

    it("escapes every text from the report", () => {
      const page = renderHtml(hostile)
      expect(page.match(/<script>/g)).to.have.length(1)
      expect(page).to.not.contain("<img src=x")
      expect(page).to.not.contain("Nft<b>")
      expect(page).to.contain("Nft&lt;b&gt;")
      expect(page).to.contain("&lt;/script&gt;&lt;script&gt;window.__pwned=2&lt;/script&gt;")
      expect(page).to.contain("a &quot;quoted&quot; &lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt; warning &amp; more")
      expect(page).to.contain("Use &lt;em&gt;this&lt;/em&gt;")
    })

    it("draws one heatmap cell per slot and function in each colouring", () => {
      const functions = figureFunctions(token)
      expect(functions).to.deep.equal(["transfer(address,uint256)", "transferFrom(address,address,uint256)", "approve(address,uint256)", "mint(address,uint256)"])
      const section = html.slice(html.indexOf('id="c0-heatmap"'), html.indexOf("</svg>", html.indexOf('id="c0-heatmap"')))
      expect(section.match(/<rect /g)).to.have.length(2 * token.hotSlots.length * functions.length)
      // Conflicts where the function was the later transaction, summed over the pairs naming the slot.
      expect(slotConflicts(token.conflicts, "Token._balances[0x7099…79C8]", "transfer(address,uint256)")).to.equal(22 + 4)
      expect(slotConflicts(token.conflicts, "Token._allowances[0x7099…79C8][0x3C44…93BC]", "approve(address,uint256)")).to.equal(6)
      expect(section).to.contain("<title>transfer(address,uint256) conflicted on Token._balances[0x7099…79C8] after an earlier transaction in up to 26 transactions.</title>")
      expect(section).to.contain("<title>Token._totalSupply is written by mint(address,uint256); 8% of Token&#39;s transactions write it (8).</title>")
    })

    it("draws a write-after-write pair only when it has no read-after-write twin", () => {
      const waw = pool.conflicts.filter((p) => p.kind === "write-after-write")
      const lonely = { ...(waw[0] as (typeof waw)[number]), from: "addLiquidity(uint256,uint256)", to: "addLiquidity(uint256,uint256)" }
      const edges = graphEdges([...pool.conflicts, lonely])
      expect(edges.filter((p) => p.kind === "read-after-write")).to.have.length(4)
      expect(edges.filter((p) => p.kind === "write-after-write")).to.deep.equal([lonely])
      const page = renderHtml({ ...report, contracts: [{ ...pool, conflicts: [...pool.conflicts, lonely] }] })
      expect(page.match(/<g class="edge waw">/g)).to.have.length(1)
      expect(page).to.contain('stroke-dasharray="5 4"')
    })
  })

  describe("in headless Chromium", () => {
    let browser: Browser | undefined

    before(async function () {
      if (!existsSync(CHROMIUM)) {
        console.log(`      (skipped: no Chromium at ${CHROMIUM}; install it with \`apt-get install -y chromium\`)`)
        this.skip()
      }
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      })
    })

    after(async () => {
      await browser?.close()
    })

    /** Opens the page and records console errors, page errors, requests and dialogs. */
    async function open(content: string): Promise<{ page: Page; problems: string[]; requests: string[] }> {
      const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } })
      const problems: string[] = []
      const requests: string[] = []
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`)
      })
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`))
      page.on("request", (r) => requests.push(r.url()))
      page.on("dialog", (d) => {
        problems.push(`dialog: ${d.message()}`)
        void d.dismiss()
      })
      await page.setContent(content, { waitUntil: "load" })
      return { page, problems, requests }
    }

    it("shows every contract with its heatmap and conflict graph, without errors", async () => {
      const { page, problems, requests } = await open(html)
      try {
        expect(await page.title()).to.equal("Parallel EVM report")
        for (const [i, contract] of report.contracts.entries()) {
          const section = page.locator(`section#c${i}`)
          expect(await section.locator("h2.contract-name").textContent()).to.equal(contract.name)
          expect(await section.locator("h2.contract-name").isVisible()).to.equal(true)

          const heatmap = section.locator("svg.heatmap")
          expect(await heatmap.count()).to.equal(1)
          const box = await heatmap.boundingBox()
          expect(box?.width).to.be.greaterThan(100)
          expect(box?.height).to.be.greaterThan(40)
          const columns = figureFunctions(contract).length
          expect(await heatmap.locator(".layer.share rect").count()).to.equal(contract.hotSlots.length * columns)
          for (const slot of contract.hotSlots) expect(await heatmap.locator("text.row", { hasText: slot.name }).count()).to.equal(1)

          const graph = section.locator("svg.graph")
          expect(await graph.count()).to.equal(1)
          expect((await graph.boundingBox())?.width).to.be.greaterThan(100)
          expect(await graph.locator(".nodes circle").count()).to.be.at.least(columns)
          // Each read-after-write pair is one arrow; its write-after-write twin is folded into it.
          expect(await graph.locator(".edges path").count()).to.equal(contract.conflicts.filter((p) => p.kind === "read-after-write").length)
          expect(await graph.locator(".edges .waw").count()).to.equal(0)

          for (const s of contract.suggestions) expect(await section.locator("ul.suggestions li", { hasText: s.slot }).count()).to.equal(1)
        }
        expect(await page.locator(".checks.failed").textContent()).to.contain("Nft: speedup bound 1.23× is below minSpeedup 2.00×")
        expect(problems).to.deep.equal([])
        expect(requests).to.deep.equal([])
      } finally {
        await page.close()
      }
    })

    it("switches the heatmap between write share and conflicts", async () => {
      const { page, problems } = await open(html)
      try {
        const heatmap = page.locator("#c0-heatmap")
        expect(await heatmap.getAttribute("data-mode")).to.equal("share")
        expect(await heatmap.locator(".layer.share").isVisible()).to.equal(true)
        expect(await heatmap.locator(".layer.conflicts").isVisible()).to.equal(false)
        await page.locator('#c0 .toggle button[data-mode="conflicts"]').click()
        expect(await heatmap.getAttribute("data-mode")).to.equal("conflicts")
        expect(await heatmap.locator(".layer.share").isVisible()).to.equal(false)
        expect(await heatmap.locator(".layer.conflicts").isVisible()).to.equal(true)
        expect(await page.locator('#c0 .toggle button[data-mode="conflicts"]').getAttribute("aria-pressed")).to.equal("true")
        expect(await page.locator('#c0 .toggle button[data-mode="share"]').getAttribute("aria-pressed")).to.equal("false")
        // The other contracts' heatmaps are untouched.
        expect(await page.locator("#c1-heatmap").getAttribute("data-mode")).to.equal("share")
        expect(problems).to.deep.equal([])
      } finally {
        await page.close()
      }
    })

    it("shows hostile text as text and runs none of it", async () => {
      const { page, problems, requests } = await open(renderHtml(hostile))
      try {
        expect(await page.locator("section#c0 h2.contract-name").textContent()).to.equal("Nft<b>")
        expect(await page.locator("footer").textContent()).to.contain('a "quoted" <img src=x onerror="window.__pwned=1"> warning & more')
        expect(await page.locator("svg.heatmap text.row").first().textContent()).to.contain("Nft.<script>window.__pwned=3</script>|`x`")
        expect(await page.evaluate("typeof window.__pwned")).to.equal("undefined")
        expect(await page.locator("img").count()).to.equal(0)
        expect(problems).to.deep.equal([])
        expect(requests).to.deep.equal([])
      } finally {
        await page.close()
      }
    })

    it("shows a report recorded from a real run", async () => {
      const { page, problems, requests } = await open(renderHtml(recorded))
      try {
        expect(await page.locator("h2.contract-name").allTextContents()).to.deep.equal(recorded.contracts.map((c) => c.name))
        expect(await page.locator("svg.heatmap").count()).to.equal(recorded.contracts.filter((c) => c.hotSlots.length > 0).length)
        expect(await page.locator("svg.graph").count()).to.equal(recorded.contracts.length)
        const nft = recorded.contracts.findIndex((c) => c.name === "Nft")
        expect(await page.locator(`#c${nft}-graph .edges path`).count()).to.equal(2)
        expect(await page.locator(`#c${nft}-graph .edges title`).allTextContents()).to.deep.equal([
          "mint() then mint(): read-after-write in 100% (11 transactions) on Nft.nextId; write-after-write in 100% (11 transactions) on Nft.nextId",
          "mint() then transfer(address,uint256): read-after-write in 100% (1 transaction) on Nft._balances[0x4262…C797], Nft._owners[3]; write-after-write in 100% (1 transaction) on Nft._balances[0x4262…C797], Nft._owners[3]",
        ])
        expect(problems).to.deep.equal([])
        expect(requests).to.deep.equal([])
      } finally {
        await page.close()
      }
    })

    it("renders a report without contracts, and a contract without conflicts", async () => {
      const quiet: ContractReport = { ...pool, hotSlots: [], conflicts: [], suggestions: [], ignoredSlots: [] }
      const reports: AnalysisReport[] = [empty, { ...report, contracts: [quiet] }]
      for (const r of reports) {
        const { page, problems } = await open(renderHtml(r))
        try {
          if (r.contracts.length === 0) {
            expect(await page.locator("main").textContent()).to.contain("nothing to analyse")
          } else {
            expect(await page.locator("section#c0 h2.contract-name").textContent()).to.equal("Pool")
            expect(await page.locator("section#c0").textContent()).to.contain("No hot slots to draw.")
            // The graph still shows the functions, unconnected.
            expect(await page.locator("#c0-graph .nodes circle").count()).to.equal(3)
            expect(await page.locator("#c0-graph .edges path").count()).to.equal(0)
          }
          expect(problems).to.deep.equal([])
        } finally {
          await page.close()
        }
      }
    })
  })
})
