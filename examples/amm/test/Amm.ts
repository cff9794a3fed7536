import { expect } from "chai";
import type { ContractTransactionResponse, TransactionReceipt, TransactionResponse, Wallet } from "ethers";
import { network } from "hardhat";

const { ethers, networkHelpers } = await network.create();
const { loadFixture } = networkHelpers;

const FEE_BPS = 30n;
const MINIMUM_LIQUIDITY = 1000n;
const e18 = (n: number | string) => ethers.parseEther(String(n));

/** The pool's pricing, in JavaScript, to check the contract against. */
function amountOut(amountIn: bigint, reserveIn: bigint, reserveOut: bigint): bigint {
  const withFee = amountIn * (10_000n - FEE_BPS);
  return (withFee * reserveOut) / (reserveIn * 10_000n + withFee);
}

function sqrt(value: bigint): bigint {
  if (value < 2n) return value;
  let x = value;
  let y = (x + 1n) / 2n;
  while (y < x) {
    x = y;
    y = (x + value / x) / 2n;
  }
  return x;
}

/**
 * Sends transactions with automine off, then mines them all in ONE block (the
 * block that the parallel EVM executes concurrently). Returns every receipt,
 * reverted ones included, in the order the transactions were sent.
 */
async function mineInOneBlock(send: () => Promise<TransactionResponse[]>): Promise<TransactionReceipt[]> {
  await ethers.provider.send("evm_setAutomine", [false]);
  let sent: TransactionResponse[];
  try {
    sent = await send();
    await ethers.provider.send("evm_mine", []);
  } finally {
    await ethers.provider.send("evm_setAutomine", [true]);
  }
  const receipts = await Promise.all(sent.map((tx) => ethers.provider.getTransactionReceipt(tx.hash)));
  expect(new Set(receipts.map((r) => r?.blockNumber)).size, "all in one block").to.equal(1);
  return receipts.map((receipt) => {
    if (receipt === null) throw new Error("transaction was not mined");
    return receipt;
  });
}

type Pools = Awaited<ReturnType<typeof deployPools>>["pools"];
type TestToken = Pools[number]["token0"];
interface Trade {
  wallet: Wallet;
  pool: Pools[number]["pool"];
  tokenIn: TestToken;
  tokenOut: TestToken;
  amountIn: bigint;
}

/**
 * Replays a block's swaps in its order, in JavaScript, from the reserves before
 * it: every swap must have got what a sequential execution gives, and the pools
 * must end with the replayed reserves.
 */
async function expectSequentialPricing(
  pools: Pools,
  reservesBefore: Map<string, [bigint, bigint]>,
  swaps: { receipt: TransactionReceipt; trade: Trade }[],
): Promise<void> {
  const reserves = new Map(reservesBefore);
  for (const { receipt, trade } of [...swaps].sort((x, y) => x.receipt.index - y.receipt.index)) {
    const address = await trade.pool.getAddress();
    const [r0, r1] = reserves.get(address) as [bigint, bigint];
    const sellsToken0 = (await trade.tokenIn.getAddress()) === (await trade.pool.token0());
    const out = sellsToken0 ? amountOut(trade.amountIn, r0, r1) : amountOut(trade.amountIn, r1, r0);
    reserves.set(address, sellsToken0 ? [r0 + trade.amountIn, r1 - out] : [r0 - out, r1 + trade.amountIn]);
    const swap = receipt.logs.map((log) => trade.pool.interface.parseLog(log)).find((log) => log?.name === "Swap");
    expect(swap?.args.amountOut, `swap at index ${receipt.index}`).to.equal(out);
    expect(await trade.tokenOut.balanceOf(trade.wallet.address), `received at index ${receipt.index}`).to.equal(out);
  }
  for (const { pool } of pools) {
    const [r0, r1] = reserves.get(await pool.getAddress()) as [bigint, bigint];
    expect(await pool.reserve0()).to.equal(r0);
    expect(await pool.reserve1()).to.equal(r1);
  }
}

async function deployAmm() {
  const [deployer, lp, trader, other] = await ethers.getSigners();
  const factory = await ethers.deployContract("Factory");
  const tokens = [];
  for (const [name, symbol] of [
    ["Alpha", "ALP"],
    ["Beta", "BET"],
    ["Gamma", "GAM"],
    ["Delta", "DEL"],
  ]) {
    tokens.push(await ethers.deployContract("TestToken", [name, symbol]));
  }
  const [alpha, beta, gamma, delta] = tokens;
  return { factory, tokens, alpha, beta, gamma, delta, deployer, lp, trader, other };
}

async function createPool(factory: Awaited<ReturnType<typeof deployAmm>>["factory"], a: string, b: string) {
  await factory.createPool(a, b);
  return ethers.getContractAt("Pool", await factory.getPool(a, b));
}

/** Four pools over four tokens (a ring: ALP/BET, BET/GAM, GAM/DEL, DEL/ALP), each seeded by `lp`. */
async function deployPools() {
  const amm = await deployAmm();
  const { factory, tokens, lp } = amm;
  const pools = [];
  for (let i = 0; i < tokens.length; i++) {
    const a = tokens[i];
    const b = tokens[(i + 1) % tokens.length];
    const pool = await createPool(factory, await a.getAddress(), await b.getAddress());
    const [amount0, amount1] = [e18(10_000 * (i + 1)), e18(20_000)];
    const token0 = await ethers.getContractAt("TestToken", await pool.token0());
    const token1 = await ethers.getContractAt("TestToken", await pool.token1());
    await token0.mint(lp.address, amount0);
    await token1.mint(lp.address, amount1);
    await token0.connect(lp).approve(await pool.getAddress(), amount0);
    await token1.connect(lp).approve(await pool.getAddress(), amount1);
    await pool.connect(lp).addLiquidity(amount0, amount1, 0n);
    pools.push({ pool, token0, token1 });
  }
  return { ...amm, pools };
}

describe("AMM", function () {
  describe("Factory", function () {
    it("creates a pool with sorted tokens and emits PoolCreated", async function () {
      const { factory, alpha, beta } = await loadFixture(deployAmm);
      const [a, b] = [await alpha.getAddress(), await beta.getAddress()];
      const [token0, token1] = a.toLowerCase() < b.toLowerCase() ? [a, b] : [b, a];
      await expect(factory.createPool(b, a)).to.emit(factory, "PoolCreated");
      const pool = await ethers.getContractAt("Pool", await factory.getPool(a, b));
      expect(await factory.getPool(b, a)).to.equal(await pool.getAddress());
      expect(await pool.token0()).to.equal(token0);
      expect(await pool.token1()).to.equal(token1);
      expect(await factory.poolCount()).to.equal(1n);
    });

    it("rejects a duplicate pool and identical tokens", async function () {
      const { factory, alpha, beta } = await loadFixture(deployAmm);
      const [a, b] = [await alpha.getAddress(), await beta.getAddress()];
      await factory.createPool(a, b);
      await expect(factory.createPool(b, a))
        .to.be.revertedWithCustomError(factory, "PoolExists")
        .withArgs(await factory.getPool(a, b));
      await expect(factory.createPool(a, a)).to.be.revertedWithCustomError(factory, "IdenticalTokens").withArgs(a);
    });
  });

  describe("Pools created in one block", function () {
    it("gives every pool the address of the factory's nonce in block order", async function () {
      const { factory, tokens } = await loadFixture(deployAmm);
      const signers = await ethers.getSigners();
      const addresses = await Promise.all(tokens.map((t) => t.getAddress()));
      const pairs = addresses.flatMap((a, i) => addresses.slice(i + 1).map((b) => [a, b] as const)); // all 6 pairs

      const receipts = await mineInOneBlock(() =>
        Promise.all(pairs.map(([a, b], i) => factory.connect(signers[4 + i]).createPool(a, b))),
      );
      expect(receipts.map((r) => r.status)).to.deep.equal(receipts.map(() => 1));
      expect(await factory.poolCount()).to.equal(BigInt(pairs.length));

      const factoryAddress = await factory.getAddress();
      for (const receipt of [...receipts].sort((x, y) => x.index - y.index)) {
        const created = receipt.logs.map((log) => factory.interface.parseLog(log)).find((log) => log?.name === "PoolCreated");
        const index = created?.args.index as bigint;
        // The factory's nonce starts at 1 and each creation takes the next one, in block order.
        expect(index).to.equal(BigInt(receipt.index));
        expect(created?.args.pool).to.equal(ethers.getCreateAddress({ from: factoryAddress, nonce: index + 1n }));
        expect(await factory.allPools(index)).to.equal(created?.args.pool);
        const [a, b] = pairs[receipts.indexOf(receipt)];
        expect(await factory.getPool(a, b)).to.equal(created?.args.pool);
        expect(await ethers.provider.getCode(created?.args.pool)).to.not.equal("0x");
      }
    });
  });

  describe("Liquidity", function () {
    it("mints sqrt(x * y) - MINIMUM_LIQUIDITY shares for the first deposit", async function () {
      const { factory, alpha, beta, lp } = await loadFixture(deployAmm);
      const pool = await createPool(factory, await alpha.getAddress(), await beta.getAddress());
      const [amount0, amount1] = [e18(100), e18(400)];
      const token0 = await ethers.getContractAt("TestToken", await pool.token0());
      const token1 = await ethers.getContractAt("TestToken", await pool.token1());
      await token0.mint(lp.address, amount0);
      await token1.mint(lp.address, amount1);
      await token0.connect(lp).approve(await pool.getAddress(), amount0);
      await token1.connect(lp).approve(await pool.getAddress(), amount1);

      const shares = sqrt(amount0 * amount1) - MINIMUM_LIQUIDITY;
      await expect(pool.connect(lp).addLiquidity(amount0, amount1, shares))
        .to.emit(pool, "LiquidityAdded")
        .withArgs(lp.address, amount0, amount1, shares);
      expect(await pool.balanceOf(lp.address)).to.equal(shares);
      expect(await pool.reserve0()).to.equal(amount0);
      expect(await pool.reserve1()).to.equal(amount1);
    });

    it("mints proportional shares later and returns tokens on removal", async function () {
      const { pools, other } = await loadFixture(deployPools);
      const { pool, token0, token1 } = pools[1];
      const [r0, r1, supply] = [await pool.reserve0(), await pool.reserve1(), await pool.totalSupply()];
      const [amount0, amount1] = [r0 / 10n, r1 / 10n];
      await token0.mint(other.address, amount0);
      await token1.mint(other.address, amount1);
      await token0.connect(other).approve(await pool.getAddress(), amount0);
      await token1.connect(other).approve(await pool.getAddress(), amount1);

      await expect(pool.connect(other).addLiquidity(amount0, amount1, 0n)).to.changeTokenBalance(ethers, pool, other, supply / 10n);
      await expect(pool.connect(other).removeLiquidity(supply / 10n)).to.changeTokenBalances(
        ethers,
        token0,
        [other, pool],
        [amount0, -amount0],
      );
      expect(await pool.balanceOf(other.address)).to.equal(0n);
    });

    it("rejects a deposit that mints fewer shares than asked", async function () {
      const { pools, other } = await loadFixture(deployPools);
      const { pool, token0, token1 } = pools[0];
      await token0.mint(other.address, e18(1));
      await token1.mint(other.address, e18(1));
      await token0.connect(other).approve(await pool.getAddress(), e18(1));
      await token1.connect(other).approve(await pool.getAddress(), e18(1));
      await expect(pool.connect(other).addLiquidity(e18(1), e18(1), e18(1_000_000))).to.be.revertedWithCustomError(
        pool,
        "InsufficientLiquidityMinted",
      );
    });
  });

  describe("Swaps", function () {
    it("pays the quoted amount, moves both balances and grows k", async function () {
      const { pools, trader } = await loadFixture(deployPools);
      const { pool, token0, token1 } = pools[0];
      const amountIn = e18(50);
      const [r0, r1] = [await pool.reserve0(), await pool.reserve1()];
      const out = amountOut(amountIn, r0, r1);
      expect(await pool.quote(await token0.getAddress(), amountIn)).to.equal(out);

      await token0.mint(trader.address, amountIn);
      await token0.connect(trader).approve(await pool.getAddress(), amountIn);
      const swap = () => pool.connect(trader).swap(token0.getAddress(), amountIn, out, trader.address);
      await expect(swap()).to.changeTokenBalances(ethers, token1, [trader, pool], [out, -out]);

      expect(await pool.reserve0()).to.equal(r0 + amountIn);
      expect(await pool.reserve1()).to.equal(r1 - out);
      expect((r0 + amountIn) * (r1 - out)).to.be.greaterThan(r0 * r1);
    });

    it("emits Swap with the amounts", async function () {
      const { pools, trader, other } = await loadFixture(deployPools);
      const { pool, token1 } = pools[2];
      const amountIn = e18(3);
      const out = amountOut(amountIn, await pool.reserve1(), await pool.reserve0());
      await token1.mint(trader.address, amountIn);
      await token1.connect(trader).approve(await pool.getAddress(), amountIn);
      await expect(pool.connect(trader).swap(token1.getAddress(), amountIn, 0n, other.address))
        .to.emit(pool, "Swap")
        .withArgs(trader.address, await token1.getAddress(), amountIn, out, other.address);
    });

    it("reverts with InsufficientOutputAmount past the slippage limit", async function () {
      const { pools, trader } = await loadFixture(deployPools);
      const { pool, token0 } = pools[0];
      const amountIn = e18(10);
      const out = await pool.quote(token0.getAddress(), amountIn);
      await token0.mint(trader.address, amountIn);
      await token0.connect(trader).approve(await pool.getAddress(), amountIn);
      await expect(pool.connect(trader).swap(token0.getAddress(), amountIn, out + 1n, trader.address))
        .to.be.revertedWithCustomError(pool, "InsufficientOutputAmount")
        .withArgs(out, out + 1n);
    });

    it("rejects a token that is not in the pool", async function () {
      const { pools, gamma, trader } = await loadFixture(deployPools);
      const { pool } = pools[0]; // ALP/BET
      await expect(pool.connect(trader).swap(gamma.getAddress(), 1n, 0n, trader.address))
        .to.be.revertedWithCustomError(pool, "InvalidToken")
        .withArgs(await gamma.getAddress());
    });
  });

  describe("Blocks of many swaps", function () {
    const TRADERS = 60;
    const tradeSize = (i: number) => e18(1) + BigInt(i) * e18("0.25");

    /** TRADERS wallets, each with ETH, the token it sells, and the pool approved; set up in two batch blocks. */
    async function deployWithTraders() {
      const amm = await deployPools();
      const traders: Wallet[] = Array.from({ length: TRADERS }, (_, i) => new ethers.Wallet(ethers.id(`amm-trader-${i}`), ethers.provider));
      for (const t of traders) await networkHelpers.setBalance(t.address, e18(1));
      // Trader i trades on pool i % 4 and sells token0 when i is even, token1 otherwise.
      const plan = traders.map((wallet, i) => {
        const { pool, token0, token1 } = amm.pools[i % amm.pools.length];
        const [tokenIn, tokenOut] = i % 2 === 0 ? [token0, token1] : [token1, token0];
        return { wallet, pool, tokenIn, tokenOut, amountIn: tradeSize(i) };
      });
      // One block of mints, all from the deployer (one sender, consecutive nonces)...
      await mineInOneBlock(() => sequentially(plan.map((p) => () => p.tokenIn.mint(p.wallet.address, p.amountIn * 2n))));
      // ...and one block of approvals, each from its own trader.
      await mineInOneBlock(() => Promise.all(plan.map((p) => p.tokenIn.connect(p.wallet).approve(p.pool.getAddress(), ethers.MaxUint256))));
      return { ...amm, plan };
    }

    it("mines swaps spread over four pools in one block, priced in block order", async function () {
      const { pools, plan } = await loadFixture(deployWithTraders);
      const reserves = new Map<string, [bigint, bigint]>();
      for (const { pool } of pools) reserves.set(await pool.getAddress(), [await pool.reserve0(), await pool.reserve1()]);

      const receipts = await mineInOneBlock(() =>
        Promise.all(plan.map((p) => p.pool.connect(p.wallet).swap(p.tokenIn.getAddress(), p.amountIn, 0n, p.wallet.address))),
      );
      expect(receipts.every((r) => r.status === 1)).to.equal(true);

      await expectSequentialPricing(pools, reserves, receipts.map((receipt, i) => ({ receipt, trade: plan[i] })));
      for (const p of plan) expect(await p.tokenIn.balanceOf(p.wallet.address)).to.equal(p.amountIn);
    });

    it("mines many swaps on ONE pool in one block; a tight slippage limit placed last reverts", async function () {
      const { pools, plan } = await loadFixture(deployWithTraders);
      const { pool, token0, token1 } = pools[0];
      const onPool = plan.filter((p) => p.pool === pool && p.tokenIn === token0); // every one sells token0
      const [r0, r1] = [await pool.reserve0(), await pool.reserve1()];
      const [victim, ...buyers] = onPool;
      const victimQuote = amountOut(victim.amountIn, r0, r1);

      const receipts = await mineInOneBlock(async () => {
        const sent: ContractTransactionResponse[] = await Promise.all(
          buyers.map((p) => pool.connect(p.wallet).swap(token0.getAddress(), p.amountIn, 0n, p.wallet.address)),
        );
        // Quoted before the block, with no slippage allowed, and a lower tip: it is ordered last,
        // after the buyers have moved the price. (An explicit gas limit, because estimating it
        // against the pending block would already fail.)
        const late = await pool
          .connect(victim.wallet)
          .swap(token0.getAddress(), victim.amountIn, victimQuote, victim.wallet.address, { gasLimit: 300_000n, maxPriorityFeePerGas: 1n });
        return [...sent, late];
      });

      const victimReceipt = receipts.at(-1) as TransactionReceipt;
      expect(victimReceipt.index).to.equal(receipts.length - 1);
      expect(victimReceipt.status).to.equal(0);
      expect(receipts.slice(0, -1).every((r) => r.status === 1)).to.equal(true);

      let [x, y] = [r0, r1];
      for (const receipt of receipts.slice(0, -1).sort((a, b) => a.index - b.index)) {
        const p = buyers[receipts.indexOf(receipt)];
        const out = amountOut(p.amountIn, x, y);
        [x, y] = [x + p.amountIn, y - out];
        expect(await token1.balanceOf(p.wallet.address)).to.equal(out);
      }
      expect(await pool.reserve0()).to.equal(x);
      expect(await pool.reserve1()).to.equal(y);
      expect(await token0.balanceOf(victim.wallet.address)).to.equal(victim.amountIn * 2n);
      // What the victim would get now is less than its limit: the revert reason, replayed.
      await expect(pool.connect(victim.wallet).swap(token0.getAddress(), victim.amountIn, victimQuote, victim.wallet.address))
        .to.be.revertedWithCustomError(pool, "InsufficientOutputAmount")
        .withArgs(amountOut(victim.amountIn, x, y), victimQuote);
    });

    it("mines approvals and the swaps they allow, from the same wallets, in one block", async function () {
      const { pools, deployer } = await loadFixture(deployPools);
      const newcomers = Array.from({ length: 12 }, (_, i) => new ethers.Wallet(ethers.id(`amm-newcomer-${i}`), ethers.provider));
      const trades = newcomers.map((wallet, i) => {
        const { pool, token0, token1 } = pools[i % pools.length];
        const [tokenIn, tokenOut] = i % 3 === 0 ? [token1, token0] : [token0, token1];
        return { wallet, pool, tokenIn, tokenOut, amountIn: tradeSize(i) };
      });
      for (const t of trades) {
        await networkHelpers.setBalance(t.wallet.address, e18(1));
        await t.tokenIn.connect(deployer).mint(t.wallet.address, t.amountIn);
      }
      const reserves = new Map<string, [bigint, bigint]>();
      for (const { pool } of pools) reserves.set(await pool.getAddress(), [await pool.reserve0(), await pool.reserve1()]);

      const receipts = await mineInOneBlock(async () => {
        const sent: ContractTransactionResponse[] = [];
        for (const t of trades) {
          // Nonce 0 approves, nonce 1 swaps: the swap reads the allowance written just before it.
          // (An explicit gas limit: the swap's gas cannot be estimated before its approval is mined.)
          sent.push(await t.tokenIn.connect(t.wallet).approve(t.pool.getAddress(), t.amountIn));
          sent.push(await t.pool.connect(t.wallet).swap(t.tokenIn.getAddress(), t.amountIn, 0n, t.wallet.address, { gasLimit: 200_000n }));
        }
        return sent;
      });
      expect(receipts.map((r) => r.status)).to.deep.equal(receipts.map(() => 1));

      const swaps = receipts.filter((_, i) => i % 2 === 1).map((receipt, i) => ({ receipt, trade: trades[i] }));
      await expectSequentialPricing(pools, reserves, swaps);
      for (const t of trades) {
        expect(await t.tokenIn.balanceOf(t.wallet.address)).to.equal(0n);
        expect(await t.tokenIn.allowance(t.wallet.address, t.pool.getAddress())).to.equal(0n);
      }
    });
  });
});

/** Sends one after another (one sender: each needs the previous nonce). */
async function sequentially<T>(sends: (() => Promise<T>)[]): Promise<T[]> {
  const sent: T[] = [];
  for (const send of sends) sent.push(await send());
  return sent;
}
