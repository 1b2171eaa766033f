#!/usr/bin/python3
"""DejaVu Sans and DejaVu Sans Bold reduced to the Windows-1252 characters, for the PDF/A
(Factur-X) invoice: libharu embeds a TrueType font with all its tables, so the full DejaVu costs
~150 KB per weight in every PDF; these are ~25 KB (ADR 0017). Renamed ("DejaVuSansWinAnsi") so
that libharu can load them beside the full fonts, which still carry text outside Windows-1252.

Usage: make-pdfa-fonts.py SOURCE_DIR OUTPUT_DIR   (Debian: fonts-dejavu-core, fonttools)
"""
import sys

from fontTools import subset
from fontTools.ttLib import TTFont

# Windows-1252: ASCII, Latin-1 and the 27 printable characters in 0x80-0x9F (€, „, “, –, ...).
UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
TEXT = (bytes(range(0x20, 0x7F)) + bytes(b for b in range(0x80, 0xA0) if b not in UNDEFINED)
        + bytes(range(0xA0, 0x100))).decode("cp1252")


def main(source_dir, output_dir):
    for name in ("DejaVuSans", "DejaVuSans-Bold"):
        font = TTFont(f"{source_dir}/{name}.ttf")
        options = subset.Options()
        options.hinting = False  # the PDF is viewed on screens and printers that scale anyway
        options.layout_features = []  # libharu uses neither kerning nor ligatures
        options.name_IDs = ["*"]
        options.glyph_names = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=TEXT)
        subsetter.subset(font)
        for record in font["name"].names:
            value = record.toUnicode()
            value = value.replace("DejaVuSans", "DejaVuSansWinAnsi")
            value = value.replace("DejaVu Sans", "DejaVu Sans WinAnsi")
            record.string = value
        font.save(f"{output_dir}/{name}.ttf")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
