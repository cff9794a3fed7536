// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/** An OpenZeppelin ERC-20 minted to many holders at deployment. */
contract Token is ERC20 {
    constructor(address[] memory holders, uint256 amount) ERC20("Token", "TKN") {
        for (uint256 i = 0; i < holders.length; i++) _mint(holders[i], amount);
    }
}

/** The same token, but every transfer burns a 1% fee (total supply changes) and bumps a global counter. */
contract FeeToken is ERC20 {
    uint256 public transferCount;

    constructor(address[] memory holders, uint256 amount) ERC20("Fee", "FEE") {
        for (uint256 i = 0; i < holders.length; i++) _mint(holders[i], amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) return super._update(from, to, value);
        uint256 fee = value / 100;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
        transferCount++;
    }
}

/** Moves tokens for the caller: the token's transferFrom runs one call deep. */
contract Router {
    uint256 private immutable created = block.number;

    function pay(IERC20 token, address to, uint256 amount) external returns (uint256) {
        token.transferFrom(msg.sender, to, amount);
        return created;
    }
}
