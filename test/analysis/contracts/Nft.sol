// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/** A minimal NFT whose ids come from one global counter. */
contract Nft {
    uint256 public nextId;
    mapping(uint256 => address) private _owners;
    mapping(address => uint256) private _balances;

    function mint() external returns (uint256 id) {
        id = nextId++;
        _owners[id] = msg.sender;
        _balances[msg.sender]++;
    }

    function transfer(address to, uint256 id) external {
        require(_owners[id] == msg.sender, "not owner");
        _owners[id] = to;
        _balances[msg.sender]--;
        _balances[to]++;
    }
}
