// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @notice A fixed-price NFT drop: token ids come from one global counter, the sale opens at a
/// given time, each wallet may mint a few, and the supply is capped.
contract CometCollection is ERC721, Ownable {
    uint256 public constant MAX_PER_WALLET = 3;

    uint256 public immutable maxSupply;
    uint256 public immutable price;
    uint256 public immutable saleStart;

    uint256 private _nextTokenId;
    mapping(address => uint256) public mintedBy;

    error SaleNotStarted(uint256 startsAt);
    error ZeroQuantity();
    error WrongPayment(uint256 sent, uint256 expected);
    error SoldOut(uint256 requested, uint256 remaining);
    error WalletLimitExceeded(address wallet, uint256 limit);
    error WithdrawFailed();

    event Minted(address indexed to, uint256 firstTokenId, uint256 quantity);

    constructor(address initialOwner, uint256 maxSupply_, uint256 price_, uint256 saleStart_)
        ERC721("Comet Collection", "COMET")
        Ownable(initialOwner)
    {
        maxSupply = maxSupply_;
        price = price_;
        saleStart = saleStart_;
    }

    function mint(uint256 quantity) external payable {
        if (block.timestamp < saleStart) revert SaleNotStarted(saleStart);
        if (quantity == 0) revert ZeroQuantity();
        if (msg.value != price * quantity) revert WrongPayment(msg.value, price * quantity);
        uint256 remaining = maxSupply - _nextTokenId;
        if (quantity > remaining) revert SoldOut(quantity, remaining);
        if (mintedBy[msg.sender] + quantity > MAX_PER_WALLET) revert WalletLimitExceeded(msg.sender, MAX_PER_WALLET);
        mintedBy[msg.sender] += quantity;
        uint256 first = _nextTokenId;
        for (uint256 i = 0; i < quantity; i++) {
            _safeMint(msg.sender, _nextTokenId++);
        }
        emit Minted(msg.sender, first, quantity);
    }

    function totalMinted() external view returns (uint256) {
        return _nextTokenId;
    }

    function withdraw(address payable to) external onlyOwner {
        (bool ok, ) = to.call{value: address(this).balance}("");
        if (!ok) revert WithdrawFailed();
    }

    function _baseURI() internal pure override returns (string memory) {
        return "ipfs://comet/";
    }
}
