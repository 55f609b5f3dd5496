"""The admin carries the site's name."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_admin_is_branded_with_site_name(client, django_user_model, settings):
    staff = django_user_model.objects.create_superuser("mod", "mod@example.org", "moonlit-momentum-7")
    client.force_login(staff)
    page = client.get("/admin/").content.decode()
    assert f"{settings.SITE_NAME} administration" in page
    assert "Django administration" not in page and "Django site admin" not in page
    assert "Django administration" not in client.get("/admin/login/").content.decode()
