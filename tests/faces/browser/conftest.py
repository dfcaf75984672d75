"""A real JupyterLab on 127.0.0.1 and Debian's Chromium driven by Playwright.

One JupyterLab serves the whole module: a temporary root folder, a token, a
free port, no browser of its own, and none of its calls out (extension
manager, news, update checks). The server and its kernels get the same guard
the tests have (pytest-socket: only 127.0.0.1 may be connected to), installed
by a server config file and an IPython startup file, and the environment of a
user pointed at the vendor simulator started here.

Chromium is Debian's ``/usr/bin/chromium`` (``.ci/run`` installs it with
apt-get); nothing downloads a browser. Without it the tests are skipped, and
say why.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from contact_udfs.sandbox import Sandbox

CHROMIUM = Path("/usr/bin/chromium")
#: flags Chromium needs as root on a machine whose network is closed
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
LOCAL_ONLY = (
    "import pytest_socket\n"
    "pytest_socket.socket_allow_hosts(['127.0.0.1', 'localhost'], allow_unix_socket=True)\n"
)
#: plenty of simulated credits: the test counts what is spent
BALANCES = {"dropcontact": 10**6, "fullcontact": 10**6, "coldlead": 10**6}
STARTUP_TIMEOUT = 90.0


def chromium() -> Path:
    found = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if not found:
        pytest.skip(
            "Debian's chromium is not installed (apt-get install chromium; .ci/run "
            "installs it): the panel is not tested in a real browser here"
        )
    return Path(found)


@dataclass
class Lab:
    """A running JupyterLab: where it serves, its folder, and the simulator behind it."""

    url: str
    token: str
    root: Path
    sandbox: Sandbox
    cache: Path
    log: Path

    def open_url(self, notebook: str) -> str:
        return f"{self.url}/lab/tree/{notebook}?token={self.token}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(home: Path, sb: Sandbox, cache: Path) -> dict[str, str]:
    """The server's (and so the kernel's) environment: a user pointed at the simulator."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CONTACT_UDFS_", "DROPCONTACT_", "FULLCONTACT_", "COLDLEAD_",
                                "JUPYTER", "IPYTHON"))}  # fmt: skip
    config = home / "config.toml"
    config.write_text("")
    dirs = {"JUPYTER_CONFIG_DIR": "config", "JUPYTER_DATA_DIR": "data",
            "JUPYTER_RUNTIME_DIR": "runtime", "IPYTHONDIR": "ipython",
            "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
            "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces"}  # fmt: skip
    for name, sub in dirs.items():
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[name] = str(home / sub)
    env.update(sb.env())
    env.update({
        "CONTACT_UDFS_CONFIG": str(config), "CONTACT_UDFS_CACHE": str(cache),
        "CONTACT_UDFS_PROVIDERS": "dropcontact,coldlead", "CONTACT_UDFS_POLL_INTERVAL": "0",
        "CONTACT_UDFS_POLL_TIMEOUT": "30", "MPLBACKEND": "agg", "HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "NO_PROXY": "127.0.0.1,localhost",
    })  # fmt: skip
    return env


def _configure(home: Path) -> None:
    """Server config (guard + nothing fetched), kernel startup guard, quiet lab settings."""
    (home / "config" / "jupyter_server_config.py").write_text(
        LOCAL_ONLY + "c = get_config()  # noqa: F821\n"
        "c.LabApp.news_url = None\n"
        "c.LabApp.check_for_updates_class = "
        "'jupyterlab.handlers.announcements.NeverCheckForUpdate'\n"
        "c.LabApp.extension_manager = 'readonly'\n"
    )
    startup = home / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-local-only.py").write_text(LOCAL_ONLY)
    notes = home / "lab-settings" / "@jupyterlab" / "apputils-extension"
    notes.mkdir(parents=True)
    (notes / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True})
    )


def _wait_ready(url: str, token: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll the server's status endpoint until it answers (or the process dies)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/api/status", params={"token": token}, timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"JupyterLab did not start in {STARTUP_TIMEOUT:.0f} s:\n"
                       f"{log.read_text()[-3000:]}")  # fmt: skip


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    chromium()  # skip before starting anything
    home = tmp_path_factory.mktemp("lab-home")
    root = tmp_path_factory.mktemp("lab-root")
    cache = home / "contacts.sqlite"
    with Sandbox(seed=0, job_polls_before_ready=1, coldlead_rate=None, balances=BALANCES) as sb:
        env = _environment(home, sb, cache)
        _configure(home)
        port, token = _free_port(), secrets.token_hex(16)
        log = home / "jupyterlab.log"
        argv = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
            f"--port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
            f"--IdentityProvider.token={token}",
        ]  # fmt: skip
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url, token, proc, log)
            yield Lab(url, token, root, sb, cache, log)
        finally:
            try:
                requests.post(f"{url}/api/shutdown", params={"token": token}, timeout=10)
                proc.wait(timeout=30)
            except (requests.RequestException, subprocess.TimeoutExpired):
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture(scope="module")
def browser_page(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One Chromium page (a fresh profile) for the module."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(chromium()), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 2200}, device_scale_factor=1,
        )  # fmt: skip
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
