"""The Files API, which localstripe lacks: multipart uploads (`POST /v1/files`, on what the
SDK calls the files base address), retrieve and list; and dispute evidence fields that take
a file refusing an id that is not an uploaded file, as Stripe does.

Only metadata and a digest of each upload are kept, never the bytes: the state file stays
small and nothing reads the contents back.
"""

from __future__ import annotations

import hashlib
from email import policy
from email.message import Message
from email.parser import BytesParser
from typing import Any

from aiohttp import web
from localstripe import resources

from sync.emulator import disputes
from sync.emulator.apis import set_extra_api
from sync.emulator.clock import clock
from sync.emulator.errors import stripe_error, unknown_parameters

PURPOSES = ("account_requirement", "additional_verification", "business_icon", "business_logo",
            "customer_signature", "dispute_evidence", "identity_document", "pci_document",
            "tax_document_user_upload")
# Stripe's limits for dispute evidence: PDF, JPEG or PNG, at most 5 MB.
EVIDENCE_TYPES = {b"%PDF": "pdf", b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}
EVIDENCE_MAX = 5_000_000
# Stripe takes uploads of up to 32 MB; aiohttp's default body limit is 1 MiB.
BODY_MAX = 33 * 1024 * 1024
# The evidence fields that take a file id rather than text.
FILE_FIELDS = ("cancellation_policy", "customer_communication", "customer_signature",
               "duplicate_charge_documentation", "receipt", "refund_policy",
               "service_documentation", "shipping_documentation", "uncategorized_file")
_EXTENSIONS = {"pdf": "pdf", "jpg": "jpg", "jpeg": "jpg", "png": "png", "gif": "gif",
               "csv": "csv", "txt": "txt"}


class File(resources.StripeObject):
    object = "file"
    _id_prefix = "file_"

    def __init__(self, *, purpose: str, filename: str, size: int, type: str,
                 sha256: str) -> None:
        super().__init__()
        self.created = int(clock.time())
        self.expires_at = None
        self.filename = filename
        self.links = {"object": "list", "data": [], "has_more": False,
                      "url": f"/v1/file_links?file={self.id}"}
        self.purpose = purpose
        self.size = size
        self.title = None
        self.type = type
        self.url = f"/v1/files/{self.id}/contents"
        self._sha256 = sha256  # for tests: which bytes arrived

    @classmethod
    def _api_retrieve(cls, id: str) -> File:
        found = resources.store.get("file:" + str(id))
        if found is None:
            raise stripe_error(404, f"No such file upload: '{id}'", code="resource_missing",
                               param="file")
        return found


def _parts(content_type: str, body: bytes) -> list[Message]:
    header = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(header + body)
    if not message.is_multipart():
        raise stripe_error(400, "Files must be uploaded as multipart/form-data.")
    return list(message.iter_parts())  # type: ignore[attr-defined]


def _type_of(content: bytes, filename: str, purpose: str) -> str:
    if purpose == "dispute_evidence":
        kind = next((t for magic, t in EVIDENCE_TYPES.items() if content.startswith(magic)),
                    None)
        if kind is None:
            raise stripe_error(400, "The file type is not supported for purpose "
                                    "dispute_evidence: upload a PDF, JPEG or PNG.",
                               param="file")
        if len(content) > EVIDENCE_MAX:
            raise stripe_error(400, "The file is too large for purpose dispute_evidence "
                                    "(at most 5 MB).", param="file")
        return kind
    return _EXTENSIONS.get(filename.rpartition(".")[2].lower(), "pdf")


async def parameters_digest(request: web.Request) -> str:
    """What makes a POST the same request again (for idempotency keys): its body, or for an
    upload its parts, whatever boundary the client chose this time."""
    body = await request.read()
    if request.content_type != "multipart/form-data":
        return hashlib.sha256(body).hexdigest()
    digest = hashlib.sha256()
    for part in _parts(request.headers.get("Content-Type", ""), body):
        for value in (part.get("Content-Disposition", ""), part.get_payload(decode=True)):
            item = value if isinstance(value, bytes) else str(value).encode()
            digest.update(hashlib.sha256(item).digest())
    return digest.hexdigest()


async def create_file(request: web.Request) -> web.Response:
    """`POST /v1/files`: `purpose`, and `file` as the part with a filename."""
    fields: dict[str, str] = {}
    upload: tuple[str, bytes] | None = None
    for part in _parts(request.headers.get("Content-Type", ""), await request.read()):
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if name == "file" and filename is not None:
            upload = (filename, content)
        elif isinstance(name, str):
            fields[name] = content.decode("utf-8", "replace")
    purpose = fields.pop("purpose", None)
    fields.pop("expand[]", None)
    if fields:
        raise unknown_parameters(fields)
    if purpose is None:
        raise stripe_error(400, "Missing required param: purpose.", param="purpose")
    if purpose not in PURPOSES:
        raise stripe_error(400, f"Invalid purpose: must be one of {', '.join(PURPOSES)}",
                           param="purpose")
    if upload is None or not upload[1]:
        raise stripe_error(400, "Missing required param: file.", param="file")
    filename, content = upload
    created = File(purpose=purpose, filename=filename, size=len(content),
                   type=_type_of(content, filename, purpose),
                   sha256=hashlib.sha256(content).hexdigest())
    return web.json_response(created._export())


def retrieve_file(id: str, **kwargs: Any) -> File:
    if kwargs:
        raise unknown_parameters(kwargs)
    return File._api_retrieve(id)


def list_files(purpose: Any = None, limit: Any = None, starting_after: Any = None,
               **kwargs: Any) -> Any:
    if kwargs:
        raise unknown_parameters(kwargs)
    page = resources.List("/v1/files", limit=limit, starting_after=starting_after)
    page._list = [obj for key, obj in resources.store.items()
                  if key.startswith("file:") and purpose in (None, obj.purpose)]
    return page


def update_dispute(id: str, evidence: Any = None, **kwargs: Any) -> Any:
    """The dispute update, refusing a file field whose id is not an uploaded file."""
    for name in FILE_FIELDS:
        value = evidence.get(name) if isinstance(evidence, dict) else None
        if value and resources.store.get(f"file:{value}") is None:
            raise stripe_error(400, f"No such file upload: '{value}'", code="resource_missing",
                               param=f"evidence[{name}]")
    return disputes.update_dispute(id, evidence=evidence, **kwargs)


def _skip_multipart(original: Any) -> Any:
    """localstripe reads every POST body as JSON or a form before any handler, which fails
    on an upload's bytes: an upload's handler reads its parts itself."""

    async def get_post_data(request: web.Request, remove_auth: bool = True) -> Any:
        if request.content_type == "multipart/form-data":
            return {}
        return await original(request, remove_auth)

    return get_post_data


def install() -> None:
    """After disputes.install: the dispute update is wrapped."""
    set_extra_api("GET", "/v1/files", list_files)
    set_extra_api("GET", "/v1/files/{id}", retrieve_file)
    set_extra_api("POST", "/v1/disputes/{id}", update_dispute)


def add_routes(app: web.Application) -> None:
    """The upload route, on the app localstripe built (its server module is loaded now)."""
    from localstripe import server

    server.get_post_data = _skip_multipart(server.get_post_data)
    app._client_max_size = BODY_MAX
    app.router.add_post("/v1/files", create_file)

