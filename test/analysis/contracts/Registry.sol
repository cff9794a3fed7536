// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/** Members pushed to a shared array, a struct per member, and a global last-updated timestamp. */
contract Registry {
    struct Position {
        uint128 amount;
        uint128 debt;
        uint256 updated;
    }

    address public owner = msg.sender;
    address[] public members;
    mapping(address => Position) public positions;
    uint256 public lastUpdate;

    function join(uint128 amount) external {
        members.push(msg.sender);
        Position storage p = positions[msg.sender];
        p.amount = amount;
        p.updated = block.timestamp;
        lastUpdate = block.timestamp;
    }
}
