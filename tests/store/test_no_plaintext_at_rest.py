"""A stored value appears nowhere in the database: not in a dump, not in the audit trail."""

from __future__ import annotations

import base64
import subprocess

from shared.cli.dev.embedded import pg_bin
from shared.store.models import RequestInfo

VALUE = "fake-plaintext-canary-7f3a9c"


def test_pg_dump_of_whole_database_does_not_contain_the_value(container, project, dsn):
    owner = project.principal("owner")
    meta = container.service.create(owner, RequestInfo("127.0.0.1", "pytest"), project.id,
                                    name="CANARY", value=VALUE, description="dump check")
    container.service.update(owner, RequestInfo(), project.id, meta.id, value=VALUE + "-v2")
    assert container.service.reveal(owner, RequestInfo(), project.id, meta.id) == VALUE + "-v2"

    dump = subprocess.run([pg_bin("pg_dump"), "--dbname", dsn], capture_output=True, check=True,
                          timeout=120).stdout
    assert b"CANARY" in dump  # the dump really holds the secret's row...
    for needle in (VALUE.encode(), VALUE.encode().hex().encode(), base64.b64encode(VALUE.encode())):
        assert needle not in dump  # ...but not its value, in any common encoding
