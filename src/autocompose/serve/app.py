"""HTTP search API and web page (FastAPI; OpenAPI schema at /openapi.json, docs at /docs).

Every input is validated (joint array shape and finiteness, text length, k bounds) and bad
input gets a 4xx with a clear message: unknown pose ids are 404, malformed bodies 422, a BVH
that does not parse 400. Nothing on bad input reaches a 500.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Annotated

import numpy as np
from fastapi import Body, FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, field_validator, model_validator

from autocompose import __version__
from autocompose.errors import AutocomposeError
from autocompose.poses.skeleton import JOINT_NAMES, NUM_JOINTS
from autocompose.serve.engine import SearchEngine

MAX_TEXT = 500
MAX_K = 100


class PoseRef(BaseModel):
    """A gallery pose by ``id``, or raw ``joints``: 23 × [x, y, z] in metres, y up (canonical skeleton)."""

    id: str | None = Field(None, max_length=300, description="a gallery pose id")
    joints: list[list[float]] | None = Field(None, description=f"{NUM_JOINTS} joints × 3 coordinates: {', '.join(JOINT_NAMES)}")

    @field_validator("joints")
    @classmethod
    def _shape(cls, v: list[list[float]] | None) -> list[list[float]] | None:
        if v is None:
            return v
        arr = np.asarray(v, dtype=np.float64) if all(len(row) == 3 for row in v) else None
        if arr is None or arr.shape != (NUM_JOINTS, 3):
            raise ValueError(f"joints must be {NUM_JOINTS} rows of 3 numbers (x, y, z in metres)")
        if not np.isfinite(arr).all() or np.abs(arr).max() > 1e3:
            raise ValueError("joints must be finite numbers within ±1000 m")
        return v

    @model_validator(mode="after")
    def _one(self) -> PoseRef:
        if (self.id is None) == (self.joints is None):
            raise ValueError("give exactly one of 'id' (a gallery pose) or 'joints' (23 × 3 numbers)")
        return self


class SearchRequest(BaseModel):
    reference: PoseRef
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="the transition, e.g. 'raise both arms above your head'")
    k: int = Field(10, ge=1, le=MAX_K)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text must not be blank")
        return v.strip()


class SearchHit(BaseModel):
    id: str
    score: float
    image_url: str


class SearchResponse(BaseModel):
    results: list[SearchHit]
    took_ms: float


class DescribeRequest(BaseModel):
    a: PoseRef
    b: PoseRef
    k: int = Field(3, ge=1, le=10)


class Description(BaseModel):
    text: str
    parts: dict[str, str]


class DescribeResponse(BaseModel):
    annotator: str
    descriptions: list[Description]


class GalleryPage(BaseModel):
    total: int
    ids: list[str]


class SearchBatcher:
    """Micro-batching: requests that arrive while a batch is being answered wait and go together in
    the next one (``SearchEngine.search_many``: one pose-encoder pass and one index search). No timer:
    a lone request is answered at once; under load the batches grow by themselves. The engine runs
    in one worker thread, so the event loop keeps reading and writing HTTP meanwhile."""

    def __init__(self, engine: SearchEngine, max_batch: int = 64) -> None:
        self.engine, self.max_batch = engine, max_batch
        self._pending: list[tuple[tuple[np.ndarray, str, int, str | None], asyncio.Future]] = []
        self._running = False
        self._task: asyncio.Task | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="search")

    async def search(self, joints: np.ndarray, text: str, k: int, exclude: str | None) -> list[tuple[str, float]]:
        future = asyncio.get_running_loop().create_future()
        self._pending.append(((joints, text, k, exclude), future))
        if not self._running:
            self._running = True
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
                queries = [q for q, _ in batch]
                try:
                    results = await loop.run_in_executor(self._pool, self.engine.search_many, queries)
                except AutocomposeError:  # one bad query: answer each on its own, so only it fails
                    results = [await loop.run_in_executor(self._pool, self._one, q) for q in queries]
                except Exception as exc:  # never leave a request waiting
                    results = [exc] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._running = False

    def _one(self, query: tuple[np.ndarray, str, int, str | None]) -> list[tuple[str, float]] | Exception:
        try:
            return self.engine.search(query[0], query[1], query[2], exclude=query[3])
        except AutocomposeError as exc:
            return exc


JSON = "application/json"
SERVE_ENV = "AUTOCOMPOSE_SERVE"  # JSON of SearchEngine arguments, read by each `--workers` process


def _json(body: dict) -> bytes:
    import orjson

    return orjson.dumps(body)


def create_app_from_env() -> FastAPI:
    """App factory for ``uvicorn --workers N`` (each worker process builds its own engine from the
    arguments in ``$AUTOCOMPOSE_SERVE``; the gallery index was built and saved by the parent, so a
    worker only maps it: the vectors are shared through the page cache)."""
    import json
    import os
    import sys

    if sys.platform == "linux":  # a worker ends with its parent (even after a SIGKILL), never left behind on the port
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    try:
        args = json.loads(os.environ[SERVE_ENV])
    except (KeyError, ValueError) as exc:
        raise AutocomposeError(
            f"${SERVE_ENV} must hold the engine arguments as JSON (set by `autocompose serve`): {exc}"
        ) from exc
    return create_app(
        SearchEngine(
            Path(args["checkpoint"]),
            Path(args["dataset"]),
            args["index_kind"],
            split=args.get("split"),
            threads=args.get("threads"),
        )
    )


def create_app(engine: SearchEngine) -> FastAPI:
    app = FastAPI(
        title="autocompose", version=__version__, description="Composed pose retrieval: reference pose + text → target poses."
    )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        """422 with location and message only: echoing the input back fails on NaN/inf and would be a 500."""
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))} for e in exc.errors()
        ]
        return JSONResponse(status_code=422, content={"detail": errors})

    def joints_of(ref: PoseRef) -> tuple[np.ndarray, str | None]:
        if ref.id is not None:
            try:
                return engine.joints_of(ref.id)[0], ref.id
            except KeyError:
                raise HTTPException(404, f"no pose {ref.id!r} in the gallery") from None
        return np.asarray(ref.joints, np.float32), None

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "gallery": len(engine.index)}

    @app.get("/version")
    def version() -> dict:
        return engine.info

    batcher = SearchBatcher(engine)

    @app.post("/search", response_model=SearchResponse)
    async def search(req: SearchRequest) -> Response:
        """Concurrent requests are answered in batches (``SearchBatcher``); the JSON is written here
        directly (the response model documents it); ``autocompose serve --workers N`` scales it out."""
        t0 = time.perf_counter()
        joints, exclude = joints_of(req.reference)
        try:
            hits = await batcher.search(joints, req.text, req.k, exclude)
        except AutocomposeError as exc:
            raise HTTPException(422, str(exc)) from exc
        results = [{"id": i, "score": round(s, 5), "image_url": f"/poses/{i}.png"} for i, s in hits]
        return Response(_json({"results": results, "took_ms": round((time.perf_counter() - t0) * 1e3, 2)}), media_type=JSON)

    @app.post("/describe", response_model=DescribeResponse)
    def describe(req: DescribeRequest) -> DescribeResponse:
        a, _ = joints_of(req.a)
        b, _ = joints_of(req.b)
        return DescribeResponse(
            annotator=engine.annotator.name, descriptions=[Description(**d) for d in engine.describe(a, b, req.k)]
        )

    @app.get("/gallery", response_model=GalleryPage)
    def gallery(offset: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=500)] = 60) -> GalleryPage:
        ids = engine.index.ids
        return GalleryPage(total=len(ids), ids=ids[offset : offset + limit])

    @app.get("/random")
    def random_pose(seed: Annotated[int | None, Query(ge=0, le=2**32 - 1)] = None) -> dict:
        ids = engine.index.ids
        return {"id": ids[np.random.default_rng(seed).integers(len(ids))]}

    @app.get("/poses/{pose_id}.png", responses={200: {"content": {"image/png": {}}}})
    def pose_png(pose_id: str, size: Annotated[int, Query(ge=32, le=1024)] = 256) -> Response:
        try:
            return Response(engine.render_png(pose_id, size), media_type="image/png", headers={"Cache-Control": "max-age=86400"})
        except KeyError:
            raise HTTPException(404, f"no pose {pose_id!r} in the gallery") from None

    @app.post("/render", responses={200: {"content": {"image/png": {}}}})
    def render(ref: PoseRef, size: Annotated[int, Query(ge=32, le=1024)] = 256) -> Response:
        joints, _ = joints_of(ref)
        return Response(engine.render_joints_png(joints, size), media_type="image/png")

    @app.post("/compare", responses={200: {"content": {"image/png": {}}}})
    def compare(req: DescribeRequest, size: Annotated[int, Query(ge=32, le=1024)] = 220) -> Response:
        a, _ = joints_of(req.a)
        b, _ = joints_of(req.b)
        return Response(engine.render_pair_png(a, b, size), media_type="image/png")

    @app.post("/pose-from-bvh")
    def pose_from_bvh(
        bvh: Annotated[str, Body(media_type="text/plain", max_length=20_000_000)], frame: Annotated[int, Query(ge=0)] = 0
    ) -> dict:
        """Parse an uploaded BVH (sent as the raw request body) and return one frame as canonical joints."""
        from autocompose.poses.io import load_bvh

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "upload.bvh"
            path.write_text(bvh)
            try:
                seq = load_bvh(path)
            except (AutocomposeError, ValueError, KeyError, IndexError) as exc:
                raise HTTPException(400, f"could not read the BVH: {exc}") from exc
        if frame >= len(seq):
            raise HTTPException(400, f"frame {frame} is past the end of the clip ({len(seq)} frames)")
        return {"joints": seq.joints[frame].tolist(), "frames": len(seq)}

    static = resources.files("autocompose.serve").joinpath("static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return static.joinpath("index.html").read_text(encoding="utf-8")

    @app.get("/static/{name}", include_in_schema=False)
    def static_file(name: str) -> Response:
        kinds = {"app.js": "text/javascript", "style.css": "text/css"}
        if name not in kinds:
            raise HTTPException(404, "no such file")
        return Response(static.joinpath(name).read_text(encoding="utf-8"), media_type=kinds[name])

    return app
