"""Subscribe, confirm, unsubscribe and manage pages. Mail goes to Django's in-memory outbox here."""

import re

import pytest
from django.core import mail, signing
from django.test import Client

from dailypapers.digests.models import Subscription
from dailypapers.papers.records import OrgRecord
from dailypapers.papers.upsert import upsert_papers

from .conftest import SITE_URL, at, day, paper, subscribe

pytestmark = pytest.mark.django_db


def link_in(message, prefix):
    return re.search(rf"{SITE_URL}({prefix}[^\s\"<>]+)", message.body).group(1)


def post_subscribe(client, address="alice@example.org", **fields):
    return client.post("/digests/subscribe", {"email": address, "frequency": "daily", **fields})


def test_every_feed_page_has_the_subscribe_box(client, week_of_papers):
    for path in ("/", "/papers/date/2026-03-02", "/papers/week/2026-W10", "/papers/month/2026-03"):
        body = client.get(path).content.decode()
        assert 'action="/digests/subscribe"' in body, path
        assert 'name="csrfmiddlewaretoken"' in body, path


def test_it_subscribes_with_double_opt_in(client, clock):
    response = post_subscribe(client, "Alice@Example.org", frequency="weekly")
    assert response.status_code == 302 and response["Location"] == "/digests/check-your-inbox"
    alice = Subscription.objects.get()
    assert (alice.email, alice.status, alice.frequency) == ("alice@example.org", "pending", "weekly")
    [message] = mail.outbox
    assert message.to == ["alice@example.org"] and "Confirm" in message.subject
    confirm = link_in(message, "/digests/confirm/")

    page = client.get(confirm)  # what a mail scanner would do: nothing happens
    assert page.status_code == 200 and b"<form" in page.content
    alice.refresh_from_db()
    assert alice.status == "pending"

    assert client.post(confirm).status_code == 200
    alice.refresh_from_db()
    assert alice.status == "active" and alice.confirmed_at == clock()
    assert alice.next_digest_at == at(day(7), 7, 0)  # the next Monday slot


def test_the_subscribe_page_takes_a_focus(client, clock, week_of_papers):
    response = post_subscribe(client, categories="cs.CL, cs.lg stat.ML", keywords="diffusion, protein folding",
                              organizations="lantern")
    assert response.status_code == 302
    alice = Subscription.objects.get()
    assert alice.focus_categories == "cs.CL cs.lg stat.ML"
    assert alice.focus_keywords == "diffusion, protein folding"
    assert [org.slug for org in alice.focus_organizations.all()] == ["lantern"]


def test_bad_choices_are_explained_and_nothing_is_sent(client, clock, week_of_papers):
    response = post_subscribe(client, categories="cs.CL <script>", organizations="Nowhere Institute")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Not an arXiv category: &lt;script&gt;" in body
    assert "No organization called Nowhere Institute here." in body
    assert not Subscription.objects.exists() and mail.outbox == []
    assert post_subscribe(client, "not an address").status_code == 400


def test_subscribing_an_address_already_subscribed_reveals_nothing_and_mails_its_owner(client, clock):
    subscribe("alice@example.org", frequency="weekly")
    first = post_subscribe(client, "alice@example.org", frequency="daily")
    second = post_subscribe(client, "bob@example.org")
    assert (first.status_code, first["Location"]) == (second.status_code, second["Location"])
    to_alice = next(m for m in mail.outbox if m.to == ["alice@example.org"])
    assert "already" in to_alice.body and link_in(to_alice, "/digests/manage/")
    assert Subscription.objects.get(email="alice@example.org").frequency == "weekly"  # a stranger changed nothing


def test_the_subscribe_form_needs_a_csrf_token(clock):
    client = Client(enforce_csrf_checks=True)
    assert post_subscribe(client).status_code == 403
    assert not Subscription.objects.exists()


def test_the_subscribe_form_is_rate_limited_per_address(client, clock, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "digest_subscribe": (2, 3600)}
    for n in range(2):
        assert post_subscribe(client, REMOTE_ADDR=f"10.0.0.{n}").status_code == 302
    refused = client.post("/digests/subscribe", {"email": "alice@example.org", "frequency": "daily"},
                          REMOTE_ADDR="10.0.0.9")
    assert refused.status_code == 429 and "Retry-After" in refused
    assert len(mail.outbox) == 2


def test_a_signed_in_account_holder_subscribing_their_address_is_linked(client, clock, django_user_model):
    dana = django_user_model.objects.create_user("dana", "Dana@Example.org", "pw")
    client.force_login(dana)
    assert f'value="{dana.email}"' in client.get("/digests/subscribe").content.decode()
    post_subscribe(client, "dana@example.org")
    post_subscribe(client, "someone.else@example.org")
    assert Subscription.objects.get(email="dana@example.org").user == dana
    assert Subscription.objects.get(email="someone.else@example.org").user is None


def test_unsubscribe_shows_a_button_on_get_and_unsubscribes_on_post(client, clock):
    alice = subscribe("alice@example.org")
    url = f"/digests/unsubscribe/{alice.link_token('unsubscribe')}"
    assert b'<form class="digest-form" method="post">' in client.get(url).content
    alice.refresh_from_db()
    assert alice.is_active
    response = client.post(url)
    assert response.status_code == 200 and b"unsubscribed" in response.content
    alice.refresh_from_db()
    assert (alice.status, alice.unsubscribed_at, alice.next_digest_at) == ("unsubscribed", clock(), None)


def test_one_click_is_csrf_exempt_and_get_leads_to_the_button(clock):
    alice = subscribe("alice@example.org")
    url = f"/digests/unsubscribe/{alice.link_token('unsubscribe')}/one-click"
    client = Client(enforce_csrf_checks=True)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == url.removesuffix("/one-click")
    alice.refresh_from_db()
    assert alice.is_active
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    alice.refresh_from_db()
    assert alice.status == "unsubscribed"
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200  # twice is fine


def test_the_other_pages_still_need_csrf(clock):
    alice = subscribe("alice@example.org")
    client = Client(enforce_csrf_checks=True)
    for purpose in ("unsubscribe", "manage"):
        assert client.post(f"/digests/{purpose}/{alice.link_token(purpose)}").status_code == 403
    alice.refresh_from_db()
    assert alice.is_active


def bad_tokens(alice):
    good = alice.link_token("unsubscribe")
    value, _, signature = good.rpartition(":")
    yield "garbage"
    yield f"{value}:{signature[:-2]}xx"  # tampered signature
    yield alice.link_token("manage")  # signed for another purpose
    yield signing.TimestampSigner(salt="dailypapers.digests.unsubscribe").sign(f"{alice.pk}.000000000000")
    yield signing.TimestampSigner(salt="dailypapers.digests.unsubscribe").sign("999999.abc")  # no such row


def main(response):
    """The page's own content (the site header around it links back to the current path)."""
    body = response.content.decode()
    return body[body.index("<main") : body.index("</main>")]


def test_a_bad_token_gets_one_friendly_page_that_reveals_nothing(client, clock):
    alice = subscribe("alice@example.org")
    pages = set()
    for token in bad_tokens(alice):
        for method in (client.get, client.post):
            response = method(f"/digests/unsubscribe/{token}")
            assert response.status_code == 400
            pages.add(main(response))
        assert client.post(f"/digests/unsubscribe/{token}/one-click").status_code == 400
    for purpose in ("confirm", "manage"):
        pages.add(main(client.get(f"/digests/{purpose}/garbage")))
    assert len(pages) == 1
    page = pages.pop()
    assert "doesn't work" in page and "alice" not in page
    alice.refresh_from_db()
    assert alice.is_active


def test_a_confirmation_link_expires_after_a_week(client, clock):
    post_subscribe(client)
    confirm = link_in(mail.outbox[0], "/digests/confirm/")
    clock.advance(days=8)
    assert client.post(confirm).status_code == 400
    assert Subscription.objects.get().status == "pending"


def test_a_token_stops_working_when_the_address_changes(client, clock):
    alice = subscribe("alice@example.org")
    url = f"/digests/manage/{alice.link_token('manage')}"
    Subscription.objects.filter(pk=alice.pk).update(email="alice@elsewhere.example")
    assert client.get(url).status_code == 400


def test_manage_changes_frequency_and_focus(client, clock):
    upsert_papers([paper(1, day(0), organization=OrgRecord("Lantern Lab", "lantern"))])
    alice = subscribe("alice@example.org")
    url = f"/digests/manage/{alice.link_token('manage')}"
    page = client.get(url).content.decode()
    assert "alice@example.org" in page and 'value="daily"' in page
    response = client.post(url, {"action": "save", "frequency": "weekly", "categories": "cs.CL",
                                 "keywords": "diffusion", "organizations": "Lantern Lab"})
    assert response.status_code == 302 and response["Location"] == f"{url}?saved=1"
    alice.refresh_from_db()
    assert (alice.frequency, alice.focus_categories, alice.focus_keywords) == ("weekly", "cs.CL", "diffusion")
    assert alice.next_digest_at == at(day(7), 7, 0)
    assert [o.name for o in alice.focus_organizations.all()] == ["Lantern Lab"]
    assert "Saved." in client.get(f"{url}?saved=1").content.decode()
    assert client.post(url, {"action": "save", "frequency": "hourly"}).status_code == 400


def test_manage_resumes_an_unsubscribed_or_bouncing_address(client, clock):
    alice = subscribe("alice@example.org")
    Subscription.objects.filter(pk=alice.pk).update(status="bouncing", bounce_count=3, next_digest_at=None)
    url = f"/digests/manage/{alice.link_token('manage')}"
    assert "Subscribe again" in client.get(url).content.decode()
    assert client.post(url, {"action": "resume"}).status_code == 302
    alice.refresh_from_db()
    assert (alice.status, alice.bounce_count, alice.next_digest_at) == ("active", 0, at(day(2), 7, 0))


def test_pages_escape_what_people_type(client, clock):
    response = post_subscribe(client, keywords="<img src=x onerror=alert(1)>")
    alice = Subscription.objects.get()
    page = client.get(f"/digests/manage/{alice.link_token('manage')}").content.decode()
    assert response.status_code == 302
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_no_page_has_inline_styles_or_scripts(client, clock, week_of_papers):
    alice = subscribe("alice@example.org")
    pages = ["/", "/digests/subscribe", "/digests/check-your-inbox", "/digests/confirm/x",
             f"/digests/manage/{alice.link_token('manage')}",
             f"/digests/unsubscribe/{alice.link_token('unsubscribe')}",
             f"/digests/confirm/{alice.link_token('confirm')}"]
    for path in pages:
        body = client.get(path).content.decode()
        assert " style=" not in body and "<script>" not in body and " onclick=" not in body, path


def test_a_mail_server_that_is_down_gets_an_honest_page(client, clock, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # discard port: closed
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    response = post_subscribe(client)
    assert response.status_code == 503
    assert "couldn't send the email" in response.content.decode()
