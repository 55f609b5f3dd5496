"""The community models move to the community app (its 0001_initial): here they leave the state only.
Their tables stay as they are, rows and all; the community app keeps using them by name."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('papers', '0004_comment_html'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
                migrations.RemoveField(
                    model_name='collection',
                    name='owner',
                ),
                migrations.RemoveField(
                    model_name='collection',
                    name='papers',
                ),
                migrations.RemoveField(
                    model_name='collectionitem',
                    name='collection',
                ),
                migrations.RemoveField(
                    model_name='collectionitem',
                    name='paper',
                ),
                migrations.RemoveField(
                    model_name='comment',
                    name='author',
                ),
                migrations.RemoveField(
                    model_name='comment',
                    name='paper',
                ),
                migrations.RemoveField(
                    model_name='comment',
                    name='parent',
                ),
                migrations.RemoveField(
                    model_name='interestseed',
                    name='author',
                ),
                migrations.RemoveField(
                    model_name='interestseed',
                    name='paper',
                ),
                migrations.RemoveField(
                    model_name='interestseed',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='moderationlog',
                    name='actor',
                ),
                migrations.RemoveField(
                    model_name='notinterested',
                    name='paper',
                ),
                migrations.RemoveField(
                    model_name='notinterested',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='AuthorClaim',
                ),
                migrations.DeleteModel(
                    name='Collection',
                ),
                migrations.DeleteModel(
                    name='CollectionItem',
                ),
                migrations.DeleteModel(
                    name='Comment',
                ),
                migrations.DeleteModel(
                    name='InterestSeed',
                ),
                migrations.DeleteModel(
                    name='ModerationLog',
                ),
                migrations.DeleteModel(
                    name='NotInterested',
                ),
        ]),
    ]
