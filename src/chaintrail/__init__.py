"""chaintrail: open, explainable Bitcoin forensics and compliance.

    import chaintrail as ct
    chain = ct.open("./data")
"""

from chaintrail.chain import Chain, open

__all__ = ["Chain", "open"]
__version__ = "0.1.0"
