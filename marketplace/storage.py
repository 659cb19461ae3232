"""Evidence files: only JPEG, PNG or WebP photos, rebuilt from their pixels alone, kept outside the web root.

A photo keeps nothing but what the eye sees: `clean_photo` turns the EXIF orientation into pixels,
converts colours described by an embedded ICC profile to sRGB (the colour space a browser assumes for
an untagged image, so the photo looks the same), then builds a new image from the raw pixel bytes.
The new image has an empty `info`, so no EXIF, GPS, XMP, JPEG comment, PNG text chunk, ICC profile
or WebP metadata can be written out again, whatever the encoder would otherwise copy.
"""

from __future__ import annotations

import io
import secrets
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from marketplace.errors import DomainError

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb is refused, not decoded
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
# A phone's JPEG with a depth map or preview is opened as MPO: its first picture is the photo.
SAME_AS = {"MPO": "JPEG"}
SRGB = ImageCms.createProfile("sRGB")


class PhotoError(DomainError):
    """The upload is not an acceptable photo; the message says why."""


@dataclass(frozen=True)
class Stored:
    """A stored file: its key (file name), type and size."""

    key: str
    content_type: str
    size: int


def upload_dir() -> Path:
    """Where evidence files live (instance folder by default; EVIDENCE_DIR overrides)."""
    path = Path(current_app.config.get("EVIDENCE_DIR") or Path(current_app.instance_path) / "evidence")
    path.mkdir(parents=True, exist_ok=True)
    return path


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
    path = upload_dir() / key
    path.write_bytes(cleaned)
    return Stored(key=key, content_type=content_type, size=len(cleaned))


def open_file(key: str) -> Path:
    """The stored file for a key (keys are generated by us: no path tricks possible)."""
    if "/" in key or "\\" in key or key.startswith("."):
        raise FileNotFoundError(key)
    path = upload_dir() / key
    if not path.is_file():
        raise FileNotFoundError(key)
    return path
