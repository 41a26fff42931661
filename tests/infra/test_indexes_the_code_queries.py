"""The indexes the code queries are the ones schema.py declares (and so the ones deployed):
every PynamoDB model's table and global secondary indexes, keys included."""

from __future__ import annotations

import importlib
from pathlib import Path

from chalicelib import settings
from chalicelib.store import schema

ROOT = Path(__file__).resolve().parents[2]


def model_classes() -> list[type]:
    """Import every module that declares models (``table_meta(``) and collect BaseModel's
    subclasses."""
    from chalicelib.store.base import BaseModel

    for path in sorted((ROOT / "chalicelib").rglob("*.py")):
        if "table_meta(" in path.read_text() and path.name != "base.py":
            importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    seen, todo = [], list(BaseModel.__subclasses__())
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return seen


def test_every_index_a_model_queries_is_declared_in_the_schema():
    prefix = settings.get().table_prefix
    declared = {(t.name, i.name): (i.hash_key, i.range_key)
                for t in schema.TABLES for i in t.indexes}
    tables = {t.name for t in schema.TABLES}
    used = {}
    models = [m for m in model_classes() if hasattr(getattr(m, "Meta", None), "table_name")]
    assert len(models) > 5
    for model in models:
        logical = model.Meta.table_name.removeprefix(prefix)
        assert logical in tables, f"{model.__name__} uses table {logical}, not in schema.py"
        for index in model._indexes.values():
            hash_attr = index._hash_key_attribute()
            range_attr = next((a for a in index.Meta.attributes.values() if a.is_range_key), None)
            used[(logical, index.Meta.index_name)] = (
                hash_attr.attr_name, range_attr.attr_name if range_attr else None)
    assert used, "no model declares an index"
    for key, keys in used.items():
        assert declared.get(key) == keys, f"index {key} with keys {keys} is not in schema.py"
