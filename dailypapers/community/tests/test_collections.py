import json

import pytest
from django.test import Client

from dailypapers.accounts.tests.people import make_papers
from dailypapers.community import collections
from dailypapers.community.models import Collection, CollectionItem
from dailypapers.papers.models import Paper

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers(db):
    return make_papers(1, 2, 3)


def test_save_goes_to_the_reading_list_by_default(client, alice, papers):
    client.force_login(alice)
    response = client.post(f"/papers/{papers[0].arxiv_id}/save", {"next": "/papers"})
    assert response.url == "/papers"
    reading = Collection.objects.get(owner=alice)
    assert reading.is_reading_list and not reading.is_public and reading.name == "Reading list"
    client.post(f"/papers/{papers[0].arxiv_id}/save")
    assert CollectionItem.objects.count() == 1
    page = client.get(papers[0].get_absolute_url()).content.decode()
    assert "Saved in" in page and "Already in “Reading list”" in page


def test_save_into_a_new_or_a_named_collection(client, alice, papers):
    client.force_login(alice)
    client.post(f"/papers/{papers[0].arxiv_id}/save", {"new_collection": "Moon <b>papers</b>", "public": "1"})
    named = Collection.objects.get(owner=alice, is_reading_list=False)
    assert (named.name, named.slug, named.is_public) == ("Moon <b>papers</b>", "moon-bpapersb", True)
    client.post(f"/papers/{papers[1].arxiv_id}/save", {"collection": named.pk})
    assert list(named.papers.order_by("arxiv_id").values_list("arxiv_id", flat=True)) == ["2603.00001", "2603.00002"]
    page = client.get(named.get_absolute_url()).content.decode()
    assert "Moon &lt;b&gt;papers&lt;/b&gt;" in page and "<b>papers</b>" not in page


def test_nobody_saves_into_someone_elses_collection(client, alice, bob, papers):
    theirs = collections.create(bob, "Bob's")
    client.force_login(alice)
    assert client.post(f"/papers/{papers[0].arxiv_id}/save", {"collection": theirs.pk}).status_code == 404
    assert not theirs.papers.exists()


def test_private_collections_are_only_for_their_owner(client, alice, bob, papers):
    private = collections.create(alice, "Secret")
    collections.add(private, papers[0])
    url = private.get_absolute_url()
    for path in (url, f"{url}.bib", f"{url}.json"):
        assert client.get(path).status_code == 404
    client.force_login(bob)
    assert client.get(url).status_code == 404
    client.force_login(alice)
    assert client.get(url).status_code == 200


def test_public_collection_pages_and_exports(client, alice, papers):
    public = collections.create(alice, "Moonlight", is_public=True, description="Optimizers & tides")
    Paper.objects.filter(pk=papers[1].pk).update(title="Tidal {Descent} & 100% $x_1$ #1", doi="10.0000/fict.1")
    for paper in papers[:2]:
        collections.add(public, paper)
    Paper.objects.filter(pk=papers[2].pk).update(hidden=True)
    collections.add(public, papers[2])  # hidden later: not shown, not exported
    response = client.get(public.get_absolute_url())
    assert [p.arxiv_id for p in response.context["papers"]] == ["2603.00002", "2603.00001"]
    data = json.loads(client.get(f"{public.get_absolute_url()}.json").content)
    assert data["collection"] == {"name": "Moonlight", "owner": "alice", "description": "Optimizers & tides",
                                  "public": True}
    assert [p["arxiv_id"] for p in data["papers"]] == ["2603.00002", "2603.00001"]
    assert data["papers"][0]["authors"] == ["Ilse Varga", "Tomasz Oyelaran", "Author 2"]
    response = client.get(f"{public.get_absolute_url()}.bib")
    assert response["Content-Type"].startswith("application/x-bibtex")
    bib = response.content.decode()
    assert bib.count("@misc{") == 2
    # Double braces keep the title's capitals; LaTeX math stays, specials are escaped.
    assert "title = {{Tidal {Descent} \\& 100\\% $x_1$ \\#1}}" in bib
    assert "author = {Ilse Varga and Tomasz Oyelaran and Author 2}" in bib
    assert "eprint = {2603.00002}" in bib and "archivePrefix = {arXiv}" in bib and "doi = {10.0000/fict.1}" in bib


def test_bibtex_keys_are_unique_and_braces_balance():
    [one, two] = make_papers(1, 2, title="Same {Title", authors=["Zoë Ångström"])
    entries = [type("Entry", (), {"paper": p}) for p in (one, two)]
    bib = collections.as_bibtex(entries)
    keys = [line.split("{")[1].rstrip(",") for line in bib.splitlines() if line.startswith("@misc")]
    assert len(set(keys)) == 2 and keys[0].isascii() and keys[0].startswith("angstrom")
    assert bib.count("{") == bib.count("}")


def test_owners_rename_delete_and_remove(client, alice, papers):
    named = collections.create(alice, "Drafts")
    collections.add(named, papers[0])
    client.force_login(alice)
    client.post(f"{named.get_absolute_url()}/edit", {"name": "Finals", "is_public": "on", "description": ""})
    named.refresh_from_db()
    assert (named.name, named.is_public, named.slug) == ("Finals", True, "drafts"), "the address stays"
    client.post(f"/papers/{papers[0].arxiv_id}/unsave", {"collection": named.pk})
    assert not named.papers.exists()
    client.post(f"{named.get_absolute_url()}/delete")
    assert not Collection.objects.filter(pk=named.pk).exists()
    reading = collections.reading_list(alice)
    client.post(f"{reading.get_absolute_url()}/delete")
    assert Collection.objects.filter(pk=reading.pk).exists(), "the reading list cannot be deleted"


def test_others_cannot_edit_or_delete(client, alice, bob):
    named = collections.create(alice, "Mine", is_public=True)
    client.force_login(bob)
    assert client.post(f"{named.get_absolute_url()}/edit", {"name": "Bob's now"}).status_code == 404
    assert client.post(f"{named.get_absolute_url()}/delete").status_code == 404
    named.refresh_from_db()
    assert named.name == "Mine"


def test_collection_names_get_free_slugs(alice):
    first = collections.create(alice, "Reading list")
    second = collections.create(alice, "Reading list")
    assert first.slug == "reading-list-2" and second.slug == "reading-list-3"
    assert collections.reading_list(alice).slug == "reading-list"
    with pytest.raises(collections.CollectionError):
        collections.create(alice, "   ")


def test_the_collections_page_lists_and_creates(client, alice):
    client.force_login(alice)
    response = client.post("/collections", {"name": "To read on the train", "description": ""})
    assert response.url == "/users/alice/collections/to-read-on-the-train"
    names = [c.name for c in client.get("/collections").context["collections"]]
    assert names == ["To read on the train"]  # the reading list comes with the first save, not with a GET
    collections.reading_list(alice)
    names = [c.name for c in client.get("/collections").context["collections"]]
    assert names == ["Reading list", "To read on the train"]


def test_saving_needs_login_and_csrf(client, alice, papers):
    assert client.post(f"/papers/{papers[0].arxiv_id}/save").url.startswith("/login?next=")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(f"/papers/{papers[0].arxiv_id}/save").status_code == 403
    assert not CollectionItem.objects.exists()


def test_tampered_ids_are_a_404_not_an_error(client, alice, papers):
    client.force_login(alice)
    assert client.post(f"/papers/{papers[0].arxiv_id}/unsave", {"collection": "abc"}).status_code == 404
    assert client.post(f"/papers/{papers[0].arxiv_id}/save", {"collection": "1 OR 1=1"}).status_code == 302
    assert client.post("/for-you/interests", {"remove": "x"}).status_code == 302
