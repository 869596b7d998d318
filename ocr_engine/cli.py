"""Command line: ``python -m ocr_engine {recognize,pdf,engines} ...``.

Exit status: 0 every page fine (blank pages are warned about, not failed), 1 at least one
page failed or was rejected (named on stderr; the other pages are still written), 2 usage
error or an engine that cannot run at all.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tqdm import tqdm

from . import __version__, engines, pdf, pipeline, preprocess
from .errors import EngineUnavailable, ModelError, PdfError

EPILOG = ("Exit status: 0 all pages fine; 1 some page failed or was rejected (reasons on stderr, "
          "other pages still written); 2 usage error or engine unavailable.\n\n"
          "Example:\n  python -m ocr_engine recognize --jobs 2 --out ket-qua hs01/0001.jpg hs02/0001.jpg\n"
          "  (writes ket-qua/hs01/0001.{txt,alto.xml,json} and ket-qua/hs02/0001.*)")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("images", nargs="+", metavar="IMAGE", type=Path,
                   help="page images (JPEG, PNG, TIFF incl. multi-page); order is page order")
    p.add_argument("--engine", default="tesseract",
                   help="OCR engine by name (default: tesseract; see 'engines' command)")
    p.add_argument("--jobs", "-j", type=int, default=1,
                   help="pages worked on in parallel, one engine process each (default: 1)")
    p.add_argument("--assume-dpi", type=float, default=None, metavar="DPI",
                   help="resolution for files that record none (otherwise such pages are rejected)")
    p.add_argument("--ocr-dpi", type=float, default=preprocess.RECOGNITION_DPI, metavar="DPI",
                   help="finer scans are reduced to this resolution for recognition only (outputs "
                        f"keep the scan's coordinates; default: {preprocess.RECOGNITION_DPI:g}; 0 = never)")
    p.add_argument("--timeout", type=float, default=300.0, metavar="S",
                   help="seconds one page may take in the engine before it is killed (default: 300)")
    p.add_argument("--option", "-o", action="append", default=[], metavar="KEY=VALUE",
                   help="engine option, repeatable (tesseract: lang, psm; paddle: det_model_dir, "
                        "rec_model_dir, device, batch_size, force)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ocr_engine", epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     description="OCR for scanned Vietnamese archival pages.")
    parser.add_argument("--version", action="version", version=f"ocr_engine {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("recognize", epilog=EPILOG,
                         help="write <stem>.txt, <stem>.alto.xml, <stem>.json per page",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Preprocess and recognise pages; per page write UTF-8 NFC text "
                                     "(one line per text line, reading order), ALTO v4 XML and a JSON "
                                     "report (QC metrics, reading quality, which reading was kept, "
                                     "confidences, engine, timings). Each input keeps its folder relative "
                                     "to the folder all inputs share, under --out; two inputs that would "
                                     "write the same files are refused.")
    _common(rec)
    rec.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory")
    doc = sub.add_parser("pdf", epilog=EPILOG, help="build one two-layer PDF/A-2b from the pages",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Recognise pages and write one PDF/A-2b: original images untouched "
                                     "plus an invisible word-aligned text layer. The result is validated.")
    _common(doc)
    doc.add_argument("--out", required=True, type=Path, metavar="FILE.pdf", help="PDF to write")
    doc.add_argument("--title", default=None, help="document title (default: the PDF file name)")
    doc.add_argument("--author", default=None, help="document author / issuing agency")
    doc.add_argument("--pages-dir", type=Path, default=None, metavar="DIR",
                     help="also write the per-page .txt, .alto.xml and .json files here")
    sub.add_parser("engines", help="list engine names")
    return parser


def _engine_options(pairs: list[str]) -> dict:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"engine option {pair!r} is not KEY=VALUE")
        if value.isdigit():
            options[key] = int(value)
        elif value.lower() in ("true", "false"):
            options[key] = value.lower() == "true"
        else:
            options[key] = value
    return options


def output_dirs(images: list[Path], out: Path) -> dict[Path, Path]:
    """Where each input's outputs go: *out* plus the input's folder relative to the folder all inputs
    share, so ``a/0001.jpg`` and ``b/0001.jpg`` write ``out/a/0001.*`` and ``out/b/0001.*``.

    Raises ValueError naming both files when two inputs would still write the same outputs
    (``0001.jpg`` beside ``0001.png``, or one file given twice): never a silent overwrite.
    """
    resolved = [p.resolve() for p in images]
    base = Path(os.path.commonpath([str(r.parent) for r in resolved]))
    dirs, owner = {}, {}
    for given, real in zip(images, resolved):
        target = out / real.parent.relative_to(base)
        key = (target, real.stem)
        if key in owner:
            raise ValueError(f"{given} and {owner[key]} would both write {target / real.stem}.*; "
                             "rename one, or run them separately with different --out folders")
        owner[key] = given
        dirs[given] = target
    return dirs


def _report(outcome: pipeline.PageOutcome) -> bool:
    """Print the page's problems to stderr; True when the page is failed or rejected."""
    for problem in outcome.problems:
        level = "warning" if problem.severity == "flag" else "error"
        tqdm.write(f"{level}: {problem.message}", file=sys.stderr)
    return outcome.status in ("failed", "rejected")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "engines":
        print("\n".join(engines.engine_names()))
        return 0
    try:
        out_root = args.out if args.command == "recognize" else args.pages_dir
        dirs = output_dirs(args.images, out_root) if out_root else {}
        options = _engine_options(args.option)
        engine = engines.get_engine(args.engine, jobs=args.jobs, timeout=args.timeout, **options)
        engine.version()
    except (ValueError, TypeError, EngineUnavailable, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    outcomes = pipeline.run(args.images, engine, jobs=args.jobs, assume_dpi=args.assume_dpi,
                            pages_per_call=int(options.get("batch_size", 1)),
                            recognition_dpi=args.ocr_dpi or None)
    progress = tqdm(outcomes, total=len(args.images), unit="page", file=sys.stderr,
                    disable=len(args.images) < 2)
    bad = 0
    if args.command == "recognize":
        for outcome in progress:
            pipeline.write_outputs(outcome, dirs[outcome.source])
            bad += _report(outcome)
    else:
        bad = _build_pdf(args, progress, dirs)
    if bad:
        print(f"{bad} page(s) failed or rejected; see messages above", file=sys.stderr)
    return 1 if bad else 0


def _build_pdf(args, outcomes, dirs: dict[Path, Path]) -> int:
    bad, expected = 0, []
    try:
        with pdf.PdfAWriter(args.out, title=args.title or args.out.stem, author=args.author) as writer:
            for outcome in outcomes:
                if args.pages_dir:
                    pipeline.write_outputs(outcome, dirs[outcome.source])
                bad += _report(outcome)
                if outcome.loaded is None or outcome.loaded.dpi is None:
                    tqdm.write(f"error: {outcome.page_id}: left out of the PDF", file=sys.stderr)
                    continue
                rotate = outcome.report.orientation_deg if outcome.report else 0
                writer.add_page(outcome.loaded, outcome.text, outcome.to_source, rotate)
                expected.append(outcome.text.text if outcome.text else "")
    except PdfError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return bad + 1
    for problem in pdf.validate_pdfa(args.out, expected_text="\n".join(expected)):
        print(f"error: {args.out}: PDF/A check: {problem}", file=sys.stderr)
        bad += 1
    return bad
