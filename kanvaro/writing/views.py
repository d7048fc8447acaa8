"""The preview of a Markdown text, and the people `@` offers (SPEC §8)."""

from __future__ import annotations

from starlette.responses import Response

from kanvaro.errors import Invalid
from kanvaro.forms import FormInput
from kanvaro.inputs import parse, refill
from kanvaro.web.view import Web, view
from kanvaro.writing import queries
from kanvaro.writing.forms import PreviewForm, PreviewInput


@view()
def people(web: Web, project_id: int) -> Response:
    """With htmx, the options of the `@` listbox (kanvaro.js); without, a page of them."""
    q = web.request.query_params.get("q", "")
    project, found = queries.mention_candidates(web.ctx, project_id, q)
    return web.render("writing/people.html", block="options", project=project, people=found,
                      q=q[:100])


def _preview_input(web: Web) -> FormInput:
    """`text` and `project_id` as sent; from a form's Preview button without JS, the text is
    the form's field the address names (`?field=description`) and the project the address's."""
    body, query = web.data(), web.request.query_params
    name = query.get("field", "")
    text = body.get("text") if "text" in body else body.get(name) if name else ""
    project = body.get("project_id") if "project_id" in body else query.get("project_id")
    return FormInput([("text", text or ""), *([("project_id", project)] if project else [])])


@view()
def preview(web: Web) -> Response:
    """It writes nothing: a look at the text before saving it (the routes walk says so)."""
    data = _preview_input(web)
    form = PreviewForm(data)
    try:
        shown = queries.preview(web.ctx, parse(PreviewInput, data))
    except Invalid as exc:
        return web.render("writing/preview.html", block="rendered", http_status=422,
                          form=refill(form, exc.errors), shown=None)
    return web.render("writing/preview.html", block="rendered", form=form, shown=shown)
