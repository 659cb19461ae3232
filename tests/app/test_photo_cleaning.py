"""Photos are rebuilt from their pixels: no metadata of any kind survives storage.clean_photo.

Each test writes a real file carrying one kind of metadata with a marker text, cleans it, and then
looks for the marker in the cleaned bytes and in what Pillow reads back.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from marketplace import storage

GPS_TEXT = "GPS 23.1291N 113.2644E 东风东路733号"
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description exif:GPSLatitude="23,7.5N" xmlns:exif="http://ns.adobe.com/exif/1.0/">XMPSECRET'
       b'</rdf:Description></rdf:RDF></x:xmpmeta>')
# What a decoder reports about the file's own structure (JFIF header, WebP container), not metadata.
FORMAT_FIELDS = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "loop", "background"}


def _image(mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, (40, 30), "orange" if mode != "L" else 128)
    image.paste((0, 0, 255) if mode == "RGB" else 0, (0, 0, 10, 10))  # a marked corner to follow rotations
    return image


def _gps_exif(image: Image.Image) -> Image.Exif:
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0131] = "EXIFSECRET software"
    exif[0x8825] = {1: "N", 2: (23.0, 7.0, 30.0), 3: "E", 4: (113.0, 16.0, 0.0)}
    return exif


def _saved(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def _clean(data: bytes) -> tuple[bytes, Image.Image]:
    cleaned, _type, _fmt = storage.clean_photo(data)
    return cleaned, Image.open(io.BytesIO(cleaned))


def _assert_bare(cleaned: bytes, reopened: Image.Image, *markers: bytes) -> None:
    """None of the markers in the bytes; nothing in what Pillow reads back but the format's own fields."""
    for marker in markers:
        assert marker not in cleaned, marker
    assert set(reopened.info) <= FORMAT_FIELDS, reopened.info.keys()
    assert dict(reopened.getexif()) == {}


def test_a_jpeg_comment_holding_gps_text_does_not_survive():
    data = _saved(_image(), "JPEG", comment=GPS_TEXT.encode())
    assert GPS_TEXT.encode() in data and Image.open(io.BytesIO(data)).info["comment"]
    cleaned, reopened = _clean(data)
    _assert_bare(cleaned, reopened, b"GPS 23.1291N", GPS_TEXT.encode(), b"\xff\xfe")  # FFFE: the COM marker


def test_jpeg_exif_with_gps_and_xmp_do_not_survive():
    image = _image()
    data = _saved(image, "JPEG", exif=_gps_exif(image), xmp=XMP)
    assert b"XMPSECRET" in data and b"EXIFSECRET" in data
    cleaned, reopened = _clean(data)
    _assert_bare(cleaned, reopened, b"XMPSECRET", b"EXIFSECRET", b"PhoneMaker", b"Exif\x00\x00",
                 b"http://ns.adobe.com/xap/1.0/")


def test_an_icc_profile_is_converted_to_srgb_pixels_and_dropped():
    for fmt in ("JPEG", "PNG", "WEBP"):
        data = _saved(_image(), fmt, icc_profile=SRGB_ICC)
        assert Image.open(io.BytesIO(data)).info.get("icc_profile"), fmt
        cleaned, reopened = _clean(data)
        _assert_bare(cleaned, reopened, SRGB_ICC[:40], b"ICC_PROFILE", b"iCCP", b"ICCP")
        r, g, b = reopened.convert("RGB").getpixel((20, 15))
        assert abs(r - 255) < 8 and abs(g - 165) < 8 and b < 8, (fmt, r, g, b)  # still orange


def test_an_unreadable_icc_profile_is_dropped_and_the_photo_kept():
    data = _saved(_image(), "PNG", icc_profile=b"not a profile at all ICCSECRET")
    cleaned, reopened = _clean(data)
    _assert_bare(cleaned, reopened, b"ICCSECRET", b"iCCP")
    assert reopened.size == (40, 30)


def test_png_text_itxt_and_ztxt_chunks_do_not_survive():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", GPS_TEXT)  # tEXt cannot hold Chinese: Pillow writes it as iTXt
    info.add_text("Author", "TEXTSECRET")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    info.add_text("Location", "ZTXTSECRET " * 20, zip=True)
    image = _image()
    data = _saved(image, "PNG", pnginfo=info, exif=_gps_exif(image))
    assert b"TEXTSECRET" in data and b"zTXt" in data and b"iTXt" in data and b"eXIf" in data
    cleaned, reopened = _clean(data)
    _assert_bare(cleaned, reopened, b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"TEXTSECRET", b"XMPSECRET",
                 b"EXIFSECRET")


def test_webp_exif_xmp_and_icc_do_not_survive():
    image = _image()
    data = _saved(image, "WEBP", exif=_gps_exif(image), xmp=XMP, icc_profile=SRGB_ICC)
    assert b"XMPSECRET" in data and b"EXIFSECRET" in data
    cleaned, reopened = _clean(data)
    _assert_bare(cleaned, reopened, b"XMPSECRET", b"EXIFSECRET", b"EXIF", b"XMP ", b"ICCP")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_the_exif_orientation_is_kept_in_the_pixels(fmt):
    image = _image()
    exif = image.getexif()
    exif[0x0112] = 6  # the camera was turned: show rotated 90° clockwise
    data = _saved(image, fmt, exif=exif, **({"lossless": True} if fmt == "WEBP" else {}))
    cleaned, reopened = _clean(data)
    assert reopened.size == (30, 40)
    assert dict(reopened.getexif()) == {}
    r, g, b = reopened.convert("RGB").getpixel((25, 4))  # the blue corner moved to the top right
    assert b > 150 and r < 100, (r, g, b)


def test_a_broken_exif_block_does_not_break_the_upload():
    data = _saved(_image(), "WEBP", exif=b"Exif\x00\x00II*\x00")
    cleaned, reopened = _clean(data)
    _assert_bare(cleaned, reopened, b"EXIF")


def test_transparency_palette_and_16_bit_pixels_survive_as_pixels():
    rgba = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    _cleaned, reopened = _clean(_saved(rgba, "PNG"))
    assert reopened.mode == "RGBA" and reopened.getpixel((1, 1))[3] == 0
    palette = Image.new("P", (8, 8), 3)
    palette.putpalette([0, 0, 0, 10, 20, 30, 40, 50, 60, 200, 100, 50] + [0] * 756)
    _cleaned, reopened = _clean(_saved(palette, "PNG"))
    assert reopened.convert("RGB").getpixel((0, 0)) == (200, 100, 50)
    deep = Image.new("I;16", (8, 8), 60000)
    _cleaned, reopened = _clean(_saved(deep, "PNG"))
    assert reopened.convert("L").getpixel((0, 0)) > 200  # scaled from 16 bits, not clipped to white or black


def test_a_phones_multi_picture_jpeg_is_accepted_as_a_jpeg():
    image = _image()
    data = _saved(image, "MPO", save_all=True, append_images=[image], exif=_gps_exif(image))
    assert Image.open(io.BytesIO(data)).format == "MPO"
    cleaned, content_type, fmt = storage.clean_photo(data)
    assert (content_type, fmt) == ("image/jpeg", "JPEG")
    _assert_bare(cleaned, Image.open(io.BytesIO(cleaned)), b"EXIFSECRET", b"MPF")
