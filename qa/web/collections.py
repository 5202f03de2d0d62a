"""Named collections: each one its own index folder, listed in the app's database (``qa.web.appdb``).

The default collection (id ``default``) is the index folder itself (``--index-dir``, where the documents
folder is indexed); every other one lives in ``<index folder>/collections/<folder>/``. A rename changes the
name only (the folder stays), so a collection can be renamed while it is open. Names are checked here, the
same way for the web app and ``python -m qa ... --collection NAME``. No Gradio here.
"""
from __future__ import annotations

import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from .appdb import DEFAULT_COLLECTION, AppDB, default_db_path, utcnow

COLLECTIONS_FOLDER = "collections"
MAX_NAME = 40
_ALLOWED = re.compile(r"[\w .\-]")


@dataclass(frozen=True)
class Collection:
    id: str
    name: str
    folder: str  # under <index>/collections/; '' for the default collection (the index folder itself)
    created: str

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_COLLECTION


def check_name(name: str | None) -> str:
    """A collection name, stripped; ValueError with a message a person can act on when it is not usable."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise ValueError("A collection needs a name.")
    if len(name) > MAX_NAME:
        raise ValueError(f"“{name[:MAX_NAME]}…” is too long: a collection name has at most {MAX_NAME} characters.")
    bad = sorted({ch for ch in name if not _ALLOWED.fullmatch(ch)})
    if bad:
        shown = " ".join(repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}" for ch in bad)
        raise ValueError(f"A collection name may hold letters, digits, spaces, '-', '_' and '.', not {shown}.")
    if not name[0].isalnum():
        raise ValueError("A collection name starts with a letter or a digit.")
    if "  " in name:
        raise ValueError("A collection name has no double spaces.")
    return name


def name_key(name: str) -> str:
    """How collection names are compared: stripped, NFC, any case."""
    return unicodedata.normalize("NFC", name.strip()).casefold()


def slug(name: str) -> str:
    """The ASCII, lower-case, dash-joined form of a name (where its index is kept is named after it)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:MAX_NAME] or "collection"


class Collections:
    """The collections of one index folder ``root`` (rows of the ``collections`` table)."""

    def __init__(self, db: AppDB, root: str | Path) -> None:
        self.db = db
        self.root = Path(root)

    def path(self, collection: Collection) -> Path:
        """The collection's index folder."""
        return self.root if collection.is_default else self.root / COLLECTIONS_FOLDER / collection.folder

    def store_uri(self, collection: Collection) -> str:
        """Where the collection's index lives, as ``qa.load_index(store=...)`` takes it: its folder."""
        return str(self.path(collection))

    def list(self) -> list[Collection]:
        """The default collection first, then the others by name."""
        rows = self.db.rows("SELECT id, name, folder, created FROM collections "
                            "ORDER BY id != ?, name_key", (DEFAULT_COLLECTION,))
        return [Collection(*row) for row in rows]

    def get(self, collection_id: str | None) -> Collection:
        """The collection with this id; KeyError when there is none (any more)."""
        row = self.db.row("SELECT id, name, folder, created FROM collections WHERE id = ?",
                          (collection_id or DEFAULT_COLLECTION,))
        if row is None:
            raise KeyError("That collection no longer exists.")
        return Collection(*row)

    def find(self, name: str) -> Collection:
        """The collection called ``name`` (any case); KeyError naming the ones there are."""
        row = self.db.row("SELECT id, name, folder, created FROM collections WHERE name_key = ?",
                          (name_key(name),))
        if row is None:
            names = ", ".join(c.name for c in self.list())
            raise KeyError(f"no collection named {name!r} (collections: {names}); "
                           f"create it with: python -m qa collections create {name!r}")
        return Collection(*row)

    def create(self, name: str) -> Collection:
        """A new, empty collection (its folder made now). ValueError for a bad or taken name."""
        name = check_name(name)
        with self.db.transaction() as conn:
            self._check_free(conn, name)
            taken = {r[0] for r in conn.execute("SELECT folder FROM collections")}
            base, n = slug(name), 1
            folder = base
            while folder in taken or (self.root / COLLECTIONS_FOLDER / folder).exists():
                n += 1
                folder = f"{base}-{n}"
            collection = Collection(uuid.uuid4().hex[:12], name, folder, utcnow())
            conn.execute("INSERT INTO collections VALUES (?, ?, ?, ?, ?)",
                         (collection.id, name, name.casefold(), folder, collection.created))
            self.path(collection).mkdir(parents=True, exist_ok=True)
        return collection

    def rename(self, collection_id: str, new_name: str) -> Collection:
        """Give a collection another name (its folder and its chats stay). ValueError for a bad or taken name."""
        old = self.get(collection_id)
        name = check_name(new_name)
        with self.db.transaction() as conn:
            self._check_free(conn, name, besides=old.id)
            conn.execute("UPDATE collections SET name = ?, name_key = ? WHERE id = ?", (name, name.casefold(), old.id))
            conn.execute("UPDATE chats SET collection_name = ? WHERE collection_id = ?", (name, old.id))
        return self.get(old.id)

    def delete(self, collection_id: str) -> Collection:
        """Delete a collection and its index folder; its chats stay readable. The default collection is refused
        (it holds the documents folder's index: remove its documents instead)."""
        collection = self.get(collection_id)
        if collection.is_default:
            raise ValueError(f"“{collection.name}” is the default collection (the documents folder's index) and "
                             "cannot be deleted; remove its documents instead.")
        folder = self.path(collection)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM collections WHERE id = ?", (collection.id,))
        if folder.resolve().is_relative_to((self.root / COLLECTIONS_FOLDER).resolve()):
            shutil.rmtree(folder, ignore_errors=True)
        return collection

    @staticmethod
    def _check_free(conn: object, name: str, besides: str | None = None) -> None:
        row = conn.execute("SELECT id, name FROM collections WHERE name_key = ?",  # type: ignore[attr-defined]
                           (name.casefold(),)).fetchone()
        if row is not None and row[0] != besides:
            raise ValueError(f"There is already a collection named “{row[1]}”.")


def collection_dir(index_dir: str | Path, name: str | None, db_path: str | Path | None = None) -> Path:
    """The index folder of the collection ``name`` of ``index_dir`` (``index_dir`` itself for None or the
    default collection). KeyError when there is no such collection."""
    index_dir = Path(index_dir)
    if name is None:
        return index_dir
    path = Path(db_path) if db_path else default_db_path(index_dir)
    if not path.is_file():  # no database yet: only the default collection exists (and nothing is created here)
        if name.strip().casefold() == DEFAULT_COLLECTION:
            return index_dir
        raise KeyError(f"no collection named {name!r} (only {DEFAULT_COLLECTION!r} so far; create one with: "
                       f"python -m qa collections create {name!r})")
    db = AppDB(path)
    try:
        collections = Collections(db, index_dir)
        return collections.path(collections.find(name))
    finally:
        db.close()


__all__ = ["COLLECTIONS_FOLDER", "MAX_NAME", "Collection", "Collections", "check_name", "collection_dir", "slug"]
