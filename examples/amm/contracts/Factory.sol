// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Pool} from "./Pool.sol";

/// @notice Creates one constant-product pool per unordered token pair.
contract Factory {
    error IdenticalTokens(address token);
    error ZeroAddress();
    error PoolExists(address pool);

    event PoolCreated(address indexed token0, address indexed token1, address pool, uint256 index);

    mapping(address => mapping(address => address)) public getPool;
    address[] public allPools;

    function poolCount() external view returns (uint256) {
        return allPools.length;
    }

    function createPool(address tokenA, address tokenB) external returns (address pool) {
        if (tokenA == tokenB) revert IdenticalTokens(tokenA);
        (address token0, address token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        if (token0 == address(0)) revert ZeroAddress();
        if (getPool[token0][token1] != address(0)) revert PoolExists(getPool[token0][token1]);
        pool = address(new Pool(token0, token1));
        getPool[token0][token1] = pool;
        getPool[token1][token0] = pool;
        allPools.push(pool);
        emit PoolCreated(token0, token1, pool, allPools.length - 1);
    }
}
