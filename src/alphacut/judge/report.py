"""Static HTML report of an evaluation: tables per set and category, stage timings, regressions,
and galleries sorted worst first (input, ground truth, cutout over a checkerboard, error map).

Everything is local files: thumbnails beside ``index.html``, inline CSS, no script, no CDN.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
from PIL import Image

from alphacut.judge.evaluate import ImageResult
from alphacut.judge.paired import LOWER_IS_BETTER

THUMB = 192
GALLERY_SIZE = 24


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def checkerboard(size: tuple[int, int], cell: int = 8) -> Image.Image:
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    board = np.where(((x // cell) + (y // cell)) % 2 == 0, 204, 255).astype(np.uint8)
    return Image.fromarray(board, "L").convert("RGBA")


def error_map(alpha: np.ndarray, gt: np.ndarray) -> Image.Image:
    """Red where the subject is missing (alpha < truth), blue where background was kept."""
    missing = np.clip(gt - alpha, 0, 1)
    extra = np.clip(alpha - gt, 0, 1)
    rgb = np.full(alpha.shape + (3,), 255.0)
    rgb[..., 1] -= 255 * (missing + extra)
    rgb[..., 2] -= 255 * missing
    rgb[..., 0] -= 255 * extra
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


class ThumbnailWriter:
    """Writes small images for every (image, pipeline) as evaluation runs, so nothing big is kept."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, set_name: str, name: str, kind: str) -> Path:
        return self.root / "thumbs" / slug(set_name) / f"{slug(name)}.{slug(kind)}.png"

    def __call__(self, set_name: str, name: str, pipeline: str, image: Image.Image, gt: np.ndarray, alpha: np.ndarray) -> None:
        scale = THUMB / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        source = self.path(set_name, name, "input")
        if not source.exists():
            source.parent.mkdir(parents=True, exist_ok=True)
            image.convert("RGB").resize(size, Image.Resampling.BILINEAR).save(source)
            Image.fromarray((gt * 255).astype(np.uint8)).resize(size, Image.Resampling.BILINEAR).save(self.path(set_name, name, "gt"))
        cut = image.convert("RGBA")
        cut.putalpha(Image.fromarray(np.rint(alpha * 255).astype(np.uint8)))
        small = cut.resize(size, Image.Resampling.BILINEAR)
        board = checkerboard(size)
        board.alpha_composite(small)
        board.convert("RGB").save(self.path(set_name, name, f"{pipeline}.cut"))
        error_map(alpha, gt).resize(size, Image.Resampling.BILINEAR).save(self.path(set_name, name, f"{pipeline}.err"))


def ranking_metric(soft: bool) -> str:
    return "sad" if soft else "iou"


def write_report(root: Path, summary: dict, results: list[ImageResult], *, regressions: list[str],
                 compare: tuple[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "results.json").write_text(json.dumps(summary, indent=2))
    writer = ThumbnailWriter(root)
    parts = [_HEAD, "<h1>alphacut evaluation</h1>",
             f"<p>{len(summary['pipelines'])} pipelines, {sum(s['images'] for s in summary['sets'].values())} images, "
             f"{summary['seconds']:.0f} s.</p>"]
    if regressions:
        parts.append("<h2 class=bad>Regressions against the baseline</h2><ul>")
        parts += [f"<li>{html.escape(line)}</li>" for line in regressions]
        parts.append("</ul>")
    parts.append(_timings_table(summary))
    for set_name, entry in summary["sets"].items():
        parts.append(f"<h2>{html.escape(set_name)} ({entry['images']} images{', soft ground truth' if entry['soft'] else ''})</h2>")
        parts.append(_metrics_table("all images", entry["overall"]))
        paired = summary.get("paired", {}).get(set_name)
        if paired:
            parts.append(_paired_table(f"paired difference against {summary['reference']}, all images", paired["overall"]))
        if len(entry["categories"]) > 1:
            for category, per_pipeline in entry["categories"].items():
                parts.append(_metrics_table(f"category {category}", per_pipeline))
                if paired and paired["categories"].get(category):
                    parts.append(_paired_table(f"paired difference against {summary['reference']}, category {category}",
                                               paired["categories"][category]))
        metric = ranking_metric(entry["soft"])
        if compare:
            parts.append(_comparison(writer, results, set_name, compare, metric))
        for pipeline in summary["pipelines"]:
            parts.append(_gallery(writer, results, set_name, pipeline, metric))
    parts.append("</body></html>")
    index = root / "index.html"
    index.write_text("\n".join(parts))
    return index


def _timings_table(summary: dict) -> str:
    stages = sorted({stage for t in summary["timings"].values() for stage in t})
    rows = ["<h2>Median seconds per image and stage</h2><table><tr><th>pipeline</th>"
            + "".join(f"<th>{html.escape(s)}</th>" for s in stages) + "</tr>"]
    for pipeline, timings in summary["timings"].items():
        cells = "".join(f"<td>{timings[s]:.3f}</td>" if s in timings else "<td></td>" for s in stages)
        rows.append(f"<tr><td>{html.escape(pipeline)}</td>{cells}</tr>")
    return "\n".join(rows) + "</table>"


def _metrics_table(title: str, per_pipeline: dict) -> str:
    names = [m for m in next(iter(per_pipeline.values())).keys() if m != "count"]
    best = {}
    for m in names:
        values = [v[m] for v in per_pipeline.values() if m in v]
        best[m] = min(values) if m in LOWER_IS_BETTER else max(values)
    rows = [f"<h3>{html.escape(title)}</h3><table><tr><th>pipeline</th>"
            + "".join(f"<th>{m}{' ↓' if m in LOWER_IS_BETTER else ' ↑'}</th>" for m in names) + "</tr>"]
    for pipeline, values in per_pipeline.items():
        cells = "".join(
            f"<td class={'best' if np.isclose(values[m], best[m]) else ''}>{values[m]:.4f}</td>" for m in names
        )
        rows.append(f"<tr><td>{html.escape(pipeline)}</td>{cells}</tr>")
    return "\n".join(rows) + "</table>"


def _paired_table(title: str, per_pipeline: dict) -> str:
    """Mean difference [95% interval] per pipeline and metric, green/red where the interval
    excludes zero in the metric's good/bad direction."""
    if not per_pipeline or not next(iter(per_pipeline.values())):
        return ""
    names = list(next(iter(per_pipeline.values())).keys())
    rows = [f"<h3>{html.escape(title)}</h3><table><tr><th>pipeline</th>"
            + "".join(f"<th>{m}{' ↓' if m in LOWER_IS_BETTER else ' ↑'}</th>" for m in names) + "</tr>"]
    css = {"better": "best", "worse": "bad", "within noise": ""}
    for pipeline, values in per_pipeline.items():
        cells = "".join(
            f"<td class={css[values[m]['verdict']]} title='{values[m]['verdict']}'>{values[m]['mean']:+.4f} "
            f"[{values[m]['low']:+.4f}, {values[m]['high']:+.4f}]</td>" if m in values else "<td></td>" for m in names
        )
        rows.append(f"<tr><td>{html.escape(pipeline)}</td>{cells}</tr>")
    return "\n".join(rows) + "</table>"


def _row(writer: ThumbnailWriter, set_name: str, result: ImageResult, pipelines: list[str], note: str) -> str:
    def img(kind: str) -> str:
        path = writer.path(set_name, result.name, kind)
        return f"<img src='{html.escape(str(path.relative_to(writer.root)))}' loading=lazy>"

    cells = [img("input"), img("gt")] + [img(f"{p}.cut") + img(f"{p}.err") for p in pipelines]
    return f"<div class=row><div class=cap>{html.escape(result.name)}<br>{html.escape(note)}</div>" + "".join(
        f"<figure>{c}</figure>" for c in cells) + "</div>"


def _gallery(writer: ThumbnailWriter, results: list[ImageResult], set_name: str, pipeline: str, metric: str) -> str:
    mine = [r for r in results if r.set == set_name and r.pipeline == pipeline]
    mine.sort(key=lambda r: r.metrics[metric], reverse=metric in LOWER_IS_BETTER)
    rows = [_row(writer, set_name, r, [pipeline], f"{metric} {r.metrics[metric]:.4f}") for r in mine[:GALLERY_SIZE]]
    return (f"<details><summary>Gallery: {html.escape(pipeline)}, worst {len(rows)} by {metric} "
            "(input, truth, cutout, error: red = subject lost, blue = background kept)</summary>"
            + "".join(rows) + "</details>")


def _comparison(writer: ThumbnailWriter, results: list[ImageResult], set_name: str, pair: tuple[str, str], metric: str) -> str:
    a_label, b_label = pair
    a = {r.name: r for r in results if r.set == set_name and r.pipeline == a_label}
    b = {r.name: r for r in results if r.set == set_name and r.pipeline == b_label}
    sign = -1 if metric in LOWER_IS_BETTER else 1
    gains = sorted(((sign * (a[n].metrics[metric] - b[n].metrics[metric]), n) for n in a if n in b), reverse=True)
    if not gains:
        return ""
    def block(title: str, items) -> str:
        rows = [_row(writer, set_name, a[n], [a_label, b_label], f"{metric} {a[n].metrics[metric]:.4f} vs {b[n].metrics[metric]:.4f}")
                for _, n in items]
        return f"<details open><summary>{html.escape(title)}</summary>" + "".join(rows) + "</details>"
    return (block(f"{a_label} gains most over {b_label} ({metric})", gains[:10])
            + block(f"{a_label} loses most against {b_label} ({metric})", list(reversed(gains[-10:]))))


_HEAD = """<!doctype html><html><head><meta charset=utf-8><title>alphacut evaluation</title><style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 16px}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
td.best{background:#d9f2d9;font-weight:600}.bad{color:#b00}.row{display:flex;gap:6px;align-items:flex-start;margin:6px 0}
.cap{width:140px;font-size:12px;word-break:break-all}figure{margin:0}img{max-width:192px;display:block}
details{margin:8px 0}summary{cursor:pointer;font-weight:600}</style></head><body>"""
