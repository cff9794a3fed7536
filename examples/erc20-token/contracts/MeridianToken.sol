// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @notice A capped, mintable ERC-20 with EIP-2612 permits and an owner-run airdrop.
contract MeridianToken is ERC20, ERC20Capped, ERC20Permit, Ownable {
    error AirdropLengthMismatch(uint256 recipients, uint256 amounts);
    error EmptyAirdrop();

    event Airdropped(uint256 recipients, uint256 total);

    constructor(address initialOwner, uint256 cap_, uint256 initialSupply)
        ERC20("Meridian", "MRD")
        ERC20Capped(cap_)
        ERC20Permit("Meridian")
        Ownable(initialOwner)
    {
        _mint(initialOwner, initialSupply);
    }

    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }

    /// @notice Mints `amounts[i]` to `recipients[i]`; the cap still applies.
    function airdrop(address[] calldata recipients, uint256[] calldata amounts) external onlyOwner {
        if (recipients.length == 0) revert EmptyAirdrop();
        if (recipients.length != amounts.length) revert AirdropLengthMismatch(recipients.length, amounts.length);
        uint256 total;
        for (uint256 i = 0; i < recipients.length; i++) {
            _mint(recipients[i], amounts[i]);
            total += amounts[i];
        }
        emit Airdropped(recipients.length, total);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Capped) {
        super._update(from, to, value);
    }
}
