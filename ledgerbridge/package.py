"""Build the deployable template: `python -m ledgerbridge.package [--stage prod] [--out build/package]`.

Runs `chalice package --stage <stage> --merge-template infra/template.yaml <out>` through Chalice's CLI in
this interpreter and prints the path of the one merged template it wrote (`<out>/sam.yaml`: Chalice
writes YAML whenever the merged template is YAML). Beside it Chalice writes `deployment.zip`, the
Lambda code with its dependencies.

The project is copied to a temporary directory first (app.py, chalicelib/, vendor/, requirements.txt,
.chalice/config.json and policy files: everything Chalice packages), so a build never writes Chalice's
cache into the repo and never picks up stray files.

Dependencies: Chalice installs requirements.txt into the zip by running `pip download` for the Lambda
platform (manylinux wheels for Python 3.11), which needs PyPI. Chalice has no option to skip that step,
but it skips pip when requirements.txt lists no package. `--template-only` uses that: it packages with an
empty requirements.txt (no network at all) and deletes the zip, which would lack every third-party
package, so the result can be linted and inspected but not deployed by mistake.

Bytecode: Lambda's /var/task is read-only, so a zip without `.pyc` files makes every cold start compile every
module it imports. `compile_bytecode` adds them to deployment.zip (`__pycache__/<module>.cpython-311.pyc`,
unchecked-hash pycs: valid whatever the files' times in the zip), when this interpreter is the Lambda runtime's
version (Python 3.11).

Architecture: the deployed stage runs on arm64 (Graviton: 20% less per GB-second than x86_64 at Lambda's list
prices). `lambda_architecture` in .chalice/config.json sets each function's `Architectures` in the template and
makes Chalice download the manylinux aarch64 wheels of the native packages (lxml, cryptography, cffi).
`check_architecture` then reads the ELF header of every shared library in the zip: a library built for another
machine (a wheel Chalice fell back on, or one a future dependency lacks for aarch64) fails the build rather than
the first import in Lambda.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MERGE_TEMPLATE = ROOT / "infra" / "template.yaml"
DEFAULT_OUT = ROOT / "build" / "package"
# What Chalice reads from a project directory (see chalice.deploy.packager).
APP_SOURCES = ("app.py", "chalicelib", "vendor")
# What `chalice package` writes into its output directory (cloudformation format).
ARTIFACTS = ("sam.yaml", "sam.json", "deployment.zip", "layer-deployment.zip")
TEMPLATES = ("sam.yaml", "sam.json")
# Chalice's warning (chalice.constants.MISSING_DEPENDENCIES_TEMPLATE) when it cannot install a package.
MISSING_DEPENDENCIES = "Could not install dependencies:"
_CHALICE_CLI = "import sys; from chalice.cli import main; sys.exit(main())"


class PackagingError(RuntimeError):
    """`chalice package` failed or did not produce exactly one template."""


def stage_project(dest: Path, *, dependencies: bool = True, root: Path = ROOT) -> Path:
    """Copy what Chalice packages from `root` into `dest` (created); an empty requirements.txt unless
    `dependencies`. Returns `dest`."""
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in APP_SOURCES:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, dest / name)
    chalice_dir = dest / ".chalice"
    chalice_dir.mkdir()
    for src in [root / ".chalice" / "config.json", *sorted((root / ".chalice").glob("policy-*.json"))]:
        shutil.copy2(src, chalice_dir / src.name)
    requirements = root / "requirements.txt"
    if dependencies and requirements.is_file():
        shutil.copy2(requirements, dest / "requirements.txt")
    else:
        (dest / "requirements.txt").write_text("# --template-only: no dependencies packaged\n")
    return dest


def build(
    stage: str = "prod",
    out: Path = DEFAULT_OUT,
    *,
    template_only: bool = False,
    merge_template: Path = MERGE_TEMPLATE,
) -> Path:
    """Package the app for `stage` into `out` with `merge_template` merged; returns the merged template."""
    out = Path(out).resolve()
    for name in ARTIFACTS:  # never report a template left over from an earlier build
        (out / name).unlink(missing_ok=True)
    env = dict(os.environ)
    # Chalice insists on a region although packaging calls no AWS API (it only picks service principals).
    if not env.get("AWS_DEFAULT_REGION"):
        env["AWS_DEFAULT_REGION"] = env.get("AWS_REGION") or "us-east-1"
    with tempfile.TemporaryDirectory(prefix="ledgerbridge-package-") as tmp:
        project = stage_project(Path(tmp) / "project", dependencies=not template_only)
        cmd = [
            sys.executable,
            "-c",
            _CHALICE_CLI,
            "--project-dir",
            str(project),
            "package",
            "--stage",
            stage,
            "--merge-template",
            str(Path(merge_template).resolve()),
            str(out),
        ]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        hint = "" if template_only else "\n(installing requirements.txt needs PyPI; --template-only does not)"
        raise PackagingError(
            f"chalice package failed (exit {result.returncode}):\n{result.stdout}{result.stderr}{hint}"
        )
    if MISSING_DEPENDENCIES in result.stdout + result.stderr:
        # Chalice only warns when a requirement has no Lambda-compatible wheel; the zip would lack it.
        raise PackagingError(f"chalice package left out dependencies:\n{result.stdout}{result.stderr}")
    templates = [out / name for name in TEMPLATES if (out / name).is_file()]
    if len(templates) != 1:
        raise PackagingError(f"expected one template in {out}, found {[t.name for t in templates]}")
    if template_only:
        (out / "deployment.zip").unlink(missing_ok=True)
        return templates[0]
    check_architecture(out / "deployment.zip", stage_architecture(stage))
    if sys.version_info[:2] == LAMBDA_PYTHON:
        compile_bytecode(out / "deployment.zip")
    return templates[0]


# ELF e_machine values (the System V ABI's registry) of the two machines Lambda runs.
ELF_MACHINES = {62: "x86_64", 183: "arm64"}
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"


def stage_architecture(stage: str, config_path: Path = CHALICE_CONFIG) -> str:
    """The stage's `lambda_architecture` in Chalice's config (the stage's, else the top level's; Chalice's
    default, x86_64, when neither sets it)."""
    config = json.loads(config_path.read_text())
    stage_config = config.get("stages", {}).get(stage, {})
    return str(stage_config.get("lambda_architecture") or config.get("lambda_architecture") or "x86_64")


def elf_machine(data: bytes) -> str | None:
    """The machine an ELF file is built for ("x86_64", "arm64", another e_machine number as text), or None
    when `data` is not an ELF file."""
    if len(data) < 20 or data[:4] != b"\x7fELF":
        return None
    machine = int.from_bytes(data[18:20], "little" if data[5] == 1 else "big")  # EI_DATA: 1 little-endian
    return ELF_MACHINES.get(machine, str(machine))


def check_architecture(zip_path: Path, architecture: str) -> int:
    """Raise PackagingError naming every shared library in the zip built for another machine than
    `architecture`; returns how many libraries were checked."""
    wrong: list[str] = []
    checked = 0
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            name = info.filename
            if not (name.endswith(".so") or ".so." in name.rsplit("/", 1)[-1]):
                continue
            with zf.open(info) as f:
                machine = elf_machine(f.read(20))
            if machine is None:
                continue
            checked += 1
            if machine != architecture:
                wrong.append(f"{name} ({machine})")
    if wrong:
        raise PackagingError(
            f"deployment.zip is for {architecture} but has libraries built for another machine: "
            + ", ".join(sorted(wrong))
        )
    return checked


LAMBDA_PYTHON = (3, 11)  # .chalice/config.json's runtime, the version the pycs must be for


def compile_bytecode(zip_path: Path) -> int:
    """Add compiled bytecode for every module in the Lambda zip (rewritten in place); returns how many."""
    with tempfile.TemporaryDirectory(prefix="ledgerbridge-pyc-") as tmp:
        tree = Path(tmp) / "tree"
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(tree)
            modes = {info.filename: info.external_attr for info in zf.infolist()}
        compileall.compile_dir(
            str(tree),
            quiet=2,
            workers=1,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        rebuilt = Path(tmp) / "deployment.zip"
        compiled = 0
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(p for p in tree.rglob("*") if p.is_file()):
                name = path.relative_to(tree).as_posix()
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = modes.get(name, 0o644 << 16)
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())
                compiled += name.endswith(".pyc")
        shutil.move(str(rebuilt), zip_path)
    return compiled


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ledgerbridge.package",
        description="Build the merged CloudFormation (SAM) template and Lambda zip; print the template path.",
    )
    parser.add_argument(
        "--stage", default="prod", help="Chalice stage from .chalice/config.json (default: prod)"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output directory (default: build/package)"
    )
    parser.add_argument(
        "--template-only",
        action="store_true",
        help="offline: package without requirements.txt and keep only the template (not deployable)",
    )
    args = parser.parse_args(argv)
    try:
        template = build(args.stage, args.out, template_only=args.template_only)
    except PackagingError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(template)
    return 0


if __name__ == "__main__":
    sys.exit(main())
