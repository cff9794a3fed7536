// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/** A constant-product pool with internal balances: reserves packed in one slot, as Uniswap V2 does. */
contract Pool {
    uint112 private reserve0;
    uint112 private reserve1;
    uint32 private blockTimestampLast;
    mapping(address => uint256) public balance0;
    mapping(address => uint256) public balance1;

    constructor(uint112 r0, uint112 r1) {
        reserve0 = r0;
        reserve1 = r1;
    }

    function swap0for1(uint256 amountIn) external returns (uint256 out) {
        uint256 r0 = reserve0;
        uint256 r1 = reserve1;
        out = (r1 * amountIn) / (r0 + amountIn);
        reserve0 = uint112(r0 + amountIn);
        reserve1 = uint112(r1 - out);
        blockTimestampLast = uint32(block.timestamp);
        balance1[msg.sender] += out;
    }
}
