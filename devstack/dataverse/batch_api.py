"""Running a ``$batch``: parts in order, change sets atomically, ``Content-ID`` references.

execute-batch-operations-using-web-api.md (MicrosoftDocs/powerapps-docs
developer/data-platform/webapi/) and OData v4 §11.7; the multipart format lives in batch.py.
A batch counts as one request for service protection (api-limits.md); its parts are not counted.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from devstack.dataverse import batch as batch_format
from devstack.dataverse import errors
from devstack.dataverse.errors import DataverseError
from devstack.dataverse.odata import Preferences
from devstack.dataverse.responses import ApiBase, ApiRequest, ApiResponse, error_response


class BatchMixin(ApiBase):
    def _sub_request(self, sub: batch_format.SubRequest, locations: dict[str, str]) -> ApiRequest:
        url = sub.url
        if url.startswith("$") and url[1:].split("/")[0] in locations:
            ref = url[1:].split("/")[0]
            url = locations[ref] + url[1 + len(ref) :]
        parts = urlsplit(url)
        path = parts.path
        marker = "/api/data/v9.2/"
        if marker in path:
            path = path.split(marker, 1)[1]
        elif path.startswith("/"):
            raise errors.bad_request(f"The batch request URL '{sub.url}' is not under {marker}.")
        prefer = [sub.headers["prefer"]] if "prefer" in sub.headers else []
        return ApiRequest(
            method=sub.method,
            path=path,
            query=parse_qsl(parts.query, keep_blank_values=True),
            headers=sub.headers,
            body=sub.body,
            prefer=prefer,
        )

    @staticmethod
    def _as_sub_response(response: ApiResponse, content_id: str | None) -> batch_format.SubResponse:
        return batch_format.SubResponse(
            response.status, response.headers, response.body, content_id
        )

    def batch(self, request: ApiRequest, prefs: Preferences) -> ApiResponse:
        items = batch_format.parse_batch(request.headers.get("content-type", ""), request.body)
        results: list[batch_format.SubResponse | list[batch_format.SubResponse]] = []
        locations: dict[str, str] = {}
        failed_status: int | None = None
        for item in items:
            if isinstance(item, batch_format.ChangeSet):
                snapshot = self.state.snapshot()
                responses: list[batch_format.SubResponse] = []
                failure: batch_format.SubResponse | None = None
                for sub in item.requests:
                    response = self._run_sub(sub, locations)
                    if response.status >= 400:
                        failure = self._as_sub_response(response, sub.content_id)
                        break
                    responses.append(self._as_sub_response(response, sub.content_id))
                if failure is not None:
                    # Change sets are atomic: roll back, answer with the one failure (OData §11.7.4).
                    self.state.restore(snapshot)
                    results.append(failure)
                    failed_status = failure.status
                else:
                    results.append(responses)
            else:
                response = self._run_sub(item, locations)
                results.append(self._as_sub_response(response, item.content_id))
                if response.status >= 400:
                    failed_status = response.status
            if failed_status is not None and not prefs.continue_on_error:
                # Without odata.continue-on-error the batch stops at the first error, which becomes
                # the batch status (execute-batch-operations-using-web-api.md, "Handling errors").
                break
        content_type, body = batch_format.build_batch_response(results)
        status = failed_status if failed_status is not None and not prefs.continue_on_error else 200
        headers = [("Content-Type", content_type), ("OData-Version", "4.0")]
        if prefs.continue_on_error:
            headers.append(("Preference-Applied", "odata.continue-on-error"))
        return ApiResponse(status, headers, body)

    def _run_sub(self, sub: batch_format.SubRequest, locations: dict[str, str]) -> ApiResponse:
        try:
            api_request = self._sub_request(sub, locations)
        except DataverseError as error:
            return error_response(error, None)
        if api_request.path.startswith("$batch"):
            return error_response(errors.bad_request("A batch cannot contain another batch."), None)
        response = self.handle(api_request)
        if sub.content_id is not None:
            for name, value in response.headers:
                if name == "OData-EntityId":
                    locations[sub.content_id] = value
        return response
