"""A throwaway Common Ground hub for benchmarks: its own SQLite database and datastore.

    hub = ThrowawayHub(Path(tempfile.mkdtemp()))
    hub.prepare()                      # manage.py migrate + load_places (subprocesses)
    subprocess.run([...], env=hub.env())

Everything lives under ``root`` (``bench.sqlite3``, ``var/``, ``var/datastore/``), so a
benchmark never touches the developer's ``var/`` folder; the caller deletes ``root``. The
city's data folder is the one the app would use (``COMMONGROUND_DATA``, default
``../shared/data``), read only.

Run as a script, it publishes a CSV into the hub through the catalogue's own use cases
(``stage_upload`` + ``run_job``, i.e. what an upload in the browser does) and prints the
new resource's id as JSON::

    python benchmarks/throwaway_hub.py publish ROOT CSV
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("COMMONGROUND_DATA", REPO.parent / "shared" / "data"))


@dataclass(frozen=True)
class ThrowawayHub:
    root: Path

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a process that uses this hub (Django settings from it)."""
        # A server never runs without its own secret key and host names (settings.py):
        # the hub's are made up for it, unless the caller's environment gives them.
        return {"SECRET_KEY": "throwaway-benchmark-hub-" + hashlib.sha256(
                    str(self.root).encode()).hexdigest(),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                **os.environ, "DJANGO_SETTINGS_MODULE": "commonground.settings",
                "DATABASE_URL": f"sqlite:///{self.root / 'bench.sqlite3'}",
                "COMMONGROUND_VAR": str(self.root / "var"),
                "COMMONGROUND_DATA": str(DATA), **extra}

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, str(REPO / "manage.py"), *args], env=self.env(),
                       check=True, cwd=REPO, stdout=subprocess.DEVNULL)

    def prepare(self) -> None:
        """Create the database and load the city's places (once; not part of any timing)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.manage("migrate", "--verbosity", "0")
        self.manage("load_places")

    def publish(self, csv: Path) -> dict:
        """Publish ``csv`` as a new public dataset (in a subprocess); its resource id etc."""
        out = subprocess.run([sys.executable, __file__, "publish", str(self.root), str(csv)],
                             env=self.env(), check=True, cwd=REPO, capture_output=True,
                             text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])


def setup_django(root: Path | None = None) -> None:
    """Configure and start Django in this process (for the hub at ``root`` if given)."""
    if root is not None:
        os.environ.update(ThrowawayHub(root).env())
    import django

    django.setup()


def _publish(root: Path, csv: Path) -> dict:
    setup_django(root)
    from commonground.accounts.models import Organisation
    from commonground.catalogue.models import Dataset, IngestJob, Resource
    from commonground.catalogue.services.ingest import run_job, stage_upload

    org, _ = Organisation.objects.get_or_create(
        slug="bench-council", defaults={"name": "Benchmark Council", "kind": "council"})
    dataset = Dataset.objects.create(name=f"service-requests-{Dataset.objects.count() + 1}",
                                     title="Service requests (synthetic)", organisation=org,
                                     state=Dataset.State.PUBLISHED)
    resource = Resource.objects.create(dataset=dataset, name=csv.name)
    with open(csv, "rb") as f:
        job = stage_upload(resource, iter(lambda: f.read(1 << 20), b""), filename=csv.name)
    job = run_job(job.id)
    if job.status != IngestJob.Status.DONE:
        raise SystemExit(f"ingest failed: {job.status} {job.error or job.message}")
    return {"resource": str(resource.id), "rows": job.version.row_count,
            "parquet": str(job.version.parquet_path), "seconds": job.report["seconds"]}


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "publish":
        raise SystemExit("usage: python benchmarks/throwaway_hub.py publish ROOT CSV")
    print(json.dumps(_publish(Path(sys.argv[2]), Path(sys.argv[3]))))
