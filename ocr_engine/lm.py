"""A Vietnamese syllable bigram language model: how plausible a line of text is, without ground truth.

Built by ``scripts/build_lm.py`` from the recogniser's training text only (``corpus.sentences("train")``,
the "train" half of ``data/train_text_vi.txt`` and generated NĐ 30 lines from training seeds), so the
broad benchmark's evaluation sentences never shaped it. Shipped as ``data/syllable_lm.tsv.gz``.

Tokens are what :mod:`ocr_engine.quality` judges: punctuation stripped, lower case; numbers become
``<num>``; a token that is not a syllable, number or abbreviation becomes ``<bad>``. The model is an
interpolated Kneser-Ney bigram (absolute discount :data:`DISCOUNT`), whose unigram level is itself
interpolated with a uniform share :data:`UNSEEN_SHARE` over :data:`SYLLABLE_SPACE` possible syllables,
so an unseen but well-formed syllable (a rare name) costs more than a common one but far less than
``<bad>`` (:data:`BAD_LOGPROB`).

:meth:`SyllableLM.logprob` scores a token sequence; engine ``auto`` uses it to pick, per line, between two
readings, and the CTC beam search (:mod:`ocr_engine.neural.decode`) to rescore word ends.
"""
from __future__ import annotations

import functools
import gzip
import math
import unicodedata
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

from .errors import ModelError
from .quality import STRIP_LEADING, STRIP_TRAILING, VALID_CLASSES, token_class
from .textnorm import normalize_text

LM_NAME = "syllable_lm.tsv.gz"
FORMAT = "sohoa-syllable-bigram-kn 1"
BOS, NUM, BAD = "<s>", "<num>", "<bad>"
DISCOUNT = 0.75  # Kneser-Ney's usual absolute discount (Chen & Goodman 1998: 0.7-0.8 for bigrams)
SYLLABLE_SPACE = 20_000  # well-formed Vietnamese syllables in use: about 6,700 distinct tone-marked ones
#   occur in the build text; dictionaries list 7-8 thousand; the margin covers names and loan syllables
UNSEEN_SHARE = 0.02  # of the unigram mass kept for syllables the build text never showed
BAD_LOGPROB = math.log(1e-7)  # a token that is not Vietnamese: far below any unseen syllable (~ -13.8 vs -13.9
#   for an unseen syllable at the end of a rare context; junk tokens must never win against real words)
MARKS_MARGIN = 12.0  # a word's tone and vowel marks are changed to another syllable of the same letters only when
#   that syllable makes the word with its neighbours this much more likely (natural log of P(w | prev) P(next | w)):
#   a reader never writes "yêu câu", "quần lý". Tuning seeds 0-299, sohoa's readings (clean, mild, JPEG): margin 2 →
#   125 pages worse, 8 → 48, 10 → 0.543 → 0.524 % CER with 12 worse, 12 → 0.518 % with 30 pages better and none worse
#   (14: 0.521, 20: 0.536); heavy, typewriter and augraphy 17.16 → 16.93 %, none worse
UNSURE_CONFIDENCE = 0.90  # a word the engine read with less confidence than this ...
UNSURE_MARGIN = 7.0  # ... needs only this margin (the engine itself doubted its marks). Tuning seeds 0-299, sohoa's
#   readings with their ALTO word confidences, clean, mild and JPEG: margin 12 everywhere 0.543 → 0.517 % CER (30
#   pages better, none worse); below 0.90 at 7: 0.499 % (46 better, none worse); heavy, typewriter and augraphy 17.15 →
#   16.92 / 16.82 % (78 / 87 better, none worse). Neighbours: 0.90 at 5 or 6, 0.92 at 6: one page worse; 0.95 at 6:
#   3 and 5 worse; below 1.01 (every word) at 6: 80 worse
INVALID_MARGIN = 5.0  # a word that is no syllable ("VIẸT", "nguòi") becomes the likeliest syllable of its letters
#   only when that one is this much likelier than the next and a neighbour is a syllable (else nothing tells which was
#   printed). Tuning seeds 0-299, readings of two code versions with their word confidences: clean, mild, JPEG 0.399
#   → 0.396 and 0.499 → 0.496 % CER (4 more pages better, none worse; margin 0 or 2: one worse); heavy, typewriter,
#   augraphy 16.01 → 15.94 and 16.81 → 16.74 % (7 and 1 more better; 1 and 1 worse by a word)
MIN_BIGRAM_COUNT = 2  # bigrams seen once are dropped from the shipped file (they stay in the context counts)
REBUILD = "rebuild it with `python scripts/build_lm.py` (see docs/neural.md) or restore it from git"


def token(word: str) -> str | None:
    """The LM token of one word as read (None for punctuation)."""
    kind = token_class(word)
    if kind == "punct":
        return None
    if kind not in VALID_CLASSES:
        return BAD
    if kind == "number":
        return NUM
    core = normalize_text(word).lstrip(STRIP_LEADING).rstrip(STRIP_TRAILING)
    return core.lower()


def bare(syllable: str) -> str:
    """*syllable*'s letters without tone or vowel marks (đ → d)."""
    plain = unicodedata.normalize("NFD", syllable.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in plain if not unicodedata.combining(c))


def tokens(words: Iterable[str]) -> list[str]:
    """LM tokens of *words* (punctuation dropped)."""
    return [t for w in words if (t := token(w)) is not None]


class SyllableLM:
    """Counts → probabilities. ``unigrams``: token → (count, distinct left neighbours); ``contexts``: token →
    (count as a left neighbour, distinct right neighbours); ``bigrams``: (left, right) → count."""

    def __init__(self, unigrams: dict[str, tuple[int, int]], contexts: dict[str, tuple[int, int]],
                 bigrams: dict[tuple[str, str], int]) -> None:
        self.unigrams, self.contexts, self.bigrams = unigrams, contexts, bigrams
        self.total_continuations = max(1, sum(c for _, c in unigrams.values()))

    def unigram(self, tok: str) -> float:
        """P_cont(tok), interpolated with a uniform share for unseen syllables."""
        seen = self.unigrams.get(tok, (0, 0))[1] / self.total_continuations
        return (1.0 - UNSEEN_SHARE) * seen + UNSEEN_SHARE / SYLLABLE_SPACE

    def prob(self, tok: str, prev: str) -> float:
        """P(tok | prev), interpolated Kneser-Ney."""
        lower = self.unigram(tok)
        count, followers = self.contexts.get(prev, (0, 0))
        if not count:
            return lower
        pair = self.bigrams.get((prev, tok), 0)
        return max(pair - DISCOUNT, 0.0) / count + DISCOUNT * followers / count * lower

    def logprob(self, toks: Sequence[str], prev: str = BOS) -> float:
        """Natural-log probability of *toks* after *prev* (``<bad>`` tokens cost :data:`BAD_LOGPROB` each
        and reset the context)."""
        total = 0.0
        for tok in toks:
            if tok == BAD:
                total += BAD_LOGPROB
            else:
                total += math.log(self.prob(tok, prev))
            prev = tok if tok != BAD else BOS
        return total

    def per_token(self, words: Iterable[str]) -> tuple[float, int]:
        """(mean log-probability per token, tokens) of a line of *words*; (0.0, 0) when it has none."""
        toks = tokens(words)
        return (self.logprob(toks) / len(toks), len(toks)) if toks else (0.0, 0)

    @functools.cached_property
    def _by_letters(self) -> dict[str, list[str]]:
        """The model's syllables by their letters without marks (đ counts as d)."""
        out: dict[str, list[str]] = {}
        for syllable in self.unigrams:
            if not syllable.startswith("<"):
                out.setdefault(bare(syllable), []).append(syllable)
        return out

    def correct_marks(self, words: Sequence[str], confidences: Sequence[float] | None = None) -> list[str]:
        """*words* (one line, as read) with each syllable's marks replaced by those of the syllable of the same
        letters that its neighbours make :data:`MARKS_MARGIN` more likely (:data:`UNSURE_MARGIN` for a word whose
        engine *confidences* are under :data:`UNSURE_CONFIDENCE`); a word of letters that is no syllable at all
        ("VIẸT") becomes the syllable of its letters that its neighbours make likeliest, when one is
        :data:`INVALID_MARGIN` likelier than the next. Case and punctuation are kept."""
        toks = [token(w) for w in words]
        out = list(words)
        for i, tok in enumerate(toks):
            if tok is None or (tok.startswith("<") and tok != BAD):
                continue
            invalid = tok == BAD
            if invalid:
                core = normalize_text(out[i]).lstrip(STRIP_LEADING).rstrip(STRIP_TRAILING)
                if not core.isalpha():
                    continue
                tok = core.lower()
            candidates = self._by_letters.get(bare(tok), ())
            if len(candidates) < (1 if invalid else 2):
                continue
            prev = next((t for t in reversed(toks[:i]) if t is not None), BOS)
            after = next((t for t in toks[i + 1:] if t is not None), None)

            def fit(syllable: str) -> float:
                return math.log(self.prob(syllable, prev)) + (math.log(self.prob(after, syllable)) if after else 0.0)

            context = any(t is not None and not t.startswith("<") for t in (prev, after))
            if invalid and not context:  # junk around it: nothing to tell its syllable by
                continue
            ranked = sorted(candidates, key=fit, reverse=True)
            best = ranked[0]
            word = normalize_text(out[i])
            at = word.lower().find(tok)
            if invalid:
                if len(ranked) > 1 and fit(best) - fit(ranked[1]) <= INVALID_MARGIN:
                    continue
            else:
                unsure = confidences is not None and confidences[i] < UNSURE_CONFIDENCE and context
                if best == tok or fit(best) - fit(tok) <= (UNSURE_MARGIN if unsure else MARKS_MARGIN):
                    continue
            if at < 0:
                continue
            found = word[at:at + len(tok)]
            cased = best.upper() if found.isupper() and len(found) > 1 else (
                best[:1].upper() + best[1:] if found[:1].isupper() else best)
            out[i] = word[:at] + cased + word[at + len(tok):]
            toks[i] = best
        return out

    # --- file ---------------------------------------------------------------------------------------
    def write(self, path: Path, *, header: Sequence[str] = ()) -> None:
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as out:
            out.write(f"#format\t{FORMAT}\n")
            for line in header:
                out.write(f"# {line}\n")
            for tok in sorted(self.unigrams):
                out.write(f"1\t{tok}\t{self.unigrams[tok][0]}\t{self.unigrams[tok][1]}\n")
            for tok in sorted(self.contexts):
                out.write(f"c\t{tok}\t{self.contexts[tok][0]}\t{self.contexts[tok][1]}\n")
            for (a, b) in sorted(self.bigrams):
                out.write(f"2\t{a}\t{b}\t{self.bigrams[(a, b)]}\n")

    @classmethod
    def read(cls, path: Path) -> SyllableLM:
        """The model in *path*; ModelError naming the file when it is missing, truncated or of another format."""
        unigrams: dict[str, tuple[int, int]] = {}
        contexts: dict[str, tuple[int, int]] = {}
        bigrams: dict[tuple[str, str], int] = {}
        try:
            with gzip.open(path, "rt", encoding="utf-8") as src:
                first = src.readline().rstrip("\n")
                if first != f"#format\t{FORMAT}":
                    raise ModelError(f"language model {path}: format {first[:60]!r} is not {FORMAT!r}; {REBUILD}")
                for line in src:
                    if line.startswith("#"):
                        continue
                    f = line.rstrip("\n").split("\t")
                    if f[0] == "1":
                        unigrams[f[1]] = (int(f[2]), int(f[3]))
                    elif f[0] == "c":
                        contexts[f[1]] = (int(f[2]), int(f[3]))
                    elif f[0] == "2":
                        bigrams[(f[1], f[2])] = int(f[3])
                    else:
                        raise ValueError(f"unknown record {f[0]!r}")
        except FileNotFoundError:
            raise ModelError(f"language model {path} is missing; {REBUILD}") from None
        except (OSError, EOFError, UnicodeDecodeError, ValueError, IndexError) as exc:
            raise ModelError(f"language model {path} is unreadable or truncated ({exc}); {REBUILD}") from None
        if not unigrams:
            raise ModelError(f"language model {path} holds no syllables; {REBUILD}")
        return cls(unigrams, contexts, bigrams)

    @classmethod
    def count(cls, lines: Iterable[Sequence[str]], *, min_bigram: int = MIN_BIGRAM_COUNT) -> SyllableLM:
        """Build from token lines (each already :func:`tokens`; a line starts after ``<s>``)."""
        pairs: dict[tuple[str, str], int] = {}
        for toks in lines:
            prev = BOS
            for tok in toks:
                if tok != BAD:
                    pairs[(prev, tok)] = pairs.get((prev, tok), 0) + 1
                prev = tok if tok != BAD else BOS
        unigrams: dict[str, list[int]] = {}
        contexts: dict[str, list[int]] = {}
        for (a, b), n in pairs.items():
            u = unigrams.setdefault(b, [0, 0])
            u[0] += n
            u[1] += 1
            c = contexts.setdefault(a, [0, 0])
            c[0] += n
            c[1] += 1
        kept = {k: n for k, n in pairs.items() if n >= min_bigram}
        return cls({k: tuple(v) for k, v in unigrams.items()}, {k: tuple(v) for k, v in contexts.items()}, kept)


def default_path() -> Path:
    return Path(str(resources.files("ocr_engine").joinpath(f"data/{LM_NAME}")))


@functools.lru_cache(maxsize=2)
def shared(path: str | None = None) -> SyllableLM:
    """The process-wide model (default: the shipped one), read once."""
    return SyllableLM.read(Path(path) if path else default_path())
