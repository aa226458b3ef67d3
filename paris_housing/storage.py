"""One bucket interface over a local folder (the embedded default) and S3 (any S3 API).

Every write is atomic: a reader sees the whole object or none of it (a local write goes to a
temporary file then is renamed; an S3 PUT is only visible once complete). Every object's sha256 is
recorded beside it (S3 metadata ``sha256``; locally a ``KEY.sha256`` file that ``sha256sum -c``
reads), returned by :meth:`Bucket.put`, and checked by :meth:`Bucket.get` when the caller knows
what to expect.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from paris_housing.settings import Settings, get_settings

SHA256_SUFFIX = ".sha256"


class BucketError(RuntimeError):
    """The bucket cannot be used: unreachable, credentials rejected, missing, not writable."""


class ObjectNotFound(BucketError, KeyError):
    """No object has this key."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class IntegrityError(BucketError):
    """An object's bytes do not have the sha256 that was recorded for them."""


def sha256_hex(data: bytes) -> str:
    """The sha256 of ``data`` as hex."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Bucket(ABC):
    """Objects by key ('a/b/c.parquet'), written atomically, each with its sha256 recorded."""

    uri: str

    @abstractmethod
    def check(self) -> None:
        """Raise :class:`BucketError` with the cause if the bucket cannot be read and written."""

    @abstractmethod
    def _put(self, key: str, data: bytes, sha256: str, content_type: str) -> None: ...

    @abstractmethod
    def _get(self, key: str) -> bytes: ...

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether an object has this key."""

    @abstractmethod
    def recorded_sha256(self, key: str) -> str | None:
        """The sha256 recorded when the object was written (None if none was recorded)."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """The keys under ``prefix``, sorted."""

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        """Write ``data`` at ``key`` atomically; return its sha256."""
        key = _clean_key(key)
        digest = sha256_hex(data)
        self._put(key, data, digest, content_type)
        return digest

    def get(self, key: str, expected_sha256: str | None = None) -> bytes:
        """The bytes at ``key``, checked against ``expected_sha256`` when given."""
        key = _clean_key(key)
        data = self._get(key)
        if expected_sha256 is not None and (actual := sha256_hex(data)) != expected_sha256:
            raise IntegrityError(
                f"object {self.uri}/{key} has sha256 {actual}, but {expected_sha256} was "
                "recorded: it was changed after it was written; ingest the dataset again"
            )
        return data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.uri!r})"


def _clean_key(key: str) -> str:
    path = PurePosixPath(key)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"invalid object key {key!r}: use a relative path like 'a/b.parquet'")
    return str(path)


class LocalBucket(Bucket):
    """A folder on disk standing in for a bucket."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.uri = str(self.root)

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BucketError(
                f"cannot create the bucket folder {self.root}: {exc.strerror}"
            ) from exc
        if not os.access(self.root, os.W_OK):
            raise BucketError(f"the bucket folder {self.root} is not writable")

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*PurePosixPath(key).parts)

    def _put(self, key: str, data: bytes, sha256: str, content_type: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(path, data)
            _atomic_write(
                path.with_name(path.name + SHA256_SUFFIX), f"{sha256}  {path.name}\n".encode()
            )
        except OSError as exc:
            raise BucketError(f"cannot write {path}: {exc.strerror or exc}") from exc

    def _get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise ObjectNotFound(f"no object {key!r} in bucket {self.uri}") from None
        except OSError as exc:
            raise BucketError(f"cannot read {path}: {exc.strerror or exc}") from exc

    def exists(self, key: str) -> bool:
        return self._path(_clean_key(key)).is_file()

    def recorded_sha256(self, key: str) -> str | None:
        path = self._path(_clean_key(key))
        if not path.is_file():
            return None
        try:
            return path.with_name(path.name + SHA256_SUFFIX).read_text().split()[0]
        except (FileNotFoundError, IndexError):
            return None

    def list(self, prefix: str = "") -> list[str]:
        base = self._path(prefix) if prefix else self.root
        if base.is_file():
            return [prefix]
        if not base.is_dir():
            return []
        keys = (
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not p.name.endswith(SHA256_SUFFIX) and not p.name.startswith(".")
        )
        return sorted(keys)


def _atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, flush it to disk, then rename over."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class S3Bucket(Bucket):
    """A bucket (and optional key prefix) on S3 or any S3-compatible server."""

    def __init__(self, name: str, prefix: str = "", settings: Settings | None = None) -> None:
        self.name = name
        self.prefix = prefix.strip("/")
        self.settings = settings or get_settings()
        self.uri = f"s3://{name}/{self.prefix}".rstrip("/")
        self._client: Any = None

    @property
    def endpoint(self) -> str:
        """The S3 API endpoint in use, for messages."""
        return self.settings.aws_endpoint_url_s3 or "AWS S3"

    @property
    def client(self) -> Any:
        """The boto3 client, made on first use (boto3 is slow to import)."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            s = self.settings
            secret = s.aws_secret_access_key.get_secret_value() if s.aws_secret_access_key else None
            self._client = boto3.session.Session().client(
                "s3",
                endpoint_url=s.aws_endpoint_url_s3,
                region_name=s.aws_region or "us-east-1",
                aws_access_key_id=s.aws_access_key_id,
                aws_secret_access_key=secret,
                config=Config(
                    connect_timeout=s.s3_connect_timeout_seconds,
                    read_timeout=max(30.0, s.s3_connect_timeout_seconds),
                    retries={"max_attempts": s.s3_max_attempts, "mode": "standard"},
                    s3={"addressing_style": "path" if s.aws_endpoint_url_s3 else "auto"},
                ),
            )
        return self._client

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    @contextmanager
    def _errors(self, action: str, key: str = "") -> Iterator[None]:
        """Turn botocore's exceptions into one sentence that names the cause."""
        from botocore import exceptions as bex

        where = f"{self.uri}/{key}" if key else self.uri
        try:
            yield
        except (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ReadTimeoutError) as exc:
            raise BucketError(
                f"cannot reach the S3 endpoint {self.endpoint} to {action} {where}: "
                "is the server running and AWS_ENDPOINT_URL_S3 right?"
            ) from exc
        except bex.NoCredentialsError as exc:
            raise BucketError(
                f"no S3 credentials to {action} {where}: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"
            ) from exc
        except bex.ClientError as exc:
            raise _client_error(exc, action, where, self.name) from exc

    def check(self) -> None:
        with self._errors("open"):
            self.client.head_bucket(Bucket=self.name)

    def _put(self, key: str, data: bytes, sha256: str, content_type: str) -> None:
        with self._errors("write", key):
            self.client.put_object(
                Bucket=self.name,
                Key=self._key(key),
                Body=data,
                ContentType=content_type,
                Metadata={"sha256": sha256},
            )

    def _get(self, key: str) -> bytes:
        with self._errors("read", key):
            return self.client.get_object(Bucket=self.name, Key=self._key(key))["Body"].read()

    def _head(self, key: str) -> dict | None:
        try:
            with self._errors("inspect", key):
                return self.client.head_object(Bucket=self.name, Key=self._key(key))
        except ObjectNotFound:
            return None

    def exists(self, key: str) -> bool:
        return self._head(_clean_key(key)) is not None

    def recorded_sha256(self, key: str) -> str | None:
        head = self._head(_clean_key(key))
        return None if head is None else head.get("Metadata", {}).get("sha256")

    def list(self, prefix: str = "") -> list[str]:
        full = self._key(prefix) if prefix else (f"{self.prefix}/" if self.prefix else "")
        keys: list[str] = []
        with self._errors("list", prefix):
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.name, Prefix=full):
                keys.extend(obj["Key"] for obj in page.get("Contents", []))
        strip = len(self.prefix) + 1 if self.prefix else 0
        return sorted(k[strip:] for k in keys)


def _client_error(exc: Exception, action: str, where: str, bucket: str) -> BucketError:
    error = getattr(exc, "response", {}).get("Error", {})
    code = str(error.get("Code", ""))
    if code in {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AccessDenied",
        "403",
        "InvalidToken",
        "ExpiredToken",
        "AuthorizationHeaderMalformed",
    }:
        return BucketError(
            f"the S3 server rejected the credentials to {action} {where} ({code}): "
            "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    if code in {"NoSuchBucket"} or (code == "404" and action == "open"):
        return BucketError(f"the bucket {bucket!r} does not exist (to {action} {where}): create it")
    if code in {"NoSuchKey", "404", "NotFound"}:
        return ObjectNotFound(f"no object at {where}")
    return BucketError(f"S3 refused to {action} {where}: {code} {error.get('Message', '')}".strip())


def open_bucket(uri: str | None = None, settings: Settings | None = None) -> Bucket:
    """The bucket named by ``uri`` (default: the ``PARIS_HOUSING_BUCKET`` setting).

    ``s3://name/prefix`` opens an S3 bucket; a path (or ``file://path``) opens a local folder.
    """
    settings = settings or get_settings()
    uri = uri or settings.bucket
    if uri.startswith("s3://"):
        name, _, prefix = uri.removeprefix("s3://").partition("/")
        if not name:
            raise BucketError(
                f"invalid bucket URI {uri!r}: expected s3://bucket-name/optional/prefix"
            )
        return S3Bucket(name, prefix, settings)
    if uri.startswith("file://"):
        return LocalBucket(Path(uri.removeprefix("file://")))
    if "://" in uri:
        raise BucketError(
            f"unsupported bucket URI {uri!r}: use s3://bucket/prefix or a folder path"
        )
    return LocalBucket(Path(uri))
