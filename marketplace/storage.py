"""Evidence files: only JPEG, PNG or WebP photos, rebuilt from their pixels alone, kept outside the web root.

The bytes live in one of two stores, chosen by the settings: a folder on this host (EVIDENCE_DIR, or
the instance folder: the embedded default, one host only), or, when STORAGE_S3_BUCKET is set, a
bucket of S3-compatible object storage that every host reaches (docs/production.md). Either store
only holds bytes under a random key: who may see a photo is decided by the views, which read it
here and serve it themselves, so no object is ever handed out by the bucket's own address.

A photo keeps nothing but what the eye sees: `clean_photo` turns the EXIF orientation into pixels,
converts colours described by an embedded ICC profile to sRGB (the colour space a browser assumes for
an untagged image, so the photo looks the same), then builds a new image from the raw pixel bytes.
The new image has an empty `info`, so no EXIF, GPS, XMP, JPEG comment, PNG text chunk, ICC profile
or WebP metadata can be written out again, whatever the encoder would otherwise copy.
"""

from __future__ import annotations

import io
import re
import secrets
import struct
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from marketplace.errors import DomainError

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb is refused, not decoded
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
# A phone's JPEG with a depth map or preview is opened as MPO: its first picture is the photo.
SAME_AS = {"MPO": "JPEG"}
SRGB = ImageCms.createProfile("sRGB")
EXTENSION = "shanlian_storage"
KEY_SHAPE = re.compile(r"[0-9a-f]{32}\.(jpg|png|webp)")  # what store_photo makes; nothing else is read


class PhotoError(DomainError):
    """The upload is not an acceptable photo; the message says why."""


@dataclass(frozen=True)
class Stored:
    """A stored file: its key (file name), type and size."""

    key: str
    content_type: str
    size: int


def upload_dir() -> Path:
    """Where the folder store keeps files (instance folder by default; EVIDENCE_DIR overrides)."""
    path = Path(current_app.config.get("EVIDENCE_DIR") or Path(current_app.instance_path) / "evidence")
    path.mkdir(parents=True, exist_ok=True)
    return path


class Store(Protocol):
    """Where stored files' bytes are kept."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...  # FileNotFoundError when there is none
    def stored_keys(self) -> Iterator[str]: ...  # every stored file's key


class FolderStore:
    """Files in a folder of this host (EVIDENCE_DIR): the embedded default, for one host."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write the file whole under a temporary name first, so a reader never sees half of it."""
        target = upload_dir() / key
        partial = target.with_name(f".{key}.{secrets.token_hex(4)}")
        partial.write_bytes(data)
        partial.replace(target)

    def get(self, key: str) -> bytes:
        """The file's bytes."""
        path = upload_dir() / key
        if not path.is_file():
            raise FileNotFoundError(key)
        return path.read_bytes()

    def stored_keys(self) -> Iterator[str]:
        """Every stored file's key (half-written temporary files are not stored files)."""
        for path in sorted(upload_dir().iterdir()):
            if KEY_SHAPE.fullmatch(path.name):
                yield path.name


class S3Store:
    """Objects in a bucket of S3-compatible storage (AWS S3, MinIO, SeaweedFS, Ceph, OSS, COS …).

    The boto3 client is made on first use in each process (gunicorn forks its workers after the app
    is created, and a client must not cross a fork); boto3 clients are safe to share between threads.
    Objects are written private (no ACL is granted), so only the app, with its keys, can read them.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        self.bucket = config["STORAGE_S3_BUCKET"]
        self.prefix = config.get("STORAGE_S3_PREFIX", "")
        self._options = {
            "endpoint_url": config.get("STORAGE_S3_ENDPOINT_URL") or None,
            "region_name": config.get("STORAGE_S3_REGION") or None,
            "aws_access_key_id": config.get("STORAGE_S3_ACCESS_KEY") or None,
            "aws_secret_access_key": config.get("STORAGE_S3_SECRET_KEY") or None,
        }
        self._addressing = config.get("STORAGE_S3_ADDRESSING") or "path"
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """This process's boto3 S3 client (made on first use: no network or import cost before)."""
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                self._client = boto3.client("s3", **self._options, config=Config(
                    s3={"addressing_style": self._addressing}, signature_version="s3v4",
                    connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"},
                ))
            return self._client

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Upload the object (one PUT: a photo is at most a few MB)."""
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        """The object's bytes; FileNotFoundError when the bucket has no such key."""
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise FileNotFoundError(key) from None
            raise
        with answer["Body"] as body:
            return body.read()

    def stored_keys(self) -> Iterator[str]:
        """Every stored object's key under the prefix (listed a thousand at a time)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix):]
                if KEY_SHAPE.fullmatch(key):
                    yield key


def init_app(app: Flask) -> None:
    """Choose the app's store: the bucket when STORAGE_S3_BUCKET is set, else the folder."""
    app.extensions[EXTENSION] = S3Store(app.config) if app.config.get("STORAGE_S3_BUCKET") else FolderStore()


def store() -> Store:
    """The current app's store."""
    return current_app.extensions[EXTENSION]


def clean_photo(data: bytes) -> tuple[bytes, str, str]:
    """Re-encode the pixels only, so EXIF, GPS, XMP, comments, text chunks and ICC profiles are dropped."""
    if not data:
        raise PhotoError(_l("the file is empty"))
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(_l("a photo may be at most 8 MB"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = SAME_AS.get(image.format, image.format)
            if fmt not in FORMATS:
                raise PhotoError(_l("only JPEG, PNG or WebP photos are accepted"))
            if image.width * image.height > MAX_PIXELS:
                raise PhotoError(_l("the photo has too many pixels"))
            image.load()
            pixels = _pixels_only(_in_srgb(_upright(image)), fmt)
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise PhotoError(_l("this file is not a readable JPEG, PNG or WebP photo")) from None
    content_type, _ext = FORMATS[fmt]
    out = io.BytesIO()
    if fmt == "JPEG":
        pixels.save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "PNG":
        pixels.save(out, "PNG", optimize=True)
    else:
        pixels.save(out, "WEBP", quality=85)
    return out.getvalue(), content_type, fmt


def _upright(image: Image.Image) -> Image.Image:
    """The photo turned as its EXIF orientation says; a broken EXIF block leaves it as stored."""
    try:
        return ImageOps.exif_transpose(image)
    except (struct.error, ValueError, TypeError, KeyError, OSError):
        return image  # the pixels are fine; only the orientation tag is unreadable


def _in_srgb(image: Image.Image) -> Image.Image:
    """Colours of an embedded ICC profile converted to sRGB pixels; the profile itself is not kept.

    A wide-gamut phone photo (Display P3) would look dull untagged, so its pixels are converted; a
    profile that cannot be read or applied is dropped, and the pixels are shown as sRGB.
    """
    icc = image.info.get("icc_profile")
    if not icc:
        return image
    mode = "RGBA" if _has_alpha(image) else "RGB"
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if image.mode not in ("RGB", "RGBA", "CMYK", "L"):
            image = image.convert(mode)
        return ImageCms.profileToProfile(image, source, SRGB, outputMode=mode if image.mode != "L" else "L")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info


def _pixels_only(image: Image.Image, fmt: str) -> Image.Image:
    """A new image made from the raw pixel bytes alone, in a mode the output format stores.

    `Image.frombytes` starts with an empty `info`: whatever the source carried (and what earlier
    steps copied along) cannot reach the encoder.
    """
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit greyscale PNG: scale, do not clip
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if fmt == "JPEG":
        mode = "L" if image.mode == "L" else "RGB"
    else:
        mode = "RGBA" if _has_alpha(image) else ("L" if image.mode == "L" else "RGB")
    if image.mode != mode:
        image = image.convert(mode)
    return Image.frombytes(mode, image.size, image.tobytes())


def store_photo(data: bytes) -> Stored:
    """Clean and store a photo under a random name; returns what to record in the database."""
    cleaned, content_type, fmt = clean_photo(data)
    key = f"{secrets.token_hex(16)}.{FORMATS[fmt][1]}"
    store().put(key, cleaned, content_type)
    return Stored(key=key, content_type=content_type, size=len(cleaned))


def read(key: str) -> bytes:
    """The stored file's bytes; FileNotFoundError for a key we did not make or that holds nothing.

    Keys come from our database, but are checked anyway: no path or object-name tricks can reach
    a file outside the store. Photos are small (at most 8 MB after re-encoding): read whole, so no
    file handle or connection outlives the request.
    """
    if not KEY_SHAPE.fullmatch(key or ""):
        raise FileNotFoundError(key)
    return store().get(key)


@dataclass(frozen=True)
class Copied:
    """What a backup or restore did: files copied, files the target already held."""

    copied: int
    kept: int


def back_up(folder: Path) -> Copied:
    """Copy every stored file that `folder` does not hold yet into it.

    A stored file never changes (each photo gets a new random key), so a backup into the same
    folder again copies only what was stored since; each file is written whole under a temporary
    name first, so an interrupted backup leaves no half file behind under a real key.
    """
    folder.mkdir(parents=True, exist_ok=True)
    copied = kept = 0
    for key in store().stored_keys():
        target = folder / key
        if target.is_file():
            kept += 1
            continue
        partial = folder / f".{key}.partial"
        partial.write_bytes(store().get(key))
        partial.replace(target)
        copied += 1
    return Copied(copied, kept)


def restore(folder: Path) -> Copied:
    """Put every file of a backup folder into the store that it does not hold yet.

    Also the way from the folder store to a bucket: back the folder up (or name EVIDENCE_DIR
    itself), set STORAGE_S3_*, restore. Only files named as we name them are read.
    """
    present = set(store().stored_keys())
    types = {ext: content_type for content_type, ext in FORMATS.values()}
    copied = kept = 0
    for path in sorted(folder.iterdir()):
        if not KEY_SHAPE.fullmatch(path.name):
            continue
        if path.name in present:
            kept += 1
            continue
        store().put(path.name, path.read_bytes(), types[path.suffix.lstrip(".")])
        copied += 1
    return Copied(copied, kept)
