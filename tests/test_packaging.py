"""The package as pip builds it: a wheel carries compiled catalogues, so a plain install speaks Chinese."""
import gettext
import io
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_wheel_ships_compiled_catalogues(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                            "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = tmp_path.glob("volunteer_hub-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        mo = archive.read("volunteer_hub/translations/zh/LC_MESSAGES/messages.mo")
        assert "volunteer_hub/static/site.js" in archive.namelist()
    catalogue = gettext.GNUTranslations(io.BytesIO(mo))
    assert catalogue.pgettext("service day", "Sign up") == "报名"
    assert catalogue.gettext("Sign up") == "注册"
