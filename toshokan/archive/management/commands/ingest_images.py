"""manage.py ingest_images COLLECTION FILES_OR_DIR… [--item ID] [--title T] [--keep-metadata] [--publish]

Ingests JPEG, PNG and TIFF images into the archive with a progress bar and ends with a summary. Every
file goes through the ingest service's safety rules (docs/iiif.md, "Ingest safety"); a refused file is
reported with its name and reason and the rest go in (the exit status is then 1).

What becomes an item: each directory named is one item (its images, in natural order, are its pages;
other files such as layout XML are skipped); each file named is an item of its own — unless --item names
one item that every image is added to. Running the command again adds nothing twice: an image whose
bytes are already in the item is left as it is.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify
from tqdm import tqdm

from toshokan.archive import selectors, services
from toshokan.archive.ingest.safety import EXTENSIONS
from toshokan.archive.models import ArchiveItem, Collection


def natural_key(path: Path) -> list[Any]:
    """page_2 before page_10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


@dataclass
class Planned:
    item_key: str  # the item identifier's own part
    title: str
    files: list[Path] = field(default_factory=list)


def plan(
    paths: list[Path], *, single_item: str | None, title: str | None
) -> tuple[list[Planned], list[Path]]:
    """Which files go into which item; the second list is the files skipped as not images."""
    groups: list[Planned] = []
    skipped: list[Path] = []
    for path in paths:
        if path.is_dir():
            files = sorted((p for p in path.iterdir() if p.is_file()), key=natural_key)
            images = [p for p in files if p.suffix.lower() in EXTENSIONS]
            skipped += [p for p in files if p.suffix.lower() not in EXTENSIONS]
            groups.append(Planned(path.name, title or path.name, images))
        elif path.exists():
            groups.append(Planned(path.stem, title or path.stem, [path]))
        else:
            raise CommandError(f"{path}: no such file or directory")
    if single_item is not None:
        merged = Planned(single_item, title or single_item, [f for g in groups for f in g.files])
        groups = [merged]
    return groups, skipped


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Command(BaseCommand):
    help = "Ingest JPEG, PNG and TIFF images into an archive collection, checked and tiled for IIIF."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("collection", help="the collection's slug")
        parser.add_argument(
            "paths", nargs="+", type=Path, help="image files, or directories of one item each"
        )
        parser.add_argument(
            "--collection-title", help="create the collection with this title if it is missing"
        )
        parser.add_argument("--item", help="add every image to this one item (its identifier)")
        parser.add_argument("--title", help="the new items' title (default: the directory's or file's name)")
        parser.add_argument(
            "--keep-metadata", action="store_true", help="keep EXIF/GPS in published images (only on purpose)"
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="publish the new items (and the collection, when this run creates it)",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        collection = Collection.objects.filter(slug=options["collection"]).first()
        if collection is None:
            if not options["collection_title"]:
                raise CommandError(
                    f"no collection {options['collection']!r}: create it in the admin or pass --collection-title"
                )
            collection = services.save_collection(
                slug=options["collection"], title=options["collection_title"], published=options["publish"]
            )
        groups, skipped = plan(options["paths"], single_item=options["item"], title=options["title"])
        files = [(g, f) for g in groups for f in g.files]
        counts = {"ingested": 0, "already there": 0, "refused": 0}
        refused: list[str] = []
        items: dict[str, ArchiveItem] = {}
        bar = tqdm(files, unit="image", disable=options["no_progress"], file=self.stderr)
        for group, path in bar:
            bar.set_postfix_str(path.name, refresh=False)
            item = items.get(group.item_key) or self._item(collection, group, options)
            items[group.item_key] = item
            if selectors.image_with_bytes(item, sha256_of(path)) is not None:
                counts["already there"] += 1
                continue
            try:
                with path.open("rb") as stream:
                    services.ingest_image(
                        item=item, stream=stream, name=path.name, keep_metadata=options["keep_metadata"]
                    )
            except services.IngestRefused as exc:
                counts["refused"] += 1
                refused.append(str(exc) if str(exc).startswith(path.name) else f"{path}: {exc}")
                bar.write(f"refused {path}: {str(exc).removeprefix(path.name + ': ')}", file=self.stderr)
            else:
                counts["ingested"] += 1
        bar.close()
        summary = ", ".join(f"{n} {what}" for what, n in counts.items())
        self.stdout.write(
            f"{collection.slug}: {len(items)} items; {summary}; {len(skipped)} non-image files skipped"
        )
        if refused:
            raise CommandError(f"{len(refused)} files refused:\n  " + "\n  ".join(refused))

    def _item(self, collection: Collection, group: Planned, options: dict[str, Any]) -> ArchiveItem:
        if options["item"]:
            identifier = options["item"]
        else:
            own = slugify(group.item_key) or hashlib.sha256(group.item_key.encode()).hexdigest()[:12]
            identifier = f"{collection.slug}-{own}"[:100]
        existing = ArchiveItem.objects.filter(identifier=identifier).first()
        if existing is not None:
            if existing.collection_id != collection.pk:
                raise CommandError(f"item {identifier!r} belongs to collection {existing.collection.slug!r}")
            return existing
        return services.save_item(
            collection=collection, identifier=identifier, title=group.title, published=options["publish"]
        )
