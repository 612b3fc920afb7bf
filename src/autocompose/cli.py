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
    "'builtin' (the built-in library), 'builtin:s01,s02' (some of its subjects) or 'real-sample' (three real "
    "mocap clips fetched into a cache)."
)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console)


def load_sources(sources: list[str]) -> list[PoseSequence]:
    """Resolve CLI source arguments into sequences (see ``SOURCE_HELP``)."""
    from autocompose.poses.builtin import builtin_library
    from autocompose.poses.io import LOADERS, load_sequence
    from autocompose.poses.real_sample import fetch_real_sample

    out: list[PoseSequence] = []
    for src in sources:
        if src == "builtin" or src.startswith("builtin:"):
            subjects = tuple(src.split(":", 1)[1].split(",")) if ":" in src else None
            out.extend(builtin_library(subjects=subjects))
        elif src == "real-sample":
            out.extend(load_sequence(p) for p in fetch_real_sample())
        else:
            path = Path(src)
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in LOADERS) if path.is_dir() else [path]
            if not files:
                raise AutocomposeError(f"{src}: no pose files found (looked for {', '.join(LOADERS)})")
            out.extend(load_sequence(f) for f in files)
    return out


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
                **{k: s.meta[k] for k in ("format", "mapping", "unit", "up_axis", "category") if k in s.meta},
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
            help="kinematic (offline default), rules (PoseFix-style), openai (any OpenAI-compatible server) or hf-local."
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
) -> None:
    """Describe every pair (resumable: re-running skips pairs already written) and print a summary.

    With --annotator openai the pairs are rendered and sent to the model; answers are cached in
    OUT/cache.sqlite, failures go to OUT/failures.jsonl, and a re-run (even after kill -9)
    pays only for what it has not received yet.
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
        if annotator in MLLM_BACKENDS:
            from autocompose.describe.mllm import MLLMConfig, annotate_pairs_mllm

            cfg = MLLMConfig(
                backend=annotator,
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
                max_retries=max_retries,
                price_in=None if price_in < 0 else price_in,
                price_out=None if price_out < 0 else price_out,
            )
            with _progress() as bar:
                task = bar.add_task(f"annotating ({model}, k={k})", total=len(pairset))

                def show(stats) -> None:
                    bar.update(
                        task,
                        completed=stats.done + stats.failed,
                        description=f"done {stats.done} failed {stats.failed} cached {stats.cached} ${stats.cost_usd:.3f}",
                    )

                summary = annotate_pairs_mllm(pairset, cfg, out, k, wanted, cycle_threshold, progress=show)
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
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    console.print(", ".join(f"{key} {value}" for key, value in summary.items()) + f" -> {out / 'annotations.jsonl'}")


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
    name: Annotated[str, typer.Argument(help="builtin, aist-cpr, posefix-cpr or fixmypose.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset folder to write (replaced atomically).")],
    source: Annotated[Optional[Path], typer.Option(help="Folder of the original download (not needed for builtin).")] = None,  # noqa: UP045
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

            ds = BUILDERS[name](source, options, tick, **extra)  # type: ignore[operator]
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


@dataset_app.command("add-descriptions")
def dataset_add_descriptions(
    folder: Annotated[Path, typer.Argument(help="A dataset folder.")],
    annotations: Annotated[Path, typer.Argument(help="annotations.jsonl written by `autocompose annotate` on the same pairs.")],
    source: Annotated[str, typer.Option(help="Name of the new description source (e.g. the MLLM's model name).")],
    kind: Annotated[str, typer.Option(help="human, rules, kinematic or mllm.")] = "mllm",
) -> None:
    """Add an annotation run (any annotator, MLLM included) to a dataset as a new description source."""
    from autocompose.data import CPRDataset
    from autocompose.data.build import descriptions_from_annotations

    try:
        ds = CPRDataset.load(folder)
        texts = descriptions_from_annotations(annotations)
        known = {p.id for p in ds.pairs}
        unknown = sorted(set(texts) - known)
        if unknown:
            raise AutocomposeError(
                f"{annotations}: {len(unknown)} pair ids are not in {folder} (e.g. {unknown[:3]}); annotate this dataset's pairs"
            )
        ds.descriptions[source] = texts
        ds.card.setdefault("descriptions", {})[source] = {"kind": kind, "from": str(annotations)}
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
experiment_app = typer.Typer(help="Experiment suites (the paper's ablation table).", no_args_is_help=True)
app.add_typer(experiment_app, name="experiment")
OVERRIDE_HELP = "Override a config field, e.g. --set epochs=10 --set loss.cycle=true --set model.dim=128 (repeatable)."


def _metrics_table(rows: dict[str, dict]) -> Table:
    table = Table()
    table.add_column("run")
    for col in ("R@1", "R@5", "R@10", "R@50", "median_rank", "queries"):
        table.add_column(col, justify="right")
    for name, m in rows.items():
        table.add_row(name, *(str(m.get(c, "-")) for c in ("R@1", "R@5", "R@10", "R@50", "median_rank", "queries")))
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
) -> None:
    """Train (a) rules, (b) k=1, (c) k=3, (d) k=3 + mirror + reverse, (e) (d) + cycle loss; print one table."""
    from autocompose.retrieval.config import load_config
    from autocompose.retrieval.experiments import run_matrix

    try:
        base = load_config(config, overrides)
        results = run_matrix(base, log=console.print, rules_source=rules_source, generated_source=generated_source)
    except (AutocomposeError, OSError, ValueError) as exc:
        _fail(exc)
    (base.out / "matrix.json").write_text(json.dumps(results, indent=2))
    console.print(_metrics_table(results))
    console.print(f"→ {base.out / 'matrix.json'}, {base.out / 'matrix_recall.png'}")


@app.command("serve")
def serve_cmd(
    model: Annotated[Path, typer.Option(help="Trained checkpoint (best.pt) from `autocompose train`.")],
    gallery: Annotated[Path, typer.Option(help="Dataset folder whose poses are searched.")],
    split: Annotated[str, typer.Option(help="Index only this split's gallery ('' = every pose of the dataset).")] = "",
    index: Annotated[str, typer.Option(help="flat (exact), hnsw or ivf (approximate, for large galleries).")] = "flat",
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Serve the search API and web page: open http://HOST:PORT/ in a browser (API docs at /docs)."""
    import uvicorn

    from autocompose.serve.app import create_app
    from autocompose.serve.engine import SearchEngine

    try:
        engine = SearchEngine(model, gallery, index, split=split or None, threads=1)  # type: ignore[arg-type]
    except (AutocomposeError, OSError, ValueError, KeyError) as exc:
        _fail(exc)
    console.print(
    console.print(f"serving {engine.info['gallery']} poses of {engine.info['dataset']} on http://{host}:{port}/")
    )
    uvicorn.run(create_app(engine), host=host, port=port, log_level="warning")


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
