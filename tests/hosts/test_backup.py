"""`flask storage backup|restore`: the photo store to a folder and back, on the bucket and the folder."""

from __future__ import annotations

import io

from PIL import Image

from marketplace import storage
from tests.conftest import tiny_jpeg
from tests.hosts.conftest import BUCKET, s3_client, s3_config


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 128, 0, 100)).save(out, "PNG")
    return out.getvalue()


def test_a_backup_holds_every_photo_of_the_bucket_and_a_restore_brings_them_back(app, bucket, s3_endpoint, tmp_path):
    photos = [storage.store_photo(tiny_jpeg()), storage.store_photo(_png()), storage.store_photo(tiny_jpeg(True))]
    kept = {p.key: storage.read(p.key) for p in photos}
    runner = app.test_cli_runner()

    result = runner.invoke(args=["storage", "backup", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    assert "copied 3 files" in result.output
    assert {p.name: p.read_bytes() for p in (tmp_path / "backup").iterdir()} == kept

    # The next backup copies only what was stored since.
    newer = storage.store_photo(tiny_jpeg())
    result = runner.invoke(args=["storage", "backup", str(tmp_path / "backup")])
    assert "copied 1 files" in result.output and "(3 were there already)" in result.output
    kept[newer.key] = storage.read(newer.key)

    # The bucket is lost: an empty one (a fresh prefix) gets every photo back, served as before.
    app.config.update(s3_config(s3_endpoint, bucket + "rebuilt/"))
    storage.init_app(app)
    assert list(storage.store().stored_keys()) == []
    result = runner.invoke(args=["storage", "restore", str(tmp_path / "backup")])
    assert result.exit_code == 0 and "restored 4 files" in result.output
    assert {key: storage.read(key) for key in kept} == kept
    answer = s3_client(s3_endpoint).head_object(Bucket=BUCKET, Key=f"{bucket}rebuilt/{photos[1].key}")
    assert answer["ContentType"] == "image/png"
    assert "restored 0 files" in runner.invoke(args=["storage", "restore", str(tmp_path / "backup")]).output


def test_the_folder_store_moves_into_a_bucket(app, tmp_path, s3_endpoint):
    before = app.config["EVIDENCE_DIR"]
    app.config["EVIDENCE_DIR"] = str(tmp_path / "folder")
    try:
        photo = storage.store_photo(tiny_jpeg())
        (tmp_path / "folder" / "notes.txt").write_text("not a photo")  # only our own file names are read
        app.config.update(s3_config(s3_endpoint, f"moved-{tmp_path.name[-12:]}/"))
        storage.init_app(app)
        result = app.test_cli_runner().invoke(args=["storage", "restore", str(tmp_path / "folder")])
        assert result.exit_code == 0 and "restored 1 files" in result.output
        assert list(storage.store().stored_keys()) == [photo.key]
        assert storage.read(photo.key) == (tmp_path / "folder" / photo.key).read_bytes()
    finally:
        for key in s3_config(s3_endpoint):
            app.config.pop(key)
        app.config["EVIDENCE_DIR"] = before
        storage.init_app(app)
