"""Photos in S3-compatible object storage (a real SeaweedFS server): rebuilt from their pixels before
they are stored, private in the bucket, served by the app only to who may see them."""

from __future__ import annotations

import io
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace import storage
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.needs.models import Evidence
from tests.conftest import make_need, make_org, make_user, sign_in, tiny_jpeg
from tests.hosts.conftest import BUCKET, s3_client


def _upload(client, need_id: int, data: bytes):  # type: ignore[no-untyped-def]
    return client.post(f"/needs/{need_id}/evidence", data={"kind": "photo", "file": (io.BytesIO(data), "p.jpg")},
                       content_type="multipart/form-data")


def test_an_uploaded_photo_is_rebuilt_then_kept_in_the_bucket_and_served_by_the_app(app, client, bucket,
                                                                                     s3_endpoint, tmp_path):
    org = make_org()
    need = make_need("claimed", org=org)
    member = org.members[0]
    sign_in(client, member)
    original = tiny_jpeg(exif=True)
    assert b"PhoneMaker" in original

    assert _upload(client, need.id, original).status_code == 302
    evidence = db.session.scalar(sa.select(Evidence).where(Evidence.need_id == need.id))
    assert evidence is not None and evidence.file_key

    kept = s3_client(s3_endpoint).get_object(Bucket=BUCKET, Key=bucket + evidence.file_key)
    stored = kept["Body"].read()
    assert kept["ContentType"] == "image/jpeg"
    assert b"PhoneMaker" not in stored and not Image.open(io.BytesIO(stored)).getexif()  # no EXIF, no GPS
    assert not (tmp_path / "local").exists() or not any((tmp_path / "local").iterdir())

    served = client.get(f"/evidence/{evidence.id}")
    assert served.status_code == 200 and served.data == stored
    assert served.headers["Cache-Control"] == "private, no-store"


def test_a_photo_in_the_bucket_is_still_only_for_who_may_see_it(app, client, bucket, s3_endpoint):
    org = make_org()
    need = make_need("claimed", org=org)
    sign_in(client, org.members[0])
    assert _upload(client, need.id, tiny_jpeg()).status_code == 302
    evidence = db.session.scalar(sa.select(Evidence).where(Evidence.need_id == need.id))

    stranger = app.test_client()
    sign_in(stranger, make_user(Role.ORG_MEMBER))
    assert stranger.get(f"/evidence/{evidence.id}").status_code == 404
    assert app.test_client().get(f"/evidence/{evidence.id}").status_code in (302, 401, 403, 404)

    # The bucket hands nothing out by itself: not without the keys, not with wrong ones.
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(f"{s3_endpoint}/{BUCKET}/{bucket}{evidence.file_key}", timeout=10)
    assert anonymous.value.code == 403
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        s3_client(s3_endpoint, secret="wrong").get_object(Bucket=BUCKET, Key=bucket + evidence.file_key)


def test_a_missing_object_or_a_made_up_key_is_a_404_not_a_500(app, client, bucket, s3_endpoint):
    org = make_org()
    need = make_need("claimed", org=org)
    sign_in(client, org.members[0])
    assert _upload(client, need.id, tiny_jpeg()).status_code == 302
    evidence = db.session.scalar(sa.select(Evidence).where(Evidence.need_id == need.id))
    s3_client(s3_endpoint).delete_object(Bucket=BUCKET, Key=bucket + evidence.file_key)

    assert client.get(f"/evidence/{evidence.id}").status_code == 404
    for key in ("../secret", "a/b.jpg", f"{'0' * 32}.exe", "", f"{'0' * 32}.jpg"):
        with pytest.raises(FileNotFoundError):
            storage.read(key)


def test_the_folder_stays_the_default_when_no_bucket_is_named(app):
    assert isinstance(storage.store(), storage.FolderStore)
    stored = storage.store_photo(tiny_jpeg(exif=True))
    assert storage.read(stored.key)[:2] == b"\xff\xd8" and b"PhoneMaker" not in storage.read(stored.key)
    assert (storage.upload_dir() / stored.key).is_file()
