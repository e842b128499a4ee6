"""Every visible string has a zh_CN translation, and the catalogue is in step with the source."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def test_every_message_is_translated(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-o", str(pot), "--no-location", "."], cwd=ROOT, check=True, capture_output=True)
    source_ids = {m.id for m in read_po(pot.open("rb")) if m.id}
    with (ROOT / "volunteer_hub/translations/zh/LC_MESSAGES/messages.po").open("rb") as f:
        catalogue = read_po(f)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    missing = sorted(source_ids - translated)
    assert not missing, f"untranslated (run `make i18n` and fill in the .po): {missing}"
