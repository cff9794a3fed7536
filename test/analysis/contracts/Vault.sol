// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/** Per-user balances behind OpenZeppelin's storage reentrancy guard (an ERC-7201 slot). */
contract Vault is ReentrancyGuard {
    mapping(address => uint256) public balances;

    function deposit() external payable nonReentrant {
        balances[msg.sender] += msg.value;
    }

    function withdraw(uint256 amount) external nonReentrant {
        balances[msg.sender] -= amount;
        (bool ok, ) = msg.sender.call{value: amount}("");
        require(ok, "send failed");
    }
}

/** The same with a guard in an ordinary state variable (the external call keeps the optimizer from merging the two stores). */
contract Locked {
    uint256 private locked = 1;
    mapping(address => uint256) public notes;

    modifier lock() {
        require(locked == 1, "reentrant");
        locked = 2;
        _;
        locked = 1;
    }

    function note(uint256 value) external lock {
        notes[msg.sender] = value;
        (bool ok, ) = msg.sender.call("");
        require(ok, "call failed");
    }
}
