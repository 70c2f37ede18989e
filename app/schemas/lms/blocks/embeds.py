"""Video links as players inside the lesson: a YouTube, VK Video or Rutube page link becomes the
provider's embed address, built from the video's id alone (never from the link's other parts),
so only the players in `VIDEO_PLAYER_ORIGINS` are ever framed; any other link stays a plain
link. The same origins are the pages' CSP `frame-src` (app/core/headers.py): a player address
this module builds is always allowed there, and nothing else is.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

from app.core.headers import VIDEO_PLAYER_ORIGINS

YOUTUBE_EMBED, VK_EMBED, VK_VIDEO_EMBED, RUTUBE_EMBED = VIDEO_PLAYER_ORIGINS

_YOUTUBE_HOSTS = frozenset(
    {"youtube.com", "www.youtube.com", "m.youtube.com", "www.youtube-nocookie.com"}
)
_VK_HOSTS = frozenset({"vk.com", "www.vk.com", "m.vk.com", "vk.ru", "www.vk.ru", "m.vk.ru"})
_VK_VIDEO_HOSTS = frozenset({"vkvideo.ru", "www.vkvideo.ru", "m.vkvideo.ru"})
_RUTUBE_HOSTS = frozenset({"rutube.ru", "www.rutube.ru", "m.rutube.ru"})

_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_YOUTUBE_PATH = re.compile(r"/(?:shorts|embed|live|v)/([A-Za-z0-9_-]{1,64})/?")
# "1h2m3s", "90s" or "90": the start time of a YouTube link.
_YOUTUBE_TIME = re.compile(r"(?:(\d{1,2})h)?(?:(\d{1,4})m)?(?:(\d{1,6})s?)?")
_VK_VIDEO = re.compile(r"video(-?\d{1,20})_(\d{1,20})")
_RUTUBE_PATH = re.compile(r"/(?:video|shorts|play/embed)/([A-Za-z0-9]{1,64})/?")
_RUTUBE_KEY = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _first(query: dict[str, list[str]], name: str) -> str:
    values = query.get(name)
    return values[0] if values else ""


def _youtube_start(query: dict[str, list[str]]) -> int | None:
    raw = _first(query, "t") or _first(query, "start")
    match = _YOUTUBE_TIME.fullmatch(raw) if raw else None
    if match is None or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds or None


def _youtube(host: str, path: str, query: dict[str, list[str]]) -> str | None:
    if host == "youtu.be":
        video_id = path.strip("/")
        if not _YOUTUBE_ID.fullmatch(video_id):
            return None
    elif host in _YOUTUBE_HOSTS:
        if path.rstrip("/") == "/watch":
            video_id = _first(query, "v")
            if not _YOUTUBE_ID.fullmatch(video_id):
                return None
        elif match := _YOUTUBE_PATH.fullmatch(path):
            video_id = match.group(1)
        else:
            return None
    else:
        return None
    start = _youtube_start(query)
    suffix = f"?{urlencode({'start': start})}" if start else ""
    return f"{YOUTUBE_EMBED}/embed/{video_id}{suffix}"


def _vk(host: str, path: str, query: dict[str, list[str]]) -> str | None:
    if host in _VK_HOSTS:
        origin = VK_EMBED
    elif host in _VK_VIDEO_HOSTS:
        origin = VK_VIDEO_EMBED
    else:
        return None
    params: dict[str, str | int] = {}
    if path == "/video_ext.php":
        oid, video_id = _first(query, "oid"), _first(query, "id")
        if not (re.fullmatch(r"-?\d{1,20}", oid) and re.fullmatch(r"\d{1,20}", video_id)):
            return None
        # A private video's player link carries its access hash.
        if re.fullmatch(r"[A-Za-z0-9]{1,64}", key := _first(query, "hash")):
            params["hash"] = key
    else:
        # /video-1_2 itself, or a page showing it on top (/video?z=video-1_2%2Fpl_...).
        match = _VK_VIDEO.fullmatch(path.strip("/")) or _VK_VIDEO.match(_first(query, "z"))
        if match is None:
            return None
        oid, video_id = match.groups()
    query_string = urlencode({"oid": oid, "id": video_id, **params, "hd": 2})
    return f"{origin}/video_ext.php?{query_string}"


def _rutube(host: str, path: str, query: dict[str, list[str]]) -> str | None:
    if host not in _RUTUBE_HOSTS:
        return None
    match = _RUTUBE_PATH.fullmatch(path)
    if match is None:
        return None
    # A private video's link carries its access key as `p`.
    key = _first(query, "p")
    suffix = f"?{urlencode({'p': key})}" if _RUTUBE_KEY.fullmatch(key) else ""
    return f"{RUTUBE_EMBED}/play/embed/{match.group(1)}/{suffix}"


def embed_url(url: str | None) -> str | None:
    """The player address for a video page link, or None (the link stays a link)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "https" or port not in (None, 443) or parts.username or parts.password:
        return None
    host = (parts.hostname or "").lower()
    query = parse_qs(parts.query)
    for provider in (_youtube, _vk, _rutube):
        if found := provider(host, parts.path, query):
            return found
    return None
