// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @notice A constant-product (x * y = k) pool with a 0.3% swap fee; its ERC-20 is the LP share.
contract Pool is ERC20 {
    using SafeERC20 for IERC20;

    uint256 public constant MINIMUM_LIQUIDITY = 1000;
    uint256 public constant FEE_BPS = 30;
    address private constant DEAD = address(0xdead);

    address public immutable factory;
    address public immutable token0;
    address public immutable token1;

    uint256 public reserve0;
    uint256 public reserve1;

    error ZeroAmount();
    error InvalidToken(address token);
    error InsufficientLiquidityMinted();
    error InsufficientLiquidity();
    error InsufficientOutputAmount(uint256 amountOut, uint256 minAmountOut);

    event LiquidityAdded(address indexed provider, uint256 amount0, uint256 amount1, uint256 shares);
    event LiquidityRemoved(address indexed provider, uint256 amount0, uint256 amount1, uint256 shares);
    event Swap(address indexed trader, address indexed tokenIn, uint256 amountIn, uint256 amountOut, address to);
    event Sync(uint256 reserve0, uint256 reserve1);

    constructor(address token0_, address token1_) ERC20("AMM LP Share", "AMM-LP") {
        factory = msg.sender;
        token0 = token0_;
        token1 = token1_;
    }

    /// @notice Output for `amountIn` against the given reserves, after the fee.
    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) public pure returns (uint256) {
        if (amountIn == 0) revert ZeroAmount();
        if (reserveIn == 0 || reserveOut == 0) revert InsufficientLiquidity();
        uint256 amountInWithFee = amountIn * (10_000 - FEE_BPS);
        return (amountInWithFee * reserveOut) / (reserveIn * 10_000 + amountInWithFee);
    }

    function quote(address tokenIn, uint256 amountIn) external view returns (uint256) {
        (uint256 reserveIn, uint256 reserveOut) = _reservesFor(tokenIn);
        return getAmountOut(amountIn, reserveIn, reserveOut);
    }

    /// @notice Deposits both tokens (approve first); the first deposit sets the price.
    function addLiquidity(uint256 amount0, uint256 amount1, uint256 minShares) external returns (uint256 shares) {
        if (amount0 == 0 || amount1 == 0) revert ZeroAmount();
        IERC20(token0).safeTransferFrom(msg.sender, address(this), amount0);
        IERC20(token1).safeTransferFrom(msg.sender, address(this), amount1);
        uint256 supply = totalSupply();
        if (supply == 0) {
            shares = Math.sqrt(amount0 * amount1) - MINIMUM_LIQUIDITY;
            _mint(DEAD, MINIMUM_LIQUIDITY);
        } else {
            shares = Math.min((amount0 * supply) / reserve0, (amount1 * supply) / reserve1);
        }
        if (shares == 0 || shares < minShares) revert InsufficientLiquidityMinted();
        _mint(msg.sender, shares);
        _setReserves(reserve0 + amount0, reserve1 + amount1);
        emit LiquidityAdded(msg.sender, amount0, amount1, shares);
    }

    function removeLiquidity(uint256 shares) external returns (uint256 amount0, uint256 amount1) {
        if (shares == 0) revert ZeroAmount();
        uint256 supply = totalSupply();
        amount0 = (shares * reserve0) / supply;
        amount1 = (shares * reserve1) / supply;
        _burn(msg.sender, shares);
        _setReserves(reserve0 - amount0, reserve1 - amount1);
        IERC20(token0).safeTransfer(msg.sender, amount0);
        IERC20(token1).safeTransfer(msg.sender, amount1);
        emit LiquidityRemoved(msg.sender, amount0, amount1, shares);
    }

    /// @notice Sells `amountIn` of `tokenIn` (approve first) for at least `minAmountOut` of the other token.
    function swap(address tokenIn, uint256 amountIn, uint256 minAmountOut, address to) external returns (uint256 amountOut) {
        (uint256 reserveIn, uint256 reserveOut) = _reservesFor(tokenIn);
        amountOut = getAmountOut(amountIn, reserveIn, reserveOut);
        if (amountOut < minAmountOut) revert InsufficientOutputAmount(amountOut, minAmountOut);
        address tokenOut = tokenIn == token0 ? token1 : token0;
        IERC20(tokenIn).safeTransferFrom(msg.sender, address(this), amountIn);
        IERC20(tokenOut).safeTransfer(to, amountOut);
        if (tokenIn == token0) _setReserves(reserve0 + amountIn, reserve1 - amountOut);
        else _setReserves(reserve0 - amountOut, reserve1 + amountIn);
        emit Swap(msg.sender, tokenIn, amountIn, amountOut, to);
    }

    function _reservesFor(address tokenIn) private view returns (uint256 reserveIn, uint256 reserveOut) {
        if (tokenIn == token0) return (reserve0, reserve1);
        if (tokenIn == token1) return (reserve1, reserve0);
        revert InvalidToken(tokenIn);
    }

    function _setReserves(uint256 r0, uint256 r1) private {
        reserve0 = r0;
        reserve1 = r1;
        emit Sync(r0, r1);
    }
}
