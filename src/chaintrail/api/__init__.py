"""The REST API of `chaintrail serve`: a thin FastAPI shell over the Python
API and the analysis rooms (see docs/web.md).

    from chaintrail.api import create_app
    app = create_app("./data")
"""


def create_app(*args, **kwargs):
    """The FastAPI app over a store (see `chaintrail.api.app.create_app`)."""
    from chaintrail.api.app import create_app as _create

    return _create(*args, **kwargs)


__all__ = ["create_app"]
