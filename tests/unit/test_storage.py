"""The local bucket: atomic writes, recorded sha256, integrity checks, clear errors."""

import hashlib
import subprocess

import pytest

from paris_housing.storage import (
    BucketError,
    IntegrityError,
    LocalBucket,
    ObjectNotFound,
    S3Bucket,
    open_bucket,
)


@pytest.fixture
def bucket(tmp_path):
    b = LocalBucket(tmp_path / "bucket")
    b.check()
    return b


def test_put_returns_and_records_the_sha256(bucket):
    digest = bucket.put("a/b/c.bin", b"hello")
    assert digest == hashlib.sha256(b"hello").hexdigest()
    assert bucket.recorded_sha256("a/b/c.bin") == digest
    assert bucket.get("a/b/c.bin", expected_sha256=digest) == b"hello"


def test_recorded_sha256_files_are_checkable_with_sha256sum(bucket):
    bucket.put("x/data.txt", b"some bytes")
    done = subprocess.run(
        ["sha256sum", "-c", "data.txt.sha256"],
        cwd=bucket.root / "x",
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_list_shows_objects_only_sorted(bucket):
    for key in ("b/2", "a/1", "b/1"):
        bucket.put(key, b".")
    assert bucket.list() == ["a/1", "b/1", "b/2"]
    assert bucket.list("b") == ["b/1", "b/2"]
    assert bucket.list("nothing") == []


def test_overwrite_is_atomic_and_leaves_no_temporary_file(bucket, monkeypatch):
    bucket.put("k", b"old")

    def broken_fsync(_fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.fsync", broken_fsync)
    with pytest.raises(BucketError, match="No space left"):
        bucket.put("k", b"new")
    monkeypatch.undo()
    assert bucket.get("k") == b"old"
    assert sorted(p.name for p in bucket.root.iterdir()) == ["k", "k.sha256"]


def test_a_changed_object_fails_its_integrity_check(bucket):
    digest = bucket.put("k", b"original")
    (bucket.root / "k").write_bytes(b"tampered")
    with pytest.raises(IntegrityError, match="was changed after it was written"):
        bucket.get("k", expected_sha256=digest)


def test_missing_object_and_bad_keys(bucket):
    with pytest.raises(ObjectNotFound, match="no object 'nope'"):
        bucket.get("nope")
    for key in ("/abs", "../up", ""):
        with pytest.raises(ValueError, match="invalid object key"):
            bucket.put(key, b".")


def test_a_bucket_folder_that_is_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(BucketError, match="cannot create the bucket folder"):
        LocalBucket(tmp_path / "file" / "bucket").check()


def test_open_bucket_by_uri(tmp_path):
    assert isinstance(open_bucket(str(tmp_path)), LocalBucket)
    assert open_bucket(f"file://{tmp_path}").root == tmp_path
    s3 = open_bucket("s3://my-bucket/some/prefix")
    assert isinstance(s3, S3Bucket) and (s3.name, s3.prefix) == ("my-bucket", "some/prefix")
    with pytest.raises(BucketError, match="unsupported bucket URI"):
        open_bucket("gs://x")
    with pytest.raises(BucketError, match="invalid bucket URI"):
        open_bucket("s3://")


def test_default_bucket_comes_from_settings(isolated_settings):
    assert open_bucket().uri == isolated_settings.bucket
