"""Agreement of int8 forms with the fp32 model, image by image, on every dev set (issue 17).

For each set, the first ``--per-set`` images (evenly spread over the set) go through the fp32
graph (onnxruntime, the reference) and through each int8 form given; per image, the IoU of the
two masks cut at 0.5 (:func:`alphacut.models.fast_form.mask_agreement`). Printed per set: the
mean IoU against fp32, the share of images at IoU >= 0.99, the worst image, and the mean
absolute difference of the probabilities. This is the measure the install-time gate applies
to generated scenes; here it is applied to real photos, graphics and pixel art.

``--bf16`` adds the float file on OpenVINO bf16 (the form loaded when no int8 form is). ``--routed``
adds what the default runs: the session ``--runtime auto`` loads from the store (its int8 form where
install built one), asked as ``pipeline.remover.Remover.matte`` asks it: images that ``auto`` refines
as graphics or pixel art on the float form (``wants_float_form``), the others on the int8 form,
which re-runs in the float form an output unsure of itself
(``models.session.SalientSession.model_probability``); its row says how many images ran on the
float form (graphics + unsure).

Usage (the store holding the forms in ALPHACUT_HOME):
  ALPHACUT_HOME=/tmp/h6home nice -n 10 .venv/bin/python benchmarks/form_agreement.py \\
      --form install=model.int8.xml --form dev-calibrated=model.int8-dev.xml --per-set 12 \\
      --reference-cache /tmp/fp32-outputs ../shared/data/*/ > /tmp/agreement.md
  .venv/bin/python benchmarks/form_agreement.py --form install=model.int8.xml --bf16 --routed \
      --per-set 20 --reference-cache /tmp/fp32-outputs ../shared/data/*/
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from alphacut.models import get_spec, load_model
from alphacut.models.fast_form import MIN_IOU, mask_agreement
from alphacut.models.runtimes import OnnxRuntimeEngine, OpenVinoEngine, cpu_has_native_bf16
from alphacut.models.session import SalientSession
from alphacut.models.store import installed_file, model_dir
from alphacut.pipeline import RemoveOptions
from alphacut.pipeline.remover import wants_float_form
from alphacut.workflows.optimize import image_files, read_rgb


def fp32_output(reference, batch, cache: Path | None, set_name: str, stem: str, prepare, spec) -> np.ndarray:
    """The fp32 graph's probability at the model's size, from the cache when there."""
    saved = cache / set_name / f"{stem}.npy" if cache else None
    if saved is not None and saved.is_file():
        return np.load(saved)
    output = prepare.postprocess(reference.run(batch), spec.input_size)
    if saved is not None:
        saved.parent.mkdir(parents=True, exist_ok=True)
        np.save(saved, output.astype(np.float32))
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="+", type=Path, help="folders with images/ (or images directly)")
    parser.add_argument("--model", default="isnet")
    parser.add_argument("--form", action="append", default=[], metavar="LABEL=FILE",
                        help="an int8 form: label and file in the model's folder (repeatable)")
    parser.add_argument("--bf16", action="store_true", help="also the float file on OpenVINO bf16")
    parser.add_argument("--routed", action="store_true",
                        help="also what the default runs (--runtime auto's session: graphics and unsure photos on the float form)")
    parser.add_argument("--per-set", type=int, default=12, help="images per set, evenly spread")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--reference-cache", type=Path, default=None,
                        help="folder where fp32 outputs are saved and reused (keyed by set and image name)")
    args = parser.parse_args()

    spec = get_spec(args.model)
    base = installed_file(spec)
    prepare = SalientSession(spec, base, None)  # type: ignore[arg-type]
    reference = OnnxRuntimeEngine(base, output=spec.output, threads=args.threads)
    precision = "bf16" if cpu_has_native_bf16() else "f32"
    forms = {}
    for item in args.form:
        label, _, file = item.partition("=")
        forms[label] = OpenVinoEngine(model_dir(spec.name) / file, output=None, threads=args.threads, precision=precision)
    if args.bf16:
        forms["bf16"] = OpenVinoEngine(base, output=spec.output, threads=args.threads, precision=precision)
    session = load_model(spec, threads=args.threads) if args.routed else None
    routed = f"routed ({session.runtime.name})" if session is not None else ""
    labels = list(forms) + ([routed] if session is not None else [])
    if not labels:
        parser.error("nothing to compare: give --form, --bf16 or --routed")
    options = RemoveOptions()

    print(f"fp32 reference: {base}; int8 float layers in {precision}; IoU of masks at 0.5, {args.per_set} images per set\n")
    print("| set | images | form | mean IoU vs fp32 | share IoU >= 0.99 | worst IoU | mean abs. diff. |")
    print("|---|---|---|---|---|---|---|")
    started = time.time()
    everything: dict[str, list[float]] = {label: [] for label in labels}
    routed_count = [0, 0]  # graphics, unsure photos
    for folder in args.sets:
        files = image_files(folder)
        if not files:
            continue
        step = max(1, len(files) // args.per_set)
        chosen = files[::step][: args.per_set]
        scores: dict[str, list[tuple[float, float]]] = {label: [] for label in labels}
        routed_here = [0, 0]
        for path in chosen:
            image = read_rgb(path)
            batch = prepare.preprocess(image)
            expected = fp32_output(reference, batch, args.reference_cache, folder.name, path.stem, prepare, spec)
            outputs = {label: prepare.postprocess(engine.run(batch), spec.input_size) for label, engine in forms.items()}
            for label, output in outputs.items():
                scores[label].append(mask_agreement(output, expected))
            if session is not None:
                graphic = wants_float_form(options.settings(np.asarray(image.convert("RGB")), spec.refine_defaults))
                reruns = session.float_reruns
                output = session.model_probability(batch, float_form=graphic)
                routed_here[0] += graphic
                routed_here[1] += session.float_reruns - reruns
                scores[routed].append(mask_agreement(output, expected))
        routed_count = [a + b for a, b in zip(routed_count, routed_here)]
        for label, pairs in scores.items():
            ious = [iou for iou, _ in pairs]
            everything[label].extend(ious)
            shown = f"{label} ({routed_here[0]}+{routed_here[1]} on float)" if label == routed else label
            print(f"| {folder.name} | {len(chosen)} | {shown} | {np.mean(ious):.4f} | "
                  f"{np.mean([v >= MIN_IOU for v in ious]):.0%} | {min(ious):.4f} | {np.mean([d for _, d in pairs]):.4f} |",
                  flush=True)
    for label, ious in everything.items():
        shown = f"{label} ({routed_count[0]}+{routed_count[1]} on float)" if label == routed else label
        print(f"| **all** | {len(ious)} | {shown} | {np.mean(ious):.4f} | {np.mean([v >= MIN_IOU for v in ious]):.0%} | "
              f"{min(ious):.4f} | |")
    print(f"\n{time.time() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
