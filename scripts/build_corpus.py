#!/usr/bin/env python3
"""Build ``ocr_engine/data/train_text_vi.txt``: Vietnamese sentences from Debian packages.

Training text for the line recogniser beyond the seed corpus (issue 15). Sources, installed with
``apt-get install -y --no-install-recommends hunspell-vi libreoffice-help-vi manpages-vi maint-guide-vi``:

- ``hunspell-vi``: the spelling word list (``/usr/share/hunspell/vi_VN.dic``), one word per line;
- ``libreoffice-help-vi``: the LibreOffice help pages (HTML), technical prose;
- ``manpages-vi``: translated manual pages (troff);
- ``maint-guide-vi``: the Debian New Maintainers' Guide (plain text).

The output has one ``@source <package>`` section per source and one sentence (or word) per line, with a
header comment naming each package's licence. Sentences are kept only when they are mostly
Vietnamese (see :data:`MIN_VIETNAMESE_SHARE`), deduplicated, and capped per source so the shipped
file stays a few MB. Deterministic: the same packages give the same file.

Example::

    python scripts/build_corpus.py --out ocr_engine/data/train_text_vi.txt
"""
from __future__ import annotations

import argparse
import gzip
import html.parser
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

PACKAGES = {  # package → licence as stated in /usr/share/doc/<package>/copyright
    "hunspell-vi": "GPL-2.0+ (word list; see /usr/share/doc/hunspell-vi/copyright)",
    "libreoffice-help-vi": "MPL-2.0 (help text; see /usr/share/doc/libreoffice-help-vi/copyright)",
    "manpages-vi": "GPL-3+ (translations; see /usr/share/doc/manpages-vi/copyright)",
    "maint-guide-vi": "GPL-2.0+ (see /usr/share/doc/maint-guide-vi/copyright)",
}
MIN_WORDS, MAX_WORDS = 3, 40  # shorter is not a sentence; longer is usually a table or code flattened
MIN_VIETNAMESE_SHARE = 0.3  # share of words carrying a Vietnamese-only letter; LibreOffice help lines
# below this were mostly menu paths and English identifiers when inspected
MAX_PER_SOURCE = 20_000  # keeps the shipped file under 2 MB
VIETNAMESE_ONLY = set("ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ")
SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[A-ZÀ-Ỹ\"“(])")
URLISH = re.compile(r"https?://|www\.|\w+\.\w+/|[{}<>\\=$#]|\.\w{2,4}\b")


class _TextOnly(html.parser.HTMLParser):
    """Text of an HTML page without <script>/<style>, one chunk per block element."""
    BLOCKS = {"p", "div", "li", "td", "th", "h1", "h2", "h3", "h4", "br", "tr", "dt", "dd"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = [""]
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self.chunks.append("")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self.chunks.append("")

    def handle_data(self, data):
        if not self._skip:
            self.chunks[-1] += data


def is_vietnamese(sentence: str) -> bool:
    words = sentence.split()
    viet = sum(1 for w in words if VIETNAMESE_ONLY & set(w.lower()))
    return viet >= MIN_VIETNAMESE_SHARE * len(words)


def clean(chunk: str) -> list[str]:
    """Sentences of one text chunk that are worth rendering."""
    chunk = unicodedata.normalize("NFC", " ".join(chunk.replace("[]", "").split()))
    out = []
    for s in SENTENCE_END.split(chunk):
        s = s.strip(" -–•*")
        words = s.split()
        if (not (MIN_WORDS <= len(words) <= MAX_WORDS) or URLISH.search(s) or not is_vietnamese(s)
                or s.startswith(("#", "@"))):
            continue
        out.append(s)
    return out


def libreoffice_help() -> list[str]:
    root = Path("/usr/share/libreoffice/help/vi")
    out = []
    for path in sorted(root.rglob("*.html")):
        parser = _TextOnly()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        for chunk in parser.chunks:
            out.extend(clean(chunk))
    return out


TROFF_FONT = re.compile(r"\\f[BIRP]|\\f\(..|\\[&-]|\\\(..|\\s[+-]?\d")


def manpages() -> list[str]:
    out = []
    for path in sorted(Path("/usr/share/man/vi").rglob("*.gz")):
        text = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        para: list[str] = []
        for line in text.splitlines():
            if line.startswith((".", "'")):
                if line[:3] in (".B ", ".I ") or line.startswith((".BR ", ".IR ", ".BI ", ".RB ")):
                    para.append(line.split(" ", 1)[1].replace('"', ""))
                    continue
                out.extend(clean(TROFF_FONT.sub("", " ".join(para))))
                para = []
            else:
                para.append(line)
        out.extend(clean(TROFF_FONT.sub("", " ".join(para))))
    return out


def maint_guide() -> list[str]:
    text = gzip.decompress(Path("/usr/share/doc/maint-guide-vi/maint-guide.vi.txt.gz").read_bytes()).decode(
        "utf-8", errors="replace")
    out = []
    for para in re.split(r"\n\s*\n", text):
        out.extend(clean(para))
    return out


def hunspell_words() -> list[str]:
    out = []
    for line in Path("/usr/share/hunspell/vi_VN.dic").read_text(encoding="utf-8").splitlines()[1:]:
        word = unicodedata.normalize("NFC", line.split("/", 1)[0].strip())
        if word:
            out.append(word)
    return out


def dedupe_cap(items: list[str], cap: int) -> list[str]:
    """Unique items in first-seen order; above *cap*, an evenly spaced sample (deterministic)."""
    unique = list(dict.fromkeys(items))
    if len(unique) <= cap:
        return unique
    step = len(unique) / cap
    return [unique[int(i * step)] for i in range(cap)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("ocr_engine/data/train_text_vi.txt"))
    args = ap.parse_args(argv)
    missing = [p for p in PACKAGES
               if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if missing:
        print(f"missing Debian packages: {' '.join(missing)}; install with "
              f"apt-get install -y --no-install-recommends {' '.join(PACKAGES)}", file=sys.stderr)
        return 2
    sources = {"hunspell-vi": hunspell_words(), "libreoffice-help-vi": libreoffice_help(),
               "manpages-vi": manpages(), "maint-guide-vi": maint_guide()}
    lines = ["# Vietnamese training text for the line recogniser, built by scripts/build_corpus.py from Debian",
             "# packages (bookworm). Sections: @source <package>; one sentence (hunspell-vi: one word) per line.",
             "# Licences of the source packages:"]
    lines += [f"#   {p}: {lic}" for p, lic in PACKAGES.items()]
    for name, items in sources.items():
        kept = dedupe_cap(items, MAX_PER_SOURCE)
        lines.append(f"@source {name}")
        lines.extend(kept)
        print(f"{name}: {len(items)} found, {len(kept)} kept", file=sys.stderr)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
