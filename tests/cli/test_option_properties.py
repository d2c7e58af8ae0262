"""Property tests: whatever value an option is given, on the command line or through the Python
API, alphacut answers with a result or one clear error line and a documented exit code, never a
traceback.

Values are drawn by hypothesis from what people and scripts get wrong: arbitrary unicode, numbers
that are negative, huge, tiny, ``inf`` and ``nan``, and near-misses of the real syntax (``1,2``,
``#fff``, ``band:0.01``). Every command runs in this process through ``main()`` (the console
script's error mapping and exit codes) on the tiny test model, so each example costs milliseconds.
"""
from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import alphacut
from alphacut.errors import InputError
from alphacut.refine.presets import PRESET_NAMES, RefineSettings

#: A usage or input error (2), a batch with a failed image (1), success (0).
EXIT_CODES = {0, 1, 2}
FAILED_LINE = re.compile(r"^failed \S")
SUMMARY_LINE = re.compile(r"^\d+ written, \d+ skipped, \d+ failed")
PROGRESS_LINE = re.compile(r"^cutting out ")

SPECIAL_NUMBERS = ["inf", "-inf", "nan", "NaN", "-0", "0", "1e308", "-1e308", "1e-320", "9" * 30, "-" + "9" * 30,
                   str(2**31), str(2**63), "0x10", "1_000", " 3 ", "1e3", "-1", "-0.5", "0.5", "1", "2", "4"]
SYNTAX_NEAR_MISSES = ["1,2", "0.5,0.9", "1,2,3,4", ",", "1,", ",1", "inf,0", "nan,nan", "-1,-1", "1e9,1e9",
                      "#fff", "#12345", "#gggggg", "white", "transparent", "255,0,0,300", "band:0.01",
                      "band:", ":", "band:nan", "matting:cf,band", "drop", "contact", "blur", "ecommerce",
                      "id-photo", "100x100", "0x0", "x", "100x", "1e9x1e9", "-5x10", "photo", "onnx:", "exemplar",
                      "telea", "ns", "auto", "raw", "none", "guided", "cf"]


def hostile_numbers() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(SPECIAL_NUMBERS),
        st.integers(-1000, 1000).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


def hostile_text() -> st.SearchStrategy[str]:
    # NUL cannot be in a command-line argument; everything else can
    return st.one_of(st.sampled_from(SYNTAX_NEAR_MISSES), st.text(max_size=12).filter(lambda t: "\x00" not in t))


def hostile_values() -> st.SearchStrategy[str]:
    return st.one_of(hostile_numbers(), hostile_text())


def check_outcome(code: int, stderr: str, *, codes: set[int] = EXIT_CODES) -> None:
    """The documented exit code; an error is one ``alphacut: error:`` line, a failed image its own
    ``failed NAME: reason`` line and the summary; never a traceback."""
    assert "Traceback" not in stderr, stderr
    assert code in codes, (code, stderr)
    lines = [line for line in stderr.splitlines() if line.strip() and not PROGRESS_LINE.match(line)]
    if code == 0:
        return
    if lines and lines[-1].startswith("alphacut: error:"):
        assert len(lines) == 1, stderr
        return
    # a batch that ran and reports what failed
    assert lines and SUMMARY_LINE.match(lines[-1]) and all(FAILED_LINE.match(line) for line in lines[:-1]), stderr


@pytest.fixture()
def workspace(tmp_path_factory, tiny_model, make_square) -> dict[str, Path]:
    """An input photo, a cutout, a mask and a tiny evaluation set, made once per test."""
    root = tmp_path_factory.mktemp("properties")
    photo = root / "photo.png"
    make_square().save(photo)
    cutout = root / "cutout.png"
    rgba = make_square().convert("RGBA")
    alpha = Image.new("L", rgba.size, 0)
    alpha.paste(255, (16, 12, 48, 36))
    rgba.putalpha(alpha)
    rgba.save(cutout)
    mask = root / "mask.png"
    selected = Image.new("L", (64, 48), 0)
    selected.paste(255, (20, 16, 30, 24))
    selected.save(mask)
    data = root / "set"
    (data / "images").mkdir(parents=True)
    (data / "gt").mkdir()
    make_square().save(data / "images" / "a.png")
    truth = Image.new("L", (64, 48), 0)
    truth.paste(255, (16, 12, 48, 36))
    truth.save(data / "gt" / "a.png")
    return {"root": root, "photo": photo, "cutout": cutout, "mask": mask, "data": data, "model": tiny_model}


# --- alphacut remove ------------------------------------------------------------------------------

REMOVE_OPTIONS = ["--bg", "--bg-image", "--margin", "--bg-blur", "--shadow", "--harmonize", "--ecommerce",
                  "--preset", "--threshold", "--matting", "--tta", "--tuning", "--format", "--png-level",
                  "--threads", "--max-pixels", "--max-frames", "--bg-fit", "--device", "--runtime"]


@settings(max_examples=80)
@given(option=st.sampled_from(REMOVE_OPTIONS), value=hostile_values(), crop=st.booleans())
def test_remove_answers_any_option_value_in_one_line(alphacut_run, workspace, option, value, crop):
    output = workspace["root"] / "out.png"
    args = ["remove", str(workspace["photo"]), "-m", str(workspace["model"]), "-o", str(output), "--overwrite",
            f"{option}={value}"]
    if option not in ("--runtime", "--device"):
        args.append("--runtime=onnxruntime")
    code, _, stderr = alphacut_run(*args, *(["--crop"] if crop else []))
    check_outcome(code, stderr)


@settings(max_examples=30)
@given(variable=st.sampled_from(["ALPHACUT_MAX_PIXELS", "ALPHACUT_MAX_FRAMES"]), value=hostile_values())
def test_remove_answers_any_limit_in_the_environment_in_one_line(alphacut_run, workspace, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    code, _, stderr = alphacut_run("remove", str(workspace["photo"]), "-m", str(workspace["model"]), "--runtime=onnxruntime",
                                   "-o", str(workspace["root"] / "out.png"), "--overwrite")
    check_outcome(code, stderr)


def test_more_model_threads_than_cores_is_a_one_line_usage_error(alphacut_run, workspace):
    import os

    too_many = (os.cpu_count() or 1) + 1
    code, _, stderr = alphacut_run("remove", str(workspace["photo"]), "-m", str(workspace["model"]),
                                   "-o", str(workspace["root"] / "out.png"), f"--threads={too_many}")
    assert code == 2 and stderr.strip().splitlines() == [
        f"alphacut: error: Invalid value for '--threads': {too_many} is more than the {too_many - 1} CPU cores "
        "of this machine (see alphacut remove --help)"]


@pytest.mark.parametrize("args, message", [
    (["remove", "--no-such-option"], "No such option: --no-such-option"),
    (["no-such-command"], "No such command 'no-such-command'."),
    (["remove", "x.png", "--tta=two"], "Invalid value for '--tta'"),
])
def test_usage_errors_are_one_line_too(alphacut_run, args, message):
    code, stdout, stderr = alphacut_run(*args)
    lines = stderr.strip().splitlines()
    assert code == 2 and stdout == "" and len(lines) == 1
    assert lines[0].startswith("alphacut: error: ") and message in lines[0] and lines[0].endswith("--help)")


def test_a_bare_command_still_shows_its_help(alphacut_run):
    code, stdout, stderr = alphacut_run("remove")
    assert code == 2 and "Usage: alphacut remove" in stdout + stderr and "alphacut: error" not in stderr


# --- alphacut compose -----------------------------------------------------------------------------

COMPOSE_OPTIONS = ["--on", "--fit", "--blur", "--position", "--scale", "--shadow", "--shadow-opacity",
                   "--harmonize", "--layout", "--size", "--margin", "--max-pixels"]


@settings(max_examples=60)
@given(option=st.sampled_from(COMPOSE_OPTIONS), value=hostile_values(),
       layout=st.sampled_from([None, "ecommerce", "id-photo"]), on=st.sampled_from([None, "blur", "#336699", "photo"]))
def test_compose_answers_any_option_value_in_one_line(alphacut_run, workspace, option, value, layout, on):
    output = workspace["root"] / "composed.png"
    args = ["compose", str(workspace["cutout"]), "-o", str(output), "--overwrite", f"{option}={value}"]
    if layout and option != "--layout":
        args.append(f"--layout={layout}")
    if on and option != "--on":  # the options that only act on a background get one
        args.append(f"--on={workspace['photo'] if on == 'photo' else on}")
    code, _, stderr = alphacut_run(*args)
    check_outcome(code, stderr)


# --- alphacut erase -------------------------------------------------------------------------------

ERASE_OPTIONS = ["--point", "--box", "--fill", "--dilate", "--max-pixels"]


@settings(max_examples=60)
@given(option=st.sampled_from(ERASE_OPTIONS), value=hostile_values())
def test_erase_answers_any_option_value_in_one_line(alphacut_run, workspace, option, value):
    output = workspace["root"] / "erased.png"
    selection = [] if option in ("--point", "--box") else ["--mask", str(workspace["mask"])]
    if option != "--fill":
        selection.append("--fill=telea")  # the exemplar filler's first call compiles (seconds)
    code, _, stderr = alphacut_run("erase", str(workspace["photo"]), "-m", str(workspace["model"]),
                                   "-o", str(output), "--overwrite", *selection, f"{option}={value}")
    # --fill names an inpainting model file: one that is not there is a model error (exit 4)
    check_outcome(code, stderr, codes=EXIT_CODES | ({4} if option == "--fill" else set()))


# --- alphacut eval --------------------------------------------------------------------------------

PIPELINE_KEYS = sorted({f.name for f in fields(RefineSettings)} | {"keep_soft", "tolerance"})


@settings(max_examples=60)
@given(name=st.sampled_from([*PRESET_NAMES, "border-fill", "grabcut"]),
       key=st.one_of(st.sampled_from(PIPELINE_KEYS), hostile_text()), value=hostile_values(),
       limit=st.one_of(st.none(), hostile_numbers()))
def test_eval_answers_any_pipeline_option_value_in_one_line(alphacut_run, workspace, name, key, value, limit):
    model = "" if name == "border-fill" else f"model:{workspace['model']},"
    args = ["eval", "--data", str(workspace["data"]), "--pipeline", f"{name}={model}{key}:{value}",
            "-o", str(workspace["root"] / "report"), "-q"]
    if limit is not None:
        args.append(f"--limit={limit}")
    code, _, stderr = alphacut_run(*args)
    check_outcome(code, stderr)


@settings(max_examples=30)
@given(option=st.sampled_from(["--pipeline", "--compare", "--baseline-pipeline", "--baseline", "--data"]),
       value=hostile_values())
def test_eval_answers_any_other_value_in_one_line(alphacut_run, workspace, option, value):
    args = ["eval", "--data", str(workspace["data"]), "--pipeline", "border-fill",
            "-o", str(workspace["root"] / "report"), "-q", f"{option}={value}"]
    code, _, stderr = alphacut_run(*args)
    # --pipeline model=NAME with a name that is not a model is a model error (exit 4)
    check_outcome(code, stderr, codes=EXIT_CODES | ({4} if option == "--pipeline" else set()))


# --- the Python API -------------------------------------------------------------------------------

API_PARAMETERS = ["mask", "bg", "bg_image", "bg_fit", "bg_blur", "shadow", "harmonize", "ecommerce", "crop",
                  "margin", "preset", "threshold", "keep_soft", "main_subject", "decontaminate", "matting", "tta",
                  "tuning", "format", "device", "runtime", "max_pixels"]


def python_values() -> st.SearchStrategy[object]:
    finite_or_not = st.floats(allow_nan=True, allow_infinity=True)
    return st.one_of(
        st.none(), st.booleans(), st.integers(-10**30, 10**30), finite_or_not, hostile_values(), st.binary(max_size=8),
        st.tuples(st.integers(-300, 300), st.integers(-300, 300), st.integers(-300, 300)),
        st.lists(st.integers(0, 255), max_size=5), st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
        st.just(np.float64("nan")), st.just(object()),
    )


@pytest.fixture(scope="module")
def api_session(tiny_model):
    return alphacut.load_model(tiny_model, runtime="onnxruntime")


@settings(max_examples=150)
@given(parameter=st.sampled_from(API_PARAMETERS), value=python_values())
def test_the_api_answers_any_value_with_a_result_or_an_input_error(api_session, square_image, parameter, value):
    if parameter == "ecommerce" and isinstance(value, int) and not isinstance(value, bool) and 2000 < value <= 10_000:
        value = 2000  # a valid canvas, but a large one costs seconds: the bound itself is tested below
    try:
        result = alphacut.remove(square_image, model=api_session, **{parameter: value})
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    assert isinstance(result, Image.Image)


@pytest.mark.parametrize("parameter, value, message", [
    ("tta", 3, "tta must be 1, 2 or 4"),
    ("tta", "2", "tta must be 1, 2 or 4"),
    ("tta", True, "tta must be 1, 2 or 4"),
    ("mask", "yes", "mask must be True or False"),
    ("decontaminate", 1, "decontaminate must be True, False or None"),
    ("preset", ["photo"], "preset must be a preset name"),
    ("tuning", 0.01, "tuning must be text"),
    ("bg_image", 3, "bg_image must be a path"),
    ("bg_blur", 1e30, "bg_blur must be a blur radius from 0.5 to 1000"),
    ("ecommerce", 10**6, "ecommerce must be a canvas size from 16 to 10000"),
    ("format", None, "format must be png"),
    ("format", "bmp", "unknown output format 'bmp'"),
    ("device", "tpu", "device must be cpu or cuda"),
    ("runtime", ["onnxruntime"], "runtime must be one of"),
])
def test_bad_api_values_are_option_errors_naming_the_value(api_session, square_image, parameter, value, message):
    from alphacut.errors import OptionError

    with pytest.raises(OptionError, match=re.escape(message)):
        alphacut.remove(square_image, model=api_session, **{parameter: value})


def test_a_value_the_api_cannot_take_as_an_image_is_an_input_error(api_session, square_image):
    for image in (None, 3, 1.5, [1, 2], {"a": 1}):
        with pytest.raises(InputError, match="image must be a path, encoded bytes"):
            alphacut.remove(image, model=api_session)
    with pytest.raises(InputError, match="model must be a model name"):
        alphacut.remove(square_image, model=3)
