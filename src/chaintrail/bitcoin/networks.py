"""Parameters of the Bitcoin networks chaintrail reads: magic bytes, address
prefixes, genesis hashes and proof-of-work limits (facts from Bitcoin Core's
chainparams)."""

from __future__ import annotations

from dataclasses import dataclass

from chaintrail.errors import NetworkMismatchError


@dataclass(frozen=True)
class Network:
    """One Bitcoin network: what its blocks and addresses look like."""

    name: str
    magic: bytes
    p2pkh_prefix: int
    p2sh_prefix: int
    hrp: str
    genesis_hash: str
    pow_limit_bits: int
    code: int  # small integer used by the numba kernels

    @property
    def pow_limit(self) -> int:
        return target_from_bits(self.pow_limit_bits)


def target_from_bits(bits: int) -> int:
    """Expand a compact nBits value into the 256-bit target it encodes."""
    exponent = bits >> 24
    mantissa = bits & 0x007FFFFF
    if bits & 0x00800000:
        return 0  # negative targets are invalid; nothing can meet them
    if exponent <= 3:
        return mantissa >> (8 * (3 - exponent))
    return mantissa << (8 * (exponent - 3))


def work_from_bits(bits: int) -> int:
    """Expected number of hashes to find a block at this target (Core's GetBlockProof)."""
    target = target_from_bits(bits)
    if target <= 0:
        return 0
    return (1 << 256) // (target + 1)


MAINNET = Network(
    "mainnet", bytes.fromhex("f9beb4d9"), 0x00, 0x05, "bc",
    "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f", 0x1D00FFFF, 0,
)
TESTNET3 = Network(
    "testnet3", bytes.fromhex("0b110907"), 0x6F, 0xC4, "tb",
    "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943", 0x1D00FFFF, 1,
)
TESTNET4 = Network(
    "testnet4", bytes.fromhex("1c163f28"), 0x6F, 0xC4, "tb",
    "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043", 0x1D00FFFF, 2,
)
SIGNET = Network(
    "signet", bytes.fromhex("0a03cf40"), 0x6F, 0xC4, "tb",
    "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6", 0x1E0377AE, 3,
)
REGTEST = Network(
    "regtest", bytes.fromhex("fabfb5da"), 0x6F, 0xC4, "bcrt",
    "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206", 0x207FFFFF, 4,
)

NETWORKS: dict[str, Network] = {n.name: n for n in (MAINNET, TESTNET3, TESTNET4, SIGNET, REGTEST)}
_ALIASES = {"main": "mainnet", "bitcoin": "mainnet", "testnet": "testnet3", "test": "testnet3"}
BY_MAGIC: dict[bytes, Network] = {n.magic: n for n in NETWORKS.values()}
BY_CODE: dict[int, Network] = {n.code: n for n in NETWORKS.values()}


def get_network(name: str) -> Network:
    """Look a network up by name (mainnet, testnet3, testnet4, signet, regtest)."""
    key = _ALIASES.get(name.lower(), name.lower())
    try:
        return NETWORKS[key]
    except KeyError:
        raise NetworkMismatchError(
            f"unknown network {name!r}: expected one of {', '.join(NETWORKS)}"
        ) from None
