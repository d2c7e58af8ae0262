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
from alphacut.cli import layers_cmd  # noqa: E402
app.command("layers", no_args_is_help=True)(layers_cmd.layers)


def main() -> None:
    """Run the command; every error it ends with is one line on stderr and an exit code
    (:mod:`alphacut.errors`; 2 for a usage error, as Click's)."""
    try:
        code = app(standalone_mode=False, prog_name="alphacut")  # usage errors come here, not printed as a panel
    except AlphacutError as exc:
        print(f"alphacut: error: {one_line(str(exc))}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("alphacut: aborted", file=sys.stderr)
        sys.exit(1)
    except typer.TyperException as exc:  # Click's (vendored by Typer) usage errors: an unknown option, a bad value
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare command: its help, printed already (as Typer does)
            sys.exit(exc.exit_code)
        context = getattr(exc, "ctx", None)
        command = context.command_path if context is not None else "alphacut"
        print(f"alphacut: error: {one_line(exc.format_message())} (see {command} --help)", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("alphacut: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def one_line(message: str) -> str:
    """``message`` with its line breaks and runs of spaces made single spaces."""
    return " ".join(message.split())
