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


def test_a_second_stage_reuses_chalices_zip_of_the_dependencies(project, tmp_path):
    """Chalice's zip (wheels and app, named by their hash, not the stage) is made once for
    both stages: the prod build finds the dev build's and leaves it untouched."""
    dev = package.build("dev", tmp_path / "dev")
    [kept] = package.chalice_cache().glob("*.zip")
    made = kept.stat().st_mtime_ns
    prod = package.build("prod", tmp_path / "prod")
    assert list(package.chalice_cache().glob("*.zip")) == [kept]
    assert kept.stat().st_mtime_ns == made
    assert digest(dev / package.ZIP_NAME) == digest(prod / package.ZIP_NAME)
    assert "jfw-prod-outbox" in (prod / package.TEMPLATE_NAME).read_text()
    (project / "chalicelib" / "__init__.py").write_text('NAME = "changed"\n')
    package.build("dev", tmp_path / "dev")
    [newer] = package.chalice_cache().glob("*.zip")
    assert newer != kept  # a changed app is another zip; the old one is dropped


def test_a_second_stage_from_the_same_code_links_the_first_ones_zip(project, tmp_path,
                                                                   monkeypatch):
    """prod beside dev (build/prod, build/dev) takes dev's zip as it is, without extracting,
    compiling and zipping again; its own sam.json still names its queues. Changed code is
    built anew, not taken from a stage built before the change."""
    dev = package.build("dev", tmp_path / "dev")

    def rebuilt(*_: object) -> None:
        raise AssertionError("the zip was built again")
    with monkeypatch.context() as m:
        m.setattr(package, "compile_tree", rebuilt)
        m.setattr(package, "deterministic_zip", rebuilt)
        prod = package.build("prod", tmp_path / "prod")
    assert (prod / package.ZIP_NAME).stat().st_ino == (dev / package.ZIP_NAME).stat().st_ino
    assert "jfw-prod-outbox" in (prod / package.TEMPLATE_NAME).read_text()
    assert "jfw-dev-outbox" not in (prod / package.TEMPLATE_NAME).read_text()

    (project / "chalicelib" / "__init__.py").write_text('NAME = "changed"\n')
    prod = package.build("prod", tmp_path / "prod")
    assert digest(prod / package.ZIP_NAME) != digest(dev / package.ZIP_NAME)
    with zipfile.ZipFile(prod / package.ZIP_NAME) as z:
        assert b"changed" in z.read("chalicelib/__pycache__/__init__.cpython-311.pyc")


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


def test_what_no_handler_loads_is_pruned_and_the_rest_stays(tmp_path):
    tree = tmp_path / "tree"
    files = {
        "jinja2/__init__.py": "", "cffi/api.py": "", "pycparser/c_parser.py": "",
        "fontTools/cu2qu/cu2qu.py": "", "fontTools/ttLib/ttFont.py": "",
        "fontTools/misc/bezierTools.c": "x" * 100, "fontTools/misc/bezierTools.py": "",
        "fonttools-4.68.0.data/data/share/man/man1/ttx.1": "", "certifi/tests/test_x.py": "",
        "certifi/core.py": "", "babel/locale-data/root.dat": "", "babel/locale-data/en.dat": "",
        "babel/locale-data/de_DE.dat": "x" * 10, "babel/global.dat": "",
        "botocore/data/endpoints.json": "", "botocore/data/sqs/2012-11-05/service-2.json.gz": "",
        "botocore/data/kms/2014-11-01/service-2.json.gz": "",
        "botocore/data/dynamodb/2012-08-10/service-2.json.gz": "",
        "botocore/data/ec2/2016-11-15/service-2.json.gz": "x" * 1000,
        "app.py": "from chalicelib.store import aws\n",
        "chalicelib/store/aws.py": 'def f(aws):\n    return aws.client("kms"), client( "sqs" )\n',
        "chalicelib/tests/keep.py": "",
        "PIL/_avif.cpython-311-x86_64-linux-gnu.so": "x" * 20000,
        "pillow.libs/libavif-0b1c2ae7.so.16.4.1": "x" * 30000,
        "PIL/_imagingtk.cpython-311-x86_64-linux-gnu.so": "x" * 40000,
        "PIL/_imaging.cpython-311-x86_64-linux-gnu.so": "",
        "pillow.libs/libjpeg-02b4d8cf.so.62.4.0": "",
    }
    for name, text in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(text)

    assert package.used_services(tree) == {"dynamodb", "sts", "kms", "sqs"}
    assert package.prune_unused(tree) == 100 + 10 + 1000 + 90000
    left = {p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file()}
    assert left == {
        "fontTools/ttLib/ttFont.py", "fontTools/misc/bezierTools.py", "certifi/core.py",
        "babel/locale-data/root.dat", "babel/locale-data/en.dat", "babel/global.dat",
        "botocore/data/endpoints.json", "botocore/data/sqs/2012-11-05/service-2.json.gz",
        "botocore/data/kms/2014-11-01/service-2.json.gz",
        "botocore/data/dynamodb/2012-08-10/service-2.json.gz",
        "app.py", "chalicelib/store/aws.py", "chalicelib/tests/keep.py",
        "PIL/_imaging.cpython-311-x86_64-linux-gnu.so", "pillow.libs/libjpeg-02b4d8cf.so.62.4.0"}


# Run in the unzipped real package, alone on the path (-I -S): every module of chalicelib (the
# local stack's excepted: it never ships to a handler's path) and the paths the handlers take
# through the libraries the pruning touched. argv: the package, the services, a TrueType font
# or "".
PROBE = '''import importlib, json, pkgutil, sys
sys.path.insert(0, sys.argv[1])
import app
import chalicelib
modules = [m.name for m in pkgutil.walk_packages(chalicelib.__path__, "chalicelib.")
           if not m.name.startswith("chalicelib.devstack")]
for name in modules:
    importlib.import_module(name)

from chalicelib.notify import catalog, events, templates
rendered = 0
for event in catalog.EVENTS.values():
    if events.sends_mail(event):
        templates.check(event.subject, event.body)
        mail = templates.render(templates.default_template(event.code), {
            "brand": {"name": "Demo"}, "user": templates.user_vars(username="ann")})
        assert "Demo" in mail.subject
        rendered += 1

from chalicelib.invoicing import pdf
invoice = {"id": "i1", "code": "INV-1", "type": "Post", "status": "Paid",
           "invoiceDate": "2030-06-01T12:00:00.000Z", "currencyCode": "EUR",
           "items": [{"name": "PRO Caf\\u00e9 \\u20ac", "quantity": 1, "amount": "9.99",
                      "currencyCode": "EUR"}],
           "subtotalAmount": "9.99", "totalAmount": "9.99"}
brand = {"id": "b1", "name": "Acme", "profile": {}, "setting": {}}
pdfs = [pdf.render(invoice, brand)]
if sys.argv[3]:
    pdfs.append(pdf.render(invoice, brand, font=sys.argv[3]))
assert all(p.startswith(b"%PDF") for p in pdfs)
import io
from PIL import Image
for fmt in ("PNG", "JPEG"):  # a brand's logo goes through the package's own Pillow
    logo = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(logo, fmt)
    drawn = pdf.render(invoice, {**brand, "logo": logo.getvalue()})
    assert b"/Subtype /Image" in drawn, fmt

from chalicelib.store import aws
for service in sys.argv[2].split(","):
    aws.client(service)

import argon2, stripe
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from email_validator import validate_email
argon2.PasswordHasher(time_cost=1, memory_cost=64).hash("x")
AESGCM(b"k" * 32).encrypt(b"n" * 12, b"secret", b"context")
validate_email("ann@example.com", check_deliverability=False)
stripe.PaymentIntent.construct_from({"id": "pi_1", "object": "payment_intent"}, "sk_test")
print(json.dumps({"modules": len(modules), "rendered": rendered, "pdfs": len(pdfs)}))
'''


def test_the_pruned_package_runs_every_module_and_the_libraries_paths_it_uses(tmp_path):
    """The real package (make package; built once, then reused while its sources don't change)
    lost what the pruning removes, and still imports and runs what the handlers do."""
    out = package.build("dev")
    task = tmp_path / "task"
    with zipfile.ZipFile(out / package.ZIP_NAME) as z:
        z.extractall(task)
    services = package.used_services(task)
    assert {"dynamodb", "sqs", "ses", "sns", "s3", "kms"} <= services
    assert {d.name for d in (task / "botocore" / "data").iterdir() if d.is_dir()} == services
    assert sorted(p.stem for p in (task / "babel" / "locale-data").glob("*.dat")) == sorted(
        package.BABEL_LOCALES)
    assert not any((task / d).exists() for d in package.UNUSED_DIRS)
    # Every compiled library came from a wheel built for Lambda's glibc, none compiled here
    # (Chalice builds what it finds no such wheel for, against this machine's libraries).
    built_here = [w.parent.name for w in task.glob("*.dist-info/WHEEL")
                  if "-linux_x86_64" in w.read_text()]
    assert built_here == []

    font = DEJAVU if DEJAVU.is_file() else ""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JFW_", "AWS_"))}
    env.update({"JFW_STAGE": "dev", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "probe", "AWS_SECRET_ACCESS_KEY": "probe"})
    run = subprocess.run([sys.executable, "-I", "-S", "-B", "-c", PROBE, str(task),
                          ",".join(sorted(services)), str(font)],
                         cwd=task, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-4000:]
    shown = json.loads(run.stdout.strip().splitlines()[-1])
    assert shown["modules"] > 100 and shown["rendered"] > 10 and shown["pdfs"] == 1 + bool(font)


DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
