"""Small generated JPEG "delivery photos" for the demo: a soft room, one drawn object, a date stamp."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime

from PIL import Image, ImageDraw, ImageFont

SIZE = (640, 480)
WALLS = [(236, 228, 214), (222, 234, 228), (229, 232, 242), (242, 230, 226), (234, 238, 222)]
FLOORS = [(196, 170, 140), (186, 176, 160), (200, 186, 168), (176, 160, 146)]

Draw = ImageDraw.ImageDraw


def _cooker(d: Draw) -> None:  # rice cooker, fan, appliance: a white body with a lid and buttons
    d.rounded_rectangle((230, 230, 410, 380), radius=40, fill=(250, 250, 248), outline=(150, 150, 150), width=3)
    d.ellipse((240, 205, 400, 260), fill=(235, 235, 232), outline=(150, 150, 150), width=3)
    d.rounded_rectangle((290, 300, 350, 340), radius=8, fill=(90, 140, 200))
    d.ellipse((300, 350, 315, 365), fill=(220, 80, 60))
    d.ellipse((325, 350, 340, 365), fill=(80, 170, 90))


def _desk(d: Draw) -> None:  # desk, lamp and books
    d.rectangle((160, 280, 480, 300), fill=(170, 120, 80))
    d.rectangle((175, 300, 190, 400), fill=(150, 105, 70))
    d.rectangle((450, 300, 465, 400), fill=(150, 105, 70))
    d.line((420, 280, 400, 200, 440, 170), fill=(80, 80, 80), width=6)
    d.polygon([(425, 160), (470, 175), (455, 195)], fill=(245, 200, 90))
    for i, colour in enumerate([(200, 70, 70), (70, 120, 190), (90, 160, 100)]):
        d.rectangle((210 + i * 38, 232 - i * 6, 242 + i * 38, 280), fill=colour)


def _bag(d: Draw) -> None:  # school bag or suitcase
    d.rounded_rectangle((245, 220, 395, 390), radius=30, fill=(70, 130, 190), outline=(40, 80, 130), width=4)
    d.arc((280, 180, 360, 250), 180, 360, fill=(40, 80, 130), width=8)
    d.rounded_rectangle((270, 300, 370, 370), radius=14, fill=(90, 150, 210), outline=(40, 80, 130), width=3)


def _medical(d: Draw) -> None:  # a white box with a red cross
    d.rectangle((240, 250, 400, 380), fill=(252, 252, 252), outline=(160, 160, 160), width=3)
    d.rectangle((305, 275, 335, 355), fill=(210, 60, 60))
    d.rectangle((280, 300, 360, 330), fill=(210, 60, 60))


def _wheelchair(d: Draw) -> None:
    d.ellipse((230, 280, 350, 400), outline=(60, 60, 60), width=8)
    d.ellipse((360, 360, 400, 400), outline=(60, 60, 60), width=6)
    d.rectangle((270, 250, 390, 275), fill=(50, 90, 150))
    d.rectangle((365, 170, 385, 275), fill=(50, 90, 150))


def _tools(d: Draw) -> None:  # toolbox for home safety and repairs
    d.rectangle((220, 290, 420, 380), fill=(220, 120, 40), outline=(140, 70, 20), width=4)
    d.rectangle((290, 260, 350, 290), outline=(140, 70, 20), width=6)
    d.line((200, 250, 300, 200), fill=(120, 120, 130), width=10)
    d.rectangle((190, 240, 215, 265), fill=(90, 90, 100))


def _meal(d: Draw) -> None:  # a table with a lunch box
    d.rectangle((160, 300, 480, 316), fill=(170, 120, 80))
    d.rectangle((180, 316, 195, 400), fill=(150, 105, 70))
    d.rectangle((445, 316, 460, 400), fill=(150, 105, 70))
    d.rounded_rectangle((240, 250, 400, 300), radius=10, fill=(245, 245, 240), outline=(150, 150, 150), width=3)
    d.ellipse((255, 258, 315, 292), fill=(250, 250, 250), outline=(220, 200, 160), width=2)
    d.ellipse((325, 262, 385, 290), fill=(120, 170, 80))


def _gift(d: Draw) -> None:  # anything else: a gift box with a ribbon
    d.rectangle((250, 260, 390, 380), fill=(220, 90, 90))
    d.rectangle((310, 260, 330, 380), fill=(250, 210, 90))
    d.rectangle((250, 240, 390, 265), fill=(200, 70, 70))
    d.ellipse((285, 215, 320, 245), outline=(250, 210, 90), width=6)
    d.ellipse((320, 215, 355, 245), outline=(250, 210, 90), width=6)


OBJECTS: dict[str, Callable[[Draw], None]] = {
    "daily_living": _cooker, "education": _desk, "childcare": _bag, "employment": _bag,
    "medical": _medical, "rehab_nursing": _medical, "mobility": _wheelchair, "medical_escort": _wheelchair,
    "home_safety": _tools, "housing": _tools, "cleaning": _tools, "meals": _meal,
}


def delivery_photo(category: str, taken: datetime, seed: int) -> bytes:
    """A 640x480 JPEG: wall, floor, window, the object of the category and a camera date stamp."""
    image = Image.new("RGB", SIZE, WALLS[seed % len(WALLS)])
    d = ImageDraw.Draw(image)
    d.rectangle((0, 340, 640, 480), fill=FLOORS[seed % len(FLOORS)])
    left = 40 + seed % 5 * 10
    d.rectangle((left, 50, left + 130, 180), fill=(200, 225, 240), outline=(255, 255, 255), width=8)
    d.line((left + 65, 50, left + 65, 180), fill=(255, 255, 255), width=5)
    shadow = tuple(c - 25 for c in FLOORS[seed % len(FLOORS)])
    d.ellipse((210, 370, 430, 410), fill=shadow)
    OBJECTS.get(category, _gift)(d)
    font = ImageFont.load_default(size=22)
    stamp = taken.strftime("%Y-%m-%d %H:%M")
    d.text((612, 452), stamp, fill=(255, 150, 40), font=font, anchor="rb", stroke_width=1, stroke_fill=(90, 50, 10))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()
