"""``alphacut``: the command-line entry point. Heavy imports happen inside commands so that
start-up, ``--help`` and error paths stay fast."""
from __future__ import annotations

import sys

import typer

from alphacut import __version__
from alphacut.errors import AlphacutError

app = typer.Typer(
    name="alphacut",
    help="Offline background removal with soft alpha.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"alphacut {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Offline background removal with soft alpha."""


from alphacut.cli import adapt_cmd, eval_cmd, models_cmd, remove_cmd  # noqa: E402  (commands register on `app`)

app.command("remove", no_args_is_help=True)(remove_cmd.remove)
app.command("eval", no_args_is_help=True)(eval_cmd.evaluate)
app.add_typer(models_cmd.models_app, name="models")
app.add_typer(adapt_cmd.dataset_app, name="dataset")
app.command("train", no_args_is_help=True)(adapt_cmd.train)
app.command("export", no_args_is_help=True)(adapt_cmd.export)
from alphacut.cli import serve_cmd  # noqa: E402
app.command("serve")(serve_cmd.serve)
from alphacut.cli import review_cmd  # noqa: E402
app.add_typer(review_cmd.review_app, name="review")
from alphacut.cli import compose_cmd, edit_cmd, filler_cmd  # noqa: E402
app.command("compose", no_args_is_help=True)(compose_cmd.compose)
app.command("erase", no_args_is_help=True)(edit_cmd.erase)
app.command("replace-bg", no_args_is_help=True)(edit_cmd.replace_bg)
app.add_typer(filler_cmd.filler_app, name="filler")


def main() -> None:
    try:
        app()
    except AlphacutError as exc:
        print(f"alphacut: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("alphacut: interrupted", file=sys.stderr)
        sys.exit(130)
