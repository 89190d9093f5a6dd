"""Files of every supported type, generated (no binary fixtures), each holding one known
sentence on a distinct topic, plus the bad inputs of the ingestion issue."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable

# filename → (the known sentence, a function making the file's bytes around it)
SENTENCES = {
    "manual.pdf": "The lighthouse keeper polished the giant brass lens every evening before sunset.",
    "bakery.docx": "Our bakery sells sourdough bread made with a starter that is forty years old.",
    "volcano.md": "Volcanic eruptions can inject sulfur dioxide high into the stratosphere.",
    "chess.txt": "The chess grandmaster sacrificed her queen to force checkmate in three moves.",
    "animals.csv": "Emperor penguins huddle together to survive the long polar winter.",
    "sales.xlsx": "Quarterly revenue from solar panel installations doubled in the northern region.",
    "bees.html": "Honeybees tell their sisters where the flowers are through a waggle dance.",
    "ocean.json": "The submarine descended to the ocean floor to photograph hydrothermal vents.",
    "orbit.py": "Compute the orbital period of a satellite around the Earth using Kepler's third law.",
}


def pdf_bytes(pages: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    for text in pages:
        pdf.add_page()
        pdf.set_font("helvetica", size=11)
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def encrypted_pdf_bytes(text: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf_bytes([text]))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(sentence: str) -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading("About the bakery", level=1)
    doc.add_paragraph(sentence)
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "loaf", "price"
    table.cell(1, 0).text, table.cell(1, 1).text = "rye", "4.50"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def xlsx_bytes(sentence: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws.append(["quarter", "note"])
    ws.append(["Q3", sentence])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _pdf(s: str) -> bytes:
    first = "Maritime safety notes.\n\n" + "Keep the fog horn ready and check the signal flags at dawn. " * 10
    second = "Evening duties.\n\n" + "Log the passing ships and the weather in the book. " * 9
    return pdf_bytes([first, f"{second}\n\n{s}"])


MAKERS: dict[str, Callable[[str], bytes]] = {
    "manual.pdf": _pdf,
    "bakery.docx": docx_bytes,
    "volcano.md": lambda s: (
        f"---\ntitle: Volcanoes\nauthor: Ada\n---\n# Eruptions\n\n{s}\n\n## Ash\n\nAsh falls.\n".encode()
    ),
    "chess.txt": lambda s: f"Tournament report.\n\n{s}\n".encode(),
    "animals.csv": lambda s: (
        f'animal,place,fact\nwalrus,Arctic,Walruses use their tusks to climb ice\npenguin,Antarctica,"{s}"\n'.encode()
    ),
    "sales.xlsx": xlsx_bytes,
    "bees.html": lambda s: (
        f"<html><head><title>Bees</title><script>var x=1;</script></head><body><h1>Bees</h1><p>{s}</p></body></html>".encode()
    ),
    "ocean.json": lambda s: json.dumps({"mission": "deep dive", "log": [{"day": 1, "entry": s}]}).encode(),
    "orbit.py": lambda s: (
        f'def orbital_period(a: float) -> float:\n    """{s}"""\n    return 2 * 3.14159 * (a**3 / 3.986e14) ** 0.5\n'.encode()
    ),
}


WORDS = [
    "glider",
    "thermal",
    "ridge",
    "wing",
    "lift",
    "drag",
    "pilot",
    "cloud",
    "wind",
    "altitude",
    "spiral",
    "landing",
]


def good_files() -> dict[str, bytes]:
    """One file of every supported type, by original name."""
    return {name: MAKERS[name](sentence) for name, sentence in SENTENCES.items()}


def bad_files() -> dict[str, bytes]:
    """The bad inputs: each must fail alone with a reason, or be handled."""
    rng = random.Random(7)
    return {
        "empty.txt": b"",
        "blank.md": b"   \n\n\t\n",
        "random.pdf": bytes(rng.randrange(256) for _ in range(4096)),
        "locked.pdf": encrypted_pdf_bytes("Nobody may read this secret."),
        "latin1.txt": "Caf\xe9 cr\xe8me br\xfbl\xe9e recipes from the old town.".encode("latin-1"),
        "oneline.txt": " ".join(
            rng.choice(WORDS) + str(i) for i in range(12000)
        ).encode(),  # ~100 kB, no newline
        "ragged.csv": b"a,b,c\n1,2\n3,4,5,6\n\n7\n",
        "../../etc/passwd.txt": b"root:x:0:0:root:/root:/bin/bash\n",
        "mystery.xyz": bytes(rng.randrange(256) for _ in range(64)),
    }
