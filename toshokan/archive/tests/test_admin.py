"""The archive in the admin: the lists open, a curator adds an image to an item through the ingest
service, and a refused upload says why."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from toshokan.archive.models import ArchiveImage, ArchiveItem

from . import images
from .conftest import make_item

pytestmark = pytest.mark.django_db


def form_data(item: ArchiveItem, **extra):
    return {
        "collection": item.collection_id, "identifier": item.identifier, "title": item.title,
        "kind": item.kind, "subjects": "[]", "language": "jpn",
        "rights_metadata": item.rights_metadata, "rights_thumbnail": item.rights_thumbnail,
        "rights_content": item.rights_content,
        "images-TOTAL_FORMS": "0", "images-INITIAL_FORMS": "0", "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000", **extra,
    }  # fmt: skip


def test_the_archive_lists_open(admin_client):
    item = make_item()
    for url in ["/admin/archive/collection/", "/admin/archive/archiveitem/", "/admin/archive/archiveimage/",
                f"/admin/archive/archiveitem/{item.pk}/change/"]:  # fmt: skip
        assert admin_client.get(url).status_code == 200, url


def test_a_curator_adds_an_image_to_an_item(admin_client):
    item = make_item()
    upload = SimpleUploadedFile("page.jpg", images.jpeg(800, 600), content_type="image/jpeg")
    response = admin_client.post(
        f"/admin/archive/archiveitem/{item.pk}/change/", form_data(item, upload=upload), follow=True
    )
    assert response.status_code == 200
    image = ArchiveImage.objects.get(item=item)
    assert (image.width, image.height, image.sequence) == (800, 600, 1)
    assert "800 × 600" in response.content.decode()


def test_a_refused_upload_says_why_and_the_item_is_still_saved(admin_client):
    item = make_item()
    upload = SimpleUploadedFile("page.png", images.jpeg(), content_type="image/png")
    response = admin_client.post(
        f"/admin/archive/archiveitem/{item.pk}/change/",
        form_data(item, upload=upload, title="新しい題"),
        follow=True,
    )
    assert "the content is image/jpeg but the file declares image/png" in response.content.decode()
    assert not ArchiveImage.objects.exists()
    item.refresh_from_db()
    assert item.title == "新しい題"


def test_an_unknown_rights_uri_is_refused_in_the_form(admin_client):
    item = make_item()
    response = admin_client.post(
        f"/admin/archive/archiveitem/{item.pk}/change/", form_data(item, rights_content="http://example.org/")
    )
    assert response.status_code == 200  # the form again, with the error
    item.refresh_from_db()
    assert item.rights_content != "http://example.org/"
