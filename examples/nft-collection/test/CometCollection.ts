import { expect } from "chai";
import type { TransactionReceipt, TransactionResponse } from "ethers";
import { network } from "hardhat";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const PRICE = ethers.parseEther("0.05");
const MAX_SUPPLY = 500n;
const MAX_PER_WALLET = 3n;

/**
 * Sends transactions with automine off, then mines them all in ONE block (the
 * block that the parallel EVM executes concurrently) with the network helpers'
 * `mine()` (hardhat_mine). Returns every receipt, reverted ones included, in
 * the order the transactions were sent.
 */
async function mineInOneBlock(send: () => Promise<TransactionResponse[]>): Promise<TransactionReceipt[]> {
  await ethers.provider.send("evm_setAutomine", [false]);
  let sent: TransactionResponse[];
  try {
    sent = await send();
    await networkHelpers.mine();
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

async function deployWithSupply(maxSupply: bigint) {
  const [owner, alice, bob, treasury] = await ethers.getSigners();
  const saleStart = BigInt(await time.latest()) + BigInt(time.duration.days(1));
  const collection = await ethers.deployContract("CometCollection", [owner.address, maxSupply, PRICE, saleStart]);
  return { collection, saleStart, owner, alice, bob, treasury };
}

async function deployCollection() {
  return deployWithSupply(MAX_SUPPLY);
}

/** The collection with its sale open. */
async function openSale() {
  const deployed = await deployCollection();
  await time.increase(time.duration.days(1));
  return deployed;
}

/** A sale open with only four tokens. */
async function tinyDrop() {
  const deployed = await deployWithSupply(4n);
  await time.increase(time.duration.days(1));
  return deployed;
}

/** A sale open with twenty tokens. */
async function smallDrop() {
  const deployed = await deployWithSupply(20n);
  await time.increase(time.duration.days(1));
  return deployed;
}

describe("CometCollection", function () {
  describe("Deployment", function () {
    it("sets the collection's parameters", async function () {
      const { collection, owner, saleStart } = await loadFixture(deployCollection);
      expect(await collection.name()).to.equal("Comet Collection");
      expect(await collection.symbol()).to.equal("COMET");
      expect(await collection.owner()).to.equal(owner.address);
      expect(await collection.maxSupply()).to.equal(MAX_SUPPLY);
      expect(await collection.price()).to.equal(PRICE);
      expect(await collection.saleStart()).to.equal(saleStart);
      expect(await collection.totalMinted()).to.equal(0n);
    });
  });

  describe("Sale window", function () {
    it("rejects mints before the sale starts", async function () {
      const { collection, alice, saleStart } = await loadFixture(deployCollection);
      await expect(collection.connect(alice).mint(1n, { value: PRICE }))
        .to.be.revertedWithCustomError(collection, "SaleNotStarted")
        .withArgs(saleStart);
    });

    it("opens exactly at saleStart", async function () {
      const { collection, alice, saleStart } = await loadFixture(deployCollection);
      // A gas limit, so that the failing mint is mined rather than refused by gas estimation.
      await time.setNextBlockTimestamp(saleStart - 1n);
      await expect(collection.connect(alice).mint(1n, { value: PRICE, gasLimit: 200_000n })).to.be.revertedWithCustomError(
        collection,
        "SaleNotStarted",
      );
      await time.setNextBlockTimestamp(saleStart);
      await expect(collection.connect(alice).mint(1n, { value: PRICE })).to.emit(collection, "Minted").withArgs(alice.address, 0n, 1n);
    });
  });

  describe("Minting", function () {
    it("mints consecutive token ids and emits Transfer for each", async function () {
      const { collection, alice, bob } = await loadFixture(openSale);
      await expect(collection.connect(alice).mint(2n, { value: 2n * PRICE }))
        .to.emit(collection, "Transfer")
        .withArgs(ethers.ZeroAddress, alice.address, 0n)
        .and.to.emit(collection, "Transfer")
        .withArgs(ethers.ZeroAddress, alice.address, 1n);
      await collection.connect(bob).mint(1n, { value: PRICE });
      expect(await collection.ownerOf(2n)).to.equal(bob.address);
      expect(await collection.balanceOf(alice.address)).to.equal(2n);
      expect(await collection.totalMinted()).to.equal(3n);
      expect(await collection.tokenURI(2n)).to.equal("ipfs://comet/2");
    });

    it("takes exactly the price and keeps the payment", async function () {
      const { collection, alice } = await loadFixture(openSale);
      await expect(collection.connect(alice).mint(3n, { value: 3n * PRICE })).to.changeEtherBalances(
        ethers,
        [alice, collection],
        [-3n * PRICE, 3n * PRICE],
      );
      await expect(collection.connect(alice).mint(1n, { value: PRICE - 1n }))
        .to.be.revertedWithCustomError(collection, "WrongPayment")
        .withArgs(PRICE - 1n, PRICE);
      await expect(collection.connect(alice).mint(0n)).to.be.revertedWithCustomError(collection, "ZeroQuantity");
    });

    it("limits each wallet", async function () {
      const { collection, alice } = await loadFixture(openSale);
      await collection.connect(alice).mint(2n, { value: 2n * PRICE });
      await expect(collection.connect(alice).mint(2n, { value: 2n * PRICE }))
        .to.be.revertedWithCustomError(collection, "WalletLimitExceeded")
        .withArgs(alice.address, MAX_PER_WALLET);
    });

    it("stops at the max supply", async function () {
      const { collection, alice, bob } = await loadFixture(tinyDrop);
      await collection.connect(alice).mint(3n, { value: 3n * PRICE });
      await expect(collection.connect(bob).mint(2n, { value: 2n * PRICE }))
        .to.be.revertedWithCustomError(collection, "SoldOut")
        .withArgs(2n, 1n);
    });
  });

  describe("Owner", function () {
    it("withdraws the proceeds", async function () {
      const { collection, alice, bob, treasury } = await loadFixture(openSale);
      await collection.connect(alice).mint(2n, { value: 2n * PRICE });
      await collection.connect(bob).mint(1n, { value: PRICE });
      await expect(collection.withdraw(treasury.address)).to.changeEtherBalances(
        ethers,
        [collection, treasury],
        [-3n * PRICE, 3n * PRICE],
      );
    });

    it("rejects withdrawals by anyone else", async function () {
      const { collection, alice } = await loadFixture(openSale);
      await expect(collection.connect(alice).withdraw(alice.address))
        .to.be.revertedWithCustomError(collection, "OwnableUnauthorizedAccount")
        .withArgs(alice.address);
    });
  });

  describe("Transfers", function () {
    it("lets the holder transfer and rejects others", async function () {
      const { collection, alice, bob } = await loadFixture(openSale);
      await collection.connect(alice).mint(1n, { value: PRICE });
      await expect(collection.connect(bob).transferFrom(alice.address, bob.address, 0n))
        .to.be.revertedWithCustomError(collection, "ERC721InsufficientApproval")
        .withArgs(bob.address, 0n);
      await expect(collection.connect(alice).transferFrom(alice.address, bob.address, 0n))
        .to.emit(collection, "Transfer")
        .withArgs(alice.address, bob.address, 0n);
      expect(await collection.ownerOf(0n)).to.equal(bob.address);
    });
  });

  describe("Drop day: blocks of transactions from many wallets", function () {
    const MINTERS = 80;

    function minters(count: number, label: string) {
      return Array.from({ length: count }, (_, i) => new ethers.Wallet(ethers.id(`${label}-${i}`), ethers.provider));
    }

    it("gives token ids in block order", async function () {
      const { collection } = await loadFixture(openSale);
      const wallets = minters(MINTERS, "comet-minter");
      for (const w of wallets) await networkHelpers.setBalance(w.address, ethers.parseEther("1"));
      const quantity = (i: number) => BigInt((i % 3) + 1);

      const receipts = await mineInOneBlock(() =>
        Promise.all(wallets.map((w, i) => collection.connect(w).mint(quantity(i), { value: quantity(i) * PRICE }))),
      );
      expect(receipts.every((r) => r.status === 1)).to.equal(true);

      // Token ids are handed out by the global counter in the block's order.
      let next = 0n;
      for (const receipt of [...receipts].sort((a, b) => a.index - b.index)) {
        const i = receipts.indexOf(receipt);
        const minted = receipt.logs.map((log) => collection.interface.parseLog(log)).find((log) => log?.name === "Minted");
        expect(minted?.args.firstTokenId, `mint at index ${receipt.index}`).to.equal(next);
        for (let id = next; id < next + quantity(i); id++) expect(await collection.ownerOf(id)).to.equal(wallets[i].address);
        next += quantity(i);
      }
      expect(await collection.totalMinted()).to.equal(next);
      expect(await ethers.provider.getBalance(collection.getAddress())).to.equal(next * PRICE);
    });

    it("lets every holder pass on a token in one block", async function () {
      const { collection } = await loadFixture(openSale);
      const holders = minters(40, "comet-holder");
      const friends = minters(40, "comet-friend");
      for (const w of holders) await networkHelpers.setBalance(w.address, ethers.parseEther("1"));
      for (const w of holders) await collection.connect(w).mint(1n, { value: PRICE });
      const tokenOf = new Map<string, bigint>();
      for (let id = 0n; id < 40n; id++) tokenOf.set(await collection.ownerOf(id), id);

      // ERC-721 transfers of different tokens between different accounts touch disjoint slots.
      const receipts = await mineInOneBlock(() =>
        Promise.all(
          holders.map((h, i) => collection.connect(h).transferFrom(h.address, friends[i].address, tokenOf.get(h.address) as bigint)),
        ),
      );
      expect(receipts.every((r) => r.status === 1)).to.equal(true);
      for (let i = 0; i < holders.length; i++) {
        expect(await collection.ownerOf(tokenOf.get(holders[i].address) as bigint)).to.equal(friends[i].address);
        expect(await collection.balanceOf(holders[i].address)).to.equal(0n);
        expect(await collection.balanceOf(friends[i].address)).to.equal(1n);
      }
    });

    it("sells out within the block: later mints revert with SoldOut", async function () {
      const { collection } = await loadFixture(smallDrop);
      const wallets = minters(30, "comet-late");
      for (const w of wallets) await networkHelpers.setBalance(w.address, ethers.parseEther("1"));

      // An explicit gas limit: estimating against the pending block would fail for the late ones.
      const receipts = await mineInOneBlock(() =>
        Promise.all(wallets.map((w) => collection.connect(w).mint(1n, { value: PRICE, gasLimit: 200_000n }))),
      );

      const ordered = [...receipts].sort((a, b) => a.index - b.index);
      expect(ordered.slice(0, 20).every((r) => r.status === 1)).to.equal(true);
      expect(ordered.slice(20).every((r) => r.status === 0)).to.equal(true);
      expect(await collection.totalMinted()).to.equal(20n);
      expect(await ethers.provider.getBalance(collection.getAddress())).to.equal(20n * PRICE);
      for (const receipt of ordered.slice(20)) {
        expect(await collection.balanceOf(receipt.from)).to.equal(0n);
      }
    });
  });
});
