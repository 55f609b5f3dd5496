"""The community models moved from the papers app without moving data: a database migrated with the old
layout keeps every row, its content types and its audit-log targets."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from dailypapers.accounts.tests.people import make_papers
from dailypapers.community.models import (
    AuthorClaim,
    Collection,
    CollectionItem,
    Comment,
    InterestSeed,
    ModerationLog,
    NotInterested,
)
from dailypapers.papers.models import Author

OLD_LAYOUT = [("papers", "0004_comment_html")]  # community 0001 (after papers 0005) undone too


@pytest.fixture
def paper(db):
    return make_papers(1)[0]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_rows_written_under_the_old_layout_survive_the_move(alice, bob, paper):
    old = migrate(OLD_LAYOUT)
    model = lambda name: old.get_model("papers", name)  # noqa: E731
    ContentType.objects.filter(app_label="community").delete()
    ContentType.objects.get_or_create(app_label="papers", model="comment")
    author = Author.objects.create(name="Alice A.", slug="alice-a")
    comment = model("Comment").objects.create(paper_id=paper.pk, author_id=alice.pk, body="Old *comment*")
    model("Comment").objects.create(paper_id=paper.pk, author_id=bob.pk, parent=comment, body="A reply")
    collection = model("Collection").objects.create(owner_id=alice.pk, name="Reading", slug="reading")
    model("CollectionItem").objects.create(collection=collection, paper_id=paper.pk)
    model("AuthorClaim").objects.create(user_id=alice.pk, author_id=author.pk, message="It is me")
    model("ModerationLog").objects.create(action="hide_comment", target_type="papers.comment",
                                          target_id=str(comment.pk), target_repr="comment")
    model("NotInterested").objects.create(user_id=bob.pk, paper_id=paper.pk)
    model("InterestSeed").objects.create(user_id=bob.pk, kind="category", category="cs.CL")

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert [(c.body, c.parent_id) for c in Comment.objects.order_by("pk")] == [
        ("Old *comment*", None), ("A reply", comment.pk)]
    assert list(Collection.objects.get().papers.all()) == [paper]
    assert CollectionItem.objects.count() == 1
    assert AuthorClaim.objects.get().status == AuthorClaim.PENDING
    assert ModerationLog.objects.get().target_type == "community.comment"
    assert NotInterested.objects.get().user == bob
    assert InterestSeed.objects.get().category == "cs.CL"
    ContentType.objects.clear_cache()
    assert ContentType.objects.get_for_model(Comment).app_label == "community"
    assert not ContentType.objects.filter(app_label="papers", model="comment").exists()
    assert Comment.objects.get(parent=None).html == "<p>Old <em>comment</em></p>\n"
