"""What travels with a task, what each worker adds, and the errors that come back.

No cluster here: the spec is built and resolved in this process, the way the
driver and a worker each do it.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("dask.dataframe")

from contact_udfs import BudgetExceededError, ConfigurationError, QuotaExceededError  # noqa: E402
from contact_udfs.config import load_settings  # noqa: E402
from contact_udfs.faces.dask.errors import BudgetSpentError  # noqa: E402
from contact_udfs.faces.dask.spec import resolve, ship  # noqa: E402

KEY = "fc-secret-key-123456"


def settings_for(tmp_path: Path, **env: str):
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    base = {"FULLCONTACT_API_KEY": KEY, "CONTACT_UDFS_PROVIDERS": "fullcontact",
            "CONTACT_UDFS_CACHE": str(tmp_path / "c.sqlite"),
            "CONTACT_UDFS_CONFIG": str(empty), **env}  # fmt: skip
    return load_settings(base), base


def test_the_spec_carries_no_key_and_the_worker_adds_its_own(tmp_path: Path):
    settings, env = settings_for(tmp_path, FULLCONTACT_BASE_URL="http://127.0.0.1:9/fc")
    spec = ship(settings, explicit_providers=True)
    assert KEY.encode() not in pickle.dumps(spec) and KEY not in repr(spec)
    mine = resolve(spec, {**env, "FULLCONTACT_BASE_URL": "https://elsewhere"})
    assert mine.provider("fullcontact").api_key.get() == KEY
    assert mine.provider("fullcontact").base_url == "http://127.0.0.1:9/fc"  # shipped wins
    assert mine.providers == ("fullcontact",) and mine.cache == str(tmp_path / "c.sqlite")


def test_a_worker_without_the_key_says_which_variable_to_set(tmp_path: Path):
    settings, env = settings_for(tmp_path)
    spec = ship(settings, explicit_providers=True)
    env.pop("FULLCONTACT_API_KEY")
    with pytest.raises(ConfigurationError, match="FULLCONTACT_API_KEY in the workers'"):
        resolve(spec, env)


def test_a_sqlite_file_the_worker_cannot_share_asks_for_redis(tmp_path: Path):
    settings, env = settings_for(tmp_path)
    spec = ship(settings, explicit_providers=True)
    assert Path(spec.cache).exists()  # created by the driver, so workers can check it
    elsewhere = replace(spec, sqlite_file=("another-machine", *spec.sqlite_file[1:]))
    with pytest.raises(ConfigurationError, match=r"cannot share it.*redis://"):
        resolve(elsewhere, env)
    other_file = replace(spec, sqlite_file=(spec.sqlite_file[0], 0, 0))
    with pytest.raises(ConfigurationError, match="needs a shared Redis"):
        resolve(other_file, env)
    Path(spec.cache).unlink()
    with pytest.raises(ConfigurationError, match="cannot share it"):
        resolve(spec, env)


def test_a_redis_password_stays_on_the_machines_that_have_it(tmp_path: Path):
    url = "redis://:hunter2-pass@10.0.0.5:6379/2"
    settings, env = settings_for(tmp_path, CONTACT_UDFS_CACHE=url)
    spec = ship(settings, explicit_providers=True)
    assert "hunter2" not in repr(spec) and b"hunter2" not in pickle.dumps(spec)
    assert spec.cache == "redis://10.0.0.5:6379/2" and spec.cache_secret
    assert resolve(spec, env).cache == url  # the worker's own variable has the password
    env["CONTACT_UDFS_CACHE"] = "redis://10.0.0.5:6379/2"
    with pytest.raises(ConfigurationError, match="needs a password") as caught:
        resolve(spec, env)
    assert "hunter2" not in str(caught.value)


def test_errors_cross_the_pickle_boundary_intact():
    quota = QuotaExceededError("fullcontact", "quota reached", status_code=403)
    spent = BudgetSpentError(450, 450, 263)
    refused = BudgetExceededError({"fullcontact": 9}, 5)
    for exc in (quota, spent, refused):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and str(back) == str(exc)
        assert back.__dict__ == exc.__dict__
    assert isinstance(spent, BudgetExceededError) and spent.not_sent == 263


@pytest.mark.parametrize("first", ["contact_udfs", "dask.dataframe"])
def test_import_contact_udfs_registers_ddf_contacts_in_either_order(first: str):
    second = "dask.dataframe" if first == "contact_udfs" else "contact_udfs"
    code = (
        "import sys\n"
        f"import {first}\n"
        "lazy = 'dask.dataframe' not in sys.modules\n"
        f"import {second}\n"
        "import dask.dataframe as dd, pandas as pd\n"
        "ddf = dd.from_pandas(pd.DataFrame({'email': ['a@b.co']}), npartitions=1)\n"
        "print(type(ddf.contacts).__name__, lazy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    expected = "True" if first == "contact_udfs" else "False"
    assert out.stdout.split() == ["DaskContactsAccessor", expected]
