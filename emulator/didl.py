"""XML text as real Sonos speakers write it: DIDL-Lite items, LastChange events, GENA property sets, SOAP bodies.

Every value that goes into XML passes through `text` (element content) or `attr` (attribute values), so that a
title with ``&``, ``<`` or quotes can never break a payload. The forms follow payloads captured from real speakers
(``/work/shared/fixtures/sonos-real``): element content escapes ``& < > " '`` (``I&apos;m Not In Love``,
``text=&quot;Spot Block End&quot;``), attribute values and LastChange text escape ``& < > "``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

DIDL_OPEN = (
    '<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" '
    'xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/" xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/">'
)
DIDL_CLOSE = "</DIDL-Lite>"
AVT_EVENT_NS = "urn:schemas-upnp-org:metadata-1-0/AVT/"
RCS_EVENT_NS = "urn:schemas-upnp-org:metadata-1-0/RCS/"
RINCON_NS = "urn:schemas-rinconnetworks-com:metadata-1-0/"
GENA_NS = "urn:schemas-upnp-org:event-1-0"
SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"
CONTROL_NS = "urn:schemas-upnp-org:control-1-0"

_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def text(value: str) -> str:
    """Escape `value` for element content, as Sonos does (all five XML specials)."""
    return value.translate(_TEXT_ESCAPES)


def attr(value: str) -> str:
    """Escape `value` for a double-quoted attribute value (and for LastChange's text)."""
    return value.translate(_ATTR_ESCAPES)


def element(tag: str, value: str) -> str:
    """``<tag>value</tag>`` with `value` escaped."""
    return f"<{tag}>{text(value)}</{tag}>"


def didl(*items: str) -> str:
    """Wrap item (or container) XML fragments in a DIDL-Lite document with Sonos' four namespaces."""
    return DIDL_OPEN + "".join(items) + DIDL_CLOSE


def item(
    body: Iterable[str],
    *,
    item_id: str = "-1",
    parent_id: str = "-1",
    restricted: str | None = "true",
    tag: str = "item",
) -> str:
    """An ``<item>`` (or ``<container>``) with pre-built child fragments."""
    restricted_attr = "" if restricted is None else f' restricted="{attr(restricted)}"'
    return f'<{tag} id="{attr(item_id)}" parentID="{attr(parent_id)}"{restricted_attr}>' + "".join(body) + f"</{tag}>"


def res(uri: str, protocol_info: str, duration: str | None = None) -> str:
    """A ``<res>`` element."""
    duration_attr = "" if duration is None else f' duration="{attr(duration)}"'
    return f'<res protocolInfo="{attr(protocol_info)}"{duration_attr}>{text(uri)}</res>'


def hms(seconds: float) -> str:
    """Seconds as Sonos writes times: ``H:MM:SS`` (``0:03:12``), whole seconds."""
    total = max(0, int(seconds))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def parse_hms(value: str) -> float:
    """``H:MM:SS`` (or ``MM:SS``) as seconds; raises ValueError when it is not one."""
    parts = value.strip().split(":")
    if not 2 <= len(parts) <= 3 or not all(part.isdigit() for part in parts):
        raise ValueError(f"not a time: {value!r}")
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return float(seconds)


def last_change(namespace: str, variables: Sequence[tuple[str, str]], *, instance_tag: str = "InstanceID") -> str:
    """A LastChange ``<Event>`` document: each variable as ``<Name val="..."/>``.

    A name may carry a channel, written ``Volume@Master``, which gives ``<Volume channel="Master" val="..."/>``.
    Names starting with ``r:`` are in Sonos' own namespace, as real speakers write them.
    """
    parts = [f'<Event xmlns="{namespace}" xmlns:r="{RINCON_NS}"><{instance_tag} val="0">']
    for name, value in variables:
        tag, _, channel = name.partition("@")
        channel_attr = f' channel="{attr(channel)}"' if channel else ""
        parts.append(f'<{tag}{channel_attr} val="{attr(value)}"/>')
    parts.append(f"</{instance_tag}></Event>")
    return "".join(parts)


def propertyset(properties: Sequence[tuple[str, str]]) -> str:
    """A GENA NOTIFY body: one ``<e:property>`` per (name, value), values escaped as LastChange text."""
    body = "".join(f"<e:property><{name}>{attr(value)}</{name}></e:property>" for name, value in properties)
    return f'<e:propertyset xmlns:e="{GENA_NS}">{body}</e:propertyset>'


def soap_response(service_type: str, action: str, values: Sequence[tuple[str, str]]) -> str:
    """A SOAP action response envelope."""
    args = "".join(f"<{name}>{text(value)}</{name}>" for name, value in values)
    return (
        f'<s:Envelope xmlns:s="{SOAP_ENV_NS}" s:encodingStyle="{SOAP_ENCODING}"><s:Body>'
        f'<u:{action}Response xmlns:u="{service_type}">{args}</u:{action}Response>'
        "</s:Body></s:Envelope>"
    )


def soap_fault(code: int, description: str = "") -> str:
    """A UPnP error as a SOAP fault (sent with HTTP 500)."""
    description_xml = f"<errorDescription>{text(description)}</errorDescription>" if description else ""
    return (
        f'<s:Envelope xmlns:s="{SOAP_ENV_NS}" s:encodingStyle="{SOAP_ENCODING}"><s:Body><s:Fault>'
        "<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
        f'<UPnPError xmlns="{CONTROL_NS}"><errorCode>{code}</errorCode>{description_xml}</UPnPError>'
        "</detail></s:Fault></s:Body></s:Envelope>"
    )
