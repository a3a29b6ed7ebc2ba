"""The on-disk spec cache: keys, location, atomic writes, one fetch for many processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import marvin2.client as client
from marvin2.client import Spec, SpecCache
from marvin2.client.spec import default_cache_dir

from fakemgmt import FakeCloud


def test_cache_dir_defaults_and_overrides(monkeypatch, tmp_path):
    monkeypatch.delenv("MARVIN2_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert default_cache_dir() == Path.home() / ".cache" / "marvin2"
    monkeypatch.setenv("MARVIN2_CACHE_DIR", str(tmp_path / "env"))
    assert default_cache_dir() == tmp_path / "env"
    assert SpecCache(tmp_path / "arg").directory == tmp_path / "arg"


def test_path_depends_on_endpoint_identity_and_version(tmp_path):
    cache = SpecCache(tmp_path)
    base = cache.path_for("http://a:8080/client/api", "4.18.0.0", "key:K")
    assert base.parent == tmp_path and "4.18.0.0" in base.name
    assert base == cache.path_for("http://a:8080/client/api", "4.18.0.0", "key:K")
    assert base != cache.path_for("http://b:8080/client/api", "4.18.0.0", "key:K")
    assert base != cache.path_for("http://a:8080/client/api", "4.19.0.0", "key:K")
    assert base != cache.path_for("http://a:8080/client/api", "4.18.0.0", "user:/:admin")


def test_connect_caches_per_server_version(fake, connect_fake, private_cache):
    connect_fake()
    assert fake.count("listApis") == 1
    files = list(private_cache.glob("spec-*.json"))
    assert len(files) == 1 and "4.18.0.0" in files[0].name
    assert json.loads(files[0].read_bytes())["marvin2_spec"] == 1
    api = connect_fake()
    assert fake.count("listApis") == 1, "second connect must read the cache"
    assert fake.count("listCapabilities") == 2
    assert "listZones" in api.spec
    fake.version = "4.19.0.0"  # an upgraded server gets a fresh spec
    connect_fake()
    assert fake.count("listApis") == 2
    assert len(list(private_cache.glob("spec-*.json"))) == 2


def test_cache_dir_argument_and_refresh(fake, connect_fake, tmp_path):
    target = tmp_path / "explicit"
    connect_fake(cache_dir=target)
    assert list(target.glob("spec-*.json"))
    connect_fake(cache_dir=target, refresh_spec=True)
    assert fake.count("listApis") == 2
    connect_fake(cache_dir=target, use_cache=False)
    assert fake.count("listApis") == 3


def test_damaged_cache_file_is_fetched_again(fake, connect_fake, private_cache):
    connect_fake()
    [path] = private_cache.glob("spec-*.json")
    path.write_text('{"marvin2_spec": 1, "api": [')  # truncated by a crash, say
    api = connect_fake()
    assert fake.count("listApis") == 2
    assert "listZones" in api.spec
    assert json.loads(path.read_bytes())["count"] == len(fake.apis)


def test_store_is_atomic_and_leaves_no_temp_files(tmp_path, monkeypatch):
    cache = SpecCache(tmp_path)
    spec = Spec([{"name": "listZones", "params": []}], version="1.0")
    path = cache.path_for("http://x/client/api", "1.0")
    cache.store(path, spec)
    replaced = []
    real_replace = os.replace

    def spy(src, dst):
        replaced.append((Path(src).parent, Path(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    cache.store(path, spec)
    assert replaced == [(tmp_path, path)], "written to a temp file in the same directory, then renamed"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        cache.store(path, spec)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name], "temp file removed after a failure"
    assert cache.load(path).names == ("listZones",)


def test_fetch_happens_once_under_the_lock(tmp_path):
    cache = SpecCache(tmp_path)
    calls = []

    def fetch():
        calls.append(1)
        return {"count": 1, "api": [{"name": "listZones"}]}

    first = cache.get_or_fetch("http://x/client/api", "1.0", fetch)
    second = cache.get_or_fetch("http://x/client/api", "1.0", fetch)
    assert len(calls) == 1 and first.names == second.names == ("listZones",)


WORKER = textwrap.dedent(
    """
    import sys, time, pathlib
    import marvin2.client as client
    url, cache_dir, go, ready = sys.argv[1:5]
    pathlib.Path(ready).touch()
    deadline = time.monotonic() + 60
    while not pathlib.Path(go).exists():
        if time.monotonic() > deadline:
            sys.exit("never told to go")
        time.sleep(0.005)
    api = client.connect(url, api_key="KEY", secret_key="SECRET", cache_dir=cache_dir)
    print(len(api.spec))
    api.close()
    """
)


def test_eight_processes_starting_together_fetch_the_spec_once(tmp_path):
    with FakeCloud() as cloud:
        original = cloud._builtin_listApis

        def slow_list_apis(request):
            time.sleep(0.3)  # the others arrive while the first one fetches
            return original(request)

        cloud.on("listApis", slow_list_apis)
        cache_dir, go = tmp_path / "cache", tmp_path / "go"
        script = tmp_path / "worker.py"
        script.write_text(WORKER)
        processes = [
            subprocess.Popen(
                [sys.executable, str(script), cloud.url, str(cache_dir), str(go), str(tmp_path / f"ready{i}")],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(8)
        ]
        try:
            deadline = time.monotonic() + 60
            while len(list(tmp_path.glob("ready*"))) < 8:
                assert time.monotonic() < deadline, "workers did not start"
                time.sleep(0.01)
            go.touch()
            outputs = [p.communicate(timeout=60) for p in processes]
        finally:
            for p in processes:
                p.kill() if p.poll() is None else None
        for process, (out, err) in zip(processes, outputs):
            assert process.returncode == 0, err
            assert out.strip() == str(len(cloud.apis))
        assert cloud.count("listCapabilities") == 8
        assert cloud.count("listApis") == 1
        assert len(list(cache_dir.glob("spec-*.json"))) == 1
        assert not list(cache_dir.glob("*.tmp"))


def test_stale_and_excess_entries_are_pruned_on_write(tmp_path):
    cache = SpecCache(tmp_path, max_files=3, max_age=3600)
    spec = Spec([{"name": "listZones"}], version="1.0")
    paths = [cache.path_for(f"http://h{i}/client/api", "1.0", f"key:{i}") for i in range(5)]
    for age, path in enumerate(paths):
        cache.store(path, spec)
        os.utime(path, (time.time() - 100 * (10 - age),) * 2)  # later paths were used more recently
    remaining = sorted(p.name for p in tmp_path.glob("spec-*.json"))
    assert remaining == sorted(p.name for p in paths[-3:]), "only the 3 most recently used stay"
    os.utime(paths[-1], (time.time() - 7200,) * 2)  # unused for two hours: too old
    fresh = cache.path_for("http://new/client/api", "1.0")
    cache.store(fresh, spec)
    names = {p.name for p in tmp_path.glob("spec-*.json")}
    assert fresh.name in names and paths[-1].name not in names
    assert cache.load(paths[-2]) is not None


def test_loading_marks_an_entry_as_used(tmp_path):
    cache = SpecCache(tmp_path)
    path = cache.path_for("http://x/client/api", "1.0")
    cache.store(path, Spec([{"name": "listZones"}], version="1.0"))
    os.utime(path, (1, 1))
    cache.load(path)
    assert path.stat().st_mtime > time.time() - 60
