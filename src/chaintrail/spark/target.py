"""Where a Spark-built store lives: a local directory, or a URI (s3a://,
hdfs://, ...) reached through pyarrow's filesystems from the driver and
the executors alike. Spark reads the same files through its own URI."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from chaintrail.store.manifest import MANIFEST, Manifest

_REMOTE = ("s3a://", "s3://", "s3n://", "hdfs://", "gs://", "abfs://", "abfss://", "viewfs://")


@dataclass(frozen=True)
class StoreTarget:
    """A store location: `uri` as given, local when it is a plain path."""

    uri: str

    @property
    def is_local(self) -> bool:
        return not self.uri.startswith(_REMOTE)

    @property
    def root(self) -> Path:
        """The local directory (local stores only)."""
        return Path(self.uri).resolve()

    def spark_uri(self, rel: str) -> str:
        """The URI Spark reads `rel` (relative to the store) at."""
        if self.is_local:
            return "file://" + str(self.root / rel)
        return self.uri.rstrip("/") + "/" + rel

    def fs(self):
        """(pyarrow filesystem, base path) of the store."""
        import pyarrow.fs as pafs

        if self.is_local:
            return pafs.LocalFileSystem(), str(self.root)
        uri = self.uri
        if uri.startswith(("s3a://", "s3n://")):
            uri = "s3://" + uri.split("://", 1)[1]
        fs, path = pafs.FileSystem.from_uri(uri)
        return fs, path.rstrip("/")

    def mkdirs(self, rel: str) -> None:
        fs, base = self.fs()
        fs.create_dir(f"{base}/{rel}", recursive=True)

    def open_output(self, rel: str):
        """A writable stream for `rel` (parents created)."""
        fs, base = self.fs()
        parent = os.path.dirname(f"{base}/{rel}")
        fs.create_dir(parent, recursive=True)
        return fs.open_output_stream(f"{base}/{rel}")

    def delete_dir(self, rel: str) -> None:
        fs, base = self.fs()
        try:
            fs.delete_dir(f"{base}/{rel}")
        except (FileNotFoundError, OSError):
            pass

    def read_manifest(self) -> Manifest | None:
        """The store's manifest, or None when there is none yet."""
        if self.is_local:
            from chaintrail.store.manifest import load_manifest

            return load_manifest(self.root)
        fs, base = self.fs()
        try:
            with fs.open_input_stream(f"{base}/{MANIFEST}") as f:
                return Manifest.from_dict(json.loads(f.read().decode()))
        except FileNotFoundError:
            return None

    def write_manifest_remote(self, m: Manifest) -> None:
        """Replace the manifest of a remote store (object stores have no rename: one put)."""
        with self.open_output(MANIFEST) as f:
            f.write(m.to_json().encode())
