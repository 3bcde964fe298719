"""`templates check` and `approve_templates` on the real library and on broken copies."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from alerts.status import StatusConfig, TemplateLibrary, load_approvals
from alerts.templates_check import (
    approve_templates,
    check_templates,
    templates_approve_main,
    templates_check_main,
)

PACKAGED = TemplateLibrary().root
WHEN = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def lib_dir(tmp_path: Path) -> Path:
    dst = tmp_path / "templates"
    shutil.copytree(PACKAGED, dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def errors(root: Path, cfg: StatusConfig | None = None) -> list[str]:
    probs = check_templates(TemplateLibrary(root), cfg or StatusConfig())
    return [str(p) for p in probs if p.level == "error"]


def test_the_packaged_library_is_clean() -> None:
    assert check_templates(TemplateLibrary(), StatusConfig()) == []


def test_main_exits_zero_on_the_packaged_library(capsys: pytest.CaptureFixture[str]) -> None:
    assert templates_check_main([]) == 0
    assert "OK, 72 templates" in capsys.readouterr().out


def test_an_edited_template_is_unapproved_until_reapproved(lib_dir: Path) -> None:
    path = lib_dir / "outage" / "investigating.fi.j2"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    errs = errors(lib_dir)
    assert len(errs) == 1
    assert "outage/investigating.fi" in errs[0]
    assert "is not approved" in errs[0]
    approve_templates(["outage/investigating.fi"], "Maija Meikäläinen", WHEN, root=lib_dir)
    assert errors(lib_dir) == []
    mine = [a for a in load_approvals(lib_dir / "approvals.yaml")
            if a.template == "outage/investigating.fi"]  # fmt: skip
    assert len(mine) == 2, "the earlier approval stays as history"
    assert mine[-1].approved_by == "Maija Meikäläinen"
    assert mine[-1].approved_at == "2026-11-24T10:00:00Z"


def test_approving_twice_changes_nothing(lib_dir: Path) -> None:
    before = (lib_dir / "approvals.yaml").read_text(encoding="utf-8")
    approve_templates(["login/resolved.sv"], "someone", WHEN, root=lib_dir)
    assert (lib_dir / "approvals.yaml").read_text(encoding="utf-8") == before


def test_approve_accepts_a_file_path(lib_dir: Path) -> None:
    path = lib_dir / "queue" / "monitoring.en.j2"
    path.write_text(path.read_text(encoding="utf-8").replace("shorter", "shorter again"), "utf-8")
    assert errors(lib_dir)
    approve_templates([str(path)], "Anna", "2026-11-24T10:00:00Z", root=lib_dir)
    assert errors(lib_dir) == []


@pytest.mark.parametrize(
    ("who", "name"),
    [("", "outage/investigating.fi"), ("Anna", "outage/nonsense.fi"), ("Anna", "../etc/x")],
)
def test_approve_rejects_bad_input(lib_dir: Path, who: str, name: str) -> None:
    with pytest.raises(ValueError, match=r"approved_by|no such template"):
        approve_templates([name], who, WHEN, root=lib_dir)


def test_approve_main(lib_dir: Path) -> None:
    path = lib_dir / "general" / "resolved.fi.j2"
    path.write_text(path.read_text(encoding="utf-8") + " ", encoding="utf-8")
    argv = ["general/resolved.fi", "--by", "Anna", "--at", "2026-11-24T10:00:00Z"]
    assert templates_approve_main([*argv, "--templates-dir", str(lib_dir)]) == 0
    assert errors(lib_dir) == []
    assert templates_approve_main(["x/y.fi", "--by", "A", "--at", "2026-11-24T10:00:00Z",
                                   "--templates-dir", str(lib_dir)]) == 2  # fmt: skip


def test_missing_variable_is_reported_by_name(lib_dir: Path) -> None:
    path = lib_dir / "billing" / "identified.sv.j2"
    path.write_text(path.read_text(encoding="utf-8").replace("{{ link }}", "{{ lnk }}"), "utf-8")
    approve_templates(["billing/identified.sv"], "Anna", WHEN, root=lib_dir)
    errs = errors(lib_dir)
    assert errs
    assert all("billing/identified.sv" in e for e in errs)
    assert any("'lnk' is undefined" in e for e in errs)


def test_missing_form_of_the_brand_is_reported(lib_dir: Path) -> None:
    path = lib_dir / "login" / "investigating.fi.j2"
    text = path.read_text(encoding="utf-8").replace("brand.genitive", "brand.vocative", 1)
    path.write_text(text, "utf-8")
    approve_templates(["login/investigating.fi"], "Anna", WHEN, root=lib_dir)
    errs = errors(lib_dir)
    assert any("login/investigating.fi" in e and "vocative" in e for e in errs)


def test_x_length_limit_is_checked(lib_dir: Path) -> None:
    path = lib_dir / "delivery" / "monitoring.en.j2"
    long = "We are monitoring the situation closely. " * 6
    text = path.read_text(encoding="utf-8").replace("We are monitoring the situation.", long, 1)
    path.write_text(text, "utf-8")
    approve_templates(["delivery/monitoring.en"], "Anna", WHEN, root=lib_dir)
    errs = errors(lib_dir)
    assert errs
    assert all("delivery/monitoring.en" in e for e in errs)
    assert any("limit 280 for x" in e for e in errs)


def test_status_page_limit_comes_from_the_config(lib_dir: Path) -> None:
    from alerts.status import load_status_config

    cfg = load_status_config({"length_limits": {"status_page": 200}})
    errs = errors(lib_dir, cfg)
    assert any("limit 200 for status_page" in e for e in errs)


def test_an_update_that_forgets_the_next_update_time_is_reported(lib_dir: Path) -> None:
    path = lib_dir / "outage" / "monitoring.fi.j2"
    text = path.read_text(encoding="utf-8").replace("{{ next_update_at|when }}", "pian")
    path.write_text(text, "utf-8")
    approve_templates(["outage/monitoring.fi"], "Anna", WHEN, root=lib_dir)
    assert any("does not say when the next update is" in e for e in errors(lib_dir))


def test_syntax_error_missing_and_unknown_files(lib_dir: Path) -> None:
    (lib_dir / "queue" / "resolved.en.j2").write_text("{% if x %}never closed", "utf-8")
    (lib_dir / "login" / "monitoring.sv.j2").unlink()
    (lib_dir / "login" / "monitoring.se.j2").write_text("Hej", "utf-8")
    errs = errors(lib_dir)
    assert any("queue/resolved.en" in e and "syntax error" in e for e in errs)
    assert any("login/monitoring.sv" in e and "missing" in e for e in errs)
    assert any("login/monitoring.se" in e and "unknown template name" in e for e in errs)


def test_stale_approval_is_only_a_warning(lib_dir: Path) -> None:
    data = yaml.safe_load((lib_dir / "approvals.yaml").read_text(encoding="utf-8"))
    stale = {"template": "gone/investigating.fi", "version": "abc", "approved_by": "x",
             "approved_at": "2026-01-01T00:00:00Z"}  # fmt: skip
    data["approvals"].append(stale)
    (lib_dir / "approvals.yaml").write_text(yaml.safe_dump(data), "utf-8")
    probs = check_templates(TemplateLibrary(lib_dir), StatusConfig())
    assert [(p.template, p.level) for p in probs] == [("gone/investigating.fi", "warning")]
    assert templates_check_main(["--templates-dir", str(lib_dir)]) == 0
    assert templates_check_main(["--templates-dir", str(lib_dir), "--strict"]) == 1


def test_main_exits_nonzero_with_clear_messages(
    lib_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = lib_dir / "general" / "investigating.en.j2"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert templates_check_main(["--templates-dir", str(lib_dir)]) == 1
    err = capsys.readouterr().err
    assert "ERROR general/investigating.en: version" in err
    assert "spikewatch templates approve general/investigating.en" in err
    assert "1 error(s)" in err


def test_main_reads_the_status_section_of_a_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "spikewatch.yaml"
    cfg.write_text("status:\n  timezone: Mars/Olympus\n", encoding="utf-8")
    assert templates_check_main(["--config", str(cfg)]) == 2
    assert "status.timezone" in capsys.readouterr().err
