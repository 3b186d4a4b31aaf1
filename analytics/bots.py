"""Which requests come from robots: the maintained `crawler-user-agents` list, plus what no
browser sends (no user agent at all, command-line HTTP clients)."""

from __future__ import annotations

import re
from functools import lru_cache

import crawleruseragents

# Clients that are not in the crawler list because they are not crawlers, but are not people either.
_TOOLS = re.compile(r"(curl|wget|python-requests|python-urllib|httpx|aiohttp|go-http-client|okhttp|"
                    r"java/|libwww-perl|headless|phantomjs|scrapy|axios|node-fetch)", re.IGNORECASE)


@lru_cache(maxsize=4096)
def is_bot(user_agent: str) -> bool:
    ua = (user_agent or "").strip()
    if not ua:
        return True
    return bool(_TOOLS.search(ua)) or bool(crawleruseragents.is_crawler(ua))
