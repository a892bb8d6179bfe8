"""Every error page in the reader's language: Chinese first, English by the switch.

404, 405 and 413 are met through real requests (a page that does not exist, ``GET
/sign-out``, a body over the app's limit), 429 through the staff sign-in's own limit;
400 and 500 through routes this test adds that raise werkzeug's ``BadRequest`` (as
``request.form["missing"]`` does) and an unexpected exception.
"""

from __future__ import annotations

import pytest
from werkzeug.exceptions import BadRequest

#: status -> (Chinese wording, English wording) the page must show
WORDING = {
    400: ("无法识别这个请求", "The request could not be understood"),
    404: ("这个地址没有页面", "There is no page at this address"),
    405: ("这个地址不能这样打开", "This address cannot be opened this way"),
    413: ("请求过大", "The request is too large"),
    429: ("尝试次数过多", "Too many attempts in a short time"),
    500: ("系统出现问题", "Something went wrong on our side"),
}
#: werkzeug's own English descriptions, which must not reach a Chinese page
WERKZEUG_ENGLISH = ("The requested URL was not found", "The method is not allowed",
                    "The browser (or proxy) sent a request", "The data value transmitted exceeds",
                    "The server encountered an internal error")


@pytest.fixture
def error_app(ov_settings):
    """The app with throttling on, a small body limit, and two routes that fail."""
    from web import create_app

    application = create_app(ov_settings, TESTING=True, WTF_CSRF_ENABLED=False,
                             MAX_CONTENT_LENGTH=1024, PROPAGATE_EXCEPTIONS=False)

    @application.get("/test-only/bad-request")
    def _bad_request():
        raise BadRequest()

    @application.get("/test-only/crash")
    def _crash():
        raise RuntimeError("boom")

    yield application
    application.extensions["ownervote.engine"].dispose()


def _answer(client, status: int):
    if status == 400:
        return client.get("/test-only/bad-request")
    if status == 404:
        return client.get("/no/such/page")
    if status == 405:
        return client.get("/sign-out")
    if status == 413:
        return client.post("/staff/sign-in", data={"username": "x" * 4096})
    if status == 429:
        form = {"username": "nobody", "password": "wrong", "code": "000000"}
        for _ in range(10):
            client.post("/staff/sign-in", data=form)
        return client.post("/staff/sign-in", data=form)
    return client.get("/test-only/crash")


@pytest.mark.parametrize("status", sorted(WORDING))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_error_page_speaks_the_readers_language(error_app, status: int, lang: str) -> None:
    client = error_app.test_client()
    if lang == "en":
        client.get("/lang/en?next=/")
    r = _answer(client, status)
    assert r.status_code == status
    html = r.get_data(as_text=True)
    chinese, english = WORDING[status]
    if lang == "zh":
        assert 'lang="zh-CN"' in html
        assert "无法完成此操作" in html and chinese in html, html
        assert english not in html
    else:
        assert english in html and chinese not in html, html
    assert not any(text in html for text in WERKZEUG_ENGLISH), html
