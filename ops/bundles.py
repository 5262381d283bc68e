"""The framework's JavaScript bundles and the app's assets as files, each with a gzip copy beside it, for the
reverse proxy to serve (README "Production"): compressed once at deploy, not on every request.

Dash names a bundle `<name>.v<version>m<mtime>.<ext>` in the page and serves it for a year; the fingerprint
only busts browser caches (Dash strips it and serves the package's current file), so the proxy may do the
same: it strips the fingerprint and serves the exported file. Export again after every deploy.
"""
from __future__ import annotations

import gzip
import pkgutil
import shutil
from pathlib import Path

COMPRESSIBLE = (".js", ".css", ".json", ".map", ".svg", ".txt", ".md")


def _write(target: Path, data: bytes) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    if target.suffix in COMPRESSIBLE:
        # mtime=0: the same bytes on every export, so caches and ETags stay valid between deploys
        Path(f"{target}.gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    return len(data)


def export(app, folder: str | Path) -> dict[str, int]:
    """Write every registered component-suite file under `folder/_dash-component-suites/<package>/<path>`
    and the assets folder under `folder/assets/`; returns {url path: bytes}."""
    folder = Path(folder)
    written: dict[str, int] = {}
    suites = folder / "_dash-component-suites"
    shutil.rmtree(suites, ignore_errors=True)
    for package, paths in sorted(app.registered_paths.items()):
        for path in sorted(paths):
            try:
                data = pkgutil.get_data(package, path)
            except FileNotFoundError:  # source maps a package lists but does not ship
                continue
            if data is not None:
                written[f"/_dash-component-suites/{package}/{path}"] = _write(suites / package / path, data)
    assets = Path(app.config.assets_folder)
    shutil.rmtree(folder / "assets", ignore_errors=True)
    for file in sorted(p for p in assets.rglob("*") if p.is_file()):
        relative = file.relative_to(assets).as_posix()
        written[f"/assets/{relative}"] = _write(folder / "assets" / relative, file.read_bytes())
    return written
