"""`git train validate` and `git train schema`."""

from __future__ import annotations

import click

from gittrain.cli.common import counted, emit_json, print_problems, problems_json, workspace
from gittrain.cli.options import CONTEXT, format_option


@click.command(context_settings=CONTEXT)
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--strict", is_flag=True, help="Fail on warnings too; unknown keys are errors.")
@click.option("-q", "--quiet", is_flag=True, help="Print problems only, no summary.")
@click.option(
    "--staged", is_flag=True, help="Check the staged content of staged files (for hooks)."
)
@format_option()
def validate(files: tuple[str, ...], strict: bool, quiet: bool, staged: bool, fmt: str) -> None:
    """Check recipes, jobs and configs: schema, then sanity rules.

    With no FILES, checks every YAML/JSON file in the configured directories
    (recipes/, jobs/, configs/), the lockfile and .gittrain.yaml; a directory
    named as FILES stands for the YAML/JSON files under it.  With
    --staged, checks what the next commit holds: the index's version of each
    staged config file.  Every file is checked and reported before the exit
    code is set: 1 on any error.
    """
    from gittrain.commands.validate import validate as run
    from gittrain.commands.validate import validate_staged
    from gittrain.errors import usage_error

    ws = workspace()
    if staged and files:
        raise usage_error("--staged checks the staged files; do not name FILES with it")
    result = (
        validate_staged(ws, strict=strict)
        if staged
        else run(ws, [ws.rel(f) for f in files], strict=strict)
    )
    if fmt == "json":
        emit_json(
            {
                "files": [
                    {
                        "path": r.path,
                        "kind": r.kind.value if r.kind else None,
                        "dialect": r.dialect,
                        "dialect_reason": r.why,
                        "problems": problems_json(r.problems),
                    }
                    for r in result.reports
                ],
                "summary": {
                    "files": len(result.reports),
                    "errors": result.errors,
                    "warnings": result.warnings,
                },
            }
        )
    else:
        for report in result.reports:
            print_problems(report.problems)
        if not quiet:
            loud = bool(result.errors or result.warnings)
            click.echo(
                f"{counted(len(result.reports), 'file')} checked: "
                f"{counted(result.errors, 'error')}, {counted(result.warnings, 'warning')}",
                err=loud,
            )
            # "0 errors" on a config gittrain did not understand must not read as a pass.
            generic = [r.path for r in result.reports if r.dialect == "generic"]
            if generic:
                shown = ", ".join(generic[:3]) + (", ..." if len(generic) > 3 else "")
                click.echo(
                    f"note: {counted(len(generic), 'config')} in no known framework dialect, "
                    f"checked with the generic rules only: {shown} (name the dialect in "
                    ".gittrain.yaml `dialects:`)",
                    err=loud,
                )
    failed = result.errors or (strict and result.warnings)
    raise SystemExit(1 if failed else 0)


@click.command(context_settings=CONTEXT)
@click.argument("name", required=False)
@click.option("--path", "show_path", is_flag=True, help="Print the installed file's path.")
def schema(name: str | None, show_path: bool) -> None:
    """Print a JSON Schema (job, recipe, lockfile, settings), or list them.

    Editors that use yaml-language-server pick a schema up from a comment on the
    first line of a file: `# yaml-language-server: $schema=PATH-OR-URL`.
    Save one with `git train schema job > .gittrain/job.schema.json`.
    """
    from gittrain.adapters.schemas import schema_names, schema_text
    from gittrain.core.resources import data_dir
    from gittrain.errors import usage_error

    names = schema_names()
    if name is None:
        for item in names:
            click.echo(item)
        return
    if name not in names:
        raise usage_error(f"unknown schema {name!r} (known: {', '.join(names)})")
    if show_path:
        click.echo(str(data_dir("schemas") / f"{name}.schema.json"))
    else:
        click.echo(schema_text(name), nl=False)
