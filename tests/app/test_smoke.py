"""The home page and the error pages answer in both languages."""

from marketplace.accounts.models import Role


def test_home_page_shows_doors_and_figures(client):
    page = client.get("/").get_data(as_text=True)
    assert "/org/register" in page and "/login" in page


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "<h1>" in response.get_data(as_text=True)


def test_staff_page_redirects_anonymous_to_login(client):
    response = client.get("/staff/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_staff_sees_work_queue(as_role):
    c = as_role(Role.STAFF)
    assert c.get("/staff/").status_code == 200


def test_unexpected_error_is_a_friendly_500_in_both_languages(tmp_path):
    from marketplace import create_app
    from marketplace.accounts.access import public
    from tests.conftest import app_config

    app = create_app({**app_config(f"sqlite:///{tmp_path / 'x.db'}"), "TESTING": False})

    @app.route("/boom")
    @public
    def boom():
        raise RuntimeError("secret internals")

    client = app.test_client()
    response = client.get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in page and "Traceback" not in page and "<h1>" in page
    client.get("/lang/en")
    assert "Something went wrong on our side" in client.get("/boom").get_data(as_text=True)
