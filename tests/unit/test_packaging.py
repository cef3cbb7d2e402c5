"""What a user outside the repository gets: the wheel, its metadata, the CLI and the plugin."""

from __future__ import annotations

import configparser
import email.parser
import re
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

import constructs_pkg.testing
import constructs_pkg.testing.plugin
from constructs_pkg.testing.plugin import ENTRY_POINT_NAME
from constructs_pkg.tools import cli

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
VERSION = PROJECT["version"]
DIST_INFO = f"constructs_pkg-{VERSION}.dist-info"
# A Markdown link or image whose target has no scheme: a path in the repository.
RELATIVE_LINK = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:)[^)]*\)")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    """The wheel of the working tree, built by the PEP 517 hook pip calls (no isolation)."""
    out = tmp_path_factory.mktemp("dist")
    code = "import sys; from hatchling.build import build_wheel; print(build_wheel(sys.argv[1]))"
    name = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    with zipfile.ZipFile(out / name) as archive:
        yield archive


@pytest.fixture(scope="module")
def wheel_metadata(wheel: zipfile.ZipFile) -> email.message.Message:
    return email.parser.Parser().parsestr(wheel.read(f"{DIST_INFO}/METADATA").decode())


def test_license_file_is_the_apache_2_license():
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE"]


def test_wheel_metadata_names_the_license(wheel, wheel_metadata):
    assert wheel_metadata["Name"] == "constructs-pkg"
    assert wheel_metadata["Version"] == VERSION
    assert wheel_metadata["License-Expression"] == "Apache-2.0"
    assert wheel_metadata["License-File"] == "LICENSE"
    assert wheel.read(f"{DIST_INFO}/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()


def test_long_description_has_no_repository_only_markup(wheel_metadata):
    assert wheel_metadata["Description-Content-Type"] == "text/markdown"
    body = wheel_metadata.get_payload()
    assert "<!--" not in body  # include comments and the end marker
    assert RELATIVE_LINK.findall(body) == []
    # It is the README up to the part about working on this repository ...
    assert body.startswith("# constructs_pkg\n")
    for heading in ("## Install", "### The CDK CLI", "## Minimal example", "## Constructs"):
        assert f"\n{heading}" in body
    assert "## Working on this repository" not in body
    assert "## Layout" not in body
    # ... with the included example code kept and the links reduced to their text.
    assert "Validations.of(app).add_plugins(DeploymentSafetyChecks())" in body
    assert "(`constructs-pkg plan`, see docs/plan.md)" not in body
    assert "| docs/safe-function.md |" in body


def test_the_relative_link_pattern_finds_what_the_readme_has():
    readme = (ROOT / "README.md").read_text()
    assert "](docs/plan.md)" in RELATIVE_LINK.findall(readme)
    assert RELATIVE_LINK.findall("[x](https://example.com/a.md) [y](mailto:a@b.c)") == []


def test_wheel_holds_the_package_and_nothing_of_the_repository(wheel):
    names = wheel.namelist()
    assert "constructs_pkg/py.typed" in names
    assert "constructs_pkg/testing/plugin.py" in names
    assert "constructs_pkg/runtime/batch.py" in names
    tops = {name.split("/")[0] for name in names}
    assert tops == {"constructs_pkg", DIST_INFO}
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_wheel_entry_points(wheel):
    entry_points = configparser.ConfigParser(delimiters=("=",))
    entry_points.read_string(wheel.read(f"{DIST_INFO}/entry_points.txt").decode())
    assert dict(entry_points["console_scripts"]) == {
        "constructs-pkg": "constructs_pkg.tools.cli:entry_point"
    }
    assert dict(entry_points["pytest11"]) == {ENTRY_POINT_NAME: "constructs_pkg.testing.plugin"}


def test_readme_installs_the_wheel_of_this_version():
    readme = (ROOT / "README.md").read_text()
    wheels = set(re.findall(r"constructs_pkg-[^\s\"\]\[`]+\.whl", readme))
    assert wheels == {f"constructs_pkg-{VERSION}-py3-none-any.whl"}


def test_version_flag_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"constructs-pkg {metadata.version('constructs-pkg')}\n"
    assert PROJECT["name"] == cli.DISTRIBUTION


def test_version_of_code_that_was_never_installed(monkeypatch):
    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    assert cli.version() == "unknown (not installed)"


def test_pytest_loads_the_plugin_once_from_its_entry_point(pytestconfig):
    plugins = metadata.entry_points(group="pytest11")
    (entry_point,) = [ep for ep in plugins if ep.value.startswith("constructs_pkg")]
    assert (entry_point.name, entry_point.value) == (
        ENTRY_POINT_NAME,
        "constructs_pkg.testing.plugin",
    )
    manager = pytestconfig.pluginmanager
    assert manager.get_plugin(ENTRY_POINT_NAME) is constructs_pkg.testing.plugin
    assert not manager.is_registered(constructs_pkg.testing)
    names = [name for name, plugin in manager.list_name_plugin() if plugin is entry_point.load()]
    assert names == [ENTRY_POINT_NAME]


def test_plugin_loads_neither_the_cdk_nor_the_testing_extra():
    code = (
        "import sys, constructs_pkg.testing; "
        "print(sorted({'aws_cdk', 'syrupy', 'cfnlint', 'jsii'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


def test_cdk_snapshot_names_what_is_missing(pytester):
    pytester.makepyfile("def test_it(cdk_snapshot):\n    assert {} == cdk_snapshot\n")
    result = pytester.runpytest("-p", "no:syrupy", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    assert (
        "cdk_snapshot needs syrupy's pytest plugin, which is not installed or is disabled "
        "(-p no:syrupy): pip install 'constructs-pkg[testing]'"
    ) in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_an_old_pytest_plugins_line_is_a_no_op(pytester):
    pytester.makeconftest('pytest_plugins = ["constructs_pkg.testing"]\n')
    pytester.makepyfile(
        "from constructs_pkg.testing import CdkTemplateExtension\n"
        "def test_it(cdk_snapshot, pytestconfig):\n"
        "    assert cdk_snapshot.extension_class is CdkTemplateExtension\n"
        "    assert not pytestconfig.pluginmanager.is_registered(\n"
        "        __import__('constructs_pkg.testing').testing)\n"
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
