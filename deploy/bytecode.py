"""Add bytecode to a Lambda zip: one `__pycache__/*.cpython-311.pyc` per `.py` in it.

Lambda's /var/task is read-only, so without bytecode in the zip every cold start compiles
every module it imports (about twice the import time of a handler, measured in README's
deploy section). The serverless CLI writes every zip entry with the same fixed date, so
pip's timestamp-checked .pyc files would all be stale there; these are unchecked-hash
pycs (PEP 552): valid whatever the file dates, and never compared with the source, which
the zip never changes. Must run under the runtime's Python minor version (3.11).

Usage: python3.11 deploy/bytecode.py ZIP [ZIP...]   (deploy/serverless-bytecode.js runs it)
"""

from __future__ import annotations

import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

RUNTIME = (3, 11)  # serverless.yml: provider.runtime python3.11


def add_bytecode(archive: Path) -> int:
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        sources = [n for n in names if n.endswith(".py")]
        with tempfile.TemporaryDirectory() as tmp:
            pycs = []
            for name in sources:
                path = PurePosixPath(name)
                target = str(path.parent / "__pycache__" / (path.stem + f".{sys.implementation.cache_tag}.pyc"))
                if target in names:
                    continue
                src = Path(tmp, "src", name)
                src.parent.mkdir(parents=True, exist_ok=True)
                src.write_bytes(zf.read(name))
                out = Path(tmp, "pyc", target)
                try:
                    py_compile.compile(str(src), cfile=str(out), dfile=name, doraise=True,
                                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
                except py_compile.PyCompileError:
                    continue  # e.g. a template file named .py; Python would fail on it too
                pycs.append((target, out))
            with zipfile.ZipFile(archive, "a", compression=zipfile.ZIP_DEFLATED) as out_zip:
                for target, out in sorted(pycs):
                    info = zipfile.ZipInfo(target, date_time=(1980, 1, 1, 0, 0, 0))
                    info.external_attr = 0o644 << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    out_zip.writestr(info, out.read_bytes())
    return len(pycs)


def main(argv: list[str]) -> int:
    if sys.version_info[:2] != RUNTIME:
        print(f"deploy/bytecode.py needs Python {RUNTIME[0]}.{RUNTIME[1]} (the Lambda runtime's); "
              f"this is {sys.version.split()[0]}: set MESHHOOK_BUILD_PYTHON", file=sys.stderr)
        return 2
    for name in argv:
        count = add_bytecode(Path(name))
        print(f"bytecode: {count} modules compiled into {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
