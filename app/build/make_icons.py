"""Draws Tidewatch's icons (a tide line inside a watch ring) as PNGs with the standard library only.

Run from app/: python3 build/make_icons.py (writes icons/). The PNGs are committed; this script is how they were made.
"""
import math
import struct
import zlib

TEAL = (15, 95, 102)
WHITE = (255, 255, 255)


def inside(x, y, maskable):
    """Colour at (x, y) in 0..1 coordinates, or None for transparent."""
    if not maskable:
        r = 0.22
        cx = min(max(x, r), 1 - r)
        cy = min(max(y, r), 1 - r)
        if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
            return None
    scale = 0.8 if maskable else 1.0  # maskable icons keep their content in the inner 80 %
    u = (x - 0.5) / scale + 0.5
    v = (y - 0.5) / scale + 0.5
    d = math.hypot(u - 0.5, v - 0.5)
    if 0.27 <= d <= 0.33:
        return WHITE
    if d < 0.255:
        wave = 0.53 + 0.055 * math.sin((u - 0.5) * 2 * math.pi / 0.24)
        if abs(v - wave) < 0.028:
            return WHITE
        if v > wave + 0.028 and d < 0.235:
            return (180, 222, 224)
    if math.hypot(u - 0.5, v - 0.17) < 0.035:
        return WHITE
    return TEAL


def render(size, maskable):
    ss = 3
    rows = []
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(ss):
                for sx in range(ss):
                    c = inside((px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size, maskable)
                    if c is not None:
                        acc[0] += c[0]
                        acc[1] += c[1]
                        acc[2] += c[2]
                        acc[3] += 255
            n = ss * ss
            alpha = acc[3] // n
            if alpha:
                k = acc[3] / 255
                row += bytes([int(acc[0] / k), int(acc[1] / k), int(acc[2] / k), alpha])
            else:
                row += bytes(4)
        rows.append(bytes(row))
    return png(size, b"".join(rows))


def png(size, raw):
    """An RGBA image as a PNG: indexed (a palette with alpha) when it has at most 256 colours, which the anti-aliased
    flat drawing does (about a third smaller, the same pixels), else truecolour with alpha."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    stride = 1 + 4 * size
    pixels = [raw[y * stride + 1 + 4 * x:y * stride + 5 + 4 * x] for y in range(size) for x in range(size)]
    palette = sorted(set(pixels))
    if len(palette) > 256:
        header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
        extra = b""
    else:
        index = {colour: i for i, colour in enumerate(palette)}
        rows = bytearray()
        for y in range(size):
            rows.append(0)
            rows += bytes(index[p] for p in pixels[y * size:(y + 1) * size])
        raw = bytes(rows)
        header = struct.pack(">IIBBBBB", size, size, 8, 3, 0, 0, 0)
        extra = chunk(b"PLTE", b"".join(c[:3] for c in palette)) + chunk(b"tRNS", bytes(c[3] for c in palette))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + extra + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


for name, size, maskable in [
    ("icon-192.png", 192, False),
    ("icon-512.png", 512, False),
    ("maskable-512.png", 512, True),
    ("apple-touch-icon.png", 180, True),
]:
    with open("icons/" + name, "wb") as f:
        f.write(render(size, maskable))
    print(name)
