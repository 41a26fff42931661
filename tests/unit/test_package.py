"""infra/package.py on a small Chalice project (real Chalice packaging, real compileall): the
stage's names in the template, bytecode Lambda uses as is, a byte-identical zip for the same
sources, and a build skipped when nothing changed. (The real app's package is built by
``make package`` and checked by the infra tests; it downloads wheels, this doesn't.)"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra import package

APP = '''import os

from chalice import Chalice

from chalicelib import NAME

app = Chalice(app_name="tiny")


@app.route("/")
def index():
    return {"name": NAME}


PREFIX = os.environ.get("JFW_QUEUE_PREFIX", f"jfw-{os.environ['JFW_STAGE']}-")


@app.on_sqs_message(queue=f"{PREFIX}outbox")
def consume_outbox(event):
    return {"batchItemFailures": []}
'''


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "project"
    (root / "chalicelib" / "__pycache__").mkdir(parents=True)
    (root / ".chalice").mkdir()
    (root / "app.py").write_text(APP)
    (root / "chalicelib" / "__init__.py").write_text('NAME = "tiny"\n')
    # Bytecode of a module deleted since: must not reach the package.
    (root / "chalicelib" / "__pycache__" / "gone.cpython-311.pyc").write_bytes(b"stale")
    (root / "requirements.txt").write_text("chalice==1.34.0\n")  # dropped: no download
    (root / ".chalice" / "config.json").write_text(json.dumps(
        {"version": "2.0", "app_name": "tiny", "stages": {"dev": {}, "prod": {}}}))
    monkeypatch.setattr(package, "ROOT", root)
    # What a developer's shell may hold; the packaged template must not see it.
    monkeypatch.setenv("JFW_QUEUE_PREFIX", "someone-elses-")
    return root


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_package_is_precompiled_for_var_task_and_names_the_stage_queues(project, tmp_path):
    out = package.build("prod", tmp_path / "out")
    zipped = out / package.ZIP_NAME
    template = (out / package.TEMPLATE_NAME).read_text()
    assert "jfw-prod-outbox" in template and "someone-elses" not in template
    assert json.loads(template)["Resources"]["APIHandler"]["Properties"]["CodeUri"] == (
        "./deployment.zip")

    with zipfile.ZipFile(zipped) as z:
        names = z.namelist()
        assert names == sorted(names)
        assert {i.date_time for i in z.infolist()} == {package.FIXED_TIME}
        assert "chalicelib/__pycache__/gone.cpython-311.pyc" not in names
        sources = [n for n in names if n.endswith(".py")]
        assert {"app.py", "chalicelib/__init__.py", "chalice/app.py"} <= set(sources)
        for name in sources:
            folder, _, module = name.rpartition("/")
            pyc = f"{folder + '/' if folder else ''}__pycache__/{module[:-3]}.cpython-311.pyc"
            data = z.read(pyc)
            assert int.from_bytes(data[4:8], "little") == 0b01  # hash-based, source not checked
            assert marshal.loads(data[16:]).co_filename == f"/var/task/{name}"
        assert not any("pip/" in n or "yaml/" in n for n in names)  # Chalice's CLI deps

    # The package runs on its own (only it and the standard library on the path), and Python
    # takes its bytecode as is: it would rewrite any .pyc it found stale or foreign.
    run_dir = tmp_path / "task"
    zipfile.ZipFile(zipped).extractall(run_dir)
    before = {p: digest(p) for p in run_dir.rglob("*") if p.is_file()}
    probe = "import sys; sys.path.insert(0, sys.argv[1]); import app; print(app.app.app_name)"
    shown = subprocess.run([sys.executable, "-I", "-S", "-c", probe, str(run_dir)],
                           env={**os.environ, "JFW_STAGE": "prod"}, check=True,
                           capture_output=True, text=True).stdout
    assert shown.strip() == "tiny"
    assert {p: digest(p) for p in run_dir.rglob("*") if p.is_file()} == before


def test_unchanged_sources_are_not_rebuilt_and_give_the_same_bytes(project, tmp_path):
    out = package.build("dev", tmp_path / "out")
    zipped = out / package.ZIP_NAME
    first, inode = digest(zipped), zipped.stat().st_ino
    assert package.build("dev", tmp_path / "out") == out
    assert zipped.stat().st_ino == inode  # skipped: the stamp matched
    (project / "chalicelib" / "__pycache__" / "more.cpython-311.pyc").write_bytes(b"x")
    package.build("dev", tmp_path / "out")
    assert zipped.stat().st_ino == inode  # bytecode in the tree is not a source

    package.build("dev", tmp_path / "out", force=True)
    assert zipped.stat().st_ino != inode and digest(zipped) == first  # reproducible

    (project / "chalicelib" / "__init__.py").write_text('NAME = "changed"\n')
    package.build("dev", tmp_path / "out")
    assert digest(zipped) != first
    with zipfile.ZipFile(zipped) as z:
        assert z.read("chalicelib/__init__.py") == b'NAME = "changed"\n'

    package.build("dev", tmp_path / "out", compile=False)
    with zipfile.ZipFile(zipped) as z:
        assert not [n for n in z.namelist() if n.endswith(".pyc")]


def test_the_cli_prints_the_output_and_the_zip_size(project, tmp_path, capsys):
    assert package.main(["--stage", "dev", "--out", str(tmp_path / "cli")]) == 0
    line = capsys.readouterr().out.strip()
    size = (tmp_path / "cli" / package.ZIP_NAME).stat().st_size
    assert line.startswith("package stage=dev ")
    assert f"out={tmp_path / 'cli'} " in line and f"zip_bytes={size} " in line


def test_another_python_minor_is_refused_before_anything_is_built(project, tmp_path,
                                                                   monkeypatch, capsys):
    monkeypatch.setattr(package, "RUNTIME_PYTHON", (3, 10))
    with pytest.raises(package.PackageError, match="Lambda runtime is Python 3.10"):
        package.build("dev", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert package.main(["--stage", "dev", "--out", str(tmp_path / "out")]) == 1
    assert "Run with python3.10" in capsys.readouterr().err


@pytest.mark.parametrize("stage", ["local", "test", "Prod", "dev/../x", ""])
def test_local_and_malformed_stages_are_refused(stage, tmp_path):
    with pytest.raises(package.PackageError, match="Stage"):
        package.build(stage, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_only_chalice_itself_is_left_out_of_the_runtime_requirements():
    text = "# pinned\nchalice==1.34.0\npynamodb==6.1.0\nChalice >= 1.0\nchalice-spec==1\n"
    assert package.runtime_requirements(text) == "# pinned\npynamodb==6.1.0\nchalice-spec==1\n"


def test_the_docs_assets_not_served_are_left_out(tmp_path):
    vendor = tmp_path / "swagger_ui_bundle" / "vendor" / "swagger-ui-4.15.5"
    vendor.mkdir(parents=True)
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-bundle.js.map",
                 "swagger-ui-es-bundle.js", "index.html"):
        (vendor / name).write_text("x" * 10)
    (tmp_path / "swagger_ui_bundle" / "__init__.py").write_text("")
    assert package.prune_unserved_assets(tmp_path) == 30
    assert sorted(p.name for p in vendor.iterdir()) == ["swagger-ui-bundle.js", "swagger-ui.css"]
    assert (tmp_path / "swagger_ui_bundle" / "__init__.py").is_file()
