"""REST endpoints over the store itself: status, search, blocks,
transactions and addresses (the Python API's objects as JSON)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

import chaintrail
from chaintrail.api import analysis, deps, lookups
from chaintrail.api.limits import TX_IO_LIMIT, Page, page
from chaintrail.api.problems import responses

router = APIRouter(prefix="/api/v1", responses=responses(404, 422, 503))

TxidPath = Path(..., description="Transaction id (64 hex digits).", max_length=200)
AddressPath = Path(..., description="An address of the store's network.", max_length=200)
BlockPath = Path(..., description="Block height or hash.", max_length=200)


def address_json(h, address: str) -> dict:
    """An address's figures (`Address.to_dict`) with its cluster id."""
    chain = h.chain()
    addr = chain.address(address)
    d = addr.to_dict()
    cl = deps.clusters_or_none(h)
    d["cluster_id"] = analysis.cluster_of_address(cl, addr.address_id)
    return d


@router.get("/status", summary="Store status")
def status(request: Request) -> dict:
    """Tip, counts, size and schema version of the store, and which rooms it holds."""
    chain = deps.chain(request)
    return {**chain.status(), "rooms": analysis.rooms_status(chain), "version": chaintrail.__version__}


@router.get("/search", summary="Resolve a search box entry")
def search(request: Request, q: str = Query(..., max_length=200,
                                            description="Address, txid, block height or hash, "
                                                        "cluster:ID.")) -> dict:
    """What an entry names: an address, a transaction, a block, a cluster (possibly several)."""
    h = deps.holder(request)
    cl = deps.clusters_or_none(h)
    exists = (lambda n: analysis.cluster_exists(cl, n)) if cl is not None else None
    return {"query": q, "results": lookups.search(h.chain(), q, exists)}


@router.get("/blocks", summary="Latest blocks")
def blocks(request: Request, p: Page = Depends(page)) -> dict:
    """The best chain's blocks, newest first."""
    return lookups.recent_blocks(deps.chain(request), p)


@router.get("/blocks/{ref}", summary="A block")
def block(request: Request, ref: str = BlockPath) -> dict:
    """A block of the best chain by height or hash (its transactions: `/blocks/{ref}/txs`)."""
    return lookups.block_dict(deps.chain(request).block(ref))


@router.get("/blocks/{ref}/txs", summary="A block's transactions")
def block_txs(request: Request, ref: str = BlockPath, p: Page = Depends(page)) -> dict:
    """A page of a block's transactions, in block order."""
    chain = deps.chain(request)
    return lookups.block_txs(chain, chain.block(ref), p)


@router.get("/txs/{txid}", summary="A transaction")
def tx(request: Request, txid: str = TxidPath) -> dict:
    """A transaction with its first inputs and outputs (all of them: `/inputs`, `/outputs`)."""
    return lookups.tx_dict(deps.chain(request).tx(txid), TX_IO_LIMIT)


@router.get("/txs/{txid}/inputs", summary="A transaction's inputs")
def tx_inputs(request: Request, txid: str = TxidPath, p: Page = Depends(page)) -> dict:
    return lookups.tx_io(deps.chain(request).tx(txid), "in", p)


@router.get("/txs/{txid}/outputs", summary="A transaction's outputs")
def tx_outputs(request: Request, txid: str = TxidPath, p: Page = Depends(page)) -> dict:
    return lookups.tx_io(deps.chain(request).tx(txid), "out", p)


ADDRESS_SCHEMA = {
    "type": "object",
    "properties": {k: {"type": t} for k, t in (
        ("address", "string"), ("address_id", "integer"), ("script_type", "string"),
        ("balance", "integer"), ("received", "integer"), ("sent", "integer"),
        ("n_outputs", "integer"), ("n_unspent", "integer"), ("n_inputs", "integer"),
        ("n_txs", "integer"), ("first_height", "integer"), ("last_height", "integer"))},
}
ADDRESS_SCHEMA["properties"]["cluster_id"] = {"type": ["integer", "null"]}


def json_response(data: dict) -> Response:
    """A JSON body serialised directly (the hot lookups skip FastAPI's encoder)."""
    return Response(json.dumps(data, separators=(",", ":")).encode(), media_type="application/json")


@router.get("/addresses/{address}", summary="An address", response_model=None,
            responses={200: {"content": {"application/json": {"schema": ADDRESS_SCHEMA}}}})
async def address(request: Request, address: str = AddressPath) -> Response:
    """Balance, received, sent, counts, first and last height, script type and cluster (satoshis).

    An index lookup on memory-mapped arrays (well under a millisecond), so it runs on the event
    loop rather than in the worker threads."""
    return json_response(address_json(deps.holder(request), address))


@router.get("/addresses/{address}/txs", summary="An address's transactions")
def address_txs(request: Request, address: str = AddressPath, p: Page = Depends(page)) -> dict:
    """A page of its transactions, newest first, with what each paid to and took from it."""
    return lookups.address_history(deps.chain(request).address(address), p)


@router.get("/addresses/{address}/outputs", summary="An address's outputs")
def address_outputs(request: Request, address: str = AddressPath, p: Page = Depends(page),
                    unspent: bool = Query(False, description="Only unspent outputs.")) -> dict:
    """A page of the outputs it received, newest first."""
    return lookups.address_outputs(deps.chain(request).address(address), p, unspent)
