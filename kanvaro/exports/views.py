"""`GET /projects/{id}/tasks.csv`: the project's task list as a file, with its filters."""

from __future__ import annotations

from starlette.responses import Response, StreamingResponse

from kanvaro.exports.cells import chunks
from kanvaro.exports.queries import task_export
from kanvaro.web.view import Web, view


@view()
def tasks_csv(web: Web, project_id: int) -> Response:
    # The rows are read here, on the request thread and in its transaction; the file is then
    # written from them piece by piece while it is sent (a sync iterator: off the event loop).
    export = task_export(web.ctx, project_id, web.request.query_params)
    return StreamingResponse(chunks(export), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{export.filename}"'})
