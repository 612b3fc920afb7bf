"""Command-line interface: a thin typer layer over the library (parse, call, summarise)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from autocompose import __version__
from autocompose.errors import AutocomposeError
from autocompose.poses.sequence import PoseSequence

app = typer.Typer(
    help="autocompose: composed pose retrieval with automatically generated transition text.",
    no_args_is_help=True,
    add_completion=False,
)
poses_app = typer.Typer(help="Inspect and fetch pose data.", no_args_is_help=True)
pairs_app = typer.Typer(help="Mine reference/target pose pairs.", no_args_is_help=True)
app.add_typer(poses_app, name="poses")
app.add_typer(pairs_app, name="pairs")
console = Console(stderr=True)

SOURCE_HELP = (
    "Pose sources: files (.bvh, AIST++ .pkl, SMPL/AMASS .npz/.npy, COCO .json), folders of them, "
    "'builtin' (the built-in library), 'builtin:s01,s02' (some of its subjects), 'real-sample' (three real "
    "mocap clips fetched into a cache), a motion-capture collection folder (bandai-namco, cmu-expmap, deepmimic, "
    "or a folder holding several) or 'mocap:NAME' (a collection fetched with `autocompose poses fetch NAME`)."
)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console)


def load_sources(sources: list[str]) -> list[PoseSequence]:
    """Resolve CLI source arguments into sequences (see ``SOURCE_HELP``)."""
    from autocompose.poses.sources import load_sources as load

    return load(sources, progress=console.is_terminal)


def _fail(exc: Exception) -> None:
    console.print(f"[red]error:[/red] {exc}")
    raise typer.Exit(2)


@app.callback(invoke_without_command=True)
def _version(version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


@poses_app.command("info")
def poses_info(
    file: Annotated[str, typer.Argument(help=SOURCE_HELP)],
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Summarise pose sequences: frames, fps, duration, subject, missing joints, body height."""
    try:
        seqs = load_sources([file])
    except (AutocomposeError, OSError, KeyError) as exc:
        _fail(exc)
    rows = []
    for s in seqs:
        heights = s.joints[:, s.joint_mask, 1]
        rows.append(
            {
                "id": s.id,
                "frames": len(s),
                "fps": round(s.fps, 3),
                "duration_s": round(s.duration_s, 2),
                "subject": s.subject,
                "2d": s.is_2d,
                "missing_joints": list(s.missing_joints),
                "height_range_m": round(float(np.median(heights.max(1) - heights.min(1))), 3),
                **{
                    k: s.meta[k]
                    for k in ("format", "mapping", "unit", "up_axis", "category", "collection", "content", "style", "licence")
                    if k in s.meta
                },
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(seqs)} sequence(s), {sum(len(s) for s in seqs)} frames")
    for col in ("id", "frames", "fps", "duration_s", "subject", "height_range_m", "missing_joints"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            *(
                str(r[c]) if not isinstance(r[c], list) else ", ".join(r[c]) or "-"
                for c in ("id", "frames", "fps", "duration_s", "subject", "height_range_m", "missing_joints")
            )
        )
    Console().print(table)


@poses_app.command("fetch")
def poses_fetch(
    name: Annotated[str, typer.Argument(help="Collection: bandai-namco, cmu-expmap or deepmimic.")],
    from_dir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--from", help="Copy from a local copy (upstream repository or collection folder) instead of downloading."),
    ] = None,
    dest: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Where to store it (default: ~/.cache/autocompose/mocap/NAME, or $AUTOCOMPOSE_CACHE/mocap/NAME)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Fetch again even when a complete copy is already there.")] = False,
) -> None:
    """Fetch a real motion-capture collection from its upstream repository (or --from DIR) into the cache.

    The copy is written atomically (nothing half-written is left on failure or Ctrl-C) and
    its licence and attribution are recorded in collection.json beside the data. Load it
    anywhere a pose source is taken as 'mocap:NAME' or by its folder.
    """
    from autocompose.poses.mocap import COLLECTIONS, fetch_collection

    try:
        with console.status(f"fetching {name} …"):
            path = fetch_collection(name, dest=dest, from_dir=from_dir, force=force)
    except (AutocomposeError, OSError) as exc:
        _fail(exc)
    info = COLLECTIONS[name]
    typer.echo(str(path))
    console.print(f"[yellow]licence: {info.licence} — {info.licence_summary}[/yellow]")
    console.print(f"attribution: {info.attribution}")
    console.print(f"stored in {path} (licence and attribution recorded in {path / 'collection.json'})")


@poses_app.command("fetch-sample")
def poses_fetch_sample() -> None:
    """Download the three real motion-capture clips (LAFAN1 x2, one Blender rig) into the cache."""
    from autocompose.poses.real_sample import LICENCE_NOTE, fetch_real_sample

    try:
        paths = fetch_real_sample()
    except AutocomposeError as exc:
        _fail(exc)
    for p in paths:
        typer.echo(str(p))
    console.print(f"[yellow]{LICENCE_NOTE}[/yellow]")


@app.command("render")
def render_cmd(
    file: Annotated[str, typer.Argument(help=SOURCE_HELP + " The first sequence is rendered.")],
    frame: Annotated[int, typer.Option("--frame", "-f", help="Frame index (negative counts from the end).")] = 0,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output PNG path.")] = Path("pose.png"),
    views: Annotated[str, typer.Option(help="Comma-separated views: front, side, top.")] = "front,side",
    size: Annotated[int, typer.Option(help="Panel size in pixels.")] = 256,
    mirrored: Annotated[bool, typer.Option("--mirror", help="Render the left-right mirrored pose.")] = False,
    sequence: Annotated[str | None, typer.Option(help="Pick a sequence by id when the source has several.")] = None,
) -> None:
    """Render one frame of a pose file to a PNG (front and side views by default)."""
    from autocompose.poses.transforms import mirror, mirror_mask
    from autocompose.render import RenderStyle, render_views

    try:
        seqs = load_sources([file])
        seq = next((s for s in seqs if s.id == sequence), None) if sequence else seqs[0]
        if seq is None:
            raise AutocomposeError(f"no sequence {sequence!r} in {file}; try `autocompose poses info {file}`")
        pose, mask = seq.frame(frame), seq.joint_mask
        if mirrored:
            pose, mask = mirror(pose), mirror_mask(mask)
        image = render_views(pose, tuple(v.strip() for v in views.split(",")), RenderStyle(size=size), mask)  # type: ignore[arg-type]
    except (AutocomposeError, OSError, IndexError, ValueError, KeyError) as exc:
        _fail(exc)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out)
    typer.echo(str(out))


@pairs_app.command("mine")
def pairs_mine(
    sources: Annotated[list[str], typer.Argument(help=SOURCE_HELP)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (pairs.jsonl, poses.npz, meta.json).")] = Path("pairs"),
    min_diff: Annotated[
        float, typer.Option(help="Smallest pose difference kept (metres, mean per joint after normalisation).")
    ] = 0.06,
    max_diff: Annotated[float, typer.Option(help="Largest pose difference kept (metres).")] = 0.45,
    min_gap: Annotated[float, typer.Option(help="Smallest in-sequence frame gap (seconds).")] = 0.3,
    max_gap: Annotated[float, typer.Option(help="Largest in-sequence frame gap (seconds).")] = 3.0,
    stride: Annotated[float, typer.Option(help="Seconds between candidate reference frames.")] = 0.5,
    cross_fraction: Annotated[float, typer.Option(help="Share of cross-sequence pairs (0-1).")] = 0.3,
    max_per_sequence: Annotated[int, typer.Option(help="Cap on in-sequence pairs per sequence.")] = 40,
    split_by: Annotated[str, typer.Option(help="auto, subject or sequence: what never crosses splits.")] = "auto",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same pairs).")] = 0,
) -> None:
    """Mine reference/target pairs (in- and cross-sequence) with a leak-free train/val/test split."""
    from autocompose.pairs import MiningConfig, mine_pairs

    try:
        cfg = MiningConfig(
            min_diff=min_diff,
            max_diff=max_diff,
            min_gap_s=min_gap,
            max_gap_s=max_gap,
            stride_s=stride,
            cross_fraction=cross_fraction,
            max_per_sequence=max_per_sequence,
            split_by=split_by,
            seed=seed,
        )
        seqs = load_sources(sources)
        with _progress() as bar:
            task = bar.add_task("mining pairs", total=len(seqs))
            pairset = mine_pairs(seqs, cfg, progress=lambda n: bar.advance(task, n))
    except (AutocomposeError, OSError, ValueError, KeyError) as exc:
        _fail(exc)
    pairset.save(out)
    counts = pairset.counts()
    console.print(
        f"{len(pairset)} pairs from {len(seqs)} sequences (split by {pairset.meta['split_by']}): "
        + ", ".join(f"{k} {counts.get(k, 0)}" for k in ("train", "val", "test"))
        + f" → {out}"
    )


MLLM_BACKENDS = ("openai", "hf-local")


@app.command("annotate")
def annotate_cmd(
    pairs: Annotated[
        Path, typer.Argument(help="Pair folder (`autocompose pairs mine`) or dataset folder (`autocompose dataset build`).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder; annotations.jsonl and summary.json go here.")] = Path(
        "annotations"
    ),
    annotator: Annotated[
        str,
        typer.Option(
            help="kinematic (offline default), natural (human-style wording), rules (PoseFix-style), openai (any "
            "OpenAI-compatible server), hf-local, or import (answers obtained elsewhere, read from --answers; same checks "
            "as openai)."
        ),
    ] = "kinematic",
    k: Annotated[int, typer.Option(help="Differently phrased descriptions per pair and variant.")] = 3,
    variants: Annotated[
        str, typer.Option(help="Comma-separated: mirror, reverse (both also give mirrored+reversed); '' for none.")
    ] = "mirror,reverse",
    seed: Annotated[int, typer.Option(help="Random seed for phrasing.")] = 0,
    cycle_threshold: Annotated[float, typer.Option(help="Cycle-consistency score a pair needs to pass (0-1).")] = 0.5,
    model: Annotated[str, typer.Option(help="MLLM: model name on the server (hf-local: a local model folder).")] = "gpt-4o",
    base_url: Annotated[str, typer.Option(help="MLLM: server URL, e.g. http://localhost:8000/v1 ('' = api.openai.com).")] = "",
    api_key_env: Annotated[str, typer.Option(help="MLLM: environment variable that holds the API key.")] = "OPENAI_API_KEY",
    max_in_flight: Annotated[int, typer.Option(help="MLLM: concurrent requests.")] = 8,
    render_workers: Annotated[
        int, typer.Option(help="MLLM: processes rendering request images off the event loop (0 = a thread).")
    ] = 1,
    rpm: Annotated[float, typer.Option(help="MLLM: requests per minute cap (0 = none).")] = 0,
    tpm: Annotated[float, typer.Option(help="MLLM: tokens per minute cap (0 = none).")] = 0,
    prompt_version: Annotated[str, typer.Option(help="MLLM: prompt template version (describe/mllm/prompts/).")] = "v1",
    views: Annotated[str, typer.Option(help="MLLM: rendered views in the image (front, side, top).")] = "front",
    structured: Annotated[str, typer.Option(help="MLLM: json_schema, json_object or none.")] = "json_schema",
    timeout: Annotated[float, typer.Option(help="MLLM: seconds per request.")] = 60.0,
    max_retries: Annotated[int, typer.Option(help="MLLM: retries on errors and malformed answers.")] = 5,
    price_in: Annotated[float, typer.Option(help="MLLM: USD per 1M input tokens (-1 = known list price).")] = -1,
    price_out: Annotated[float, typer.Option(help="MLLM: USD per 1M output tokens (-1 = known list price).")] = -1,
    export_requests: Annotated[
        Optional[Path],  # noqa: UP045 (typer reads the annotation)
        typer.Option(
            help="MLLM: write the exact requests (OpenAI Batch API JSONL, one per pair x variant) to this file and stop; "
            "send nothing."
        ),
    ] = None,
    export_images: Annotated[
        Optional[Path], typer.Option(help="MLLM: with --export-requests, also write each request PNG and prompt.txt here.")  # noqa: UP045
    ] = None,
    answers: Annotated[
        Optional[Path],  # noqa: UP045 (typer reads the annotation)
        typer.Option(
            help="--annotator import: answers JSONL (Batch API output, or {custom_id, content} lines) for the requests "
            "that --export-requests wrote with the same options."
        ),
    ] = None,
    keep_rejected: Annotated[
        bool,
        typer.Option(
            help="MLLM: also write the pairs the side check rejected (accepted variants plus the rejected answers that "
            "parsed) to OUT/rejected.jsonl, in the annotations format; unparsable answers have no text and stay out."
        ),
    ] = False,
) -> None:
    """Describe every pair (resumable: re-running skips pairs already written) and print a summary.

    With --annotator openai the pairs are rendered and sent to the model; answers are cached in
    OUT/cache.sqlite, failures go to OUT/failures.jsonl, and a re-run (even after kill -9)
    pays only for what it has not received yet.

    Answers obtained elsewhere (a provider's Batch API): first --export-requests FILE.jsonl with
    the options of the run, then --annotator import --answers OUTPUT.jsonl with the same options;
    the answers go through the same cache, validation, side and cycle checks as --annotator openai.
    """
    from autocompose.describe import get_annotator
    from autocompose.describe.run import annotate_pairs
    from autocompose.pairs import PairSet

    try:
        if (pairs / "dataset.json").exists():
            from autocompose.data import CPRDataset

            pairset = CPRDataset.load(pairs).to_pairset()
        else:
            pairset = PairSet.load(pairs)
        wanted = [v.strip() for v in variants.split(",") if v.strip()]
        if annotator in (*MLLM_BACKENDS, "import") or export_requests is not None:
            from autocompose.describe.mllm import MLLMConfig, annotate_pairs_mllm, batch
            from autocompose.describe.variants import selected_variants

            imported = annotator == "import" or export_requests is not None
            cfg = MLLMConfig(
                backend="openai" if imported else annotator,
                model=model,
                base_url=base_url or None,
                api_key_env=api_key_env,
                prompt_version=prompt_version,
                views=tuple(v.strip() for v in views.split(",") if v.strip()),
                structured=structured,
                max_in_flight=max_in_flight,
                render_workers=render_workers,
                requests_per_minute=rpm or None,
                tokens_per_minute=tpm or None,
                timeout_s=timeout,
                max_retries=0 if imported else max_retries,
                backoff_s=0.0 if imported else 1.0,
                price_in=None if price_in < 0 else price_in,
                price_out=None if price_out < 0 else price_out,
            )
            if export_requests is not None:
                with _progress() as bar:
                    task = bar.add_task(
                        f"exporting requests ({model}, k={k})", total=len(pairset) * len(selected_variants(wanted))
                    )
                    n = batch.export_requests(
                        pairset, cfg, export_requests, k, wanted, export_images, progress=lambda i: bar.advance(task, i)
                    )
                console.print(f"{n} requests -> {export_requests}" + (f" (images in {export_images})" if export_images else ""))
                return
            backend = None
            if annotator == "import":
                if answers is None:
                    raise AutocomposeError("--annotator import needs --answers FILE.jsonl (the Batch API output)")
                read = batch.read_answers(answers)
                backend = batch.ImportBackend(read, cfg)
            with _progress() as bar:
                task = bar.add_task(f"annotating ({model}, k={k})", total=len(pairset))

                def show(stats) -> None:
                    bar.update(
                        task,
                        completed=stats.done + stats.failed,
                        description=f"done {stats.done} failed {stats.failed} cached {stats.cached} ${stats.cost_usd:.3f}",
                    )

                summary = annotate_pairs_mllm(
                    pairset, cfg, out, k, wanted, cycle_threshold, progress=show, backend=backend, keep_rejected=keep_rejected
                )
            if backend is not None and answers is not None:
                summary["provenance"] = batch.import_provenance(answers, read, backend, cfg)
            else:
                summary["provenance"] = {"source": "live", "base_url": cfg.base_url, **batch.request_settings(cfg)}
        else:
            chosen = get_annotator(annotator)
            with _progress() as bar:
                task = bar.add_task(f"annotating ({annotator}, k={k})", total=len(pairset))
                summary = annotate_pairs(
                    pairset,
                    chosen,
                    out / "annotations.jsonl",
                    k,
                    wanted,
                    seed,
                    cycle_threshold,
                    progress=lambda n: bar.advance(task, n),
                )
    except (AutocomposeError, OSError, ValueError, KeyError) as exc:
        _fail(exc)
    _write_atomic(out / "summary.json", json.dumps(summary, indent=2))
    shown = {key: value for key, value in summary.items() if key != "provenance"}
    console.print(", ".join(f"{key} {value}" for key, value in shown.items()) + f" -> {out / 'annotations.jsonl'}")


def _write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so a crash never leaves a torn file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# ---------------------------------------------------------------------------- mllm answer quality
mllm_app = typer.Typer(help="Measure MLLM answers through the project's parser and checks.", no_args_is_help=True)
app.add_typer(mllm_app, name="mllm")


def _load_pairs(pairs: Path):
    from autocompose.pairs import PairSet

    if (pairs / "dataset.json").exists():
        from autocompose.data import CPRDataset

        return CPRDataset.load(pairs).to_pairset()
    return PairSet.load(pairs)


@mllm_app.command("report")
def mllm_report(
    pairs: Annotated[Path, typer.Argument(help="The pair or dataset folder that was annotated.")],
    out: Annotated[Path, typer.Argument(help="The `autocompose annotate` output folder (annotations.jsonl, failures.jsonl).")],
    fixmypose: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Also measure lexicon coverage on FIXMYPOSE's human sentences (folder of *.json)."),
    ] = None,
) -> None:
    """Format success, lexicon coverage of changed-part lines, movement recovery against the
    kinematic measurement (with disagreement examples), cycle and mirror consistency, and the
    side check's caught / wrongly-rejected rates on side-swapped copies; written to OUT/report.json."""
    from autocompose.describe.mllm.quality import quality_report

    try:
        report = quality_report(_load_pairs(pairs), out, fixmypose)
    except (AutocomposeError, OSError, ValueError, KeyError) as exc:
        _fail(exc)
    _write_atomic(out / "report.json", json.dumps(report, indent=2))
    side = report["side_check"]
    console.print(
        f"format {report['format_success']:.1%}  lexicon {report['lexicon']['coverage']:.1%}  "
        f"recovery {report['recovery']['recovery']:.1%}  cycle {report['cycle']['pass_rate']}  "
        f"mirror {report['mirror']['pass_rate']}  "
        f"side: caught {side['caught']:.1%} rejected-correct {side['rejected_correct']:.1%} (n={side['sides_differ']})"
        + (
            "  fixmypose dev {dev[coverage]:.1%} held-out {heldout[coverage]:.1%}".format(**report["fixmypose_lexicon"]["halves"])
            if fixmypose
            else ""
        )
        + f" -> {out / 'report.json'}"
    )


@mllm_app.command("side-eval")
def mllm_side_eval(
    pairs: Annotated[Path, typer.Argument(help="The pair or dataset folder the answers describe.")],
    answers: Annotated[
        Path, typer.Argument(help="annotations.jsonl, or an answers JSONL with custom ids (includes answers a run rejected).")
    ],
    verdicts: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            help="Blind left/right verdicts on some answers (JSONL: pair, variant, label = correct | swapped | "
            "unclear): the rates are also given over the answers a reader found correct."
        ),
    ] = None,
) -> None:
    """Swap left and right in every answer and count how many swaps the side check catches and how
    many correct answers it rejects, on pairs whose two sides move differently (prints JSON).

    Example: autocompose mllm side-eval data/real-cpr runs/mllm/annotations.jsonl --verdicts verdicts.jsonl
    """
    from autocompose.describe.mllm.quality import load_answers, load_verdicts, side_swap_eval

    try:
        parsed, bad = load_answers(answers)
        judged = None if verdicts is None else load_verdicts(verdicts)
        result = {**side_swap_eval(_load_pairs(pairs), parsed, judged), "unparsed": dict(bad)}
    except (AutocomposeError, OSError, ValueError, KeyError) as exc:
        _fail(exc)
    console.print_json(json.dumps(result))


# ---------------------------------------------------------------------------- dataset
dataset_app = typer.Typer(help="Build, inspect, export and import CPR benchmark datasets.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")


def _summarise_dataset(ds: object, out: Path | None = None) -> None:
    from autocompose.data.build import statistics

    stats = statistics(ds)  # type: ignore[arg-type]
    table = Table(title=f"{ds.name} ({ds.modality})")  # type: ignore[attr-defined]
    table.add_column("split")
    table.add_column("pairs", justify="right")
    table.add_column("gallery", justify="right")
    table.add_column("difference (m) mean / median", justify="right")
    for split, n in stats["pairs"].items():
        d = stats["difference_m"].get(split)
        table.add_row(split, str(n), str(stats["gallery"].get(split, 0)), f"{d['mean']:.3f} / {d['median']:.3f}" if d else "-")
    console.print(table)
    console.print(f"poses {stats['poses']}; pair kinds {stats['pair_kinds']}; texts per source {stats['texts']}")
    if out is not None:
        console.print(f"→ {out}")


@dataset_app.command("build")
def dataset_build(
    name: Annotated[str, typer.Argument(help="builtin, mocap, custom, aist-cpr, posefix-cpr or fixmypose.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset folder to write (replaced atomically).")],
    source: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option(
            help="Folder of the original download (not needed for builtin). mocap: repeatable pose sources "
            "(collection folders such as ../shared/mocap/bandai-namco, mocap:NAME, pose files or folders, builtin)."
        ),
    ] = None,
    split: Annotated[
        str,
        typer.Option(
            help="mocap: 'motion' (by take, some contents held out for test) or 'cross-dataset' (train on --train-on, "
            "test on the other sources) or 'test-only' (an evaluation set, e.g. real-sample)."
        ),
    ] = "motion",
    train_on: Annotated[str, typer.Option(help="mocap --split cross-dataset: collections to train on (comma-separated).")] = (
        "bandai-namco"
    ),
    train_density: Annotated[
        float, typer.Option(help="mocap: mine training pairs this many times as densely (val/test pairs unchanged).")
    ] = 1.0,
    extra_train: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(help="mocap: extra training-only sources, e.g. builtin (val/test pairs unchanged)."),
    ] = None,
    pairs: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="custom: JSON Lines of {reference: {sequence, frame}, target: {sequence, frame}, texts: [...]}."),
    ] = None,
    gallery_frames: Annotated[
        str, typer.Option(help="custom: gallery = every:N (every Nth frame of the sources), targets, or a JSONL file.")
    ] = "every:15",
    joints: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="posefix-cpr: folder of AMASS-derived joint .npz files, at the AMASS relative paths."),
    ] = None,
    official_splits: Annotated[
        bool, typer.Option(help="aist-cpr: use AIST++'s crossmodal split lists (by music; dancers may cross splits).")
    ] = False,
    subjects: Annotated[str, typer.Option(help="builtin: comma-separated subject ids (default all).")] = "",
    annotators: Annotated[
        str, typer.Option(help="Offline annotators run on every pair (comma-separated; '' for none).")
    ] = "kinematic,rules",
    k: Annotated[int, typer.Option(help="Phrasings per pair and variant.")] = 3,
    variants: Annotated[str, typer.Option(help="mirror, reverse (comma-separated; '' for none).")] = "mirror,reverse",
    query_source: Annotated[
        str, typer.Option(help="Description source used as test queries (human when the source has it).")
    ] = "human",
    gallery: Annotated[
        str, typer.Option(help="'split': all poses of the split's pairs; 'targets': target poses only.")
    ] = "split",
    min_diff: Annotated[float, typer.Option(help="Mining: smallest pose difference (m).")] = 0.06,
    max_diff: Annotated[float, typer.Option(help="Mining: largest pose difference (m).")] = 0.45,
    max_per_sequence: Annotated[int, typer.Option(help="Mining: cap on in-sequence pairs per sequence.")] = 40,
    cross_fraction: Annotated[float, typer.Option(help="Mining: share of cross-sequence pairs.")] = 0.3,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Build a benchmark into the on-disk CPR format, print its statistics and save a difference histogram."""
    from autocompose.data.build import BuildOptions, plot_differences
    from autocompose.data.builders import BUILDERS
    from autocompose.pairs import MiningConfig

    if name not in BUILDERS:
        _fail(AutocomposeError(f"unknown dataset {name!r}; available: {', '.join(BUILDERS)}"))
    try:
        options = BuildOptions(
            annotators=tuple(a.strip() for a in annotators.split(",") if a.strip()),
            k=k,
            variants=tuple(v.strip() for v in variants.split(",") if v.strip()),
            query_source=query_source,
            gallery=gallery,
            mining=MiningConfig(
                min_diff=min_diff, max_diff=max_diff, max_per_sequence=max_per_sequence, cross_fraction=cross_fraction, seed=seed
            ),
            seed=seed,
        )
        extra: dict[str, object] = {}
        src: object = source[0] if source and name not in ("mocap", "custom") else source
        if name == "custom":
            extra.update(pairs_file=pairs, gallery=gallery_frames)
        if name == "mocap":
            extra["plan"] = split
            extra["train_density"] = train_density
            extra["extra_train"] = tuple(extra_train or ())
            extra["train_on"] = tuple(t.strip() for t in train_on.split(",") if t.strip())
        if name == "builtin" and subjects:
            extra["subjects"] = tuple(s.strip() for s in subjects.split(","))
        if name == "posefix-cpr":
            extra["joints_dir"] = joints
        if name == "aist-cpr":
            extra["official"] = official_splits
        with _progress() as bar:

            def tick(label: str, total: int):
                task = bar.add_task(label, total=total)
                return lambda n: bar.advance(task, n)

            ds = BUILDERS[name](src, options, tick, **extra)  # type: ignore[operator]
        folder = ds.save(out)
        plot = plot_differences(ds, folder / "difference_histogram.png")
    except (AutocomposeError, OSError, ValueError, KeyError) as exc:
        _fail(exc)
    _summarise_dataset(ds, folder)
    if plot:
        console.print(f"difference histogram → {plot}")


@dataset_app.command("info")
def dataset_info(folder: Annotated[Path, typer.Argument(help="A dataset folder.")]) -> None:
    """Validate a dataset folder and print its statistics."""
    from autocompose.data import CPRDataset

    try:
        ds = CPRDataset.load(folder)
    except (AutocomposeError, OSError) as exc:
        _fail(exc)
    _summarise_dataset(ds)
    console.print(
        f"sources {ds.sources()}; test queries from {ds.card.get('queries', {}).get('test')}; licence: {ds.card.get('licence')}"
    )


queries_app = typer.Typer(
    help="Human-style query sets: render pairs for readers, collect what they wrote, attach it as test queries.",
    no_args_is_help=True,
)
dataset_app.add_typer(queries_app, name="queries")


@queries_app.command("render")
def queries_render(
    folder: Annotated[Path, typer.Argument(help="A dataset folder (pose modality).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the PNGs and manifest.json.")],
    n: Annotated[int, typer.Option(help="Pairs to draw.")] = 200,
    split: Annotated[str, typer.Option(help="Split to draw them from.")] = "test",
    seed: Annotated[int, typer.Option(help="Random seed of the selection.")] = 0,
) -> None:
    """Render pairs for readers: start and end, front and side views, a left/right legend; no text of ours."""
    from autocompose.data import CPRDataset
    from autocompose.data.query_sets import render_batch

    try:
        manifest = render_batch(CPRDataset.load(folder), split, n, out, seed)
    except (AutocomposeError, OSError, ValueError) as exc:
        _fail(exc)
    console.print(f"{len(manifest)} renders and manifest.json → {out}")


@queries_app.command("collect")
def queries_collect(
    manifest: Annotated[Path, typer.Argument(help="manifest.json written by `dataset queries render`.")],
    answers: Annotated[Path, typer.Argument(help="A reader's answers: JSON object render key → list of texts.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Query-set JSONL to write or extend.")],
    writer: Annotated[str, typer.Option(help="Who wrote them (a person, or the model that read the renders).")],
    brief: Annotated[str, typer.Option(help="The brief the writer was given.")] = "",
) -> None:
    """Add one reader's answers to a query-set file (records of the same pair are merged)."""
    from autocompose.data.query_sets import collect_answers, merge_records, read_query_set, write_query_set

    try:
        pairs = json.loads(manifest.read_text(encoding="utf-8"))["pairs"]
        new = collect_answers(pairs, json.loads(answers.read_text(encoding="utf-8")), {"writer": writer, "brief": brief})
        old = read_query_set(out) if out.exists() else []
        records = merge_records([*old, *new])
        write_query_set(records, out)
    except (AutocomposeError, OSError, ValueError, KeyError) as exc:
        _fail(exc)
    console.print(f"{len(new)} answers added → {out} ({len(records)} pairs)")


@queries_app.command("attach")
def queries_attach(
    folder: Annotated[Path, typer.Argument(help="A dataset folder.")],
    query_set: Annotated[Path, typer.Argument(help="A query-set JSONL (`dataset queries collect`).")],
    source: Annotated[str, typer.Option(help="Description source name.")] = "human",
    split: Annotated[
        str,
        typer.Option(help="test: the texts become the test queries; val: early stopping and recipe choice use them."),
    ] = "test",
) -> None:
    """Attach a query set's texts to the matching pairs of a split (test: they become the test queries)."""
    from autocompose.data import CPRDataset
    from autocompose.data.query_sets import attach_query_set, read_query_set

    try:
        ds = CPRDataset.load(folder)
        if split not in ("test", "val"):
            raise AutocomposeError(f"--split {split!r}: attach to test or val")
        matched = attach_query_set(ds, read_query_set(query_set), source, split)
        if not matched:
            raise AutocomposeError(f"{query_set}: no record names a {split} pair of {folder} (built from other data or options?)")
        ds.save(folder)
    except (AutocomposeError, OSError, ValueError) as exc:
        _fail(exc)
    console.print(f"{matched} {split} pairs of {folder} now have {source!r} texts")


@dataset_app.command("add-descriptions")
def dataset_add_descriptions(
    folder: Annotated[Path, typer.Argument(help="A dataset folder.")],
    annotations: Annotated[
        list[Path],
        typer.Argument(
            help="annotations.jsonl written by `autocompose annotate` on the same pairs; more files (e.g. its "
            "rejected.jsonl) are merged, a later file's pair replacing an earlier one's."
        ),
    ],
    source: Annotated[str, typer.Option(help="Name of the new description source (e.g. the MLLM's model name).")],
    kind: Annotated[str, typer.Option(help="human, rules, kinematic or mllm.")] = "mllm",
    cycle_pass_only: Annotated[
        bool, typer.Option(help="Keep only pairs that passed the cycle-consistency check (default: keep all records).")
    ] = False,
    fill_from: Annotated[
        str | None,
        typer.Option(
            help="An existing source whose texts fill every pair and variant the new source lacks (e.g. kinematic: "
            "MLLM text where it exists, the describer's elsewhere, val included so training has val queries)."
        ),
    ] = None,
) -> None:
    """Add an annotation run (any annotator, MLLM included) to a dataset as a new description source."""
    from autocompose.data import CPRDataset
    from autocompose.data.build import descriptions_from_annotations, fill_descriptions

    try:
        ds = CPRDataset.load(folder)
        texts = {}
        for path in annotations:
            texts.update(descriptions_from_annotations(path, cycle_pass_only))
        known = {p.id for p in ds.pairs}
        unknown = sorted(set(texts) - known)
        if unknown:
            raise AutocomposeError(
                f"{', '.join(map(str, annotations))}: {len(unknown)} pair ids are not in {folder} (e.g. {unknown[:3]}); "
                "annotate this dataset's pairs"
            )
        entry: dict = {"kind": kind, "from": str(annotations[0]) if len(annotations) == 1 else [str(a) for a in annotations]}
        if fill_from is not None:
            if fill_from not in ds.descriptions:
                raise AutocomposeError(
                    f"--fill-from {fill_from!r}: no such source in {folder} (it has {', '.join(ds.sources())})"
                )
            entry["pairs_from_annotations"] = len(texts)
            texts, filled = fill_descriptions(texts, ds.descriptions[fill_from])
            entry["filled_from"] = {"source": fill_from, "pair_variants": filled}
        ds.descriptions[source] = texts
        if cycle_pass_only:
            entry["cycle_pass_only"] = True
        run_summary = annotations[0].parent / "summary.json"
        if run_summary.is_file():  # MLLM runs: model, prompt version, render settings, where the answers came from
            provenance = json.loads(run_summary.read_text(encoding="utf-8")).get("provenance")
            if provenance:
                entry["provenance"] = provenance
        ds.card.setdefault("descriptions", {})[source] = entry
        ds.card.setdefault("queries", {}).setdefault("train", [])
        ds.card["queries"]["train"] = sorted(set(ds.card["queries"]["train"]) | {source})
        ds.save(folder)
    except (AutocomposeError, OSError, ValueError) as exc:
        _fail(exc)
    console.print(f"added {len(texts)} pairs of {source!r} descriptions to {folder}")


@dataset_app.command("export-clip4cir")
def dataset_export(
    folder: Annotated[Path, typer.Argument(help="A dataset folder.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for captions/, image_splits/, images/.")],
    train_source: Annotated[
        str, typer.Option(help="Description source for the mllm/reverse/mirror/mirror-reverse keys.")
    ] = "kinematic",
    query_source: Annotated[str, typer.Option(help="Source for 'sents' (default: the dataset's test queries).")] = "",
    rule_source: Annotated[str, typer.Option(help="Source for auto/auto-reverse ('' for none).")] = "",
    image_size: Annotated[int, typer.Option(help="Rendered image size (pixels).")] = 224,
) -> None:
    """Export to the CLIP4Cir / AutoComPose layout so the paper's training scripts can read it."""
    from autocompose.data import CPRDataset
    from autocompose.data.clip4cir import export_clip4cir

    try:
        ds = CPRDataset.load(folder)
        with _progress() as bar:
            task = bar.add_task("images", total=len(ds.poses))
            counts = export_clip4cir(
                ds, out, train_source, query_source or None, rule_source or None, image_size, lambda n: bar.advance(task, n)
            )
    except (AutocomposeError, OSError, ValueError) as exc:
        _fail(exc)
    console.print(f"exported {counts} pairs and {len(ds.poses)} images → {out}")


@dataset_app.command("import-clip4cir")
def dataset_import(
    folder: Annotated[Path, typer.Argument(help="A CLIP4Cir-layout folder (captions/, image_splits/, images/).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset folder to write.")],
    name: Annotated[str, typer.Option(help="Dataset name (default: the folder name).")] = "",
) -> None:
    """Import a CLIP4Cir-layout folder as an image-modality CPR dataset."""
    from autocompose.data.clip4cir import import_clip4cir

    try:
        ds = import_clip4cir(folder, name or None)
        ds.save(out)
    except (AutocomposeError, OSError, ValueError) as exc:
        _fail(exc)
    _summarise_dataset(ds, out)


# ---------------------------------------------------------------------------- retrieval
describe_app = typer.Typer(help="Inspect describers' language.", no_args_is_help=True)
app.add_typer(describe_app, name="describe")


@describe_app.command("compare-language")
def describe_compare_language(
    generated: Annotated[
        Path,
        typer.Argument(help="annotations.jsonl, descriptions/SOURCE.jsonl, a dataset folder (with --source) or FIXMYPOSE JSON."),
    ],
    reference: Annotated[Path, typer.Argument(help="The human texts, in any of the same forms (e.g. ../shared/fixmypose).")],
    source: Annotated[str | None, typer.Option(help="Description source when GENERATED is a dataset folder.")] = None,
    reference_source: Annotated[str, typer.Option(help="Description source when REFERENCE is a dataset folder.")] = "human",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report here as JSON.")] = None,
    plot: Annotated[Path | None, typer.Option(help="Write a words-per-text histogram PNG of both sets here.")] = None,
    embed: Annotated[bool, typer.Option(help="Embedding similarity with MiniLM (the models' text branch; offline).")] = True,
    max_texts: Annotated[
        int, typer.Option(help="Embed at most this many texts per side (seeded sample; ~30 texts/s on 2 cores).")
    ] = 2000,
) -> None:
    """How close GENERATED texts are to REFERENCE (human) texts: embedding similarity, vocabulary, length.

    With shared pair ids, `paired_cosine` is the mean MiniLM cosine of each generated text to the
    reference texts of the same pair (`unpaired_cosine`: the same against another pair, for scale);
    always: centroid cosine and mean nearest-reference cosine. Vocabulary: sizes, Jaccard, the share
    of generated words never used in the reference (oov_rate). Only `original` variants are read.
    """
    from autocompose.describe.language import compare, load_texts, plot_lengths

    try:
        gen = load_texts(generated, source)
        ref = load_texts(reference, reference_source)
        embed_fn = None
        if embed:
            from autocompose.retrieval.encoders import SentenceEncoder, cached_embeddings

            encoder = SentenceEncoder()
            with _progress() as bar:
                task = bar.add_task("embedding texts (cached)", total=None)

                def embed_fn(texts):
                    return cached_embeddings(encoder, list(texts), progress=lambda i: bar.advance(task, i))

                report = compare(gen, ref, embed_fn, max_texts)
        else:
            report = compare(gen, ref)
        if plot is not None:
            plot_lengths(gen, ref, plot, (generated.name, reference.name))
    except (AutocomposeError, OSError, ValueError) as exc:
        _fail(exc)
    text = json.dumps(report, indent=2)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text + "\n")
        tmp.replace(out)
    typer.echo(text)


experiment_app = typer.Typer(help="Experiment suites (the paper's ablation table).", no_args_is_help=True)
app.add_typer(experiment_app, name="experiment")
OVERRIDE_HELP = "Override a config field, e.g. --set epochs=10 --set loss.cycle=true --set model.dim=128 (repeatable)."


def _metrics_table(rows: dict[str, dict]) -> Table:
    """Recall@K with soft recall and the text-ignoring baselines beside it (``-`` where absent)."""
    from autocompose.retrieval.evaluate import metrics_row

    table = Table(
        caption="soft10: a top-K pose within 10 cm of the target; ref-only: same model, text ignored; "
        "nearest: gallery ranked by pose distance to the reference"
    )
    cols = None
    for name, m in rows.items():
        row = metrics_row(m)
        if cols is None:
            cols = list(row)
            table.add_column("run")
            for col in cols:
                table.add_column(col, justify="right")
        table.add_row(name, *(str(row.get(c, "-")) for c in cols))
    return table


@app.command("train")
def train_cmd(
    config: Annotated[Optional[Path], typer.Argument(help="Experiment config (JSON); defaults when omitted.")] = None,  # noqa: UP045
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help=OVERRIDE_HELP)] = None,  # noqa: UP045
) -> None:
    """Train a composed pose retrieval model (resumes from OUT/last.pt when it exists)."""
    from autocompose.retrieval.config import load_config
    from autocompose.retrieval.train import train

    try:
        cfg = load_config(config, overrides)
        console.print(f"training → {cfg.out} on {cfg.dataset} ({cfg.train_source}, k={cfg.k}, cycle={cfg.loss.cycle})")
        metrics = train(cfg, log=console.print)
    except (AutocomposeError, OSError, ValueError) as exc:
        _fail(exc)
    console.print(_metrics_table({f"test ({metrics['query_source']} queries)": metrics}))


@app.command("evaluate")
def evaluate_cmd(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint (best.pt / last.pt).")],
    dataset: Annotated[Path, typer.Argument(help="A dataset folder.")],
    split: Annotated[str, typer.Option(help="Split to evaluate.")] = "test",
    query_source: Annotated[str, typer.Option(help="Description source used as queries (default: the card's).")] = "",
    out: Annotated[Optional[Path], typer.Option(help="Write metrics JSON and a recall plot here.")] = None,  # noqa: UP045
) -> None:
    """Recall@1/5/10/50 and rank statistics of a checkpoint on a dataset split."""
    import torch

    from autocompose.data import CPRDataset
    from autocompose.retrieval.config import ModelConfig, TrainConfig
    from autocompose.retrieval.evaluate import evaluate, plot_recall
    from autocompose.retrieval.train import TextTable, load_checkpoint

    try:
        model, _ = load_checkpoint(checkpoint)
        ds = CPRDataset.load(dataset)
        source = query_source or ds.card.get("queries", {}).get("test")
        cfg = TrainConfig(model=ModelConfig.model_validate(model.cfg.model_dump()))
        texts = TextTable(model, cfg, torch.device("cpu"), progress=True)
        metrics = evaluate(model, ds, split, texts.embed, source, "cpu")
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
            plot_recall({f"{split} ({source})": metrics}, out / "recall.png")
    except (AutocomposeError, OSError, ValueError) as exc:
        _fail(exc)
    console.print(_metrics_table({f"{ds.name} {split} ({source} queries, gallery {metrics['gallery']})": metrics}))


@experiment_app.command("matrix")
def experiment_matrix(
    config: Annotated[Optional[Path], typer.Argument(help="Base config (JSON); defaults when omitted.")] = None,  # noqa: UP045
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help=OVERRIDE_HELP)] = None,  # noqa: UP045
    rules_source: Annotated[str, typer.Option(help="Description source of run (a).")] = "rules",
    generated_source: Annotated[str, typer.Option(help="Description source of runs (b)-(e).")] = "kinematic",
    mllm_source: Annotated[str, typer.Option(help="Add arm (f) trained on this MLLM source ('' = none).")] = "",
    seeds: Annotated[str, typer.Option(help="Comma-separated training seeds (intervals cover them).")] = "0",
    arms: Annotated[str, typer.Option(help="Only these arms (comma-separated; '' = all).")] = "",
) -> None:
    """Train (a) rules, (b) k=1, (c) k=3, (d) k=3 + mirror + reverse, (e) (d) + cycle loss [, (f) MLLM] for each
    seed; print one table with 95 % bootstrap intervals and the paired differences the paper's ablation asks about."""
    from autocompose.retrieval.config import load_config
    from autocompose.retrieval.experiments import run_matrix

    try:
        base = load_config(config, overrides)
        result = run_matrix(
            base,
            log=console.print,
            seeds=[int(s) for s in seeds.split(",") if s.strip()],
            arms=[a.strip() for a in arms.split(",") if a.strip()] or None,
            rules_source=rules_source,
            generated_source=generated_source,
            mllm_source=mllm_source or None,
        )
    except (AutocomposeError, OSError, ValueError) as exc:
        _fail(exc)
    summary = result["summary"]
    table = Table(title=f"test queries: {next(iter(result['runs'].values()))[0]['query_source']} (95 % CI over queries × seeds)")
    for col in ("arm", "seeds", "R@1", "R@10", "soft10@10", "ref-only R@10", "queries", "gallery"):
        table.add_column(col, justify="left" if col == "arm" else "right")
    for arm, row in summary["arms"].items():

        def ci(m: dict | None) -> str:
            return f"{m['mean']:.1f} [{m['lo']:.1f}, {m['hi']:.1f}]" if m else "-"

        table.add_row(
            arm,
            str(row["seeds"]),
            ci(row["R@1"]),
            ci(row["R@10"]),
            ci(row["soft10@10"]),
            ci(row.get("reference_only R@10")),
            str(row["queries"]),
            str(row["gallery"]),
        )
    console.print(table)
    for d in summary["differences"]:
        console.print(f"{d['comparison']:<32} {d['metric']:>5}: {d['diff']:+.1f} points [{d['lo']:+.1f}, {d['hi']:+.1f}]")
    console.print(f"→ {base.out / 'matrix.json'}, {base.out / 'matrix.png'}")


@experiment_app.command("real-motion")
def experiment_real_motion(
    mocap: Annotated[
        list[Path], typer.Argument(help="Collection folders, e.g. ../shared/mocap/bandai-namco ../shared/mocap/cmu-expmap …")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Benchmark, model and results.json go here.")] = Path(
        "runs/real-motion"
    ),
    evaluate_on: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option(help="Extra evaluation datasets (e.g. `dataset build mocap --split test-only --source real-sample`)."),
    ] = None,
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help=OVERRIDE_HELP)] = None,  # noqa: UP045
    train_density: Annotated[float, typer.Option(help="Mine training pairs this many times as densely.")] = 1.0,
) -> None:
    """Build the cross-dataset real-motion benchmark (train Bandai-Namco, test CMU + DeepMimic) from local copies,
    train the recommended model, and report Recall@K, soft recall and the reference-only baseline."""
    from autocompose.retrieval.config import load_config
    from autocompose.retrieval.experiments import real_motion

    try:
        extra = load_config(None, overrides).model_dump(exclude_unset=True) if overrides else None
        results = real_motion(mocap, out, console.print, extra, evaluate_on or [], train_density)
    except (AutocomposeError, OSError, ValueError) as exc:
        _fail(exc)
    console.print(_metrics_table(results))
    console.print(f"→ {out / 'results.json'}")


@app.command("serve")
def serve_cmd(
    model: Annotated[Path, typer.Option(help="Trained checkpoint (best.pt) from `autocompose train`.")],
    gallery: Annotated[Path, typer.Option(help="Dataset folder whose poses are searched.")],
    split: Annotated[str, typer.Option(help="Index only this split's gallery ('' = every pose of the dataset).")] = "",
    index: Annotated[
        str,
        typer.Option(
            help="auto (exact flat index below 20,000 poses, IVF above: recall@10 >= 0.99), flat (always exact), "
            "hnsw or ivf (approximate)."
        ),
    ] = "auto",
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes (each with its own model; the saved index is memory-mapped and shared). "
            "About one per core: 2 on 2 cores doubled throughput under 50 clients.",
        ),
    ] = 2,
) -> None:
    """Serve the search API and web page: open http://HOST:PORT/ in a browser (API docs at /docs)."""
    import os

    import uvicorn

    from autocompose.serve.app import SERVE_ENV, create_app
    from autocompose.serve.engine import SearchEngine

    try:  # built here first: errors show at once, and the index is saved before any worker maps it
        engine = SearchEngine(model, gallery, index, split=split or None, threads=1)  # type: ignore[arg-type]
    except (AutocomposeError, OSError, ValueError, KeyError) as exc:
        _fail(exc)
    console.print(
        f"serving {engine.info['gallery']} poses of {engine.info['dataset']} ({engine.info['index']} index) "
        f"on http://{host}:{port}/ with {workers} worker(s)"
    )
    fast = {"http": "httptools", "loop": "uvloop"}  # C HTTP parser and event loop (pinned dependencies)
    if workers == 1:
        uvicorn.run(create_app(engine), host=host, port=port, log_level="warning", **fast)
        return
    del engine
    args = {"checkpoint": str(model), "dataset": str(gallery), "index_kind": index, "split": split or None, "threads": 1}
    os.environ[SERVE_ENV] = json.dumps(args)
    uvicorn.run(  # a busy machine can delay a worker's health answer: 60 s before the supervisor restarts it
        "autocompose.serve.app:create_app_from_env",
        timeout_worker_healthcheck=60,
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        **fast,
    )


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("demo_out"),
    pairs_shown: Annotated[int, typer.Option(help="How many pairs to draw on the contact sheet.")] = 12,
    real: Annotated[bool, typer.Option("--real", help="Also use the real mocap sample (downloaded into a cache).")] = False,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    train: Annotated[
        bool, typer.Option("--train/--no-train", help="Also build the built-in benchmark and train + evaluate a model (~2 min).")
    ] = True,
    epochs: Annotated[int, typer.Option(help="Training epochs of the demo model.")] = 20,
) -> None:
    """Run the pipeline on the built-in library: poses → pairs → sheets → benchmark → trained model → Recall@K."""
    from autocompose.demo import run_demo

    try:
        summary = run_demo(
            out, pairs_shown=pairs_shown, use_real_sample=real, seed=seed, progress=_progress, train_model=train, epochs=epochs
        )
    except (AutocomposeError, OSError, ValueError) as exc:
        _fail(exc)
    for key, value in summary.items():
        console.print(f"[bold]{key}[/bold]: {value}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
