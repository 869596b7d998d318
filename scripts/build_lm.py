#!/usr/bin/env python3
"""Build ``ocr_engine/data/syllable_lm.tsv.gz``, the syllable bigram model of :mod:`ocr_engine.lm`.

Text (the recogniser's training recipe, never the benchmark's): the "train" sentences of
``ocr_engine.corpus`` (seed corpus and the department's plan) repeated :data:`ADMIN_WEIGHT` times, since
they are the kind of text the archive holds; the sentences of ``ocr_engine/data/train_text_vi.txt`` whose
``corpus.split_of`` is "train"; the phrases of ``ocr_engine/data/admin_terms_vi.txt`` (weighted like the
administrative sentences); the hunspell word list, each word once on its own (so every correctly
spelt syllable it lists counts as seen, with the weight of one context); and
:data:`GENERATED` NĐ 30 lines (numbers, dates, names, addresses) from seeds at and above
``corpus.TRAINING_SEED_START``. Deterministic: the same inputs give the same file.

Example::

    .venv/bin/python scripts/build_lm.py            # writes ocr_engine/data/syllable_lm.tsv.gz
    .venv/bin/python scripts/build_lm.py --out /tmp/lm.tsv.gz --min-bigram 1
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from ocr_engine import corpus, lm  # noqa: E402

TEXT_FILE = REPO / "ocr_engine" / "data" / "train_text_vi.txt"
TERMS_FILE = REPO / "ocr_engine" / "data" / "admin_terms_vi.txt"  # standard administrative phrases (agencies, formulae,
#   archive terms), written from the law and NĐ 30, weighted like the administrative sentences: the corpus alone saw
#   "chi cục" and "tổ chức" too rarely to tell them from "chỉ cục", "tố chức"
ADMIN_WEIGHT = 5  # the administrative sentences are ~4 % of the text; weighted so they are ~17 %
GENERATED = 20_000  # NĐ 30 lines: ~150 k tokens, about a third of the model's text
SEED = corpus.TRAINING_SEED_START + 77  # the benchmark's generated lines use seeds below TRAINING_SEED_START


def debian_text(path: Path) -> tuple[list[str], list[str]]:
    """(sentences of the Debian-derived text, "train" split only; the hunspell words)."""
    out, words, source = [], [], ""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SystemExit(f"{path}: invalid UTF-8 at byte {exc.start}; rebuild it with scripts/build_corpus.py")
    for line in text.splitlines():
        if line.startswith("@source "):
            source = line.split(None, 1)[1]
        elif line.strip() and not line.startswith("#") and source == "hunspell-vi":
            words.append(corpus.nfc(line.strip()))
        elif line.strip() and not line.startswith("#"):
            sentence = corpus.nfc(line.strip())
            if corpus.split_of(sentence) == "train":
                out.append(sentence)
    return out, words


def terms(path: Path = TERMS_FILE) -> list[str]:
    """The glossary's phrases (comment lines, starting with #, skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SystemExit(f"{path}: invalid UTF-8 at byte {exc.start}")
    return [corpus.nfc(line.strip()) for line in text.splitlines() if line.strip() and not line.startswith("#")]


def build(min_bigram: int) -> tuple[lm.SyllableLM, list[str]]:
    admin = corpus.sentences("train") + terms()
    debian, words = debian_text(TEXT_FILE)
    generated = corpus.generated_lines(np.random.default_rng(SEED), GENERATED)
    lines = [s for s in admin for _ in range(ADMIN_WEIGHT)] + debian + words + generated
    model = lm.SyllableLM.count((lm.tokens(s.split()) for s in lines), min_bigram=min_bigram)
    header = [f"built by scripts/build_lm.py: {len(admin)} corpus/plan train sentences and {TERMS_FILE.name} "
              f"phrases x{ADMIN_WEIGHT}, "
              f"{len(debian)} train sentences and {len(words)} words of {TEXT_FILE.name}, {GENERATED} generated NĐ 30 lines (seed {SEED})",
              f"{len(model.unigrams)} tokens, {len(model.bigrams)} bigrams (count >= {min_bigram})"]
    return model, header


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=lm.default_path(), help="output file (default: the shipped one)")
    parser.add_argument("--min-bigram", type=int, default=lm.MIN_BIGRAM_COUNT,
                        help=f"drop bigrams seen fewer times (default {lm.MIN_BIGRAM_COUNT})")
    args = parser.parse_args(argv)
    model, header = build(args.min_bigram)
    model.write(args.out, header=header)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes): {header[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
