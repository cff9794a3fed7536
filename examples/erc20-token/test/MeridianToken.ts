import { expect } from "chai";
import type { TransactionReceipt, TransactionResponse } from "ethers";
import { network } from "hardhat";

const { ethers, networkHelpers } = await network.create();
const { loadFixture } = networkHelpers;

const CAP = ethers.parseEther("1000000");
const INITIAL_SUPPLY = ethers.parseEther("100000");

async function deployToken() {
  const [owner, alice, bob, carol] = await ethers.getSigners();
  const token = await ethers.deployContract("MeridianToken", [owner.address, CAP, INITIAL_SUPPLY]);
  return { token, owner, alice, bob, carol };
}

/**
 * Sends transactions with automine off, then mines them all in ONE block
 * (the block that the parallel EVM executes concurrently). Returns every
 * receipt, reverted ones included, in the order the transactions were sent.
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

/** Deterministic funded wallets, so that every sender in a batch is distinct. */
async function fundedWallets(count: number, label: string) {
  const wallets = Array.from({ length: count }, (_, i) => new ethers.Wallet(ethers.id(`${label}-${i}`), ethers.provider));
  for (const wallet of wallets) await networkHelpers.setBalance(wallet.address, ethers.parseEther("1"));
  return wallets;
}

describe("MeridianToken", function () {
  describe("Deployment", function () {
    it("sets name, symbol, cap and owner", async function () {
      const { token, owner } = await loadFixture(deployToken);
      expect(await token.name()).to.equal("Meridian");
      expect(await token.symbol()).to.equal("MRD");
      expect(await token.decimals()).to.equal(18n);
      expect(await token.cap()).to.equal(CAP);
      expect(await token.owner()).to.equal(owner.address);
    });

    it("mints the initial supply to the owner", async function () {
      const { token, owner } = await loadFixture(deployToken);
      expect(await token.totalSupply()).to.equal(INITIAL_SUPPLY);
      expect(await token.balanceOf(owner.address)).to.equal(INITIAL_SUPPLY);
    });
  });

  describe("Transfers", function () {
    it("moves tokens and emits Transfer", async function () {
      const { token, owner, alice } = await loadFixture(deployToken);
      const amount = ethers.parseEther("250");
      await expect(token.transfer(alice.address, amount)).to.emit(token, "Transfer").withArgs(owner.address, alice.address, amount);
      expect(await token.balanceOf(alice.address)).to.equal(amount);
    });

    it("changes both balances", async function () {
      const { token, owner, alice, bob } = await loadFixture(deployToken);
      await token.transfer(alice.address, 1000n);
      await expect(token.connect(alice).transfer(bob.address, 400n)).to.changeTokenBalances(
        ethers,
        token,
        [owner, alice, bob],
        [0n, -400n, 400n],
      );
    });

    it("reverts with ERC20InsufficientBalance when the sender is short", async function () {
      const { token, alice, bob } = await loadFixture(deployToken);
      await token.transfer(alice.address, 10n);
      await expect(token.connect(alice).transfer(bob.address, 11n))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
        .withArgs(alice.address, 10n, 11n);
    });

    it("reverts with ERC20InvalidReceiver for the zero address", async function () {
      const { token } = await loadFixture(deployToken);
      await expect(token.transfer(ethers.ZeroAddress, 1n))
        .to.be.revertedWithCustomError(token, "ERC20InvalidReceiver")
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe("Allowances", function () {
    it("approves, spends with transferFrom and lowers the allowance", async function () {
      const { token, owner, alice, bob } = await loadFixture(deployToken);
      await expect(token.approve(alice.address, 500n)).to.emit(token, "Approval").withArgs(owner.address, alice.address, 500n);
      await expect(token.connect(alice).transferFrom(owner.address, bob.address, 300n)).to.changeTokenBalances(
        ethers,
        token,
        [owner, bob],
        [-300n, 300n],
      );
      expect(await token.allowance(owner.address, alice.address)).to.equal(200n);
    });

    it("reverts with ERC20InsufficientAllowance beyond the allowance", async function () {
      const { token, owner, alice, bob } = await loadFixture(deployToken);
      await token.approve(alice.address, 100n);
      await expect(token.connect(alice).transferFrom(owner.address, bob.address, 101n))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(alice.address, 100n, 101n);
    });

    it("accepts an EIP-2612 permit signed off-chain", async function () {
      const { token, owner, alice, bob } = await loadFixture(deployToken);
      const { chainId } = await ethers.provider.getNetwork();
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const value = 750n;
      const signature = await owner.signTypedData(
        { name: "Meridian", version: "1", chainId, verifyingContract: await token.getAddress() },
        {
          Permit: [
            { name: "owner", type: "address" },
            { name: "spender", type: "address" },
            { name: "value", type: "uint256" },
            { name: "nonce", type: "uint256" },
            { name: "deadline", type: "uint256" },
          ],
        },
        { owner: owner.address, spender: alice.address, value, nonce: await token.nonces(owner.address), deadline },
      );
      const { v, r, s } = ethers.Signature.from(signature);

      // Anyone may submit the permit; here bob pays the gas.
      await expect(token.connect(bob).permit(owner.address, alice.address, value, deadline, v, r, s))
        .to.emit(token, "Approval")
        .withArgs(owner.address, alice.address, value);
      expect(await token.allowance(owner.address, alice.address)).to.equal(value);
      expect(await token.nonces(owner.address)).to.equal(1n);

      // The same signature cannot be used twice.
      await expect(token.connect(bob).permit(owner.address, alice.address, value, deadline, v, r, s)).to.be.revertedWithCustomError(
        token,
        "ERC2612InvalidSigner",
      );
    });

    it("rejects an expired permit", async function () {
      const { token, owner, alice } = await loadFixture(deployToken);
      const deadline = BigInt(await networkHelpers.time.latest()) - 1n;
      await expect(token.permit(owner.address, alice.address, 1n, deadline, 27, ethers.ZeroHash, ethers.ZeroHash))
        .to.be.revertedWithCustomError(token, "ERC2612ExpiredSignature")
        .withArgs(deadline);
    });
  });

  describe("Minting", function () {
    it("lets the owner mint up to the cap", async function () {
      const { token, alice } = await loadFixture(deployToken);
      const room = CAP - INITIAL_SUPPLY;
      await expect(token.mint(alice.address, room)).to.changeTokenBalance(ethers, token, alice, room);
      expect(await token.totalSupply()).to.equal(CAP);
      await expect(token.mint(alice.address, 1n)).to.be.revertedWithCustomError(token, "ERC20ExceededCap").withArgs(CAP + 1n, CAP);
    });

    it("rejects minting by anyone else", async function () {
      const { token, alice } = await loadFixture(deployToken);
      await expect(token.connect(alice).mint(alice.address, 1n))
        .to.be.revertedWithCustomError(token, "OwnableUnauthorizedAccount")
        .withArgs(alice.address);
    });

    it("airdrops to many recipients", async function () {
      const { token, alice, bob, carol } = await loadFixture(deployToken);
      await expect(token.airdrop([alice.address, bob.address, carol.address], [1n, 2n, 3n]))
        .to.emit(token, "Airdropped")
        .withArgs(3n, 6n)
        .and.to.emit(token, "Transfer")
        .withArgs(ethers.ZeroAddress, carol.address, 3n);
      expect(await token.balanceOf(bob.address)).to.equal(2n);
    });

    it("rejects malformed airdrops", async function () {
      const { token, alice } = await loadFixture(deployToken);
      await expect(token.airdrop([], [])).to.be.revertedWithCustomError(token, "EmptyAirdrop");
      await expect(token.airdrop([alice.address], [1n, 2n]))
        .to.be.revertedWithCustomError(token, "AirdropLengthMismatch")
        .withArgs(1n, 2n);
    });
  });

  describe("One block of many transfers", function () {
    const SENDERS = 100;
    const FUNDS = ethers.parseEther("10");

    async function deployWithHolders() {
      const deployed = await deployToken();
      const senders = await fundedWallets(SENDERS, "meridian-holder");
      await deployed.token.airdrop(
        senders.map((w) => w.address),
        senders.map(() => FUNDS),
      );
      return { ...deployed, senders };
    }

    it("mines transfers between disjoint accounts in one block", async function () {
      const { token, senders } = await loadFixture(deployWithHolders);
      const recipients = senders.map((_, i) => ethers.getAddress(ethers.dataSlice(ethers.id(`meridian-recipient-${i}`), 12)));
      const amount = (i: number) => ethers.parseEther("1") + BigInt(i);

      const receipts = await mineInOneBlock(() =>
        Promise.all(senders.map((sender, i) => token.connect(sender).transfer(recipients[i], amount(i)))),
      );

      expect(receipts).to.have.length(SENDERS);
      for (const receipt of receipts) expect(receipt.status).to.equal(1);
      const blockNumber = receipts[0].blockNumber;
      expect(receipts.every((r) => r.blockNumber === blockNumber)).to.equal(true);
      const block = await ethers.provider.getBlock(blockNumber);
      expect(block?.transactions).to.have.length(SENDERS);

      for (let i = 0; i < SENDERS; i++) {
        expect(await token.balanceOf(recipients[i])).to.equal(amount(i));
        expect(await token.balanceOf(senders[i].address)).to.equal(FUNDS - amount(i));
      }

      // The block's Transfer events, as a dapp would read them.
      const events = await token.queryFilter(token.filters.Transfer(), blockNumber, blockNumber);
      expect(events).to.have.length(SENDERS);
      expect(events.reduce((sum, event) => sum + event.args.value, 0n)).to.equal(
        recipients.reduce((sum, _, i) => sum + amount(i), 0n),
      );
    });

    it("mines permits and the transfers they allow in the same block", async function () {
      const { token, senders, owner: relayer } = await loadFixture(deployWithHolders);
      const holders = senders.slice(0, 20);
      const spenders = await fundedWallets(holders.length, "meridian-spender");
      const { chainId } = await ethers.provider.getNetwork();
      const domain = { name: "Meridian", version: "1", chainId, verifyingContract: await token.getAddress() };
      const types = {
        Permit: [
          { name: "owner", type: "address" },
          { name: "spender", type: "address" },
          { name: "value", type: "uint256" },
          { name: "nonce", type: "uint256" },
          { name: "deadline", type: "uint256" },
        ],
      };
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const value = ethers.parseEther("2");
      const permits = await Promise.all(
        holders.map(async (holder, i) => {
          const message = { owner: holder.address, spender: spenders[i].address, value, nonce: 0n, deadline };
          return { message, signature: ethers.Signature.from(await holder.signTypedData(domain, types, message)) };
        }),
      );

      const receipts = await mineInOneBlock(async () => {
        // The relayer submits every permit (one sender: consecutive nonces), with a higher tip
        // than the spenders', so that the block orders the permits first...
        const tip = { maxPriorityFeePerGas: ethers.parseUnits("5", "gwei"), maxFeePerGas: ethers.parseUnits("50", "gwei") };
        const sent: TransactionResponse[] = [];
        for (const { message, signature } of permits) {
          const { v, r, s } = signature;
          sent.push(await token.connect(relayer).permit(message.owner, message.spender, value, deadline, v, r, s, tip));
        }
        // ...and each spender uses its allowance in the same block. Gas estimation would run
        // before the permits are mined, so the gas limit is given.
        const spends = await Promise.all(
          spenders.map((spender, i) =>
            token.connect(spender).transferFrom(holders[i].address, spender.address, value, { gasLimit: 100_000n }),
          ),
        );
        return [...sent, ...spends];
      });

      expect(receipts.map((r) => r.status)).to.deep.equal(receipts.map(() => 1));
      // Permits first (indexes 0..19), then the transfers.
      expect(receipts.slice(0, holders.length).map((r) => r.index)).to.deep.equal(holders.map((_, i) => i));
      for (let i = 0; i < holders.length; i++) {
        expect(await token.balanceOf(spenders[i].address)).to.equal(value);
        expect(await token.balanceOf(holders[i].address)).to.equal(FUNDS - value);
        expect(await token.allowance(holders[i].address, spenders[i].address)).to.equal(0n);
        expect(await token.nonces(holders[i].address)).to.equal(1n);
      }
    });

    it("mines payments from many holders to one merchant in one block", async function () {
      const { token, senders, carol: merchant } = await loadFixture(deployWithHolders);
      const payers = senders.slice(0, 50);

      const receipts = await mineInOneBlock(() =>
        Promise.all(payers.map((payer, i) => token.connect(payer).transfer(merchant.address, BigInt(i + 1)))),
      );

      expect(receipts.every((r) => r.status === 1)).to.equal(true);
      expect(new Set(receipts.map((r) => r.blockNumber)).size).to.equal(1);
      // Every payment writes the merchant's balance: 1 + 2 + ... + 50.
      expect(await token.balanceOf(merchant.address)).to.equal(BigInt((50 * 51) / 2));
    });
  });
});
