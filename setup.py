"""Ship the top-level `themes/*.toml` inside the package, so a wheel has them at mlops_tui/themes/.

The repository keeps one copy of each theme file, in `themes/` where users look for them;
everything else about the build is in pyproject.toml. Editable installs and a plain checkout
read `themes/` directly (mlops_tui/ui/themes.py), so this only runs for real builds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

THEMES = Path(__file__).resolve().parent / "themes"


class BuildWithThemes(build_py):  # type: ignore[misc]
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "mlops_tui" / "themes"
        target.mkdir(parents=True, exist_ok=True)
        for theme in sorted(THEMES.glob("*.toml")):
            shutil.copy2(theme, target / theme.name)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs: list[str] = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False):
            return outputs
        target = Path(self.build_lib) / "mlops_tui" / "themes"
        return [*outputs, *(str(target / t.name) for t in sorted(THEMES.glob("*.toml")))]


setup(cmdclass={"build_py": BuildWithThemes})
