"""The files under docs/deploy/ are what the operator guide tells people to install: they parse, their commands
exist in the CLI with the options they give, and they agree with each other and with the app (ports, the headers
the app trusts, /metrics kept off the internet, metric names that exist)."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import crossplane
import pytest
import typer
import yaml

from govdata import metrics
from govdata.cli import app as cli_app

DEPLOY = Path(__file__).parent.parent / "docs" / "deploy"
GUIDE = Path(__file__).parent.parent / "docs" / "operator-guide.md"
UNITS = ["govdata.service", "govdata-jobs.service"]
INSTALLED = "/opt/govdata/.venv/bin/govdata"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"))
    return parser


def _cli_accepts(argv: list[str]) -> Any:
    """Parse `govdata ARGS` as the CLI would, without running it; returns the subcommand's parsed options."""
    group = typer.main.get_command(cli_app)
    with group.make_context("govdata", list(argv), resilient_parsing=False) as context:
        name, command, rest = group.resolve_command(context, list(argv))  # type: ignore[attr-defined]
        assert command is not None, f"no subcommand {argv[0]!r}"
        with command.make_context(name, rest, parent=context) as sub:
            return sub.params


@pytest.mark.parametrize("name", UNITS)
def test_unit_files_parse_and_start_a_command_the_cli_has(name):
    unit = _unit(name)
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    service = unit["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == INSTALLED  # the path the guide installs to
    params = _cli_accepts(argv[1:])
    assert params["host"] == "127.0.0.1" and params["access_log"] is False
    assert service["EnvironmentFile"] == "/etc/govdata/govdata.env" and service["User"] == "govdata"
    assert service["ReadWritePaths"] == service["WorkingDirectory"] == "/var/lib/govdata"
    assert "GOVDATA_HOME=/var/lib/govdata" in GUIDE.read_text(encoding="utf-8")


def test_the_app_unit_and_the_jobs_unit_split_the_work():
    app, jobs = (_unit(name)["Service"] for name in UNITS)
    assert app["Environment"] == "GOVDATA_RUN_JOBS_IN_SERVER=false"
    assert jobs["Environment"] == "GOVDATA_RUN_JOBS_IN_SERVER=true"
    assert app["KillMode"] == "mixed"  # SIGTERM to the supervisor, which stops its processes in order
    app_params = _cli_accepts(shlex.split(app["ExecStart"])[1:])
    jobs_params = _cli_accepts(shlex.split(jobs["ExecStart"])[1:])
    assert (app_params["port"], app_params["workers"]) == (8000, 2)
    assert (jobs_params["port"], jobs_params["workers"]) == (8001, 1)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("name", UNITS)
def test_systemd_verifies_the_units(name, tmp_path):
    """systemd's own check: known directives and values, an executable command (this test's govdata)."""
    govdata = Path(sys.executable).with_name("govdata")
    (tmp_path / name).write_text((DEPLOY / name).read_text(encoding="utf-8").replace(INSTALLED, str(govdata)),
                                 encoding="utf-8")
    checked = subprocess.run(["systemd-analyze", "verify", str(tmp_path / name)], capture_output=True, text=True,
                             timeout=60)
    problems = [line for line in checked.stderr.splitlines() if name in line]
    assert checked.returncode == 0 and not problems, checked.stderr


def _nginx(tmp_path: Path) -> list[dict[str, Any]]:
    main = tmp_path / "nginx.conf"
    main.write_text(f"events {{}}\nhttp {{\n    include {DEPLOY / 'nginx-govdata.conf'};\n}}\n", encoding="utf-8")
    parsed = crossplane.parse(str(main), check_ctx=True, check_args=True)
    assert parsed["status"] == "ok", parsed["errors"]
    return [d for config in parsed["config"] for d in config["parsed"]]


def _find(directives: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    found = []
    for directive in directives:
        if directive["directive"] == name:
            found.append(directive)
        found += _find(directive.get("block", []), name)
    return found


def test_nginx_config_parses_and_forwards_what_the_app_trusts(tmp_path):
    directives = _nginx(tmp_path)
    upstream = _find(directives, "upstream")[0]
    assert [d["args"] for d in upstream["block"] if d["directive"] == "server"] == [["127.0.0.1:8000"]]
    locations = {tuple(d["args"]): d["block"] for d in _find(directives, "location")}
    assert [d["args"] for d in locations[("=", "/metrics")]] == [["404"]]  # not served to the internet
    headers = {d["args"][0]: d["args"][1] for d in locations[("/",)] if d["directive"] == "proxy_set_header"}
    # Set, not passed on: the app takes the right end of X-Forwarded-For, the address nginx itself saw.
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "https"
    assert [d["args"] for d in locations[("/",)] if d["directive"] == "proxy_pass"] == [["http://govdata_app"]]
    assert "GOVDATA_TRUSTED_PROXIES=127.0.0.1" in GUIDE.read_text(encoding="utf-8")


SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}


def _metric_names() -> set[str]:
    """Every series name the app exports (a labelled metric shows samples only once a label set is used)."""
    collectors = [value for value in vars(metrics).values() if hasattr(value, "_type") and hasattr(value, "_name")]
    assert len(collectors) >= 9
    return {collector._name + suffix for collector in collectors for suffix in SUFFIXES[collector._type]}


def test_prometheus_files_parse_and_name_metrics_the_app_exports():
    scrape = yaml.safe_load((DEPLOY / "prometheus.yml").read_text(encoding="utf-8"))
    targets = [t for config in scrape["scrape_configs"] for group in config["static_configs"]
               for t in group["targets"]]
    assert targets == ["127.0.0.1:8000", "127.0.0.1:8001"]  # the two units' ports
    assert scrape["scrape_configs"][0]["metrics_path"] == "/metrics"
    rules = yaml.safe_load((DEPLOY / "govdata-alerts.yml").read_text(encoding="utf-8"))
    known = _metric_names()
    used = {name for group in rules["groups"] for rule in group["rules"]
            for name in re.findall(r"govdata_[a-z_]+", rule["expr"])}
    assert used and used <= known, used - known
    guide = GUIDE.read_text(encoding="utf-8")
    documented = set(re.findall(r"`(govdata_[a-z_]+)`", guide))
    families = {name.removesuffix(suffix) for name in known for suffix in ("_total", "_bucket", "_count", "_sum")
                if name.endswith(suffix)}
    named = {m.removesuffix("_total") for m in documented}
    assert families <= named, f"not in the operator guide: {families - named}"


def test_migrate_brings_a_database_to_every_branch_head_and_may_run_again(tmp_path, settings):
    """The upgrade step of the guide (section 1, *Upgrades*): `govdata migrate`, then start the units."""
    from alembic.script import ScriptDirectory

    from govdata.storage.migrate import MIGRATIONS

    env = {"GOVDATA_HOME": str(tmp_path / "home"), "GOVDATA_DATABASE_URL": settings.url, "PATH": "/usr/bin:/bin"}
    govdata = str(Path(sys.executable).with_name("govdata"))
    script = ScriptDirectory(str(MIGRATIONS))
    for _ in range(2):
        done = subprocess.run([govdata, "migrate"], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        stored = done.stdout.split("修订 ")[1].split("）")[0].split(", ")
        assert done.stdout.startswith("数据库已是最新版本") and stored
        reached = {r.revision for r in script.iterate_revisions(stored, "base")}
        assert set(script.get_heads()) <= reached  # every domain branch's head is at or below what is stored
    assert "govdata migrate" in GUIDE.read_text(encoding="utf-8")
