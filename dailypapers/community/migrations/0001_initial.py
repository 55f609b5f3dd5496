"""The community models, moved from the papers app (papers 0005): their tables (``papers_*``) already exist
with every row, so this creates state only. Content types and audit-log targets follow the new label."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ["authorclaim", "collection", "collectionitem", "comment", "interestseed", "moderationlog", "notinterested"]


def relabel(apps, schema_editor, old="papers", new="community"):
    """Content types (and so permissions and admin history) and logged targets move with the models."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    ModerationLog = apps.get_model("community", "ModerationLog")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label=new, model__in=MODELS).exists():
        ContentType.objects.using(db).filter(app_label=old, model__in=MODELS).update(app_label=new)
    for model in MODELS:
        ModerationLog.objects.using(db).filter(target_type=f"{old}.{model}").update(target_type=f"{new}.{model}")


def unlabel(apps, schema_editor):
    relabel(apps, schema_editor, old="community", new="papers")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('papers', '0005_community_moves_out'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
                migrations.CreateModel(
                    name='Collection',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('slug', models.SlugField(allow_unicode=True, max_length=120)),
                        ('description', models.TextField(blank=True, max_length=1000)),
                        ('is_public', models.BooleanField(default=False)),
                        ('is_reading_list', models.BooleanField(default=False)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='collections', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'papers_collection',
                        'ordering': ['-is_reading_list', 'name'],
                    },
                ),
                migrations.CreateModel(
                    name='CollectionItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('added_at', models.DateTimeField(auto_now_add=True)),
                        ('collection', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='community.collection')),
                        ('paper', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='collection_items', to='papers.paper')),
                    ],
                    options={
                        'db_table': 'papers_collectionitem',
                        'ordering': ['-added_at', '-id'],
                    },
                ),
                migrations.AddField(
                    model_name='collection',
                    name='papers',
                    field=models.ManyToManyField(related_name='collections', through='community.CollectionItem', to='papers.paper'),
                ),
                migrations.CreateModel(
                    name='Comment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('body', models.TextField(help_text='Markdown (a safe subset)', max_length=5000)),
                        ('body_html', models.TextField(blank=True, default='', editable=False)),
                        ('html_version', models.PositiveSmallIntegerField(default=0, editable=False, help_text='markup.VERSION that rendered body_html')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('edited_at', models.DateTimeField(blank=True, null=True)),
                        ('deleted_at', models.DateTimeField(blank=True, null=True)),
                        ('hidden', models.BooleanField(default=False, help_text='Hidden by a moderator')),
                        ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='comments', to=settings.AUTH_USER_MODEL)),
                        ('paper', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='papers.paper')),
                        ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='replies', to='community.comment')),
                    ],
                    options={
                        'db_table': 'papers_comment',
                        'ordering': ['created_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='InterestSeed',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('paper', 'Paper'), ('author', 'Author'), ('category', 'Category')], max_length=10)),
                        ('category', models.CharField(blank=True, max_length=40)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='papers.author')),
                        ('paper', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='papers.paper')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='interest_seeds', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'papers_interestseed',
                        'ordering': ['created_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='ModerationLog',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(db_index=True, max_length=40)),
                        ('target_type', models.CharField(max_length=40)),
                        ('target_id', models.CharField(max_length=64)),
                        ('target_repr', models.CharField(max_length=255)),
                        ('note', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'papers_moderationlog',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='NotInterested',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('paper', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='papers.paper')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='not_interested', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'papers_notinterested',
                    },
                ),
                migrations.CreateModel(
                    name='AuthorClaim',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('approved', 'Approved'), ('rejected', 'Rejected')], db_index=True, default='pending', max_length=10)),
                        ('message', models.TextField(blank=True, help_text='Evidence offered by the claimant', max_length=1000)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('author', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='claims', to='papers.author')),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='author_claims', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'papers_authorclaim',
                        'ordering': ['-created_at'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('user', 'author'), name='one_pending_claim')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='collectionitem',
                    constraint=models.UniqueConstraint(fields=('collection', 'paper'), name='unique_collection_item'),
                ),
                migrations.AddConstraint(
                    model_name='collection',
                    constraint=models.UniqueConstraint(fields=('owner', 'slug'), name='unique_collection_slug'),
                ),
                migrations.AddConstraint(
                    model_name='collection',
                    constraint=models.UniqueConstraint(condition=models.Q(('is_reading_list', True)), fields=('owner',), name='one_reading_list'),
                ),
                migrations.AddIndex(
                    model_name='comment',
                    index=models.Index(fields=['paper', 'created_at'], name='comment_paper_created'),
                ),
                migrations.AddConstraint(
                    model_name='interestseed',
                    constraint=models.UniqueConstraint(condition=models.Q(('kind', 'paper')), fields=('user', 'paper'), name='unique_seed_paper'),
                ),
                migrations.AddConstraint(
                    model_name='interestseed',
                    constraint=models.UniqueConstraint(condition=models.Q(('kind', 'author')), fields=('user', 'author'), name='unique_seed_author'),
                ),
                migrations.AddConstraint(
                    model_name='interestseed',
                    constraint=models.UniqueConstraint(condition=models.Q(('kind', 'category')), fields=('user', 'category'), name='unique_seed_category'),
                ),
                migrations.AddIndex(
                    model_name='moderationlog',
                    index=models.Index(fields=['target_type', 'target_id'], name='modlog_target'),
                ),
                migrations.AddConstraint(
                    model_name='notinterested',
                    constraint=models.UniqueConstraint(fields=('user', 'paper'), name='unique_not_interested'),
                ),
        ]),
        migrations.RunPython(relabel, unlabel),
    ]
